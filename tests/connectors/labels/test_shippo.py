"""Shippo return labels against a loopback fake of its API: what is sent, what is bought, and only once."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from connectors.labels import (
    LabelAuthError,
    LabelConfigError,
    LabelError,
    LabelPending,
    LabelProvider,
    LabelRequest,
    fetch_label_pdf,
    get_label_provider,
    label_settings,
)
from connectors.labels.shippo import ShippoLabels
from connectors.model import Address, Money
from tests.fake_labels import FakeShippo

STORE = Address(name="Tienda Demo", company="Tienda Demo LLC", line1="215 Clayton St.", city="San Francisco",
                region="CA", postal_code="94117", country_code="US", phone="4151234567")
SHOPPER = Address(name="Jane Shopper", line1="965 Mission St.", line2="#480", city="San Francisco", region="CA",
                  postal_code="94105", country_code="US", phone="4157654321")
REQUEST = LabelRequest(idempotency_key="shop-1:order-1001:return-1", rma="RMA-1001-1", store_name="Tienda Demo",
                       return_address=STORE, from_address=SHOPPER, order_number="#1001", weight_grams=1200)


def provider(fake: FakeShippo, **settings: str) -> LabelProvider:
    return get_label_provider("shippo", api_key=fake.api_key, base_url=fake.url, **settings)


def posted(fake: FakeShippo, path: str) -> list[dict]:
    return [r.body for r in fake.requests if r.method == "POST" and r.path == path]


def test_buys_the_cheapest_rate_of_a_return_shipment_as_a_4x6_pdf(fake_shippo: FakeShippo) -> None:
    fake = fake_shippo
    label = provider(fake).create(REQUEST)

    [shipment] = posted(fake, "/shipments/")
    assert shipment["extra"] == {"is_return": True, "reference_1": "RMA-1001-1"}
    # Shippo swaps a return's addresses itself: the store goes in as address_from, the shopper as address_to.
    assert shipment["address_from"] == {"name": "Tienda Demo", "company": "Tienda Demo LLC",
                                        "street1": "215 Clayton St.", "city": "San Francisco", "state": "CA",
                                        "zip": "94117", "country": "US", "phone": "4151234567"}
    assert shipment["address_to"]["name"] == "Jane Shopper" and shipment["address_to"]["street2"] == "#480"
    assert shipment["parcels"] == [{"length": "30", "width": "20", "height": "10", "distance_unit": "cm",
                                    "weight": "1200", "mass_unit": "g"}]
    assert shipment["metadata"] == REQUEST.idempotency_key and shipment["async"] is False

    cheapest = next(r for r in fake.shipments[next(iter(fake.shipments))]["rates"] if r["amount"] == "5.89")
    assert posted(fake, "/transactions/") == [{"rate": cheapest["object_id"], "label_file_type": "PDF_4x6",
                                               "metadata": REQUEST.idempotency_key, "async": False}]
    [bought] = fake.purchases
    assert label.provider == "shippo" and label.label_id == bought["transaction"]
    assert label.carrier == "USPS" and label.cost == Money(Decimal("5.89"), "USD")
    assert label.tracking_number and label.tracking_number.startswith("92055901649173")
    assert label.pdf is None and label.qr_code_url is None and label.label_url is not None
    assert fetch_label_pdf(label.label_url, timeout=5).startswith(b"%PDF-")
    assert all(r.headers["Authorization"] == f"ShippoToken {fake.api_key}" for r in fake.requests)


def test_a_retry_with_the_same_key_finds_the_transaction_and_buys_nothing(fake_shippo: FakeShippo) -> None:
    fake = fake_shippo
    first = provider(fake).create(REQUEST)
    again = provider(fake).create(REQUEST)  # another worker, after a crash before the label was stored

    assert len(fake.purchases) == 1 and len(fake.shipments) == 1
    assert again == first  # cost and carrier read back from the listed transaction's rate
    assert [(r.method, r.path) for r in fake.requests][-1] == ("GET", "/transactions/")

    provider(fake).create(replace(REQUEST, idempotency_key="shop-1:order-1001:return-2"))
    assert len(fake.purchases) == 2


def test_the_lookup_reads_past_the_first_page_and_fetches_a_rate_given_by_id(fake_shippo: FakeShippo) -> None:
    fake = fake_shippo
    fake.expand_rates = False
    first = provider(fake).create(REQUEST)
    for n in range(130):  # labels bought for other returns since, newest first in the list
        fake.seed("transaction_success", object_id=f"{n:032x}", metadata=f"shop-1:order-{n}:return-1")

    again = provider(fake).create(REQUEST)

    assert again == first and len(fake.purchases) == 1
    pages = [r.query.get("page") for r in fake.requests if r.method == "GET" and r.path == "/transactions/"]
    assert pages[-2:] == ["1", "2"]
    assert [r.path for r in fake.requests][-1].startswith("/rates/")


def test_a_label_still_queued_is_pending_not_bought_again(fake_shippo: FakeShippo) -> None:
    fake = fake_shippo
    fake.seed("transaction_listed", status="QUEUED", label_url="", metadata=REQUEST.idempotency_key)
    with pytest.raises(LabelPending, match="is still QUEUED"):
        provider(fake).create(REQUEST)
    assert not fake.purchases and not posted(fake, "/shipments/")


def test_a_refused_purchase_says_why_and_a_retry_buys(fake_shippo: FakeShippo) -> None:
    fake = fake_shippo
    fake.fail_purchases = 1
    with pytest.raises(LabelError, match="the label was not issued: USPS: The return address could not be "
                                         "verified by USPS.") as refused:
        provider(fake).create(REQUEST)
    assert not isinstance(refused.value, LabelConfigError) and not fake.purchases

    label = provider(fake).create(REQUEST)  # the ERROR transaction charged nothing, so this one is bought
    assert len(fake.purchases) == 1 and label.label_id == fake.purchases[0]["transaction"]


def test_a_refused_key_is_a_label_auth_error(fake_shippo: FakeShippo) -> None:
    labels = get_label_provider("shippo", api_key="shippo_test_wrong", base_url=fake_shippo.url)
    with pytest.raises(LabelAuthError, match="shippo answered 401: Token does not exist") as refused:
        labels.create(REQUEST)
    assert refused.value.status == 401 and isinstance(refused.value, LabelError)
    assert not fake_shippo.purchases


def test_the_providers_own_error_message_is_surfaced(fake_shippo: FakeShippo) -> None:
    fake = fake_shippo
    fake.reject("POST", "/shipments/", 400, {"title": "Missing required parameter", "detail": "address_to.zip"})
    with pytest.raises(LabelError, match=r"^shippo answered 400: Missing required parameter; address_to.zip$"):
        provider(fake).create(REQUEST)
    fake.reject("POST", "/shipments/", 400, {"address_to": {"zip": ["This field is required."]}})
    with pytest.raises(LabelError, match=r"^shippo answered 400: address_to.zip: This field is required.$"):
        provider(fake).create(REQUEST)
    assert not fake.purchases


def test_carrier_and_service_settings_choose_among_the_rates(fake_shippo: FakeShippo) -> None:
    fake = fake_shippo
    assert provider(fake, carrier="UPS").create(REQUEST).cost == Money(Decimal("10.87"), "USD")
    priority = provider(fake, service="usps_priority").create(replace(REQUEST, idempotency_key="k-2"))
    assert priority.carrier == "USPS" and priority.cost == Money(Decimal("8.35"), "USD")
    with pytest.raises(LabelError, match="no rate for FedEx .*FedEx cannot ship return labels"):
        provider(fake, carrier="FedEx").create(replace(REQUEST, idempotency_key="k-3"))
    assert len(fake.purchases) == 2


def test_a_printerless_qr_code_is_requested_when_configured(fake_shippo: FakeShippo) -> None:
    fake = fake_shippo
    label = provider(fake, qr_code="1").create(REQUEST)
    assert posted(fake, "/shipments/")[0]["extra"]["qr_code_requested"] is True
    assert label.qr_code_url == f"{fake.url}/files/{label.label_id}_qr.png"


def test_a_long_key_is_cut_to_shippos_metadata_limit_and_still_found(fake_shippo: FakeShippo) -> None:
    fake = fake_shippo
    request = replace(REQUEST, idempotency_key="shop-1:" + "x" * 150)
    first = provider(fake).create(request)
    metadata = posted(fake, "/transactions/")[0]["metadata"]
    assert len(metadata) <= 100 and metadata.startswith("shop-1-xxx")
    assert provider(fake).create(request) == first and len(fake.purchases) == 1


def test_settings_name_what_is_missing_and_tell_what_was_read() -> None:
    with pytest.raises(LabelConfigError, match=r"shippo: the api_key setting \(SHIPPO_API_KEY\) is required"):
        get_label_provider("shippo", api_key=None)
    with pytest.raises(LabelConfigError, match=r"timeout setting \(LABEL_TIMEOUT\)"):
        get_label_provider("shippo", api_key="k", timeout="forever")
    labels = get_label_provider("shippo", **label_settings("shippo", {"SHIPPO_API_KEY": "shippo_live_1",
                                                                       "LABEL_QR_CODE": "on"}))
    assert isinstance(labels, ShippoLabels) and labels.settings_read == {"api_key", "qr_code"}
    assert labels.settings.qr_code is True
