"""Products behind order lines, read through the GraphQL Admin API: what return rules and exchanges look at."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.base import NormalizeError
from connectors.model import Money, Product, ProductVariant
from connectors.shopify.admin import ShopifyAdminClient, gid
from connectors.shopify.graphql_orders import gid_number

PRODUCTS = """
query Products($ids: [ID!]!) {
  shop { currencyCode }
  nodes(ids: $ids) {
    ... on Product {
      id title tags
      collections(first: 50) { nodes { handle } }
      variants(first: 100) { nodes { id title sku price availableForSale } }
    }
  }
}
"""
# Each product may cost ~155 points (50 collections + 100 variants); 5 a query stays under the 1,000-point limit.
BATCH = 5


def get_products(client: ShopifyAdminClient, product_ids: Sequence[str]) -> list[Product]:
    """The products with these ids (numeric, as line items carry them, or GIDs); unknown ones are left out."""
    ids = list(dict.fromkeys(gid("Product", i.strip()) for i in product_ids if _is_product_id(i.strip())))
    found: list[Product] = []
    for start in range(0, len(ids), BATCH):
        data = client.graphql(PRODUCTS, {"ids": ids[start:start + BATCH]})
        currency = str(data["shop"]["currencyCode"])
        found += [product_from_node(node, currency) for node in data["nodes"]
                  if isinstance(node, Mapping) and node.get("id")]  # null: unknown id; {}: not a product
    return found


def _is_product_id(value: str) -> bool:
    """A malformed id would make Shopify refuse the whole query, so it is left out like an unknown one."""
    tail = value.removeprefix("gid://shopify/Product/")
    return tail.isascii() and tail.isdigit()


def product_from_node(node: Mapping[str, Any], currency: str) -> Product:
    """A Product node in the common model, with the plain numeric ids order line items use."""
    variants = tuple(_variant(v, currency) for v in _nodes(node.get("variants")))
    collections = tuple(str(c["handle"]) for c in _nodes(node.get("collections")) if c.get("handle"))
    return Product(external_id=str(gid_number(node["id"])), title=str(node.get("title") or ""),
                   tags=tuple(str(t) for t in node.get("tags") or ()), collections=collections, variants=variants)


def _variant(node: Mapping[str, Any], currency: str) -> ProductVariant:
    """availableForSale: in stock, untracked, or sold on when out of stock, so it can be sent."""
    price = node.get("price")
    try:
        money = Money(Decimal(str(price)), currency) if price not in (None, "") else None
    except ArithmeticError as exc:
        raise NormalizeError(f"variant {node.get('id')}: bad price {price!r}") from exc
    return ProductVariant(external_id=str(gid_number(node["id"])), title=str(node.get("title") or ""),
                          sku=node.get("sku") or None, price=money, available=bool(node.get("availableForSale")))


def _nodes(connection: Any) -> list[Mapping[str, Any]]:
    nodes = connection.get("nodes") if isinstance(connection, Mapping) else None
    return [n for n in nodes or () if isinstance(n, Mapping)]
