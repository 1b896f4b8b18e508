"""Pure normalisers for Shopify's privacy (compliance) and app/uninstalled webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import AppUninstalled, CustomerDataRequest, CustomerRedact, NormalizeError, ShopRedact


def _opt_id(value: object, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise NormalizeError(f"{where}: id must be an integer or a string")
    return str(value).strip()


def _customer(payload: Mapping[str, Any], topic: str) -> tuple[str | None, str | None]:
    customer = payload.get("customer")
    if not isinstance(customer, Mapping):
        raise NormalizeError(f"{topic}: 'customer' must be an object")
    email = customer.get("email")
    if email is not None and not isinstance(email, str):
        raise NormalizeError(f"{topic}: customer.email must be a string")
    cid = _opt_id(customer.get("id"), f"{topic}.customer")
    if cid is None and not email:
        raise NormalizeError(f"{topic}: customer has neither id nor email")
    return cid, (email or None)


def _order_ids(payload: Mapping[str, Any], key: str, topic: str) -> tuple[str, ...]:
    raw = payload.get(key) or []
    if not isinstance(raw, list):
        raise NormalizeError(f"{topic}: '{key}' must be a list")
    ids = tuple(_opt_id(v, f"{topic}.{key}") for v in raw)
    return tuple(i for i in ids if i is not None)


def customer_redact(payload: Mapping[str, Any]) -> CustomerRedact:
    cid, email = _customer(payload, "customers/redact")
    return CustomerRedact(cid, email, _order_ids(payload, "orders_to_redact", "customers/redact"))


def customer_data_request(payload: Mapping[str, Any]) -> CustomerDataRequest:
    cid, email = _customer(payload, "customers/data_request")
    request = payload.get("data_request")
    request_id = _opt_id(request.get("id"), "customers/data_request.data_request") if isinstance(
        request, Mapping) else None
    return CustomerDataRequest(request_id, cid, email,
                               _order_ids(payload, "orders_requested", "customers/data_request"))


def shop_redact(payload: Mapping[str, Any]) -> ShopRedact:
    return ShopRedact()


def app_uninstalled(payload: Mapping[str, Any]) -> AppUninstalled:
    return AppUninstalled()
