"""Shopify's GraphQL Admin API: one client with throttle-aware retries, and the calls the app makes."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connectors.base import PlatformError

API_VERSION = "2025-10"
# Webhook topics Postventa handles, as the GraphQL enum names them (privacy topics live in the app config).
WEBHOOK_TOPICS = {
    "orders/create": "ORDERS_CREATE",
    "orders/updated": "ORDERS_UPDATED",
    "orders/cancelled": "ORDERS_CANCELLED",
    "fulfillments/create": "FULFILLMENTS_CREATE",
    "fulfillments/update": "FULFILLMENTS_UPDATE",
    "fulfillment_events/create": "FULFILLMENT_EVENTS_CREATE",
    "refunds/create": "REFUNDS_CREATE",
    "returns/request": "RETURNS_REQUEST",
    "returns/approve": "RETURNS_APPROVE",
    "returns/decline": "RETURNS_DECLINE",
    "returns/cancel": "RETURNS_CANCEL",
    "returns/close": "RETURNS_CLOSE",
    "returns/reopen": "RETURNS_REOPEN",
    "app/uninstalled": "APP_UNINSTALLED",
}

LIST_SUBSCRIPTIONS = """
query Subscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes { id topic uri }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CREATE_SUBSCRIPTION = """
mutation Subscribe($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""


UPDATE_TRACKING = """
mutation Track($fulfillmentId: ID!, $tracking: FulfillmentTrackingInput!, $notify: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId, trackingInfoInput: $tracking,
                                notifyCustomer: $notify) {
    fulfillment { id trackingInfo(first: 5) { company number url } }
    userErrors { field message }
  }
}
"""


def gid(kind: str, external_id: str) -> str:
    """A GraphQL global id from a REST id (or the gid itself)."""
    return external_id if external_id.startswith("gid://") else f"gid://shopify/{kind}/{external_id}"


class AdminApiError(PlatformError):
    """Shopify answered with errors that retrying will not fix."""


class AccessDenied(AdminApiError):
    """The token was refused (revoked, expired, or the app was uninstalled)."""


class Throttled(AdminApiError):
    """Still throttled after every retry."""


@dataclass(frozen=True)
class Subscription:
    id: str
    topic: str
    uri: str


class ShopifyAdminClient:
    """POSTs GraphQL to one shop; waits out THROTTLED answers using Shopify's own throttle status."""

    def __init__(self, shop: str, access_token: str, base_url: str | None = None, api_version: str = API_VERSION,
                 max_attempts: int = 6, sleep: Callable[[float], None] = time.sleep, timeout: float = 30.0) -> None:
        self.url = f"{base_url or f'https://{shop}'}/admin/api/{api_version}/graphql.json"
        self.headers = {"X-Shopify-Access-Token": access_token, "Content-Type": "application/json",
                        "Accept": "application/json"}
        self.max_attempts, self.sleep, self.timeout = max_attempts, sleep, timeout

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a successful answer; retries throttling, 429 and 5xx with backoff."""
        for attempt in range(1, self.max_attempts + 1):
            wait = min(2.0 ** attempt, 30.0)
            try:
                resp = requests.post(self.url, json={"query": query, "variables": dict(variables or {})},
                                     headers=self.headers, timeout=self.timeout)
            except requests.RequestException:
                if attempt == self.max_attempts:
                    raise
                self.sleep(wait)
                continue
            if resp.status_code in (401, 403):
                raise AccessDenied(f"Shopify refused the access token ({resp.status_code})")
            if resp.status_code == 429 or resp.status_code >= 500:
                self.sleep(float(resp.headers.get("Retry-After") or wait))
                continue
            body = resp.json()
            errors = body.get("errors") or []
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                self.sleep(_throttle_wait(body, default=wait))
                continue
            if errors:
                raise AdminApiError("; ".join(str(e.get("message")) for e in errors))
            return dict(body.get("data") or {})
        raise Throttled(f"still throttled or failing after {self.max_attempts} attempts")

    def subscriptions(self) -> list[Subscription]:
        found: list[Subscription] = []
        after: str | None = None
        while True:
            page = self.graphql(LIST_SUBSCRIPTIONS, {"after": after})["webhookSubscriptions"]
            found += [Subscription(n["id"], n["topic"], n.get("uri") or "") for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    def ensure_webhooks(self, uri: str, topics: Mapping[str, str] = WEBHOOK_TOPICS) -> list[str]:
        """Subscribe every topic to `uri` unless it already is; returns the topics newly subscribed."""
        have = {s.topic for s in self.subscriptions() if s.uri == uri}
        created = []
        for enum in topics.values():
            if enum in have:
                continue
            result = self.graphql(CREATE_SUBSCRIPTION, {"topic": enum, "uri": uri})["webhookSubscriptionCreate"]
            if result["userErrors"]:
                raise AdminApiError(f"{enum}: " + "; ".join(e["message"] for e in result["userErrors"]))
            created.append(enum)
        return created


def _throttle_wait(body: Mapping[str, Any], default: float) -> float:
    """Seconds until enough cost points are back, from extensions.cost.throttleStatus."""
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        needed = float(cost.get("requestedQueryCost") or 0) - float(status["currentlyAvailable"])
        return max(needed / float(status["restoreRate"]), 0.0) + 0.1
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return default


def update_tracking(client: ShopifyAdminClient, fulfillment_id: str, number: str, company: str | None,
                    url: str | None, notify: bool) -> None:
    """Set a fulfillment's tracking (number, carrier, link); Shopify's own email stays off unless asked."""
    tracking = {k: v for k, v in {"number": number, "company": company, "url": url}.items() if v}
    variables = {"fulfillmentId": gid("Fulfillment", fulfillment_id), "tracking": tracking, "notify": notify}
    result = client.graphql(UPDATE_TRACKING, variables)
    errors = result["fulfillmentTrackingInfoUpdate"]["userErrors"]
    if errors:
        raise AdminApiError("; ".join(e["message"] for e in errors))
