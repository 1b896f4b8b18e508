"""Liveness and metrics for the operator."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from redis.exceptions import RedisError
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import Message, Shipment, WebhookEvent
from app.queue import queue, redis_connection

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        redis_connection().ping()
        checks["redis"] = "ok"
    except (RedisError, OSError) as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if healthy else "degraded", checks=checks), 200 if healthy else 503


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format, read from SQL so every process reports the same truth."""
    lines = [
        "# HELP postventa_webhook_events Stored webhook events by status.",
        "# TYPE postventa_webhook_events gauge",
    ]
    for status, count in db.session.execute(
        select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)
    ):
        lines.append(f'postventa_webhook_events{{status="{status}"}} {count}')
    lines += ["# HELP postventa_messages Outbox messages by status.", "# TYPE postventa_messages gauge"]
    for status, count in db.session.execute(select(Message.status, func.count()).group_by(Message.status)):
        lines.append(f'postventa_messages{{status="{status}"}} {count}')
    lines += ["# HELP postventa_shipments_delayed Shipments on their way flagged late, stuck or exception.",
              "# TYPE postventa_shipments_delayed gauge"]
    for reason, count in db.session.execute(
        select(Shipment.delay_reason, func.count()).where(Shipment.delay_reason.is_not(None),
                                                          Shipment.status.not_in(("delivered", "expired")))
        .group_by(Shipment.delay_reason)):
        lines.append(f'postventa_shipments_delayed{{reason="{reason}"}} {count}')
    lines += ["# HELP postventa_queue_length Jobs waiting in the RQ queue.", "# TYPE postventa_queue_length gauge"]
    try:
        lines.append(f"postventa_queue_length {queue().count}")
    except (RedisError, OSError):
        lines.append("postventa_queue_length NaN")
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")
