"""Products, store credit (coupons) and exchange orders through the Connector, against the fake store over HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connectors.base import ExchangeRequest, PlatformError, ShopAccess, StoreCreditRequest, get_connector
from connectors.model import Address, Money, Product, ProductVariant
from connectors.woocommerce.client import WooApiError
from connectors.woocommerce.exchanges import EXCHANGE_KEY
from connectors.woocommerce.store_credit import credit_code
from tests.fake_woocommerce import (
    CONSUMER_KEY,
    CONSUMER_SECRET,
    EPOCH,
    FakeWooCommerce,
    wc_order,
    wc_product,
    wc_variation,
)

ORDER = 1482


def access(fake: FakeWooCommerce) -> ShopAccess:
    return ShopAccess(fake.url, CONSUMER_KEY, secret=CONSUMER_SECRET, allow_insecure=True)


@pytest.fixture
def store(fake_woocommerce: FakeWooCommerce) -> FakeWooCommerce:
    """A store with one paid order, a variable shirt (one size in stock, one out, one on backorder) and a bag."""
    fake_woocommerce.add_orders([wc_order(ORDER, EPOCH)])
    fake_woocommerce.add_products(
        wc_product(88, "Camiseta de lino", kind="variable", price="30.00", tags=("verano", "final-sale"),
                   categories=("camisetas", "rebajas")),
        wc_variation(91, 88, "Camiseta de lino - M", {"Talla": "M"}, price="30.00", sku="LIN-TS-M"),
        wc_variation(92, 88, "Camiseta de lino - L", {"Talla": "L"}, price="30.00", sku="LIN-TS-L",
                     stock_status="outofstock"),
        wc_variation(93, 88, "Camiseta de lino - XL", {"Talla": "XL"}, price="27.50", stock_status="onbackorder"),
        wc_product(77, "Bolsa de tela", price="10.00", sku="BAG-1", categories=("accesorios",)),
        wc_product(79, "Vale regalo", price="", purchasable=False),
    )
    return fake_woocommerce


def test_products_map_tags_categories_and_variations(store: FakeWooCommerce) -> None:
    products = get_connector("woocommerce").get_products(access(store), ["88", "77", "79", "12345", "abc", "91"])
    eur = "EUR"
    assert products == [
        Product("88", "Camiseta de lino", ("verano", "final-sale"), ("camisetas", "rebajas"), (
            ProductVariant("91", "M", "LIN-TS-M", Money(Decimal("30.00"), eur), True),
            ProductVariant("92", "L", "LIN-TS-L", Money(Decimal("30.00"), eur), False),
            ProductVariant("93", "XL", None, Money(Decimal("27.50"), eur), False))),  # backorder: not sendable now
        Product("77", "Bolsa de tela", (), ("accesorios",), (
            ProductVariant("77", "Bolsa de tela", "BAG-1", Money(Decimal("10.00"), eur), True),)),
        Product("79", "Vale regalo", (), (), (ProductVariant("79", "Vale regalo", None, None, False),)),
    ]  # 12345 unknown, "abc" not an id, 91 a variation (not a product): all left out
    assert store.calls("GET", r"products/77/variations$") == []  # a simple product is its own variant


def test_no_known_ids_make_no_catalogue_listing(store: FakeWooCommerce) -> None:
    assert get_connector("woocommerce").get_products(access(store), ["abc", ""]) == []
    assert store.calls("GET", r"products") == []  # an empty include would list the whole catalogue


def credit(key: str = "rma-5-credit", amount: str = "34.40", email: str | None = None) -> StoreCreditRequest:
    return StoreCreditRequest(str(ORDER), Money(Decimal(amount), "EUR"), key, email, "Devolución RMA-5")


def test_store_credit_is_one_coupon_per_key(store: FakeWooCommerce) -> None:
    woo = get_connector("woocommerce")
    first = woo.issue_store_credit(access(store), credit())
    (coupon,) = store.coupons.values()
    assert (first.external_id, first.code, first.amount, first.already_done) == (
        str(coupon["id"]), coupon["code"], Money(Decimal("34.40"), "EUR"), False)
    assert coupon["discount_type"] == "fixed_cart" and coupon["usage_limit"] == 1 and not coupon["individual_use"]
    assert coupon["email_restrictions"] == [f"cliente{ORDER}@example.com"]  # the order's billing email
    assert coupon["description"] == f"Devolución RMA-5 Order #{ORDER} [postventa:rma-5-credit]"
    again = woo.issue_store_credit(access(store), credit())
    assert again.already_done and (again.external_id, again.code) == (first.external_id, first.code)
    assert len(store.coupons) == 1 and len(store.calls("POST", r"coupons$")) == 1


def test_coupon_code_needs_the_stores_secret(store: FakeWooCommerce) -> None:
    code = get_connector("woocommerce").issue_store_credit(access(store), credit()).code
    assert code == credit_code(CONSUMER_SECRET, "rma-5-credit") and len(code) == 16 and code.isalnum()
    assert code != credit_code("cs_another_store_secret", "rma-5-credit")
    assert code != credit_code(CONSUMER_SECRET, "rma-6-credit")


def test_coupon_saved_but_answer_lost_is_found_not_remade(store: FakeWooCommerce) -> None:
    store.inject("POST", r"/coupons$", status=502, body="<html>Bad gateway</html>", after=True)
    result = get_connector("woocommerce").issue_store_credit(access(store), credit(email="otra@example.com"))
    (coupon,) = store.coupons.values()
    assert result.external_id == str(coupon["id"]) and coupon["email_restrictions"] == ["otra@example.com"]
    assert len(store.calls("POST", r"coupons$")) == 1  # a POST is never repeated blindly


def test_coupon_errors_are_platform_errors_with_woocommerces_message(store: FakeWooCommerce) -> None:
    woo = get_connector("woocommerce")
    with pytest.raises(PlatformError, match="Invalid email address restriction"):
        woo.issue_store_credit(access(store), credit(email="no-es-un-email"))
    with pytest.raises(WooApiError, match="Invalid ID"):
        woo.issue_store_credit(access(store), StoreCreditRequest("999", Money(Decimal("5"), "EUR"), "k"))
    with pytest.raises(ValueError, match="USD for an order in EUR"):
        woo.issue_store_credit(access(store), StoreCreditRequest(str(ORDER), Money(Decimal("5"), "USD"), "k"))
    assert store.coupons == {}


def exchange(key: str = "rma-5-exchange", **kwargs: Any) -> ExchangeRequest:
    return ExchangeRequest(str(ORDER), (("91", 1), ("77", 2)), key, **kwargs)


def exchanges_made(store: FakeWooCommerce) -> list[dict[str, Any]]:
    return [o for o in store.orders.values() if o["id"] != ORDER]


def test_exchange_is_one_paid_free_order_per_key(store: FakeWooCommerce) -> None:
    woo = get_connector("woocommerce")
    first = woo.create_exchange_order(access(store), exchange(note="Cambio de talla"))
    (order,) = exchanges_made(store)
    assert (first.external_id, first.name, first.already_done) == (str(order["id"]), f"#{order['number']}", False)
    sent = store.calls("POST", r"orders$")[0]["json"]
    assert [(li["product_id"], li.get("variation_id"), li["quantity"], li["subtotal"], li["total"])
            for li in sent["line_items"]] == [(88, 91, 1, "0", "0"), (77, None, 2, "0", "0")]
    assert sent["status"] == "processing" and sent["set_paid"] is True
    assert order["status"] == "processing" and order["total"] == "0.00" and order["date_paid_gmt"]
    assert order["billing"]["email"] == f"cliente{ORDER}@example.com" and order["customer_note"] == "Cambio de talla"
    original = store.orders[ORDER]
    assert order["shipping"]["address_1"] == original["shipping"]["address_1"]
    assert {"key": EXCHANGE_KEY, "value": "rma-5-exchange"} in [{"key": m["key"], "value": m["value"]}
                                                                for m in order["meta_data"]]
    again = woo.create_exchange_order(access(store), exchange(note="Cambio de talla"))
    assert again.already_done and again.external_id == first.external_id
    assert len(exchanges_made(store)) == 1 and len(store.calls("POST", r"orders$")) == 1
    other = woo.create_exchange_order(access(store), exchange("rma-6-exchange"))
    assert other.external_id != first.external_id and len(exchanges_made(store)) == 2


def test_exchange_saved_but_answer_lost_is_found_not_remade(store: FakeWooCommerce) -> None:
    store.inject("POST", r"/orders$", status=504, body="<html>Gateway timeout</html>", after=True)
    result = get_connector("woocommerce").create_exchange_order(access(store), exchange())
    (order,) = exchanges_made(store)
    assert result.external_id == str(order["id"]) and len(store.calls("POST", r"orders$")) == 1


def test_exchange_goes_to_the_given_address(store: FakeWooCommerce) -> None:
    get_connector("woocommerce").create_exchange_order(access(store), exchange(
        customer_email="otra@example.com",
        shipping_address=Address(name="Ana María López", line1="Rúa Nova 3", city="Lugo", region="LU",
                                 postal_code="27001", country_code="ES")))
    (order,) = exchanges_made(store)
    assert order["billing"]["email"] == "otra@example.com"
    assert {k: order["shipping"][k] for k in ("first_name", "last_name", "address_1", "city", "postcode")} == {
        "first_name": "Ana", "last_name": "María López", "address_1": "Rúa Nova 3", "city": "Lugo",
        "postcode": "27001"}


def test_exchange_errors_are_platform_errors_with_woocommerces_message(store: FakeWooCommerce) -> None:
    woo = get_connector("woocommerce")
    with pytest.raises(PlatformError, match="Invalid ID"):
        woo.create_exchange_order(access(store), ExchangeRequest(str(ORDER), (("12345", 1),), "rma-7"))
    with pytest.raises(ValueError, match="product 88 is variable"):
        woo.create_exchange_order(access(store), ExchangeRequest(str(ORDER), (("88", 1),), "rma-8"))
    store.inject("POST", r"/orders$", status=400, body={
        "code": "woocommerce_rest_invalid_customer_id", "message": "Customer ID is invalid.", "data": {"status": 400}})
    with pytest.raises(WooApiError, match="Customer ID is invalid"):
        woo.create_exchange_order(access(store), exchange())
    assert exchanges_made(store) == []
