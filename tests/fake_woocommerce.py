"""A local fake of a WooCommerce store's REST API (and its key authorisation page), served over real HTTP."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CONSUMER_KEY = "ck_5c1f0e8b9d2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e"
CONSUMER_SECRET = "cs_7a9c1e3f5b7d9f1a3c5e7a9b1d3f5a7c9e1b3d5f"
TEMPLATE = Path(__file__).parent / "fixtures" / "woocommerce" / "order_created_processing.json"
SITE_TZ = timezone(timedelta(hours=1))  # the store's timezone (date_* fields); *_gmt fields are UTC
EPOCH = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
TOPIC_HOOKS = {
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post"],
    "order.restored": ["untrashed_post"],
}
KNOWN_PROVIDERS = {  # a few of the trackers both plugins know, with their link patterns
    "usps": ("USPS", "https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1={}"),
    "fedex": ("Fedex", "https://www.fedex.com/apps/fedextrack/?action=track&tracknumbers={}"),
    "correos": ("Correos", "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number={}"),
}
NO_ROUTE = ("rest_no_route", "No route was found matching the URL and request method.", 404)

# The shape of GET /wp-json/wc/v3/orders/<id> for a paid order awaiting shipment (a WooCommerce 9 store).
ORDER_TEMPLATE: dict[str, Any] = {
    "id": 727, "parent_id": 0, "status": "processing", "currency": "EUR", "version": "9.4.2",
    "prices_include_tax": True, "date_created": "2026-11-01T10:30:12", "date_modified": "2026-11-01T10:31:40",
    "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": "4.13", "shipping_tax": "0.87",
    "cart_tax": "6.92", "total": "44.90", "total_tax": "7.79", "customer_id": 12, "order_key": "wc_order_Xy7pQ2rTb9LmN",
    "billing": {"first_name": "Lucía", "last_name": "Martín", "company": "", "address_1": "Calle Mayor 12",
                "address_2": "3º B", "city": "Madrid", "state": "M", "postcode": "28013", "country": "ES",
                "email": "lucia.martin@example.com", "phone": "+34 600 123 456"},
    "shipping": {"first_name": "Lucía", "last_name": "Martín", "company": "", "address_1": "Calle Mayor 12",
                 "address_2": "3º B", "city": "Madrid", "state": "M", "postcode": "28013", "country": "ES",
                 "phone": ""},
    "payment_method": "stripe", "payment_method_title": "Tarjeta de crédito", "transaction_id": "pi_3QaBcD2eFgHiJk01",
    "customer_ip_address": "83.45.120.7",
    "customer_user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/18.1 Safari",
    "created_via": "checkout", "customer_note": "", "date_completed": None, "date_paid": "2026-11-01T10:31:40",
    "cart_hash": "4f1d2c9a8b7e6f5a4d3c2b1a0f9e8d7c",
    "number": "727",
    "meta_data": [{"id": 9101, "key": "_stripe_currency", "value": "EUR"}],
    "line_items": [
        {"id": 431, "name": "Camiseta de lino - M", "product_id": 88, "variation_id": 91, "quantity": 1,
         "tax_class": "", "subtotal": "24.79", "subtotal_tax": "5.21", "total": "24.79", "total_tax": "5.21",
         "taxes": [{"id": 1, "total": "5.2059", "subtotal": "5.2059"}],
         "meta_data": [{"id": 3811, "key": "pa_talla", "value": "m", "display_key": "Talla", "display_value": "M"}],
         "sku": "LIN-TS-M", "price": 24.793388, "image": {"id": 140, "src": "https://shop.example/camiseta.jpg"},
         "parent_name": "Camiseta de lino"},
        {"id": 432, "name": "Bolsa de tela", "product_id": 77, "variation_id": 0, "quantity": 1, "tax_class": "",
         "subtotal": "8.26", "subtotal_tax": "1.74", "total": "8.26", "total_tax": "1.74",
         "taxes": [{"id": 1, "total": "1.7346", "subtotal": "1.7346"}], "meta_data": [], "sku": "BAG-1",
         "price": 8.264463, "image": {"id": 141, "src": "https://shop.example/bolsa.jpg"}, "parent_name": None},
    ],
    "tax_lines": [{"id": 434, "rate_code": "ES-IVA-1", "rate_id": 1, "label": "IVA", "compound": False,
                   "tax_total": "6.92", "shipping_tax_total": "0.87", "rate_percent": 21, "meta_data": []}],
    "shipping_lines": [{"id": 433, "method_title": "Envío estándar", "method_id": "flat_rate", "instance_id": "2",
                        "total": "4.13", "total_tax": "0.87", "taxes": [{"id": 1, "total": "0.8673", "subtotal": ""}],
                        "meta_data": [{"id": 3820, "key": "Artículos", "value": "Camiseta de lino - M &times; 1",
                                       "display_key": "Artículos",
                                       "display_value": "Camiseta de lino - M &times; 1"}]}],
    "fee_lines": [], "coupon_lines": [], "refunds": [],
    "payment_url": "https://shop.example/finalizar-compra/order-pay/727/?pay_for_order=true&key=wc_order_Xy7pQ2rTb9LmN",
    "is_editable": False, "needs_payment": False, "needs_processing": True,
    "date_created_gmt": "2026-11-01T09:30:12", "date_modified_gmt": "2026-11-01T09:31:40",
    "date_completed_gmt": None, "date_paid_gmt": "2026-11-01T09:31:40", "currency_symbol": "€",
    "_links": {"self": [{"href": "https://shop.example/wp-json/wc/v3/orders/727"}],
               "collection": [{"href": "https://shop.example/wp-json/wc/v3/orders"}],
               "customer": [{"href": "https://shop.example/wp-json/wc/v3/customers/12"}]},
}


def _wc_date(moment: datetime, tz: timezone = UTC) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S")


def order_template() -> dict[str, Any]:
    """The recorded order fixture when it exists (written from a real store), else the built-in one."""
    if TEMPLATE.exists():
        return dict(json.loads(TEMPLATE.read_text()))
    return copy.deepcopy(ORDER_TEMPLATE)


def wc_order(order_id: int, modified: datetime, *, template: dict[str, Any] | None = None,
             status: str | None = None) -> dict[str, Any]:
    """One order in the exact wc/v3 shape, renumbered: id, number, key, email, line item ids and dates."""
    order = copy.deepcopy(template if template is not None else order_template())
    created = modified - timedelta(minutes=5)
    key = hashlib.sha1(str(order_id).encode(), usedforsecurity=False).hexdigest()[:13]
    order.update(id=order_id, number=str(order_id), order_key=f"wc_order_{key}",
                 date_created=_wc_date(created, SITE_TZ), date_created_gmt=_wc_date(created),
                 date_modified=_wc_date(modified, SITE_TZ), date_modified_gmt=_wc_date(modified), refunds=[])
    if order.get("date_paid_gmt"):
        order.update(date_paid=_wc_date(created, SITE_TZ), date_paid_gmt=_wc_date(created))
    if status:
        order["status"] = status
    order.setdefault("billing", {})["email"] = f"cliente{order_id}@example.com"
    for n, item in enumerate(order.get("line_items") or [], start=1):
        item["id"] = order_id * 100 + n
    for n, line in enumerate(order.get("shipping_lines") or [], start=50):
        line["id"] = order_id * 100 + n
    return order


def make_orders(count: int, *, first_id: int = 1001, start: datetime = EPOCH,
                step: timedelta = timedelta(hours=1)) -> list[dict[str, Any]]:
    """`count` orders with consecutive ids and date_modified_gmt spread `step` apart from `start`."""
    template = order_template()
    return [wc_order(first_id + i, start + step * i, template=template) for i in range(count)]


def _rawurlencode(value: str) -> str:
    """PHP's rawurlencode (RFC 3986), which WooCommerce uses to build the OAuth base string."""
    return quote(value, safe="-_.~")


