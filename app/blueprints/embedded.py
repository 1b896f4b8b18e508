"""The admin inside Shopify admin: authenticated by App Bridge session tokens, no cookies needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import select

from app.api_spec import SPEC
from app.extensions import db
from app.models import Order, Shipment, Shop
from app.queue import RETRY, queue
from app.services import carrier_choice, faq, installs
from app.services.orders import apply_tracking_event
from app.services.status import shop_status
from connectors.base import TrackingEventChange
from connectors.carriers import carrier
from connectors.model import ShipmentStatus, TrackingEvent
from connectors.shopify.oauth import OAuthError
from connectors.shopify.session_token import SessionToken, verify_session_token

bp = Blueprint("embedded", __name__)


def session_from(token: str) -> SessionToken:
    cfg = current_app.config
    return verify_session_token(token, cfg["SHOPIFY_API_KEY"], cfg["SHOPIFY_API_SECRET"])


def embedded_home(id_token: str) -> tuple[str, int, dict[str, str]]:
    """App home inside Shopify admin: install through token exchange if needed, then show the status."""
    try:
        session = session_from(id_token)
        shop, fresh = installs.install_from_session(id_token, session.shop)
    except OAuthError as exc:
        return render_template("error.html", code=401, message=f"Shopify session refused: {exc}."), 401, {}
    if fresh:
        queue().enqueue("jobs.shopify.after_install", shop.id, retry=RETRY, description=f"install {shop.domain}")
    headers = {"Content-Security-Policy": f"frame-ancestors https://{shop.domain} https://admin.shopify.com;"}
    html = render_template("embedded_home.html", status=shop_status(shop),
                           api_key=current_app.config["SHOPIFY_API_KEY"])
    return html, 200, headers


def _api_shop() -> Shop | tuple[Response, int]:
    """The shop an API call is for, from `Authorization: Bearer <session token>`, or the error to answer."""
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return jsonify(error="missing Authorization: Bearer <session token>"), 401
    try:
        session = session_from(auth.removeprefix("Bearer ").strip())
    except OAuthError as exc:
        return jsonify(error=str(exc)), 401
    shop = db.session.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == session.shop))
    if shop is None:
        return jsonify(error="shop is not installed; open the app from Shopify admin"), 404
    return shop


def _api_shipment(shipment_id: int) -> Shipment | tuple[Response, int]:
    """One of the calling shop's shipments, or the error to answer (another shop's is a 404)."""
    shop = _api_shop()
    if not isinstance(shop, Shop):
        return shop
    shipment = db.session.scalar(select(Shipment).join(Order).where(Shipment.id == shipment_id,
                                                                    Order.shop_id == shop.id))
    if shipment is None:
        return jsonify(error="no such shipment in this shop"), 404
    return shipment


@bp.get("/api/v1/openapi.json")
def api_spec() -> tuple[Response, int]:
    return jsonify(SPEC), 200


@bp.get("/api/v1/shop")
def api_shop() -> tuple[Response, int]:
    """The shop's status for the embedded admin."""
    shop = _api_shop()
    if not isinstance(shop, Shop):
        return shop
    return jsonify(shop_status(shop)), 200


@bp.put("/api/v1/settings/carrier-priority")
def api_carrier_priority() -> tuple[Response, int]:
    """The carriers the store ships with, most used first: they win when a number fits several."""
    shop = _api_shop()
    if not isinstance(shop, Shop):
        return shop
    body = request.get_json(silent=True)
    codes = body.get("carriers") if isinstance(body, dict) else None
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes) or len(codes) > 50:
        return jsonify(error='expected {"carriers": ["code", ...]} (at most 50)'), 400
    unknown = [c for c in codes if carrier(c) is None]
    if unknown:
        return jsonify(error=f"unknown carrier codes: {', '.join(unknown[:10])}"), 400
    shop.settings = {**(shop.settings or {}), "carrier_priority": [c.strip().lower() for c in codes]}
    db.session.commit()
    return jsonify(carriers=shop.settings["carrier_priority"]), 200


@bp.put("/api/v1/settings/faq")
def api_faq() -> tuple[Response, int]:
    """The questions and answers shown on the tracking page, per language (an empty list restores ours)."""
    shop = _api_shop()
    if not isinstance(shop, Shop):
        return shop
    try:
        entries = faq.validate(request.get_json(silent=True))
    except faq.FaqError as exc:
        return jsonify(error=str(exc)), 400
    shop.settings = {**(shop.settings or {}), "faq": {**((shop.settings or {}).get("faq") or {}), **entries}}
    db.session.commit()
    return jsonify(faq=shop.settings["faq"]), 200


@bp.post("/api/v1/shipments/<int:shipment_id>/events")
def api_shipment_event(shipment_id: int) -> tuple[Response, int]:
    """The merchant's own news of a parcel (a call from the carrier, a delivery confirmed by phone)."""
    shipment = _api_shipment(shipment_id)
    if not isinstance(shipment, Shipment):
        return shipment
    body = request.get_json(silent=True)
    try:
        event = merchant_event(body)
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    apply_tracking_event(shipment.order, TrackingEventChange(shipment.order.external_id, shipment.external_id,
                                                             event))
    db.session.commit()
    return jsonify(id=shipment.id, status=shipment.status), 200


def merchant_event(body: object) -> TrackingEvent:
    """{"status": one of the nine tags, "message"?, "location"?, "occurred_at"? (ISO 8601, default now)}."""
    if not isinstance(body, dict):
        raise ValueError('expected {"status": "...", "message": "...", "location": "...", "occurred_at": "..."}')
    try:
        status = ShipmentStatus(str(body.get("status")))
    except ValueError:
        raise ValueError(f"status must be one of: {', '.join(s.value for s in ShipmentStatus)}") from None
    when = datetime.now(UTC)
    if body.get("occurred_at") is not None:
        try:
            when = datetime.fromisoformat(str(body["occurred_at"]))
        except ValueError:
            raise ValueError("occurred_at must be an ISO 8601 date and time") from None
        if when.tzinfo is None:
            raise ValueError("occurred_at needs a time zone offset (e.g. 2026-11-23T10:00:00+01:00)")
        if when > datetime.now(UTC) + timedelta(minutes=5):
            raise ValueError("occurred_at is in the future")
    message, location = body.get("message"), body.get("location")
    for name, value, limit in (("message", message, 500), ("location", location, 255)):
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise ValueError(f"{name} must be text of at most {limit} characters")
    return TrackingEvent(status=status, occurred_at=when.astimezone(UTC), message=message or None,
                         location=location or None, raw_status="merchant")


@bp.put("/api/v1/shipments/<int:shipment_id>/carrier")
def api_shipment_carrier(shipment_id: int) -> tuple[Response, int]:
    """The merchant corrects a shipment's carrier; the tracking link follows."""
    shipment = _api_shipment(shipment_id)
    if not isinstance(shipment, Shipment):
        return shipment
    body = request.get_json(silent=True)
    code = body.get("carrier") if isinstance(body, dict) else None
    if not isinstance(code, str):
        return jsonify(error='expected {"carrier": "code"}'), 400
    try:
        carrier_choice.override(shipment, code)
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    db.session.commit()
    return jsonify(id=shipment.id, carrier=shipment.carrier, carrier_code=shipment.carrier_code,
                   tracking_url=shipment.tracking_url), 200
