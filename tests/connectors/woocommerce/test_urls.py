"""Store addresses: one spelling per store, and no way to point Postventa at a private network (SSRF)."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectors.woocommerce.client import WooClient
from connectors.woocommerce.urls import (
    StoreUrlError,
    allowed_addresses,
    check_store_url,
    guarded_session,
    normalize_store_url,
)
from tests.fake_woocommerce import CONSUMER_KEY, CONSUMER_SECRET, FakeWooCommerce

PUBLIC_IP = "93.184.216.34"


def answers(*ips: str) -> list[tuple[Any, ...]]:
    """What socket.getaddrinfo returns for these addresses."""
    found: list[tuple[Any, ...]] = []
    for ip in ips:
        if ":" in ip:
            found.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, 443, 0, 0)))
        else:
            found.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 443)))
    return found


def resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[tuple[Any, ...]]]:
    """A DNS that knows only `table`; anything else does not exist."""

    def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers(*table[host])

    return resolve


PUBLIC_DNS = resolver({"shop.example.com": [PUBLIC_IP], "xn--bcher-kva.example": [PUBLIC_IP]})


@pytest.mark.parametrize(("raw", "expected"), [
    ("Shop.Example.COM/", "https://shop.example.com"),
    ("  https://shop.example.com:443/tienda/?utm_source=x#top ", "https://shop.example.com/tienda"),
    ("HTTP://shop.example.com:80/", "http://shop.example.com"),
    ("https://shop.example.com:8443", "https://shop.example.com:8443"),
    ("http://shop.example.com:8080/", "http://shop.example.com:8080"),
    ("https://shop.example.com/wp-admin/admin.php?page=wc-settings", "https://shop.example.com"),
    ("https://shop.example.com/tienda/wp-json/", "https://shop.example.com/tienda"),
    ("//shop.example.com", "https://shop.example.com"),
    ("shop.example.com.", "https://shop.example.com"),
    ("bücher.example", "https://xn--bcher-kva.example"),
    ("https://[0:0:0:0:0:0:0:1]:8443/", "https://[::1]:8443"),
])
def test_normalize_gives_one_spelling_per_store(raw: str, expected: str) -> None:
    assert normalize_store_url(raw) == expected


@pytest.mark.parametrize(("raw", "says"), [
    ("", "Enter your store's address"),
    ("ftp://shop.example.com", "must start with https://"),
    ("javascript:alert(1)", "port"),
    ("https://admin:secret@shop.example.com", "user name or password"),
    ("https://shop.example.com@evil.example", "user name or password"),
    ("https://shop.example.com:99999", "port"),
    ("https://shop.example.com:0", "port"),
    ("https://shop_name.example.com", "not a valid host name"),
    ("https://-shop.example.com", "not a valid host name"),
    ("https://2130706433", "not a valid host name or IP address"),
    ("https://127.1", "not a valid host name or IP address"),
    ("https://shop.example.com/../wp-admin", "'..'"),
    ("https://shop example.com", "spaces"),
    ("https://shop.example.com\\@127.0.0.1", "characters an address cannot have"),
])
def test_normalize_refuses_what_is_not_a_store_address(raw: str, says: str) -> None:
    with pytest.raises(StoreUrlError) as caught:
        normalize_store_url(raw)
    assert says in str(caught.value)


def test_https_is_required_unless_allowed() -> None:
    with pytest.raises(StoreUrlError) as caught:
        check_store_url("http://shop.example.com", allow_http=False, allow_private=False, resolve=PUBLIC_DNS)
    assert "https://" in str(caught.value) and "clear text" in str(caught.value)
    assert check_store_url("http://shop.example.com", allow_http=True, allow_private=False,
                           resolve=PUBLIC_DNS) == "http://shop.example.com"


@pytest.mark.parametrize(("url", "says"), [
    ("https://127.0.0.1", "loopback"),
    ("https://127.8.9.10:8443", "loopback"),
    ("https://10.0.0.1", "private network"),
    ("https://192.168.1.20", "private network"),
    ("https://172.16.5.4", "private network"),
    ("https://169.254.169.254/latest/meta-data", "cloud metadata"),
    ("https://169.254.10.10", "link-local"),
    ("https://100.64.12.1", "carrier-grade NAT"),
    ("https://0.0.0.0", "unspecified"),
    ("https://224.0.0.251", "multicast"),
    ("https://240.0.0.1", "reserved"),
    ("https://192.0.2.10", "private network"),
    ("https://[2002:a00:1::1]", "private network address (as the IPv6 address 2002:a00:1::1)"),
    ("https://[::1]", "loopback"),
    ("https://[::]", "unspecified"),
    ("https://[fe80::1]", "link-local"),
    ("https://[fd00::1]", "private network"),
    ("https://[fd00:ec2::254]", "cloud metadata"),
    ("https://[::ffff:127.0.0.1]", "loopback address (this machine) (as the IPv6 address ::ffff:7f00:1)"),
    ("https://[::ffff:169.254.169.254]", "cloud metadata"),
    ("https://[64:ff9b::a00:1]", "private network"),
    ("https://[2001:db8::1]", "private network"),
])
def test_private_literal_addresses_are_refused(url: str, says: str) -> None:
    def no_dns(host: str, port: int) -> list[tuple[Any, ...]]:
        raise AssertionError("a literal address needs no DNS lookup")

    with pytest.raises(StoreUrlError) as caught:
        check_store_url(url, allow_http=False, allow_private=False, resolve=no_dns)
    message = str(caught.value)
    assert says in message and "public internet" in message


@pytest.mark.parametrize("name", ["localhost", "api.localhost", "tienda.local", "metadata.google.internal",
                                  "router.home.arpa", "nas.lan", "intranet"])
def test_local_names_are_refused_without_asking_dns(name: str) -> None:
    def no_dns(host: str, port: int) -> list[tuple[Any, ...]]:
        raise AssertionError("refused by name, before any lookup")

    with pytest.raises(StoreUrlError) as caught:
        check_store_url(f"https://{name}", allow_http=False, allow_private=False, resolve=no_dns)
    assert name in str(caught.value) and "public internet" in str(caught.value)


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    dns = resolver({"shop.example.com": ["10.1.2.3"]})
    with pytest.raises(StoreUrlError) as caught:
        check_store_url("https://shop.example.com", allow_http=False, allow_private=False, resolve=dns)
    assert str(caught.value).startswith("shop.example.com resolves to 10.1.2.3, a private network address")


def test_every_resolved_address_must_be_public() -> None:
    dns = resolver({"shop.example.com": [PUBLIC_IP, "2606:2800:220:1::1", "::ffff:10.0.0.7"]})
    with pytest.raises(StoreUrlError) as caught:
        check_store_url("https://shop.example.com", allow_http=False, allow_private=False, resolve=dns)
    assert "::ffff:a00:7" in str(caught.value) and "private network" in str(caught.value)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(StoreUrlError) as caught:
        check_store_url("https://no-such-shop.example.com", allow_http=False, allow_private=False, resolve=PUBLIC_DNS)
    assert "could not be found" in str(caught.value)


def test_public_hosts_and_addresses_are_accepted() -> None:
    assert check_store_url("Shop.Example.com/tienda/", allow_http=False, allow_private=False,
                           resolve=PUBLIC_DNS) == "https://shop.example.com/tienda"
    assert check_store_url(f"https://{PUBLIC_IP}", allow_http=False, allow_private=False,
                           resolve=PUBLIC_DNS) == f"https://{PUBLIC_IP}"
    assert check_store_url("bücher.example", allow_http=False, allow_private=False,
                           resolve=PUBLIC_DNS) == "https://xn--bcher-kva.example"
    dual = resolver({"shop.example.com": [PUBLIC_IP, "2606:2800:220:1::1", PUBLIC_IP]})
    assert allowed_addresses("shop.example.com", 443, allow_private=False,
                             resolve=dual) == [PUBLIC_IP, "2606:2800:220:1::1"]


def test_allow_private_is_for_development_and_tests() -> None:
    dns = resolver({"localhost": ["127.0.0.1"]})
    assert check_store_url("http://localhost:8080", allow_http=True, allow_private=True,
                           resolve=dns) == "http://localhost:8080"
    assert check_store_url("http://10.0.0.1", allow_http=True, allow_private=True, resolve=dns) == "http://10.0.0.1"
    with pytest.raises(StoreUrlError, match="could not be found"):
        check_store_url("http://nowhere.example", allow_http=True, allow_private=True, resolve=dns)


def test_connections_go_to_the_guards_answer_not_a_second_lookup(fake_woocommerce: FakeWooCommerce) -> None:
    """'tienda.example' exists only in the injected resolver, so reaching the fake proves the address was pinned."""
    port = urlsplit(fake_woocommerce.url).port
    assert port is not None
    client = WooClient(f"http://tienda.example:{port}", CONSUMER_KEY, CONSUMER_SECRET, allow_http=True,
                       allow_private=True, resolve=resolver({"tienda.example": ["127.0.0.1"]}))
    assert client.orders_page(1).orders == []
    assert fake_woocommerce.calls("GET", "^wc/v3/orders$")  # signed for the name, connected to the pinned address


def test_dns_rebinding_cannot_reach_a_private_address(fake_woocommerce: FakeWooCommerce) -> None:
    """A name that was public when the merchant saved it but answers 127.0.0.1 when Postventa connects."""
    port = urlsplit(fake_woocommerce.url).port
    assert port is not None
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[tuple[Any, ...]]:
        lookups.append(host)
        return answers(PUBLIC_IP if len(lookups) == 1 else "127.0.0.1")

    client = WooClient(f"http://tienda.example:{port}", CONSUMER_KEY, CONSUMER_SECRET, allow_http=True,
                       allow_private=False, resolve=rebinding, sleep=lambda s: None)
    with pytest.raises(StoreUrlError) as caught:
        client.order("1001")
    assert "tienda.example resolves to 127.0.0.1, a loopback address" in str(caught.value)
    assert lookups == ["tienda.example", "tienda.example"]  # checked once at save, once more at connect, no retry
    assert fake_woocommerce.requests == []  # not one byte reached the private address


def test_https_is_pinned_too_with_sni_and_certificate_checked_on_the_name(tmp_path: Path) -> None:
    """The pinned connection still verifies the certificate and sends SNI for the store's name, not the IP."""
    cert, key = _self_signed("tienda.example", tmp_path)
    seen: dict[str, str | None] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            seen["host"] = self.headers["Host"]
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen.update(sni=name)  # type: ignore[func-returns-value]
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"https://tienda.example:{server.server_address[1]}/wp-json/"
    try:
        pinned = guarded_session(allow_private=True, resolve=resolver({"tienda.example": ["127.0.0.1"]}))
        assert pinned.get(url, verify=str(cert), timeout=5).text == "ok"
        assert seen == {"sni": "tienda.example", "host": f"tienda.example:{server.server_address[1]}"}
        public_only = guarded_session(allow_private=False, resolve=resolver({"tienda.example": ["127.0.0.1"]}))
        with pytest.raises(StoreUrlError, match="tienda.example resolves to 127.0.0.1"):
            public_only.get(url, verify=str(cert), timeout=5)
    finally:
        server.shutdown()
        server.server_close()


def _self_signed(name: str, where: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = where / "cert.pem", where / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