def oauth_signature(method: str, base_url: str, params: dict[str, str], secret: str, algorithm: str) -> str:
    """What WC_REST_Authentication::check_oauth_signature computes for one request."""
    pairs = sorted((k, v) for k, v in params.items() if k != "oauth_signature")
    query = "%26".join(_rawurlencode(f"{_rawurlencode(k)}={_rawurlencode(v)}") for k, v in pairs)
    string_to_sign = f"{method.upper()}&{_rawurlencode(base_url)}&{query}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), algorithm).digest()
    return base64.b64encode(digest).decode()


@dataclass
class Injection:
    """An answer forced on matching requests: a proxy's 5xx, a security plugin's HTML page, a rate limit."""

    method: str
    path: re.Pattern[str]
    status: int
    body: str
    content_type: str
    headers: dict[str, str]
    times: int
    after: bool  # the store does the work first, then the answer is lost (timeout-like)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, content_type="application/json; charset=UTF-8")


def _error(code: str, message: str, status: int, **data: Any) -> Response:
    return _json({"code": code, "message": message, "data": {"status": status, **data}}, status)


def _wp_die(message: str, status: int) -> Response:
    page = (f"<!DOCTYPE html><html><head><title>Access denied</title></head>"
            f"<body id=\"error-page\"><div class=\"wp-die-message\">{message}</div></body></html>")
    return Response(page, status, content_type="text/html; charset=UTF-8")


