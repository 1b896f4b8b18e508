"""The merchant's returns queue in the embedded admin API: list, decide, receive, close, retry, settings."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.blueprints.embedded import _api_shop
from app.extensions import db
from app.models import Return, ReturnPhoto, Shop
from app.services import return_policy, return_workflow
from app.services.return_summary import describe
from app.services.return_workflow import WorkflowError

bp = Blueprint("returns_api", __name__, url_prefix="/api/v1")

MAX_NOTE = 2000


def _shop_return(return_id: int) -> Return | tuple[Response, int]:
    """One of the calling shop's returns, or the error to answer (another shop's is a 404)."""
    shop = _api_shop()
    if not isinstance(shop, Shop):
        return shop
    ret = db.session.scalar(select(Return).where(Return.id == return_id, Return.shop_id == shop.id))
    if ret is None:
        return jsonify(error="no such return in this shop"), 404
    return ret


def _note(required: bool) -> str | None:
    body = request.get_json(silent=True)
    note = body.get("note") if isinstance(body, dict) else None
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise WorkflowError(f'"note": text of at most {MAX_NOTE} characters')
    if required and not (note or "").strip():
        raise WorkflowError('a "note" for the shopper is required to decline a return')
    return note.strip() if isinstance(note, str) and note.strip() else None


@bp.get("/returns")
def list_returns() -> tuple[Response, int]:
    """Newest first; `?status=requested` gives the queue waiting for a decision."""
    shop = _api_shop()
    if not isinstance(shop, Shop):
        return shop
    status = request.args.get("status")
    if status is not None and status not in return_workflow.STATUSES:
        return jsonify(error=f"status: one of {', '.join(return_workflow.STATUSES)}"), 400
    query = select(Return).where(Return.shop_id == shop.id).order_by(Return.id.desc()).limit(200)
    if status:
        query = query.where(Return.status == status)
    return jsonify(returns=[describe(r) for r in db.session.scalars(query)]), 200


@bp.get("/returns/<int:return_id>")
def get_return(return_id: int) -> tuple[Response, int]:
    ret = _shop_return(return_id)
    if not isinstance(ret, Return):
        return ret
    return jsonify(describe(ret)), 200


@bp.post("/returns/<int:return_id>/<action>")
def act(return_id: int, action: str) -> tuple[Response, int]:
    """approve | reject | receive | close | retry: each checked against where the return stands."""
    ret = _shop_return(return_id)
    if not isinstance(ret, Return):
        return ret
    try:
        if action == "approve":
            return_workflow.approve(ret, _note(False))
        elif action == "reject":
            return_workflow.reject(ret, _note(True) or "")
        elif action == "receive":
            return_workflow.mark_received(ret, _note(False))
        elif action == "close":
            return_workflow.close(ret)
        elif action == "retry":
            return_workflow.retry(ret)
        else:
            return jsonify(error="action: approve, reject, receive, close or retry"), 404
    except WorkflowError as exc:
        db.session.rollback()
        return jsonify(error=str(exc)), 409
    db.session.commit()
    return jsonify(describe(ret)), 200


@bp.get("/returns/<int:return_id>/photos/<int:photo_id>")
def photo(return_id: int, photo_id: int) -> Response | tuple[Response, int]:
    ret = _shop_return(return_id)
    if not isinstance(ret, Return):
        return ret
    picture = db.session.scalar(select(ReturnPhoto).where(ReturnPhoto.id == photo_id,
                                                          ReturnPhoto.return_id == return_id))
    if picture is None:
        return jsonify(error="no such photo on this return"), 404
    return Response(picture.data, 200, {"Cache-Control": "private, max-age=3600"}, mimetype=picture.content_type)


@bp.put("/settings/returns")
def settings() -> tuple[Response, int]:
    """The store's return rules (window, non-returnable products, reasons, auto-approval, policy text, address)."""
    shop = _api_shop()
    if not isinstance(shop, Shop):
        return shop
    try:
        rules = return_policy.validate(request.get_json(silent=True))
    except return_policy.PolicyError as exc:
        return jsonify(error=str(exc)), 400
    shop.settings = {**(shop.settings or {}), "returns": rules}
    db.session.commit()
    return jsonify(returns=rules), 200
