"""Store addresses merchants type in: normalised, and refused when they lead into private networks (SSRF)."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

# socket.getaddrinfo's shape: (host, port) -> [(family, type, proto, canonname, sockaddr), ...]
Resolver = Callable[[str, int], Iterable[Sequence[Any]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan", ".intranet")
METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # a public IPv4 address embedded by a NAT64 gateway
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
PUBLIC_ONLY = "Postventa only connects to stores on the public internet."

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# What merchants paste from their browser's address bar while in wp-admin or the REST index.
_WP_SUFFIX = re.compile(r"/(?:wp-admin|wp-json|wp-login\.php|index\.php)(?:/.*)?$")


class StoreUrlError(ValueError):
    """A store address Postventa will not connect to; the message says why, in words for the merchant."""


def normalize_store_url(raw: str) -> str:
    """One spelling per store: https:// added, scheme and host lower-cased, default port, query and slash dropped."""
    text = raw.strip()
    if not text:
        raise StoreUrlError("Enter your store's address, for example https://shop.example.com.")
    if any(c.isspace() or ord(c) < 32 or c == "\\" for c in text):
        raise StoreUrlError(f"{text!r} is not a web address: it contains spaces or characters an address cannot have.")
    if text.startswith("//"):
        text = "https:" + text
    elif not _SCHEME.match(text):
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise StoreUrlError(f"The store address must start with https:// ({scheme}:// addresses are not supported).")
    if "@" in parts.netloc:
        raise StoreUrlError("The store address must not contain a user name or password (nothing before an @).")
    host = _host(parts.hostname or "", parts.netloc)
    try:
        port = parts.port
    except ValueError:
        raise StoreUrlError(f"{parts.netloc!r} has a port that is not a number between 1 and 65535.") from None
    if port == 0:
        raise StoreUrlError(f"{parts.netloc!r} has a port that is not a number between 1 and 65535.")
    path = _WP_SUFFIX.sub("", parts.path).rstrip("/")
    if any(segment in (".", "..") for segment in path.split("/")):
        raise StoreUrlError("The store address must not contain '.' or '..' path segments.")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return f"{scheme}://{netloc}{path}"


def _host(hostname: str, netloc: str) -> str:
    """The host as Postventa connects to it: a compressed IP literal or an ASCII (IDNA) DNS name."""
    name = hostname.rstrip(".")
    if not name:
        raise StoreUrlError(f"{netloc!r} has no host name.")
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    if "%" in name or ":" in name:
        raise StoreUrlError(f"{name!r} is not a valid host name.")
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise StoreUrlError(f"{name!r} is not a valid host name.") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise StoreUrlError(f"{name!r} is not a valid host name (letters, digits, hyphens and dots only).")
    if labels[-1].isdigit():
        # inet_aton would read "127.1" or "2130706433" as IP addresses; a real top-level domain is never numeric.
        raise StoreUrlError(f"{name!r} is not a valid host name or IP address.")
    return ascii_name


def check_store_url(url: str, *, allow_http: bool, allow_private: bool,
                    resolve: Resolver = socket.getaddrinfo) -> str:
    """The normalised address, once https and every address it resolves to are fit for a server to call."""
    normalized = normalize_store_url(url)
    parts = urlsplit(normalized)
    if parts.scheme == "http" and not allow_http:
        raise StoreUrlError(f"{normalized} uses http://; the store must be reached over https:// so its API keys "
                            "never travel in clear text.")
    allowed_addresses(parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme],
                      allow_private=allow_private, resolve=resolve)
    return normalized


