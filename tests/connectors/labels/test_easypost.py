"""EasyPost return labels against a loopback fake of its API: what is sent, what is bought, and only once."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from connectors.labels import (
    LabelAuthError,
    LabelConfigError,
    LabelError,
    LabelProvider,
    LabelRequest,
    fetch_label_pdf,
    get_label_provider,
    label_settings,
)
from connectors.labels import easypost as easypost_module
from connectors.labels.easypost import EasyPostLabels
from connectors.labels.purchase import ounces
from connectors.model import Address, Money
from tests.fake_labels import FakeEasyPostLabels
from tests.fake_trackers import recorded

STORE = Address(name="Tienda Demo", company="Tienda Demo LLC", line1="417 Montgomery Street", line2="Floor 5",
                city="San Francisco", region="CA", postal_code="94104", country_code="US", phone="4153334445")
SHOPPER = Address(name="Jane Shopper", line1="179 N Harbor Dr", city="Redondo Beach", region="CA",
                  postal_code="90277", country_code="US", phone="8573875756")
REQUEST = LabelRequest(idempotency_key="shop-1:order-1001:return-1", rma="RMA-1001-1", store_name="Tienda Demo",
                       return_address=STORE, from_address=SHOPPER, order_number="#1001",
                       items=(("Blue T-shirt", 2),), weight_grams=1200)
CHEAPEST = recorded("easypost_labels", "shipment_created")["rates"][1]  # USPS GroundAdvantage, 6.07


def provider(fake: FakeEasyPostLabels, **settings: str) -> LabelProvider:
    return get_label_provider("easypost", api_key=fake.api_key, base_url=fake.url, **settings)


def calls(fake: FakeEasyPostLabels, method: str, suffix: str = "") -> list[dict]:
    return [r.body for r in fake.requests if r.method == method and r.path.endswith(suffix)]


def test_buys_the_cheapest_rate_of_a_return_shipment_and_its_pdf_can_be_fetched(
        fake_easypost_labels: FakeEasyPostLabels) -> None:
    fake = fake_easypost_labels
    label = provider(fake).create(REQUEST)

    [created] = calls(fake, "POST", "/v2/shipments")
    shipment = created["shipment"]
    assert shipment["is_return"] is True
    # EasyPost swaps a return's addresses itself: the shopper goes in as to_address, the store as from_address.
    assert shipment["to_address"]["name"] == "Jane Shopper" and shipment["to_address"]["zip"] == "90277"
    assert shipment["from_address"] == {"name": "Tienda Demo", "company": "Tienda Demo LLC",
                                        "street1": "417 Montgomery Street", "street2": "Floor 5",
                                        "city": "San Francisco", "state": "CA", "zip": "94104", "country": "US",
                                        "phone": "4153334445"}
    assert shipment["parcel"] == {"weight": 42.4}  # 1200 g in ounces, rounded up
    assert shipment["options"] == {"label_format": "PDF", "label_size": "4x6", "print_custom_1": "RMA-1001-1"}
    assert shipment["reference"].startswith("shop-1-order-1001-return-1-")  # ':' is no good in a URL path

    [bought] = fake.purchases
    assert bought["rate"] == CHEAPEST["id"]
    assert calls(fake, "POST", "/buy") == [{"rate": {"id": CHEAPEST["id"]}}]
    assert label.provider == "easypost" and label.label_id == bought["shipment"]
    assert label.carrier == "USPS" and label.tracking_number == fake.shipments[label.label_id]["tracking_code"]
    assert label.cost == Money(Decimal("6.07"), "USD")
    assert label.pdf is None and label.qr_code_url is None
    assert label.label_url is not None

    pdf = fetch_label_pdf(label.label_url, timeout=5)
    assert pdf.startswith(b"%PDF-") and pdf == fake.files[label.label_url.removeprefix(fake.url)][0]


def test_a_retry_with_the_same_key_finds_the_shipment_and_buys_nothing(
        fake_easypost_labels: FakeEasyPostLabels) -> None:
    fake = fake_easypost_labels
    first = provider(fake).create(REQUEST)
    again = provider(fake).create(REQUEST)  # another worker, after a crash before the label was stored

    assert len(fake.purchases) == 1 and len(fake.shipments) == 1
    assert again == first
    reference = fake.shipments[first.label_id]["reference"]
    assert [(r.method, r.path) for r in fake.requests][-1] == ("GET", f"/v2/shipments/{reference}")

    other = provider(fake).create(replace(REQUEST, idempotency_key="shop-1:order-1001:return-2"))
    assert other.label_id != first.label_id and len(fake.purchases) == 2


def test_a_shipment_left_unbought_by_a_failed_attempt_is_rerated_and_bought_on_retry(
        fake_easypost_labels: FakeEasyPostLabels) -> None:
    fake = fake_easypost_labels
    fake.reject("POST", "/buy", 503, {"error": {"code": "SERVICE.UNAVAILABLE",
                                                "message": "USPS is unavailable right now.", "errors": []}})
    with pytest.raises(LabelError, match="USPS is unavailable right now") as failed:
        provider(fake).create(REQUEST)
    assert failed.value.status == 503 and not fake.purchases

    label = provider(fake).create(REQUEST)

    assert len(fake.shipments) == 1 and len(calls(fake, "POST", "/rerate")) == 1
    fresh = recorded("easypost_labels", "rerate")["rates"][1]
    assert fake.purchases == [{"shipment": label.label_id, "rate": fresh["id"]}]


def test_carrier_and_service_settings_choose_among_the_rates(fake_easypost_labels: FakeEasyPostLabels) -> None:
    fake = fake_easypost_labels
    label = provider(fake, carrier="ups").create(REQUEST)
    assert label.carrier == "UPS" and label.cost == Money(Decimal("11.20"), "USD")

    express = provider(fake, carrier="USPS", service="Express").create(replace(REQUEST, idempotency_key="k-2"))
    assert express.cost == Money(Decimal("31.25"), "USD")

    with pytest.raises(LabelError, match=r"no rate for DHL .*offered: UPS Ground, USPS Express.*"
                                         r"Shipment cannot weigh less than 16oz"):
        provider(fake, carrier="DHL").create(replace(REQUEST, idempotency_key="k-3"))
    assert len(fake.purchases) == 2


def test_a_missing_weight_uses_the_configured_default(fake_easypost_labels: FakeEasyPostLabels) -> None:
    fake = fake_easypost_labels
    provider(fake, default_weight_grams="450").create(replace(REQUEST, weight_grams=None))
    assert calls(fake, "POST", "/v2/shipments")[0]["shipment"]["parcel"] == {"weight": float(ounces(450))}
    assert ounces(450) == Decimal("15.9") and ounces(1) == Decimal("0.1")


def test_a_refused_key_is_a_label_auth_error(fake_easypost_labels: FakeEasyPostLabels) -> None:
    fake = fake_easypost_labels
    labels = get_label_provider("easypost", api_key="EZTKwrong", base_url=fake.url)
    with pytest.raises(LabelAuthError, match="Unauthorized. Please check credentials") as refused:
        labels.create(REQUEST)
    assert refused.value.status == 401 and refused.value.code == "APIKEY.REQUIRED"
    assert isinstance(refused.value, LabelError) and isinstance(refused.value, RuntimeError)
    assert not fake.purchases


def test_the_providers_own_error_message_is_surfaced(fake_easypost_labels: FakeEasyPostLabels) -> None:
    fake = fake_easypost_labels
    fake.reject("POST", "/v2/shipments", 422, recorded("easypost_labels", "error_address_not_found"))
    with pytest.raises(LabelError) as failed:
        provider(fake).create(REQUEST)
    assert str(failed.value) == ("easypost: Address not found (address: Address not found; "
                                 "street1: House number is missing)")
    assert failed.value.code == "ADDRESS.VERIFY.FAILURE" and failed.value.status == 422
    assert not isinstance(failed.value, LabelConfigError) and not fake.purchases


def test_a_printerless_qr_code_is_asked_for_once_when_configured(fake_easypost_labels: FakeEasyPostLabels) -> None:
    fake = fake_easypost_labels
    label = provider(fake, qr_code="yes").create(REQUEST)

    assert calls(fake, "POST", "/forms") == [{"form": {"type": "label_qr_code"}}]
    assert label.qr_code_url is not None and label.qr_code_url.endswith(f"/files/form/{label.label_id}.png")
    assert provider(fake, qr_code="yes").create(REQUEST).qr_code_url == label.qr_code_url
    assert len(calls(fake, "POST", "/forms")) == 1 and len(fake.purchases) == 1

    plain = provider(fake).create(replace(REQUEST, idempotency_key="k-2"))
    assert plain.qr_code_url is None and len(calls(fake, "POST", "/forms")) == 1


def test_a_failed_qr_code_leaves_the_bought_label_standing(fake_easypost_labels: FakeEasyPostLabels,
                                                           caplog: pytest.LogCaptureFixture,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # migrations/env.py's fileConfig (run by the app fixture) disables loggers created before it; undo that here.
    monkeypatch.setattr(easypost_module.log, "disabled", False)
    fake = fake_easypost_labels
    fake.reject("POST", "/forms", 422, {"error": {"code": "FORM.CREATE.FAILURE",
                                                  "message": "Label Broker is not enabled.", "errors": []}})
    label = provider(fake, qr_code="1").create(REQUEST)
    assert label.qr_code_url is None and label.label_url and len(fake.purchases) == 1
    assert "Label Broker is not enabled" in caplog.text


def test_settings_name_what_is_missing_and_tell_what_was_read() -> None:
    with pytest.raises(LabelConfigError, match=r"easypost: the api_key setting \(EASYPOST_API_KEY\) is required"):
        get_label_provider("easypost")
    with pytest.raises(LabelConfigError, match="EASYPOST_API_KEY"):
        get_label_provider("easypost", api_key="  ", carrier="USPS")
    with pytest.raises(LabelConfigError, match=r"default_weight_grams setting \(LABEL_DEFAULT_WEIGHT_GRAMS\)"):
        get_label_provider("easypost", api_key="k", default_weight_grams="1.5kg")
    with pytest.raises(LabelConfigError, match=r"qr_code setting \(LABEL_QR_CODE\)"):
        get_label_provider("easypost", api_key="k", qr_code="maybe")

    labels = get_label_provider("easypost", api_key="k", carrier="USPS", service=None, shop_name="ignored")
    assert isinstance(labels, EasyPostLabels) and isinstance(labels, LabelProvider)
    assert labels.settings_read == {"api_key", "carrier"}

    config = {"EASYPOST_API_KEY": "EZAK1", "LABEL_CARRIER": "USPS", "LABEL_SERVICE": "", "SHIPPO_API_KEY": "x"}
    assert label_settings("easypost", config) == {"api_key": "EZAK1", "carrier": "USPS"}
    assert label_settings("builtin", config) == {}


def test_fetching_a_label_refuses_what_is_not_a_small_pdf(fake_easypost_labels: FakeEasyPostLabels) -> None:
    fake = fake_easypost_labels
    pdf_url = fake.serve_file("ok.pdf", b"%PDF-1.4\n" + b"0" * 2000)
    untyped = fake.serve_file("untyped.pdf", b"%PDF-1.4\n", "binary/octet-stream")
    assert fetch_label_pdf(pdf_url, timeout=5).startswith(b"%PDF-1.4")
    assert fetch_label_pdf(untyped, timeout=5) == b"%PDF-1.4\n"  # S3 sometimes serves labels untyped

    with pytest.raises(LabelError, match="over the 1000 byte cap"):
        fetch_label_pdf(pdf_url, timeout=5, max_bytes=1000)
    with pytest.raises(LabelError, match="text/html, not a PDF"):
        fetch_label_pdf(fake.serve_file("page.pdf", b"<html></html>", "text/html"), timeout=5)
    with pytest.raises(LabelError, match="no %PDF- header"):
        fetch_label_pdf(fake.serve_file("fake.pdf", b"GIF89a"), timeout=5)
    with pytest.raises(LabelError, match="answered 404") as missing:
        fetch_label_pdf(f"{fake.url}/files/gone.pdf", timeout=5)
    assert missing.value.status == 404
    with pytest.raises(LabelError, match="refusing to fetch a label over http"):
        fetch_label_pdf("http://labels.example.com/label.pdf", timeout=5)
