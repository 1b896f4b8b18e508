"""The development admin: the local email outbox (production admin arrives with the install flow)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from app.extensions import db
from app.models import LocalMail

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _development_only() -> None:
    """Emails hold shoppers' data: shown only when the operator turned the dev admin on."""
    if not current_app.config["DEV_ADMIN"]:
        abort(404)


@bp.get("/outbox")
def outbox() -> str:
    mails = db.session.scalars(select(LocalMail).order_by(LocalMail.id.desc()).limit(200)).all()
    return render_template("admin/outbox.html", mails=mails, smtp=bool(current_app.config["MAIL_URL"]))


@bp.get("/outbox/<int:mail_id>")
def outbox_mail(mail_id: int) -> str:
    mail = db.session.get(LocalMail, mail_id)
    if mail is None:
        abort(404, description="No such email in the local outbox.")
    return render_template("admin/mail.html", mail=mail)
