"""Pure functions turning WooCommerce REST v3 products and variations into the common model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.base import NormalizeError
from connectors.model import Money, Product, ProductVariant

VARIABLE_TYPES = frozenset({"variable", "variable-subscription"})  # products sold only through their variations


def normalize_product(product: Mapping[str, Any], variations: Sequence[Mapping[str, Any]], currency: str) -> Product:
    """Tags and categories (Shopify's collections here) by slug; a non-variable product is its own single variant."""
    if product.get("type") in VARIABLE_TYPES:
        variants = tuple(_variant(v, _variation_title(v, product), currency) for v in variations)
    else:
        variants = (_variant(product, str(product.get("name") or ""), currency),)
    return Product(external_id=_id(product), title=str(product.get("name") or ""),
                   tags=_slugs(product.get("tags")), collections=_slugs(product.get("categories")),
                   variants=variants)


def _variant(data: Mapping[str, Any], title: str, currency: str) -> ProductVariant:
    """Available means it can be sent now: in stock (not on backorder) and purchasable (published, priced)."""
    return ProductVariant(external_id=_id(data), title=title, sku=str(data.get("sku") or "") or None,
                          price=_price(data, currency),
                          available=data.get("stock_status") == "instock" and bool(data.get("purchasable")))


def _variation_title(variation: Mapping[str, Any], product: Mapping[str, Any]) -> str:
    """The chosen attribute values ("Azul / M"); "any" attributes have an empty option and are skipped."""
    options = [str(a.get("option")) for a in variation.get("attributes") or () if isinstance(a, Mapping)
               and a.get("option")]
    return " / ".join(options) or str(product.get("name") or "")


def _price(data: Mapping[str, Any], currency: str) -> Money | None:
    """The current price (a sale price when one applies); "" when the product has none."""
    raw = data.get("price")
    if raw in (None, ""):
        return None
    try:
        return Money(Decimal(str(raw)), currency)
    except InvalidOperation as exc:
        raise NormalizeError(f"product {data.get('id')}: bad price {raw!r}") from exc


def _slugs(terms: Any) -> tuple[str, ...]:
    """Slugs, not names: names are translated and edited, slugs are what rules match on."""
    return tuple(str(t["slug"]) for t in terms or () if isinstance(t, Mapping) and t.get("slug"))


def _id(data: Mapping[str, Any]) -> str:
    """An id as the exact string line items use."""
    value = data.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise NormalizeError(f"product: expected an integer id, got {value!r}")
    return str(value)
