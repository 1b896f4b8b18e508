"""One WooCommerce store's REST API through the `woocommerce` library, with retries and an SSRF-safe transport."""

from __future__ import annotations

import re
import socket
import time
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError
from woocommerce import API

from connectors.base import NotSupported, PlatformError, RefundRequest, RefundResult
from connectors.model import Money
from connectors.woocommerce.urls import Resolver, check_store_url, guarded_session

ORDER_TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")
SHIPMENT_TRACKING = "wc-shipment-tracking/v3"  # WooCommerce Shipment Tracking (Woo's own extension)
AST = "wc-ast/v3"  # Advanced Shipment Tracking (zorem)
USER_AGENT = "Postventa (WooCommerce-Python-REST-API)"
MAX_WAIT = 60.0  # never sleep longer than this on one Retry-After


class WooApiError(PlatformError):
    """WooCommerce answered with an error (or not at all); `code` is WooCommerce's own error code when it sent one."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code = status, code


class WooAuthError(WooApiError):
    """The store refused the API keys (revoked, wrong, or without the permission the call needs)."""


@dataclass(frozen=True)
class OrdersPage:
    """One page of orders, with the totals WooCommerce reports in X-WP-Total and X-WP-TotalPages."""

    orders: list[dict[str, Any]]
    total: int
    total_pages: int
    page: int

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages


def _bind_to_session(api: Any, session: requests.Session) -> Any:
    """Run the library's own request code (URL, OAuth signing, auth) with `request` bound to our guarded session."""
    original = API._API__request
    if "request" not in original.__code__.co_names:  # a library upgrade must not silently bypass the guard
        raise RuntimeError("woocommerce.API no longer sends through requests.request; review the transport guard")
    namespace = dict(original.__globals__, request=session.request)
    function = types.FunctionType(original.__code__, namespace, original.__name__, original.__defaults__,
                                  original.__closure__)
    api._API__request = types.MethodType(function, api)  # the name `self.__request` resolves to inside API
    return api


