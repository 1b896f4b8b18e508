"""Products, store credit and exchange orders through the Connector, against the fake Admin API over HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connectors.base import ExchangeRequest, PlatformError, ShopAccess, StoreCreditRequest, get_connector
from connectors.model import Address, Money, Product, ProductVariant
from connectors.shopify.admin import AdminApiError
from connectors.shopify.oauth import SCOPES
from tests.fake_shopify import SHOP, FakeShopify, graphql_product

ORDER = "6102938475610293847"
ORDER_GID = f"gid://shopify/Order/{ORDER}"


def access(app: Any) -> ShopAccess:
    return ShopAccess(SHOP, "shpat_0123456789abcdef", app.config["SHOPIFY_BASE_URL"])


@pytest.fixture
def store(fake_shopify: FakeShopify) -> FakeShopify:
    """A shop with one order and a few products, and no throttling."""
    fake_shopify.throttle_next = 0
    fake_shopify.shop_orders[ORDER_GID] = {
        "id": ORDER_GID, "name": "#1001", "email": "lucia@example.com",
        "shippingAddress": {"firstName": "Lucía", "lastName": "Martín", "company": None, "address1": "Calle Mayor 12",
                            "address2": "3º B", "city": "Madrid", "provinceCode": "M", "zip": "28013",
                            "countryCodeV2": "ES", "phone": None}}
    for product in (
        graphql_product(45, "Camiseta de lino", ["verano", "final-sale"], ["camisetas", "rebajas"],
                        [(44, "S", "LIN-S", "24.90", True), (46, "M", "LIN-M", "24.90", False)]),
        graphql_product(47, "Bolsa de tela", [], [], [(48, "Default Title", None, "9.50", True)]),
    ):
        fake_shopify.products[product["id"]] = product
    return fake_shopify


def test_new_scopes_are_asked_for() -> None:
    assert {"read_products", "write_gift_cards", "write_draft_orders", "write_orders"} <= set(SCOPES)


def test_products_map_tags_collections_and_variants(app: Any, store: FakeShopify) -> None:
    products = get_connector("shopify").get_products(
        access(app), ["45", "gid://shopify/Product/47", "999", "not-an-id", "44"])  # 999 unknown, 44 a variant
    assert products == [
        Product("45", "Camiseta de lino", ("verano", "final-sale"), ("camisetas", "rebajas"), (
            ProductVariant("44", "S", "LIN-S", Money(Decimal("24.90"), "EUR"), True),
            ProductVariant("46", "M", "LIN-M", Money(Decimal("24.90"), "EUR"), False))),
        Product("47", "Bolsa de tela", (), (), (ProductVariant("48", "Default Title", None,
                                                               Money(Decimal("9.50"), "EUR"), True),)),
    ]


def test_products_are_asked_for_in_batches_under_the_cost_limit(app: Any, store: FakeShopify) -> None:
    for n in range(12):
        node = graphql_product(100 + n, f"P{n}", [], [], [(200 + n, "Default Title", None, "1.00", True)])
        store.products[node["id"]] = node
    found = get_connector("shopify").get_products(access(app), [str(100 + n) for n in range(12)])
    assert [p.external_id for p in found] == [str(100 + n) for n in range(12)]
    assert store.aftersale_ops.count("nodes(ids:") == 3  # 5 + 5 + 2


def credit(key: str = "rma-41-credit", amount: str = "34.40") -> StoreCreditRequest:
    return StoreCreditRequest(ORDER, Money(Decimal(amount), "EUR"), key, "lucia@example.com", "Devolución RMA-41")


def test_store_credit_is_one_gift_card_per_key(app: Any, store: FakeShopify) -> None:
    shopify = get_connector("shopify")
    first = shopify.issue_store_credit(access(app), credit())
    assert not first.already_done and first.amount == Money(Decimal("34.40"), "EUR")
    (card,) = store.gift_cards
    assert first.code == card["code"] and len(card["code"]) == 20 and card["code"].isalnum()
    assert first.external_id == card["id"].rsplit("/", 1)[1]
    assert card["note"] == "Devolución RMA-41 Order #1001 [postventa:rma-41-credit]"
    again = shopify.issue_store_credit(access(app), credit())  # the job ran again after a lost answer
    assert again.already_done and (again.external_id, again.code) == (first.external_id, first.code)
    assert len(store.gift_cards) == 1
    other = shopify.issue_store_credit(access(app), credit("rma-42-credit"))
    assert other.code != first.code and len(store.gift_cards) == 2


def test_gift_card_code_is_random_not_computed_from_the_key(app: Any, store: FakeShopify) -> None:
    first = get_connector("shopify").issue_store_credit(access(app), credit())
    store.gift_cards.clear()
    store.metafields.clear()  # another shop, or the same key again from scratch: nothing to reuse
    second = get_connector("shopify").issue_store_credit(access(app), credit())
    assert first.code != second.code


def test_credit_after_a_crash_between_reserving_and_creating(app: Any, store: FakeShopify) -> None:
    shopify = get_connector("shopify")
    store.lose_answer = {"metafieldsSet"}  # the code was reserved on the order, then the worker died
    with pytest.raises(AdminApiError, match="Internal error"):
        shopify.issue_store_credit(access(app), credit())
    assert store.gift_cards == [] and len(store.metafields) == 1
    (reserved,) = store.metafields.values()
    result = shopify.issue_store_credit(access(app), credit())
    assert result.code == reserved and not result.already_done
    assert [c["code"] for c in store.gift_cards] == [reserved]


def test_credit_created_but_not_yet_searchable_is_not_made_twice(app: Any, store: FakeShopify) -> None:
    shopify = get_connector("shopify")
    store.lose_answer = {"giftCardCreate"}
    with pytest.raises(AdminApiError, match="Internal error"):
        shopify.issue_store_credit(access(app), credit())
    (card,) = store.gift_cards
    store.unindexed.add(card["id"])  # Shopify's search index lags behind the write
    with pytest.raises(AdminApiError, match="cannot be looked up yet"):
        shopify.issue_store_credit(access(app), credit())
    assert len(store.gift_cards) == 1  # the reserved code was refused as taken: no second card
    store.unindexed.clear()
    found = shopify.issue_store_credit(access(app), credit())
    assert found.already_done and found.code == card["code"] and len(store.gift_cards) == 1


def test_credit_errors_are_platform_errors_with_shopifys_message(app: Any, store: FakeShopify) -> None:
    shopify = get_connector("shopify")
    with pytest.raises(PlatformError, match="Initial value must be greater than 0"):
        shopify.issue_store_credit(access(app), credit(amount="0"))
    with pytest.raises(AdminApiError, match="order 999 not found"):
        shopify.issue_store_credit(access(app), StoreCreditRequest("999", Money(Decimal("5"), "EUR"), "k"))
    with pytest.raises(ValueError, match="USD for a shop in EUR"):
        shopify.issue_store_credit(access(app), StoreCreditRequest(ORDER, Money(Decimal("5"), "USD"), "k"))
    assert store.gift_cards == []


def exchange(key: str = "rma-41-exchange", **kwargs: Any) -> ExchangeRequest:
    return ExchangeRequest(ORDER, (("46", 1), ("48", 2)), key, **kwargs)


def test_exchange_is_a_free_completed_draft_once_per_key(app: Any, store: FakeShopify) -> None:
    shopify = get_connector("shopify")
    first = shopify.create_exchange_order(access(app), exchange(note="Cambio de talla"))
    (order,) = store.created_orders
    assert (first.external_id, first.name, first.already_done) == (order["id"].rsplit("/", 1)[1], order["name"], False)
    (draft,) = store.drafts.values()
    sent = draft["input"]
    assert [(li["variantId"], li["quantity"], li["appliedDiscount"]["valueType"], li["appliedDiscount"]["value"])
            for li in sent["lineItems"]] == [("gid://shopify/ProductVariant/46", 1, "PERCENTAGE", 100.0),
                                             ("gid://shopify/ProductVariant/48", 2, "PERCENTAGE", 100.0)]
    assert order["total"] == "0.00" and "shippingLine" not in sent
    assert sent["email"] == "lucia@example.com"  # from the original order
    assert sent["shippingAddress"] == {"firstName": "Lucía", "lastName": "Martín", "address1": "Calle Mayor 12",
                                       "address2": "3º B", "city": "Madrid", "provinceCode": "M", "zip": "28013",
                                       "countryCode": "ES"}
    assert sent["note"] == "Cambio de talla [postventa:rma-41-exchange]"
    (tag,) = sent["tags"]
    assert tag.startswith("postventa-exchange-") and len(tag) <= 40
    again = shopify.create_exchange_order(access(app), exchange(note="Cambio de talla"))
    assert again.already_done and again.external_id == first.external_id
    assert len(store.drafts) == 1 and len(store.created_orders) == 1


def test_exchange_after_a_crash_between_draft_and_completion(app: Any, store: FakeShopify) -> None:
    shopify = get_connector("shopify")
    store.lose_answer = {"draftOrderCreate"}  # the draft exists, the worker never learnt its id
    with pytest.raises(AdminApiError, match="Internal error"):
        shopify.create_exchange_order(access(app), exchange())
    assert len(store.drafts) == 1 and store.created_orders == []
    result = shopify.create_exchange_order(access(app), exchange())
    assert result.already_done and len(store.drafts) == 1 and len(store.created_orders) == 1
    (draft,) = store.drafts.values()
    assert draft["status"] == "COMPLETED" and result.name == draft["order"]["name"]


def test_exchange_completed_but_answer_lost_is_found(app: Any, store: FakeShopify) -> None:
    shopify = get_connector("shopify")
    store.lose_answer = {"draftOrderComplete"}
    with pytest.raises(AdminApiError):
        shopify.create_exchange_order(access(app), exchange())
    result = shopify.create_exchange_order(access(app), exchange())
    assert result.already_done and len(store.created_orders) == 1
    assert result.external_id == store.created_orders[0]["id"].rsplit("/", 1)[1]


def test_exchange_uses_the_given_address_and_email(app: Any, store: FakeShopify) -> None:
    get_connector("shopify").create_exchange_order(access(app), exchange(
        customer_email="otra@example.com",
        shipping_address=Address(name="Ana María López", line1="Rúa Nova 3", city="Lugo", region="LU",
                                 postal_code="27001", country_code="ES")))
    (draft,) = store.drafts.values()
    assert draft["input"]["email"] == "otra@example.com"
    assert draft["input"]["shippingAddress"] == {"firstName": "Ana", "lastName": "María López",
                                                 "address1": "Rúa Nova 3", "city": "Lugo", "provinceCode": "LU",
                                                 "zip": "27001", "countryCode": "ES"}


def test_exchange_of_an_unknown_variant_is_refused_with_shopifys_message(app: Any, store: FakeShopify) -> None:
    shopify = get_connector("shopify")
    with pytest.raises(PlatformError, match="Product with ID 999 is no longer available"):
        shopify.create_exchange_order(access(app), ExchangeRequest(ORDER, (("999", 1),), "rma-50"))
    with pytest.raises(AdminApiError, match="order 777 not found"):
        shopify.create_exchange_order(access(app), ExchangeRequest("777", (("46", 1),), "rma-51"))
    assert store.drafts == {} and store.created_orders == []
