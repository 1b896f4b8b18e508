"""A return as the merchant sees it (API and CLI alike), including any platform or provider error to act on."""

from __future__ import annotations

from typing import Any

from app.models import Return


def describe(ret: Return) -> dict[str, Any]:
    """A return as the merchant sees it, including any platform or provider error to act on."""
    return {
        "id": ret.id, "rma": ret.rma, "order_id": ret.order_id, "order_number": ret.order.number,
        "status": ret.status, "source": ret.source, "platform_status": ret.platform_status,
        "platform_return_id": ret.external_id, "outcome": ret.outcome, "reason": ret.reason, "comment": ret.comment,
        "lines": ret.lines, "exchange_lines": ret.exchange_lines, "auto_approved": ret.auto_approved,
        "value": str(ret.value_amount) if ret.value_amount is not None else None, "currency": ret.currency,
        "decision_note": ret.decision_note, "photos": [p.id for p in ret.photos],
        "label": {"state": ret.label_state, "provider": ret.label_provider, "error": ret.label_error,
                  "tracking_number": ret.shipment.tracking_number if ret.shipment else None,
                  "has_pdf": ret.label_pdf is not None, "url": ret.label_url},
        "resolution": {"state": ret.resolution_state, "error": ret.resolution_error, "reference": ret.resolution_ref,
                       "code": ret.resolution_code,
                       "amount": str(ret.resolution_amount) if ret.resolution_amount is not None else None},
        "platform_sync": {"state": ret.sync_state, "error": ret.sync_error},
        "timeline": [{"status": e.status, "note": e.note, "at": e.occurred_at.isoformat()} for e in ret.events],
        "created_at": ret.created_at.isoformat(),
    }