class FakeWooCommerce:
    """A WooCommerce 9 store: wc/v3 orders, refunds and webhooks, two tracking plugins, keys and wc-auth."""

    def __init__(self) -> None:
        self.url = ""  # set by the fixture: http://127.0.0.1:PORT
        self.requests: list[dict[str, Any]] = []
        self.keys: dict[str, dict[str, Any]] = {
            CONSUMER_KEY: {"key_id": 1, "secret": CONSUMER_SECRET, "permissions": "read_write", "user_id": 1}}
        self.orders: dict[int, dict[str, Any]] = {}
        self.refunds: dict[int, list[dict[str, Any]]] = {}
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.trackings: dict[int, list[dict[str, Any]]] = {}  # both plugins keep them in the same order meta
        self.shipment_tracking = True  # WooCommerce Shipment Tracking installed
        self.ast = False  # Advanced Shipment Tracking installed
        self.gateway_refunds = True  # the order's payment gateway can refund (api_refund=true)
        self.restocked: list[tuple[int, int, int]] = []  # (order id, line item id, quantity)
        self.injections: list[Injection] = []
        self.nonces: dict[str, set[str]] = {}
        self.basic_auth = True  # WooCommerce only reads Basic auth over https; the fake has no TLS, so allow it
        # wc-auth: the merchant's click, and whether callback_url must be https as in WooCommerce
        self.approve = True
        self.require_https_callback = False
        self.callbacks: list[dict[str, Any]] = []
        # WooCommerce 10's own order fulfillments (off by default, as in WooCommerce): order id -> objects
        self.core_fulfillments = False
        self.fulfillments: dict[int, list[dict[str, Any]]] = {}
        self.deliver_pings = False  # POST the creation ping to delivery_url (only for loopback receivers)
        self.pings: list[dict[str, Any]] = []
        self._next_id = 5000
        # Catalogue and coupons (store credit, exchanges), in the store's currency.
        self.currency = "EUR"
        self.products: dict[int, dict[str, Any]] = {}  # product id -> product (see wc_product)
        self.variations: dict[int, dict[str, Any]] = {}  # variation id -> variation (see wc_variation)
        self.coupons: dict[int, dict[str, Any]] = {}

    # -- state helpers ----------------------------------------------------------------------------------

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add_orders(self, orders: list[dict[str, Any]]) -> None:
        for order in orders:
            self.orders[int(order["id"])] = order

    def add_products(self, *products: dict[str, Any]) -> None:
        """Products and variations (a variation has parent_id); a variable product lists its variations."""
        for item in products:
            if item.get("parent_id"):
                self.variations[int(item["id"])] = item
                self.products[int(item["parent_id"])]["variations"].append(item["id"])
            else:
                self.products[int(item["id"])] = item

    def add_webhook(self, topic: str, delivery_url: str, *, status: str = "active", secret: str = "s3cret",
                    name: str | None = None) -> dict[str, Any]:
        hook = self._new_webhook(name or f"Webhook {topic}", topic, delivery_url, secret, status)
        return self._webhook_view(hook)

    def inject(self, method: str, path: str, *, status: int = 500, body: Any = None, content_type: str | None = None,
               headers: dict[str, str] | None = None, times: int = 1, after: bool = False) -> None:
        """Answer the next `times` requests whose path matches the regex `path` with this instead."""
        if body is None:
            body = {"code": "internal_server_error", "message": "There has been a critical error on this website.",
                    "data": {"status": status}}
        text = body if isinstance(body, str) else json.dumps(body)
        kind = content_type or ("application/json; charset=UTF-8" if not isinstance(body, str) else "text/html")
        self.injections.append(Injection(method.upper(), re.compile(path), status, text, kind, headers or {},
                                         times, after))

    def calls(self, method: str | None = None, route: str | None = None) -> list[dict[str, Any]]:
        """Recorded requests, filtered by method and a regex on the route (the part after /wp-json/)."""
        return [r for r in self.requests if (method is None or r["method"] == method)
                and (route is None or re.search(route, r["route"] or ""))]

    # -- WSGI -------------------------------------------------------------------------------------------

    def __call__(self, environ: Any, start_response: Any) -> Any:
        req = Request(environ)
        return self.handle(req)(environ, start_response)

    def handle(self, req: Request) -> Response:
        params = {k: v for k, v in self._php_get(req).items() if not k.startswith("oauth_")}
        body = req.get_json(silent=True) if req.data else None
        route = req.path.split("/wp-json/", 1)[1].strip("/") if "/wp-json/" in req.path else None
        self.requests.append({"method": req.method, "path": req.path, "route": route, "params": params,
                              "json": body, "auth": self._auth_kind(req)})
        injection = next((i for i in self.injections if i.times > 0 and i.method == req.method
                          and i.path.search(req.path)), None)
        if injection is not None and not injection.after:
            injection.times -= 1
            return Response(injection.body, injection.status, headers=injection.headers,
                            content_type=injection.content_type)
        if req.path.rstrip("/").endswith("/wc-auth/v1/authorize") and req.method == "GET":
            resp = self.wc_auth(req)
        elif route is None:
            resp = Response("<html><body>Not found</body></html>", 404, content_type="text/html")
        else:
            resp = self.rest(req, route, body if isinstance(body, dict) else {})
        if injection is not None:
            injection.times -= 1
            return Response(injection.body, injection.status, headers=injection.headers,
                            content_type=injection.content_type)
        return resp

    @staticmethod
    def _php_get(req: Request) -> dict[str, str]:
        """$_GET: the last value wins when a name repeats (the woocommerce library sends its params twice)."""
        found: dict[str, str] = {}
        for key, value in req.args.items(multi=True):
            found[key] = value
        return found

    @staticmethod
    def _auth_kind(req: Request) -> str | None:
        if req.authorization is not None:
            return str(req.authorization.type)
        if "oauth_signature" in req.args:
            return "oauth"
        return "query" if "consumer_key" in req.args else None

    # -- authentication (WC_REST_Authentication) ---------------------------------------------------------

    def authenticate(self, req: Request) -> tuple[dict[str, Any] | None, Response | None]:
        """The key that signed the request; an error when credentials were given but are wrong."""
        args = self._php_get(req)
        given: tuple[str, str] | None = None
        if args.get("consumer_key") and args.get("consumer_secret"):
            given = (args["consumer_key"], args["consumer_secret"])
        elif self.basic_auth and req.authorization is not None and req.authorization.type == "basic":
            given = (req.authorization.username or "", req.authorization.password or "")
        if given is not None and given[0] in self.keys:
            key = self.keys[given[0]]
            if not hmac.compare_digest(key["secret"], given[1]):
                return None, _error("woocommerce_rest_authentication_error", "Consumer secret is invalid.", 401)
            return key, None
        names = ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method")
        missing = [n for n in names if not args.get(n)]
        if len(missing) == len(names):
            return None, None
        if missing:
            label = "parameter" if len(missing) == 1 else "parameters"
            return None, _error("woocommerce_rest_authentication_missing_parameter",
                                f"Missing OAuth {label} {', '.join(missing)}", 401)
        signer = self.keys.get(args["oauth_consumer_key"])
        if signer is None:
            return None, _error("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
        method = args["oauth_signature_method"]
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            return None, _error("woocommerce_rest_authentication_error",
                                "Invalid signature - signature method is invalid.", 401)
        base_url = f"http://{req.host}{req.path}"
        expected = oauth_signature(req.method, base_url, args, signer["secret"], method.removeprefix("HMAC-").lower())
        if not hmac.compare_digest(expected, args["oauth_signature"].replace(" ", "+")):
            return None, _error("woocommerce_rest_authentication_error",
                                "Invalid signature - provided signature does not match.", 401)
        try:
            timestamp = int(args["oauth_timestamp"])
        except ValueError:
            timestamp = 0
        if abs(timestamp - time.time()) > 15 * 60:
            return None, _error("woocommerce_rest_authentication_error", "Invalid timestamp.", 401)
        used = self.nonces.setdefault(args["oauth_consumer_key"], set())
        if args["oauth_nonce"] in used:
            return None, _error("woocommerce_rest_authentication_error",
                                "Invalid nonce - nonce has already been used.", 401)
        used.add(args["oauth_nonce"])
        return signer, None

    # -- REST dispatch ----------------------------------------------------------------------------------

    def _routes(self) -> list[tuple[str, str, dict[str, Callable[..., Response]]]]:
        routes: list[tuple[str, str, dict[str, Callable[..., Response]]]] = [
            ("wc/v3", r"orders", {"GET": self.list_orders, "POST": self.create_order}),
            ("wc/v3", r"products", {"GET": self.list_products}),
            ("wc/v3", r"products/(?P<product_id>\d+)", {"GET": self.get_product}),
            ("wc/v3", r"products/(?P<product_id>\d+)/variations", {"GET": self.list_variations}),
            ("wc/v3", r"coupons", {"GET": self.list_coupons, "POST": self.create_coupon}),
            ("wc/v3", r"data/currencies/current", {"GET": self.current_currency}),
            ("wc/v3", r"orders/(?P<order_id>\d+)", {"GET": self.get_order}),
            ("wc/v3", r"orders/(?P<order_id>\d+)/refunds", {"GET": self.list_refunds, "POST": self.create_refund}),
            ("wc/v3", r"webhooks", {"GET": self.list_webhooks, "POST": self.create_webhook}),
            ("wc/v3", r"webhooks/(?P<webhook_id>\d+)", {
                "GET": self.get_webhook, "POST": self.update_webhook, "PUT": self.update_webhook,
                "PATCH": self.update_webhook, "DELETE": self.delete_webhook}),
        ]
        if self.core_fulfillments:
            routes.append(("wc/v3", r"orders/(?P<order_id>\d+)/fulfillments", {"GET": self.list_fulfillments}))
        plugins = (("wc-shipment-tracking/v3", self.shipment_tracking), ("wc-ast/v3", self.ast))
        for namespace, installed in plugins:
            if installed:
                routes.append((namespace, r"orders/(?P<order_id>\d+)/shipment-trackings",
                               {"GET": self.list_trackings, "POST": self.create_tracking}))
        return routes

    def rest(self, req: Request, route: str, body: dict[str, Any]) -> Response:
        key, failure = self.authenticate(req)
        if failure is not None:
            return failure
        for namespace, pattern, handlers in self._routes():
            if not route.startswith(namespace + "/"):
                continue
            match = re.fullmatch(pattern, route.removeprefix(namespace + "/"))
            if match is None or req.method not in handlers:
                continue
            if key is None:
                return self._unauthenticated(req.method)
            needed = "read" if req.method == "GET" else "write"
            if needed not in key["permissions"]:
                return _error("woocommerce_rest_authentication_error",
                              f"The API key provided does not have {needed} permissions.", 401)
            params = self._php_get(req)
            return handlers[req.method](req=req, params=params, body=body, namespace=namespace,
                                        **match.groupdict())
        return _error(*NO_ROUTE)

    @staticmethod
    def _unauthenticated(method: str) -> Response:
        code, message = {
            "GET": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
            "POST": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
            "DELETE": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
        }.get(method, ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."))
        return _error(code, message, 401)

    def _links(self, route: str, params: dict[str, str], page: int, pages: int) -> dict[str, str]:
        base = f"{self.url}/wp-json/wc/v3/{route}"
        query = {k: v for k, v in params.items() if k not in ("consumer_key", "consumer_secret")}
        links = []
        if page > 1:
            links.append(f'<{base}?{urlencode({**query, "page": min(page - 1, pages)})}>; rel="prev"')
        if pages > page:
            links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
        return {"Link": ", ".join(links)} if links else {}

    @staticmethod
    def _paging(params: dict[str, str], default_per_page: int = 10) -> tuple[int, int] | Response:
        try:
            page = int(params.get("page", 1))
            per_page = int(params.get("per_page", default_per_page))
        except ValueError:
            return _error("rest_invalid_param", "Invalid parameter(s): page, per_page", 400)
        if page < 1:
            return _error("rest_invalid_param", "Invalid parameter(s): page", 400,
                          params={"page": "page must be greater than or equal to 1"})
        if not 1 <= per_page <= 100:
            return _error("rest_invalid_param", "Invalid parameter(s): per_page", 400,
                          params={"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"})
        return page, per_page

    def _page(self, items: list[dict[str, Any]], route: str, params: dict[str, str]) -> Response:
        paging = self._paging(params)
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        pages = max(1, -(-len(items) // per_page)) if items else 0
        chunk = items[(page - 1) * per_page:page * per_page]
        headers = {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages),
                   **self._links(route, params, page, pages)}
        return _json(chunk, 200, headers)

    # -- orders -----------------------------------------------------------------------------------------

    def list_orders(self, params: dict[str, str], **_: Any) -> Response:
        gmt = params.get("dates_are_gmt", "false").lower() in ("1", "true")
        orders = [o for o in self.orders.values() if o.get("status") != "trash"]
        if params.get("status") and params["status"] != "any":
            wanted = set(params["status"].split(","))
            orders = [o for o in self.orders.values() if o.get("status") in wanted]
        if params.get("search"):  # wc_order_search: billing/shipping address indexes and item names, no notes
            term = params["search"].lower()
            orders = [o for o in orders if term in self._search_index(o)]
        for name, field, keep in (("modified_after", "date_modified", 1), ("modified_before", "date_modified", -1),
                                  ("after", "date_created", 1), ("before", "date_created", -1)):
            if name not in params:
                continue
            try:
                since = datetime.fromisoformat(params[name].replace("Z", "+00:00"))
            except ValueError:
                return _error("rest_invalid_param", f"Invalid parameter(s): {name}", 400,
                              params={name: "Invalid date."})
            if since.tzinfo is not None:  # an explicit offset wins over dates_are_gmt
                since, column = since.astimezone(UTC).replace(tzinfo=None), f"{field}_gmt"
            else:
                column = f"{field}_gmt" if gmt else field
            orders = [o for o in orders  # strictly after / before, as WP_Date_Query's after and before
                      if (datetime.fromisoformat(o[column]) - since).total_seconds() * keep > 0]
        orderby, direction = params.get("orderby", "date"), params.get("order", "desc")
        if orderby not in ("date", "id", "include", "title", "slug", "modified") or direction not in ("asc", "desc"):
            bad = "orderby" if direction in ("asc", "desc") else "order"
            return _error("rest_invalid_param", f"Invalid parameter(s): {bad}", 400)
        sort_key: Callable[[dict[str, Any]], Any] = {
            "date": lambda o: (o["date_created_gmt"], o["id"]),
            "modified": lambda o: (o["date_modified_gmt"], o["id"]),
        }.get(orderby, lambda o: o["id"])
        orders.sort(key=sort_key, reverse=direction == "desc")
        return self._page(orders, "orders", params)

    def _order(self, order_id: str) -> dict[str, Any] | None:
        order = self.orders.get(int(order_id))
        return order if order is not None and order.get("status") != "trash" else None

    def get_order(self, order_id: str, **_: Any) -> Response:
        order = self._order(order_id)
        if order is None:
            return _error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        return _json(order)

    # -- refunds ----------------------------------------------------------------------------------------

    def list_refunds(self, order_id: str, params: dict[str, str], **_: Any) -> Response:
        if self._order(order_id) is None:
            return _error("woocommerce_rest_invalid_order_id", "Invalid order ID.", 404)
        refunds = sorted(self.refunds.get(int(order_id), []), key=lambda r: -int(r["id"]))
        return self._page(refunds, f"orders/{order_id}/refunds", params)

    def create_refund(self, order_id: str, body: dict[str, Any], **_: Any) -> Response:
        order = self._order(order_id)
        if order is None:
            return _error("woocommerce_rest_invalid_order_id", "Invalid order ID.", 404)
        try:
            amount = Decimal(str(body.get("amount") or "0"))
        except InvalidOperation:
            return _error("rest_invalid_param", "Invalid parameter(s): amount", 400)
        if amount < 0:
            return _error("woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.", 400)
        refunded = sum((Decimal(r["amount"]) for r in self.refunds.get(order["id"], [])), Decimal(0))
        remaining = Decimal(order["total"]) - refunded
        if amount > remaining:
            return _error("woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.", 500)
        api_refund = body.get("api_refund", True) is not False
        if api_refund and not self.gateway_refunds:
            return _error("woocommerce_rest_cannot_create_order_refund",
                          "The payment gateway for this order does not support automatic refunds.", 500)
        now = datetime.now(UTC)
        lines = {int(item["id"]): item for item in order.get("line_items") or []}
        refund_lines = []
        for wanted in body.get("line_items") or []:
            item = lines.get(int(wanted.get("id") or 0))
            if item is None:
                continue  # WooCommerce skips ids that are not items of this order
            quantity, total = int(wanted.get("quantity") or 0), Decimal(str(wanted.get("refund_total") or "0"))
            refund_lines.append({
                "id": self.new_id(), "name": item["name"], "product_id": item["product_id"],
                "variation_id": item["variation_id"], "quantity": -quantity, "tax_class": item["tax_class"],
                "subtotal": f"{-total:.2f}", "subtotal_tax": "0.00", "total": f"{-total:.2f}", "total_tax": "0.00",
                "taxes": [], "meta_data": [{"id": self.new_id(), "key": "_refunded_item_id",
                                            "value": str(item["id"]), "display_key": "_refunded_item_id",
                                            "display_value": str(item["id"])}],
                "sku": item.get("sku", ""), "price": -float(item.get("price") or 0), "refund_total": float(total)})
            if body.get("api_restock", True) is not False and quantity:
                self.restocked.append((order["id"], item["id"], quantity))
        refund = {"id": self.new_id(), "date_created": _wc_date(now, SITE_TZ), "date_created_gmt": _wc_date(now),
                  "amount": f"{amount:.2f}", "reason": str(body.get("reason") or ""), "refunded_by": 1,
                  "refunded_payment": api_refund, "meta_data": [], "line_items": refund_lines,
                  "shipping_lines": [], "tax_lines": [], "fee_lines": [],
                  "_links": {"self": [{"href": f"{self.url}/wp-json/wc/v3/orders/{order['id']}/refunds"}],
                             "up": [{"href": f"{self.url}/wp-json/wc/v3/orders/{order['id']}"}]}}
        self.refunds.setdefault(order["id"], []).append(refund)
        order["refunds"].append({"id": refund["id"], "reason": refund["reason"], "total": f"{-amount:.2f}"})
        if amount == remaining:
            order["status"] = "refunded"
        order.update(date_modified=_wc_date(now, SITE_TZ), date_modified_gmt=_wc_date(now))
        return _json(refund, 201)

    @staticmethod
    def _search_index(order: dict[str, Any]) -> str:
        parts = [str(v) for kind in ("billing", "shipping") for v in (order.get(kind) or {}).values()]
        parts += [str(item.get("name") or "") for item in order.get("line_items") or []]
        return " ".join(parts).lower()

    def create_order(self, body: dict[str, Any], **_: Any) -> Response:
        """POST /orders as WC_REST_Orders_V2_Controller: posted totals win over catalogue prices; set_paid pays it."""
        status = str(body.get("status") or "pending")
        if status not in ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"):
            return _error("rest_invalid_param", "Invalid parameter(s): status", 400)
        now = datetime.now(UTC)
        order_id = self.new_id()
        items: list[dict[str, Any]] = []
        for posted in body.get("line_items") or []:
            if not posted.get("product_id") and not posted.get("variation_id") and not posted.get("sku"):
                return _error("woocommerce_rest_required_product_reference", "Product ID or SKU is required.", 400)
            ref = int(posted.get("variation_id") or posted.get("product_id"))
            product = self.variations.get(ref) or self.products.get(ref)
            quantity = int(posted.get("quantity") or 1)
            price = Decimal(str(product.get("price") or "0")) if product else Decimal(0)
            total = Decimal(str(posted.get("total", price * quantity)))
            subtotal = Decimal(str(posted.get("subtotal", price * quantity)))
            items.append({"id": self.new_id(), "name": product["name"] if product else "",
                          "product_id": int(product.get("parent_id") or product["id"]) if product else 0,
                          "variation_id": int(product["id"]) if product and product.get("parent_id") else 0,
                          "quantity": quantity, "tax_class": "", "subtotal": f"{subtotal:.2f}", "subtotal_tax": "0.00",
                          "total": f"{total:.2f}", "total_tax": "0.00", "taxes": [], "meta_data": [],
                          "sku": product.get("sku", "") if product else "", "price": float(total / quantity),
                          "parent_name": None})
        total = sum((Decimal(i["total"]) for i in items), Decimal(0))
        order = copy.deepcopy(ORDER_TEMPLATE)
        order.update(
            id=order_id, number=str(order_id), status=status, created_via="rest-api",
            currency=body.get("currency") or self.currency, customer_id=int(body.get("customer_id") or 0),
            customer_note=str(body.get("customer_note") or ""),
            billing={**{k: "" for k in order["billing"]}, **(body.get("billing") or {})},
            shipping={**{k: "" for k in order["shipping"]}, **(body.get("shipping") or {})},
            line_items=items, shipping_lines=[], tax_lines=[], fee_lines=[], coupon_lines=[], refunds=[],
            meta_data=[{"id": self.new_id(), "key": m["key"], "value": m["value"]}
                       for m in body.get("meta_data") or []],
            total=f"{total:.2f}", total_tax="0.00", cart_tax="0.00", shipping_total="0.00", shipping_tax="0.00",
            discount_total="0.00", discount_tax="0.00", payment_method="", payment_method_title="", transaction_id="",
            order_key=f"wc_order_{secrets.token_hex(6)}", date_created=_wc_date(now, SITE_TZ),
            date_created_gmt=_wc_date(now), date_modified=_wc_date(now, SITE_TZ), date_modified_gmt=_wc_date(now),
            date_paid=None, date_paid_gmt=None, date_completed=None, date_completed_gmt=None)
        if body.get("set_paid") is True:
            order.update(date_paid=_wc_date(now, SITE_TZ), date_paid_gmt=_wc_date(now))
            if status == "pending":
                order["status"] = "processing"
        self.orders[order_id] = order
        return _json(order, 201)

    # -- products and coupons ---------------------------------------------------------------------------

    def list_products(self, params: dict[str, str], **_: Any) -> Response:
        products = sorted(self.products.values(), key=lambda p: -int(p["id"]))
        if params.get("include"):
            wanted = {int(i) for i in params["include"].split(",") if i.strip().isdigit()}
            products = [p for p in products if int(p["id"]) in wanted]  # variations are not in this list
        return self._page(products, "products", params)

    def get_product(self, product_id: str, **_: Any) -> Response:
        """A product, or a variation in the product controller's shape (type "variation", parent_id)."""
        product = self.products.get(int(product_id))
        if product is not None:
            return _json(product)
        variation = self.variations.get(int(product_id))
        if variation is None:
            return _error("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        return _json({**variation, "type": "variation"})

    def list_variations(self, product_id: str, params: dict[str, str], **_: Any) -> Response:
        product = self.products.get(int(product_id))
        if product is None:
            return _error("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        found = [self.variations[int(v)] for v in product.get("variations") or []]
        return self._page(found, f"products/{product_id}/variations", params)

    def current_currency(self, **_: Any) -> Response:
        return _json({"code": self.currency, "name": "Euro", "symbol": "&euro;"})

    def list_coupons(self, params: dict[str, str], **_: Any) -> Response:
        coupons = sorted(self.coupons.values(), key=lambda c: -int(c["id"]))
        if params.get("code"):  # wc_get_coupon_id_by_code: one published coupon with that code
            coupons = [c for c in coupons if c["code"] == params["code"].strip().lower()][:1]
        return self._page(coupons, "coupons", params)

    def create_coupon(self, body: dict[str, Any], **_: Any) -> Response:
        if not body.get("code"):
            return _error("rest_missing_callback_param", "Missing parameter(s): code", 400, params=["code"])
        code = str(body["code"]).strip().lower()  # wc_format_coupon_code
        if any(c["code"] == code for c in self.coupons.values()):
            return _error("woocommerce_rest_coupon_code_already_exists", "The coupon code already exists", 400)
        kind = body.get("discount_type", "fixed_cart")
        if kind not in ("percent", "fixed_cart", "fixed_product"):
            return _error("rest_invalid_param", "Invalid parameter(s): discount_type", 400)
        emails = [str(e) for e in body.get("email_restrictions") or []]
        if any(not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", e) for e in emails):
            return _error("coupon_invalid_email_address", "Invalid email address restriction", 400)
        now = datetime.now(UTC)
        coupon = {"id": self.new_id(), "code": code, "amount": f"{Decimal(str(body.get('amount') or '0')):.2f}",
                  "status": "publish", "date_created": _wc_date(now, SITE_TZ), "date_created_gmt": _wc_date(now),
                  "discount_type": kind, "description": str(body.get("description") or ""), "date_expires": None,
                  "usage_count": 0, "individual_use": bool(body.get("individual_use", False)), "product_ids": [],
                  "usage_limit": body.get("usage_limit"), "usage_limit_per_user": body.get("usage_limit_per_user"),
                  "free_shipping": bool(body.get("free_shipping", False)), "email_restrictions": emails,
                  "used_by": [], "meta_data": []}
        self.coupons[coupon["id"]] = coupon
        return _json(coupon, 201)

    # -- webhooks ---------------------------------------------------------------------------------------

    def _new_webhook(self, name: str, topic: str, delivery_url: str, secret: str, status: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        hook: dict[str, Any] = {
            "id": self.new_id(), "name": name, "status": status, "topic": topic, "delivery_url": delivery_url,
            "secret": secret, "api_version": "wp_api_v3", "failure_count": 0, "user_id": 1,
            "date_created": now, "date_modified": now}
        self.webhooks[hook["id"]] = hook
        return hook

    def _webhook_view(self, hook: dict[str, Any]) -> dict[str, Any]:
        """What the v3 controller returns: no secret and no api_version, whatever the schema says."""
        resource, _, event = hook["topic"].partition(".")
        return {"id": hook["id"], "name": hook["name"], "status": hook["status"], "topic": hook["topic"],
                "resource": resource, "event": event, "hooks": TOPIC_HOOKS.get(hook["topic"], []),
                "delivery_url": hook["delivery_url"],
                "date_created": _wc_date(hook["date_created"], SITE_TZ),
                "date_created_gmt": _wc_date(hook["date_created"]),
                "date_modified": _wc_date(hook["date_modified"], SITE_TZ),
                "date_modified_gmt": _wc_date(hook["date_modified"]),
                "_links": {"self": [{"href": f"{self.url}/wp-json/wc/v3/webhooks/{hook['id']}"}],
                           "collection": [{"href": f"{self.url}/wp-json/wc/v3/webhooks"}]}}

    @staticmethod
    def _valid_topic(topic: str) -> bool:
        resource, _, event = topic.lower().partition(".")
        if resource == "action":
            return bool(event)
        return resource in ("coupon", "customer", "order", "product") and event in (
            "created", "updated", "deleted", "restored")

    def list_webhooks(self, params: dict[str, str], **_: Any) -> Response:
        status = params.get("status", "all")
        hooks = [h for h in self.webhooks.values() if status == "all" or h["status"] == status]
        hooks.sort(key=lambda h: int(h["id"]), reverse=params.get("order", "desc") == "desc")
        return self._page([self._webhook_view(h) for h in hooks], "webhooks", params)

    def create_webhook(self, body: dict[str, Any], **_: Any) -> Response:
        missing = [p for p in ("topic", "delivery_url") if p not in body]
        if missing:
            return _error("rest_missing_callback_param", f"Missing parameter(s): {', '.join(missing)}", 400,
                          params=missing)
        if not self._valid_topic(str(body["topic"])):
            return _error("woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is required and must be valid.",
                          400)
        if not re.match(r"^https?://[^/\s]+", str(body["delivery_url"])):
            return _error("woocommerce_rest_shop_webhook_invalid_delivery_url",
                          "Webhook delivery URL must be a valid URL starting with http:// or https://.", 400)
        status = body.get("status", "active")
        if status not in ("active", "paused", "disabled"):
            return _error("rest_invalid_param", "Invalid parameter(s): status", 400)
        name = body.get("name") or f"Webhook created on {datetime.now(SITE_TZ):%b %d, %Y @ %I:%M %p}"
        hook = self._new_webhook(name, str(body["topic"]).lower(), str(body["delivery_url"]),
                                 str(body.get("secret") or secrets.token_urlsafe(37)), status)
        self._ping(hook)
        headers = {"Location": f"{self.url}/wp-json/wc/v3/webhooks/{hook['id']}"}
        return _json(self._webhook_view(hook), 201, headers)

    def _ping(self, hook: dict[str, Any]) -> None:
        """WooCommerce pings a new webhook's delivery URL with an unsigned form body; it ignores the answer."""
        ping: dict[str, Any] = {"url": hook["delivery_url"], "body": f"webhook_id={hook['id']}", "status": None}
        self.pings.append(ping)
        if self.deliver_pings:
            try:
                resp = requests.post(hook["delivery_url"], data=ping["body"], timeout=10, headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)"})
                ping["status"] = resp.status_code
            except requests.RequestException as exc:
                ping["status"] = repr(exc)

    def get_webhook(self, webhook_id: str, **_: Any) -> Response:
        hook = self.webhooks.get(int(webhook_id))
        if hook is None:
            return _error("woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.", 404)
        return _json(self._webhook_view(hook))

    def update_webhook(self, webhook_id: str, body: dict[str, Any], **_: Any) -> Response:
        hook = self.webhooks.get(int(webhook_id))
        if hook is None:
            return _error("woocommerce_rest_shop_webhook_invalid_id", "ID is invalid.", 400)
        if body.get("topic"):
            if not self._valid_topic(str(body["topic"])):
                return _error("woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic must be valid.", 400)
            hook["topic"] = str(body["topic"]).lower()
        if body.get("delivery_url"):
            hook["delivery_url"] = str(body["delivery_url"])
        if body.get("secret"):
            hook["secret"] = str(body["secret"])
        if body.get("status"):
            if body["status"] not in ("active", "paused", "disabled"):
                return _error("woocommerce_rest_shop_webhook_invalid_status", "Webhook status must be valid.", 400)
            if body["status"] == "active":
                hook["failure_count"] = 0
            hook["status"] = body["status"]
        if body.get("name"):
            hook["name"] = str(body["name"])
        hook["date_modified"] = datetime.now(UTC)
        return _json(self._webhook_view(hook))

    def delete_webhook(self, webhook_id: str, params: dict[str, str], **_: Any) -> Response:
        if params.get("force", "false").lower() not in ("1", "true"):
            return _error("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
        hook = self.webhooks.pop(int(webhook_id), None)
        if hook is None:
            return _error("woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.", 404)
        return _json(self._webhook_view(hook))

    def fail_deliveries(self, webhook_id: int, failures: int = 5) -> None:
        """Deliveries that failed in a row; at 5 WooCommerce disables the webhook."""
        hook = self.webhooks[webhook_id]
        hook["failure_count"] += failures
        if hook["failure_count"] >= 5:
            hook["status"] = "disabled"

    # -- shipment tracking plugins ----------------------------------------------------------------------

    def list_fulfillments(self, order_id: str, **_: Any) -> Response:
        if self._order(order_id) is None:
            return _error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
        return _json(self.fulfillments.get(int(order_id), []))

    def list_trackings(self, order_id: str, **_: Any) -> Response:
        if self._order(order_id) is None:
            return _error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
        return _json([{k: v for k, v in t.items() if k != "namespace"} for t in self.trackings.get(int(order_id), [])])

    def create_tracking(self, order_id: str, body: dict[str, Any], namespace: str, **_: Any) -> Response:
        if not body.get("tracking_number"):
            return _error("rest_missing_callback_param", "Missing parameter(s): tracking_number", 400,
                          params=["tracking_number"])
        if self._order(order_id) is None:
            return _error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
        number = str(body["tracking_number"])
        if namespace == "wc-ast/v3" and re.search(r"[^a-z0-9\- ]", number, re.IGNORECASE):
            return _error("woocommerce_rest_order_invalid_id", "Special character not allowd in tracking number", 404)
        custom = str(body.get("custom_tracking_provider") or "")
        slug = re.sub(r"[^a-z0-9]+", "-", (custom or str(body.get("tracking_provider") or "")).lower()).strip("-")
        known = KNOWN_PROVIDERS.get(slug)
        link = str(body.get("custom_tracking_link") or "") or (known[1].format(number) if known else "")
        shipped = str(body.get("date_shipped") or datetime.now(UTC).date().isoformat())[:10]
        tracking_id = hashlib.md5(f"{number}{slug}{self.new_id()}".encode(), usedforsecurity=False).hexdigest()
        order = self.orders[int(order_id)]
        items = self.trackings.setdefault(order["id"], [])
        if namespace == "wc-ast/v3" and str(body.get("replace_tracking", "0")) == "1":
            items.clear()
        if namespace == "wc-ast/v3" and str(body.get("status_shipped", "0")) in ("1", "2"):
            order["status"] = "completed" if str(body["status_shipped"]) == "1" else "partial-shipped"
        item = {"tracking_id": tracking_id, "tracking_provider": custom or (known[0] if known else slug),
                "tracking_link": link, "tracking_number": number, "date_shipped": shipped,
                "_links": {"self": [{"href": f"{self.url}/wp-json/{namespace}/orders/{order_id}/shipment-trackings/"
                                             f"{tracking_id}"}]}}
        items.append(item)
        return _json(item, 201)

    # -- key authorisation (WC_Auth) --------------------------------------------------------------------

    def wc_auth(self, req: Request) -> Response:
        """The merchant logs in and clicks Approve (or Deny, with approve=False) on /wc-auth/v1/authorize."""
        data = self._php_get(req)
        for param in ("app_name", "user_id", "return_url", "callback_url", "scope"):
            if not data.get(param):
                return _wp_die(f"Error: Missing parameter {param}.", 401)
        if data["scope"] not in ("read", "write", "read_write"):
            return _wp_die(f"Error: Invalid scope {data['scope']}.", 401)
        return_url, callback_url = (self._formatted_url(data["return_url"]), self._formatted_url(data["callback_url"]))
        if self.require_https_callback and not callback_url.lower().startswith("https://"):
            return _wp_die("Error: The callback_url needs to be over SSL.", 401)
        if not self.approve:
            return Response("", 302, headers={"Location": _add_query(return_url, success=0, user_id=data["user_id"])})
        key_id = max((k["key_id"] for k in self.keys.values()), default=0) + 1
        consumer_key, consumer_secret = f"ck_{secrets.token_hex(20)}", f"cs_{secrets.token_hex(20)}"
        self.keys[consumer_key] = {"key_id": key_id, "secret": consumer_secret, "permissions": data["scope"],
                                   "user_id": 1, "app_name": data["app_name"]}
        payload = {"key_id": key_id, "user_id": data["user_id"], "consumer_key": consumer_key,
                   "consumer_secret": consumer_secret, "key_permissions": data["scope"]}
        record: dict[str, Any] = {"url": callback_url, "payload": payload, "status": None}
        self.callbacks.append(record)
        try:
            resp = requests.post(callback_url, data=json.dumps(payload), timeout=60,
                                 headers={"Content-Type": "application/json;charset=UTF-8"})
            record["status"] = resp.status_code
        except requests.RequestException as exc:
            record["status"] = repr(exc)
        if record["status"] != 200:
            del self.keys[consumer_key]  # WooCommerce deletes the key it could not hand over
            return _wp_die("Error: An error occurred in the request and at the time were unable to send the "
                           "consumer data.", 401)
        return Response("", 302, headers={"Location": _add_query(return_url, success=1, user_id=data["user_id"])})

    @staticmethod
    def _formatted_url(url: str) -> str:
        url = unquote(url)
        return url if "://" in url else f"https://{url}"


def wc_product(product_id: int, name: str, *, kind: str = "simple", price: str = "", sku: str = "",
               tags: tuple[str, ...] = (), categories: tuple[str, ...] = (), stock_status: str = "instock",
               purchasable: bool = True) -> dict[str, Any]:
    """A product as GET /wc/v3/products returns it (the fields Postventa reads, and a few around them)."""
    def terms(slugs: tuple[str, ...]) -> list[dict[str, Any]]:
        return [{"id": 30 + n, "name": slug.replace("-", " ").capitalize(), "slug": slug}
                for n, slug in enumerate(slugs)]

    return {"id": product_id, "name": name, "slug": name.lower().replace(" ", "-"), "type": kind, "status": "publish",
            "sku": sku, "price": price, "regular_price": price, "sale_price": "", "purchasable": purchasable,
            "stock_status": stock_status, "manage_stock": False, "stock_quantity": None, "parent_id": 0,
            "categories": terms(categories), "tags": terms(tags), "variations": [], "attributes": []}


def wc_variation(variation_id: int, parent_id: int, name: str, options: dict[str, str], *, price: str, sku: str = "",
                 stock_status: str = "instock", purchasable: bool = True) -> dict[str, Any]:
    """A variation as GET /wc/v3/products/<id>/variations returns it."""
    return {"id": variation_id, "parent_id": parent_id, "name": name, "sku": sku, "price": price,
            "regular_price": price, "sale_price": "", "status": "publish", "purchasable": purchasable,
            "stock_status": stock_status, "manage_stock": False, "stock_quantity": None,
            "attributes": [{"id": n + 1, "name": attr, "option": option}
                           for n, (attr, option) in enumerate(options.items())]}


def _add_query(url: str, **params: Any) -> str:
    """WordPress's add_query_arg: set these parameters, keep the others."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items()})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


@pytest.fixture
def fake_woocommerce() -> Iterator[FakeWooCommerce]:
    """A fake store on loopback; build clients with allow_private=True, allow_http=True against fake.url."""
    fake = FakeWooCommerce()
    server = make_server("127.0.0.1", 0, fake)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