def allowed_addresses(host: str, port: int, *, allow_private: bool,
                      resolve: Resolver = socket.getaddrinfo) -> list[str]:
    """The IP addresses `host` resolves to, after checking that every one of them may be contacted."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        reason = None if allow_private else refusal(literal)
        if reason:
            raise StoreUrlError(f"{host} is {reason}. {PUBLIC_ONLY}")
        return [str(literal)]
    if not allow_private:
        if host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES):
            raise StoreUrlError(f"{host} is a name for this machine or a local network. {PUBLIC_ONLY}")
        if "." not in host:
            raise StoreUrlError(f"{host} is not a public domain name (it has no dot). {PUBLIC_ONLY}")
    try:
        answers = list(resolve(host, port))
    except (OSError, UnicodeError) as exc:
        raise StoreUrlError(f"{host} could not be found (DNS lookup failed: {exc}). Check the store address.") from exc
    found: list[str] = []
    for answer in answers:
        address = ipaddress.ip_address(str(answer[4][0]).split("%", 1)[0])
        reason = None if allow_private else refusal(address)
        if reason:
            raise StoreUrlError(f"{host} resolves to {address}, {reason}. {PUBLIC_ONLY}")
        if str(address) not in found:
            found.append(str(address))
    if not found:
        raise StoreUrlError(f"{host} could not be found (DNS returned no address). Check the store address.")
    return found


def refusal(address: IPAddress) -> str | None:
    """Why a server must not call this address (None when it is a public unicast address)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = refusal(embedded)
            return f"{inner} (as the IPv6 address {address})" if inner else None
        if address in NAT64_LOCAL:
            return "a private network address"
    if address in METADATA_ADDRESSES:
        return "the cloud metadata service's address"
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address (this machine)"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (isinstance(address, ipaddress.IPv4Address) and address in CGNAT, "a carrier-grade NAT address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private network address"),
        (not address.is_global, "not a public internet address"),
    )
    return next((reason for failed, reason in checks if failed), None)


def _connect_pinned(conn: HTTPConnection, guard: Callable[[str, int], list[str]],
                    connect: Callable[[], socket.socket]) -> socket.socket:
    """Connect to the first reachable address the guard approves; TLS (SNI, certificate) and Host keep the name."""
    name = conn._dns_host
    last: Exception | None = None
    for ip in guard(name, conn.port):
        conn._dns_host = ip  # only urllib3's TCP connect reads it; SNI and hostname checks read conn.host afterwards
        try:
            return connect()
        except (NewConnectionError, ConnectTimeoutError) as exc:
            last = exc
        finally:
            conn._dns_host = name
    assert last is not None  # the guard returns at least one address or raises
    raise last


class _PinnedConnection(HTTPConnection):
    """An http connection opened only to an address the guard approved, resolved once (no second lookup)."""

    guard: ClassVar[Callable[[str, int], list[str]]]

    def _new_conn(self) -> socket.socket:
        return _connect_pinned(self, type(self).guard, super()._new_conn)


class _PinnedHTTPSConnection(HTTPSConnection):
    """The https twin of _PinnedConnection."""

    guard: ClassVar[Callable[[str, int], list[str]]]

    def _new_conn(self) -> socket.socket:
        return _connect_pinned(self, type(self).guard, super()._new_conn)


class GuardedAdapter(HTTPAdapter):
    """Checks the addresses of every connection it opens (redirects included), so DNS rebinding cannot slip in."""

    def __init__(self, *, allow_private: bool, resolve: Resolver = socket.getaddrinfo, **kwargs: Any) -> None:
        self.allow_private, self.resolve = allow_private, resolve
        super().__init__(**kwargs)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)  # type: ignore[no-untyped-call]

        def guard(host: str, port: int) -> list[str]:
            return allowed_addresses(host, port, allow_private=self.allow_private, resolve=self.resolve)

        http = type("GuardedHTTPConnection", (_PinnedConnection,), {"guard": staticmethod(guard)})
        https = type("GuardedHTTPSConnection", (_PinnedHTTPSConnection,), {"guard": staticmethod(guard)})
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


def guarded_session(*, allow_private: bool, resolve: Resolver = socket.getaddrinfo) -> requests.Session:
    """A requests session whose connections all go through GuardedAdapter (no proxies, no netrc from the env)."""
    session = requests.Session()
    session.trust_env = False  # an environment proxy would connect on our behalf, past the guard
    adapter = GuardedAdapter(allow_private=allow_private, resolve=resolve)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