def _rest_id(value: str | int) -> str:
    """Route segments are digits in WooCommerce; anything else would hit another route (or none)."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"not a WooCommerce id: {value!r}")
    return text


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the store (no connection was made), so a POST may be retried."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _without_query(text: str) -> str:
    """requests quotes the URL in its errors; over http its query carries the OAuth key and signature."""
    return re.sub(r"\?[^\s'\"]*", "?…", text)


def _retry_after(value: str | None, default: float) -> float:
    """Seconds from a Retry-After header (seconds or an HTTP date), bounded by MAX_WAIT."""
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return default
    return min(max(seconds, 0.0), MAX_WAIT)


def _int_header(resp: requests.Response, name: str, default: int) -> int:
    try:
        return int(resp.headers[name])
    except (KeyError, ValueError):
        return default


def _money_text(amount: Decimal) -> str:
    return format(amount, "f")


class WooClient:
    """Calls one store: every REST call goes through woocommerce.API, over a transport that refuses private peers."""

    def __init__(self, store_url: str, consumer_key: str, consumer_secret: str, *, timeout: float = 20,
                 allow_private: bool = False, allow_http: bool = False, resolve: Resolver = socket.getaddrinfo,
                 max_attempts: int = 4, sleep: Callable[[float], None] = time.sleep) -> None:
        self.store_url = check_store_url(store_url, allow_http=allow_http, allow_private=allow_private,
                                         resolve=resolve)
        self.session = guarded_session(allow_private=allow_private, resolve=resolve)
        self.max_attempts, self.sleep = max(1, max_attempts), sleep

        def api(version: str) -> Any:
            client = API(self.store_url, consumer_key, consumer_secret, version=version, wp_api=True,
                         timeout=timeout, user_agent=USER_AGENT)
            return _bind_to_session(client, self.session)

        self.wc, self.shipment_tracking, self.ast = api("wc/v3"), api(SHIPMENT_TRACKING), api(AST)
        self._tracking_missing: set[str] = set()  # plugin namespaces that answered rest_no_route

    # -- transport --------------------------------------------------------------------------------------

    def _send(self, api: Any, method: str, endpoint: str, params: Mapping[str, Any] | None,
              data: Any) -> requests.Response:
        kwargs = {"params": dict(params or {})}  # a fresh dict: the library adds keys to it
        resp: requests.Response
        if method == "GET":
            resp = api.get(endpoint, **kwargs)
        elif method == "POST":
            resp = api.post(endpoint, data, **kwargs)
        elif method == "PUT":
            resp = api.put(endpoint, data, **kwargs)
        elif method == "DELETE":
            resp = api.delete(endpoint, **kwargs)
        else:
            raise ValueError(f"unsupported method {method}")
        return resp

    def request(self, api: Any, method: str, endpoint: str, *, params: Mapping[str, Any] | None = None,
                data: Any = None) -> tuple[Any, requests.Response]:
        """Parsed JSON and the response; retries 429 always, and 5xx or lost connections when repeating is safe."""
        repeatable = method != "POST"  # a POST that reached the store may have done its work already
        where = f"{self.store_url} ({method} {api.version}/{endpoint})"
        for attempt in range(1, self.max_attempts + 1):
            backoff = min(2.0 ** (attempt - 1), 30.0)
            last = attempt == self.max_attempts
            try:
                resp = self._send(api, method, endpoint, params, data)
            except requests.RequestException as exc:
                if last or not (repeatable or _never_sent(exc)):
                    raise WooApiError(f"could not reach {where}: {_without_query(str(exc))}") from exc
                self.sleep(backoff)
                continue
            if not last and (resp.status_code == 429 or (resp.status_code >= 500 and repeatable)):
                self.sleep(_retry_after(resp.headers.get("Retry-After"), backoff))
                continue
            return self._parse(resp, where), resp
        raise AssertionError("unreachable")  # the last attempt always returns or raises

    @staticmethod
    def _parse(resp: requests.Response, where: str) -> Any:
        try:
            body = resp.json()
        except ValueError:
            body = None
            parsed = False
        else:
            parsed = True
        if 200 <= resp.status_code < 300:
            if not parsed:
                kind = resp.headers.get("Content-Type", "no content type")
                raise WooApiError(f"{where} answered {resp.status_code} with a page that is not JSON ({kind}); "
                                  "a security plugin, cache or maintenance page may be in the way of the REST API",
                                  resp.status_code)
            return body
        code = body.get("code") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        detail = f"{code}: {message}" if code else (resp.text[:200].strip() or resp.reason)
        error = WooAuthError if resp.status_code in (401, 403) else WooApiError
        prefix = "refused the API keys" if error is WooAuthError else "answered"
        raise error(f"{where} {prefix} {resp.status_code} {detail}", resp.status_code, code)

    def _all_pages(self, api: Any, endpoint: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            body, resp = self.request(api, "GET", endpoint, params={**(params or {}), "page": page, "per_page": 100})
            found += body
            if not body or page >= _int_header(resp, "X-WP-TotalPages", page):
                return found
            page += 1

    # -- orders -----------------------------------------------------------------------------------------

    def orders_page(self, page: int, per_page: int = 100, modified_after: datetime | None = None) -> OrdersPage:
        """One page in id order (stable while orders change, so a backfill can resume by page number)."""
        params: dict[str, Any] = {"page": page, "per_page": per_page, "orderby": "id", "order": "asc"}
        if modified_after is not None:
            if modified_after.tzinfo is None:
                raise ValueError("modified_after must be timezone-aware")
            # Strictly after, compared with date_modified_gmt.
            params["modified_after"] = modified_after.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
            params["dates_are_gmt"] = "true"
        body, resp = self.request(self.wc, "GET", "orders", params=params)
        return OrdersPage(orders=list(body), total=_int_header(resp, "X-WP-Total", len(body)),
                          total_pages=_int_header(resp, "X-WP-TotalPages", page), page=page)

    def order(self, order_id: str) -> dict[str, Any]:
        body, _ = self.request(self.wc, "GET", f"orders/{_rest_id(order_id)}")
        return dict(body)

    # -- webhooks ---------------------------------------------------------------------------------------

    def webhooks(self) -> list[dict[str, Any]]:
        return self._all_pages(self.wc, "webhooks")

    def create_webhook(self, name: str, topic: str, delivery_url: str, secret: str) -> dict[str, Any]:
        """An active webhook; WooCommerce sets api_version to wp_api_v3 itself (it is not a request field)."""
        data = {"name": name, "topic": topic, "delivery_url": delivery_url, "secret": secret, "status": "active"}
        body, _ = self.request(self.wc, "POST", "webhooks", data=data)
        return dict(body)

    def update_webhook(self, webhook_id: str | int, **fields: Any) -> dict[str, Any]:
        body, _ = self.request(self.wc, "PUT", f"webhooks/{_rest_id(webhook_id)}", data=fields)
        return dict(body)

    def delete_webhook(self, webhook_id: str | int) -> dict[str, Any]:
        """Deleted for good: webhooks cannot be trashed (WooCommerce answers 501 without force)."""
        body, _ = self.request(self.wc, "DELETE", f"webhooks/{_rest_id(webhook_id)}", params={"force": "true"})
        return dict(body)

    def ensure_webhooks(self, delivery_url: str, secret: str,
                        topics: Iterable[str] = ORDER_TOPICS) -> list[dict[str, Any]]:
        """One active webhook per topic at delivery_url: extras deleted, disabled or paused ones re-activated."""
        ours = [w for w in self.webhooks() if w.get("delivery_url") == delivery_url]
        result: list[dict[str, Any]] = []
        for topic in topics:
            same = sorted((w for w in ours if w.get("topic") == topic),
                          key=lambda w: (w.get("status") != "active", int(w["id"])))
            for extra in same[1:]:
                self.delete_webhook(extra["id"])
            if not same:
                result.append(self.create_webhook(f"Postventa {topic}", topic, delivery_url, secret))
            elif same[0].get("status") != "active":
                # Disabled after 5 failed deliveries (or paused by hand): our secret again, in case it changed.
                result.append(self.update_webhook(same[0]["id"], status="active", secret=secret))
            else:
                result.append(same[0])
        return result

    # -- shipment tracking (a plugin: WooCommerce Shipment Tracking, or Advanced Shipment Tracking) ------

    def _tracking_apis(self) -> list[Any]:
        return [api for api in (self.shipment_tracking, self.ast) if api.version not in self._tracking_missing]

    def trackings(self, order_id: str) -> list[dict[str, Any]]:
        """The order's trackings from whichever plugin answers; [] when neither is installed."""
        endpoint = f"orders/{_rest_id(order_id)}/shipment-trackings"
        for api in self._tracking_apis():
            try:
                body, _ = self.request(api, "GET", endpoint)
            except WooApiError as exc:
                if exc.code != "rest_no_route":
                    raise
                self._tracking_missing.add(api.version)
                continue
            return list(body)
        return []

    def fulfillments(self, order_id: str) -> list[dict[str, Any]]:
        """WooCommerce's own order fulfillments (10.x, when the feature is on); [] where the route does not exist."""
        if "fulfillments" in self._tracking_missing:
            return []
        try:
            body, _ = self.request(self.wc, "GET", f"orders/{_rest_id(order_id)}/fulfillments")
        except WooApiError as exc:
            if exc.code != "rest_no_route":
                raise
            self._tracking_missing.add("fulfillments")
            return []
        return list(body)

    def add_tracking(self, order_id: str, tracking_number: str, provider: str | None, tracking_link: str | None,
                     date_shipped: date | None, *, mark_shipped: bool = False) -> dict[str, Any]:
        """Add a tracking number through the installed plugin; NotSupported when there is none."""
        endpoint = f"orders/{_rest_id(order_id)}/shipment-trackings"
        for api in self._tracking_apis():
            data: dict[str, Any] = {"tracking_number": tracking_number}
            if provider and tracking_link:
                data.update(custom_tracking_provider=provider, custom_tracking_link=tracking_link)
            elif provider:
                data["tracking_provider"] = provider  # the plugin builds the link when it knows the carrier
            elif tracking_link:
                data["custom_tracking_link"] = tracking_link
            if date_shipped is not None:
                data["date_shipped"] = date_shipped.isoformat()
            if api.version == AST:
                data.setdefault("tracking_provider", provider or "")
                # 0 leaves the order status alone (1 marks it shipped/completed); never wipe earlier numbers.
                data.update(status_shipped=1 if mark_shipped else 0, replace_tracking=0)
            try:
                body, _ = self.request(api, "POST", endpoint, data=data)
            except WooApiError as exc:
                if exc.code != "rest_no_route":  # rest_no_route: nothing was done, so trying the other is safe
                    raise
                self._tracking_missing.add(api.version)
                continue
            return dict(body)
        raise NotSupported(f"{self.store_url} has no shipment tracking plugin: install WooCommerce Shipment Tracking "
                           "or Advanced Shipment Tracking so Postventa can add tracking numbers to orders")

    # -- products, coupons and new orders (return rules, store credit, exchanges) ----------------------

    def products(self, product_ids: Iterable[str]) -> list[dict[str, Any]]:
        """The products with these ids, in that order; unknown (or non-numeric) ids are left out."""
        ids = [i for i in dict.fromkeys(str(p).strip() for p in product_ids) if i.isascii() and i.isdigit()]
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 100):  # never an empty include: that would list the whole catalogue
            chunk = ids[start:start + 100]
            found.update((str(p["id"]), p) for p in self._all_pages(self.wc, "products", {"include": ",".join(chunk)}))
        return [found[i] for i in ids if i in found]

    def variations(self, product_id: str | int) -> list[dict[str, Any]]:
        """Every variation of a variable product, all pages."""
        return self._all_pages(self.wc, f"products/{_rest_id(product_id)}/variations")

    def product(self, product_id: str | int) -> dict[str, Any]:
        """One product, or one variation (type "variation", with its product in parent_id)."""
        body, _ = self.request(self.wc, "GET", f"products/{_rest_id(product_id)}")
        return dict(body)

    def currency(self) -> str:
        """The store's currency code: products carry prices but no currency."""
        body, _ = self.request(self.wc, "GET", "data/currencies/current")
        return str(body["code"])

    def coupon_by_code(self, code: str) -> dict[str, Any] | None:
        """The coupon with exactly this code (WooCommerce keeps codes in lower case), or None."""
        body, _ = self.request(self.wc, "GET", "coupons", params={"code": code})
        return next((dict(c) for c in body if str(c.get("code") or "").lower() == code.lower()), None)

    def create_coupon(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """POSTed once: a coupon that reached the store may exist even if the answer did not come back."""
        body, _ = self.request(self.wc, "POST", "coupons", data=dict(data))
        return dict(body)

    def create_order(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """POSTed once, like create_coupon: the caller looks for the order before trying again."""
        body, _ = self.request(self.wc, "POST", "orders", data=dict(data))
        return dict(body)

    def search_orders(self, search: str) -> list[dict[str, Any]]:
        """Orders whose billing or shipping details (email included) or item names contain `search`."""
        return self._all_pages(self.wc, "orders", {"search": search, "status": "any"})

    # -- refunds ----------------------------------------------------------------------------------------

    def refunds(self, order_id: str) -> list[dict[str, Any]]:
        return self._all_pages(self.wc, f"orders/{_rest_id(order_id)}/refunds")

    def create_refund(self, order_id: str, *, amount: Decimal, reason: str, line_items: list[dict[str, Any]],
                      api_refund: bool, restock: bool) -> dict[str, Any]:
        """One refund; api_refund sends the money back through the payment gateway, restock returns the stock."""
        data = {"amount": _money_text(amount), "reason": reason, "api_refund": api_refund, "api_restock": restock,
                "line_items": line_items}
        body, _ = self.request(self.wc, "POST", f"orders/{_rest_id(order_id)}/refunds", data=data)
        return dict(body)

    def _refund_marked(self, order_id: str, marker: str) -> dict[str, Any] | None:
        return next((r for r in self.refunds(order_id) if marker in str(r.get("reason") or "")), None)

    def refund_once(self, order_id: str, request: RefundRequest, line_prices: Mapping[str, Decimal], currency: str,
                    *, api_refund: bool = True) -> RefundResult:
        """Refund once per idempotency key: WooCommerce has no such key, so a marker in the reason stands in."""
        marker = f"[postventa:{request.idempotency_key}]"
        earlier = self._refund_marked(order_id, marker)
        if earlier is not None:
            return _refund_result(earlier, currency, already_done=True)
        amount, line_items = _refund_lines(request, line_prices, currency)
        reason = f"{request.note} {marker}".strip()
        try:
            created = self.create_refund(order_id, amount=amount, reason=reason, line_items=line_items,
                                         api_refund=api_refund, restock=request.restock)
        except WooApiError as exc:
            if exc.status is not None and exc.status < 500:
                raise
            # A timeout or 5xx can come after the refund was made: look before anyone retries.
            made = self._refund_marked(order_id, marker)
            if made is None:
                raise
            return _refund_result(made, currency, already_done=False)
        return _refund_result(created, currency, already_done=False)


def _refund_lines(request: RefundRequest, line_prices: Mapping[str, Decimal],
                  currency: str) -> tuple[Decimal, list[dict[str, Any]]]:
    """The amount to refund and WooCommerce's line_items, the lines' totals scaled to an explicit amount."""
    totals: list[tuple[str, int, Decimal]] = []
    for line_id, quantity in request.lines:
        if line_id not in line_prices:
            raise ValueError(f"no price for line item {line_id} of order {request.order_external_id}")
        totals.append((line_id, quantity, line_prices[line_id] * quantity))
    gross = sum((total for _, _, total in totals), Decimal(0))
    if request.amount is not None and request.amount.currency != currency:
        raise ValueError(f"refund in {request.amount.currency} for an order in {currency}")
    amount = request.amount.amount if request.amount is not None else gross
    if amount <= 0:
        raise ValueError("a refund must be for more than zero")
    cent = Decimal("0.01")
    line_items: list[dict[str, Any]] = []
    left = amount
    for index, (line_id, quantity, total) in enumerate(totals):
        share = left if index == len(totals) - 1 else (total * amount / gross).quantize(cent) if gross else Decimal(0)
        left -= share
        line_items.append({"id": int(line_id) if line_id.isdigit() else line_id, "quantity": quantity,
                           "refund_total": _money_text(share), "refund_tax": []})
    return amount, line_items


def _refund_result(refund: Mapping[str, Any], currency: str, *, already_done: bool) -> RefundResult:
    return RefundResult(external_id=str(refund["id"]), amount=Money(abs(Decimal(str(refund["amount"]))), currency),
                        already_done=already_done)
