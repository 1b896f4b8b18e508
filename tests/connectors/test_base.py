"""The connector registry and the common model's own rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.base import Connector, UnknownPlatform, get_connector, platforms
from connectors.model import Money, ShipmentStatus


def test_registry_gives_shopify_by_name() -> None:
    shopify = get_connector("shopify")
    assert isinstance(shopify, Connector)
    assert shopify.name == "shopify" and "orders/create" in shopify.topics
    assert "shopify" in platforms()


def test_unknown_platform_is_a_clear_error() -> None:
    with pytest.raises(UnknownPlatform, match="magento"):
        get_connector("magento")


def test_nine_statuses() -> None:
    assert [s.value for s in ShipmentStatus] == [
        "pending", "info_received", "in_transit", "out_for_delivery", "attempt_fail",
        "available_for_pickup", "delivered", "exception", "expired"]


def test_money_refuses_floats_and_bad_currencies() -> None:
    assert Money(Decimal("19.99"), "EUR").amount == Decimal("19.99")
    with pytest.raises(TypeError):
        Money(19.99, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(Decimal("1"), "EURO")
