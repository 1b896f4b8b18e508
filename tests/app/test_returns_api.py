"""The merchant's returns queue through the embedded API, and returns made in Shopify's admin showing up here."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.models import Message, Return
from tests.app.test_embedded import session_token
from tests.app.test_returns_portal import open_form, shipped, submit  # noqa: F401 - shipped is a shared fixture
from tests.conftest import drain, load_fixture

DOMAIN = "tienda-test.myshopify.com"


@pytest.fixture
def auth(app: Any) -> dict[str, str]:
    app.config["SHOPIFY_API_KEY"] = "test-key"
    yield {"Authorization": f"Bearer {session_token(app, shop=DOMAIN)}"}
    app.config["SHOPIFY_API_KEY"] = ""


@pytest.fixture
def waiting(db: Any, shipped: Any, client: Any) -> Return:  # noqa: F811 - the shared fixture
    """A return over the auto-approval limit: it waits for the merchant."""
    shipped(auto_approve_max="10.00")
    assert submit(client, open_form(client).headers["Location"], reason="too_small").status_code == 302
    ret: Return = db.session.scalar(select(Return))
    assert ret.status == "requested"
    return ret


def test_the_queue_lists_what_waits_and_refuses_a_bad_filter(client: Any, auth: dict[str, str],
                                                             waiting: Return) -> None:
    listed = client.get("/api/v1/returns?status=requested", headers=auth).get_json()["returns"]
    assert [r["rma"] for r in listed] == ["RMA-1001-1"] and listed[0]["value"] == "29.9500"
    assert client.get("/api/v1/returns?status=nope", headers=auth).status_code == 400
    assert client.get("/api/v1/returns").status_code == 401


def test_decline_needs_a_note_and_tells_the_shopper(db: Any, client: Any, auth: dict[str, str],
                                                    waiting: Return) -> None:
    resp = client.post(f"/api/v1/returns/{waiting.id}/reject", headers=auth, json={})
    assert resp.status_code == 409 and "note" in resp.get_json()["error"]
    resp = client.post(f"/api/v1/returns/{waiting.id}/reject", headers=auth, json={"note": "Worn items"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "rejected"
    again = client.post(f"/api/v1/returns/{waiting.id}/approve", headers=auth)
    assert again.status_code == 409  # a declined return stays declined
    kinds = set(db.session.scalars(select(Message.kind).where(Message.return_id == waiting.id)))
    assert kinds == {"return_requested", "return_rejected"}


def test_approve_then_receive_then_close_without_a_connection_shows_the_error(app: Any, db: Any, client: Any,
                                                                               auth: dict[str, str],
                                                                               waiting: Return) -> None:
    assert client.post(f"/api/v1/returns/{waiting.id}/close", headers=auth).status_code == 409  # not approved
    assert client.post(f"/api/v1/returns/{waiting.id}/approve", headers=auth).status_code == 200
    drain(app)
    db.session.expire_all()  # the worker wrote from another process; this test shares one session with requests
    body = client.get(f"/api/v1/returns/{waiting.id}", headers=auth).get_json()
    assert body["status"] == "label_issued" and body["label"]["has_pdf"], (body["label"], body["platform_sync"])
    assert body["platform_sync"]["state"] == "skipped"  # this test shop has no token: nothing to write to
    assert client.post(f"/api/v1/returns/{waiting.id}/receive", headers=auth).get_json()["status"] == "received"
    assert client.post(f"/api/v1/returns/{waiting.id}/close", headers=auth).status_code == 200
    drain(app)
    db.session.expire_all()  # the worker wrote from another process; this test shares one session with requests
    body = client.get(f"/api/v1/returns/{waiting.id}", headers=auth).get_json()
    assert body["resolution"]["state"] == "failed" and "not connected" in body["resolution"]["error"]
    assert body["status"] == "received"  # nothing was refunded, so nothing says it was
    assert client.post(f"/api/v1/returns/{waiting.id}/explode", headers=auth).status_code == 404


def test_another_shops_return_is_not_found(app: Any, client: Any, waiting: Return) -> None:
    app.config["SHOPIFY_API_KEY"] = "test-key"
    try:
        from app.services.shops import create_shop

        create_shop("shopify", "otra-tienda.myshopify.com", "Otra")
        other = {"Authorization": f"Bearer {session_token(app, shop='otra-tienda.myshopify.com')}"}
        assert client.get(f"/api/v1/returns/{waiting.id}", headers=other).status_code == 404
        assert client.post(f"/api/v1/returns/{waiting.id}/approve", headers=other).status_code == 404
    finally:
        app.config["SHOPIFY_API_KEY"] = ""


@pytest.mark.parametrize(("body", "message"), [
    ([], "JSON object"),
    ({"window_days": -1}, "window_days"),
    ({"outcomes": ["cash"]}, "outcomes"),
    ({"auto_approve_max": "lots"}, "auto_approve_max"),
    ({"return_address": {"line1": "x"}}, "return_address"),
    ({"reasons": [{"code": "a"}]}, "reasons[0]"),
    ({"colour": "red"}, "unknown field"),
])
def test_bad_rules_are_refused_and_change_nothing(db: Any, shop: Any, client: Any, auth: dict[str, str],
                                                  body: Any, message: str) -> None:
    resp = client.put("/api/v1/settings/returns", headers=auth, json=body)
    assert resp.status_code == 400 and message in resp.get_json()["error"]
    db.session.refresh(shop)
    assert "returns" not in (shop.settings or {})


def test_rules_saved_show_in_the_portal_policy(db: Any, shop: Any, client: Any, auth: dict[str, str]) -> None:
    rules = {"window_days": 14, "text": {"en": "Fourteen days, no questions asked.", "es": "Catorce días."}}
    assert client.put("/api/v1/settings/returns", headers=auth, json=rules).status_code == 200
    assert "Fourteen days, no questions asked." in client.get(f"/returns/{DOMAIN}?lang=en").get_data(as_text=True)
    assert "Catorce días." in client.get(f"/returns/{DOMAIN}?lang=es").get_data(as_text=True)


def test_a_return_made_in_shopify_admin_shows_up_and_follows_its_decisions(app: Any, db: Any, shop: Any,
                                                                           post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "o1")
    post_shopify("returns/request", load_fixture("shopify", "returns_request.json"), "r1")
    drain(app)
    ret = db.session.scalar(select(Return))
    assert (ret.source, ret.status) == ("platform", "requested")
    post_shopify("returns/approve", load_fixture("shopify", "returns_approve.json"), "r2")
    drain(app)
    db.session.refresh(ret)
    assert ret.status == "approved" and [e.status for e in ret.events] == ["requested", "approved"]
    assert ret.label_state == "none"  # Shopify handles the label for returns made there


def test_shopifys_webhook_for_our_return_before_we_recorded_it_stays_one_return(app: Any, db: Any, post_shopify: Any,
                                                                                   waiting: Return) -> None:
    """Our job made the return on Shopify but its record of the id is not in yet (or the job died right after)."""
    from app.services import return_workflow

    return_workflow.approve(waiting)
    db.session.commit()
    ours = load_fixture("shopify", "returns_approve.json")
    ours["return_line_items"][0]["return_reason_note"] = f"Too small [postventa:postventa-return-{waiting.id}]"
    post_shopify("returns/approve", ours, "ours-1")
    someone_elses = load_fixture("shopify", "returns_approve.json")
    someone_elses["id"], someone_elses["name"] = 9182736999, "#1001-R2"  # same key, another id: not attached
    someone_elses["return_line_items"][0]["return_reason_note"] = f"[postventa:postventa-return-{waiting.id}]"
    post_shopify("returns/approve", someone_elses, "other-1")
    drain(app)
    db.session.expire_all()
    rows = db.session.scalars(select(Return).order_by(Return.id)).all()
    assert [(r.id, r.source, r.external_id) for r in rows] == [
        (waiting.id, "portal", "9182736450"), (rows[1].id, "platform", "9182736999")]
    assert rows[0].status in ("approved", "label_issued") and rows[0].platform_status == "open"
    assert rows[0].sync_state in ("done", "skipped")  # never a second returnCreate


def test_the_cli_lists_decides_and_sets_rules(app: Any, db: Any, client: Any, waiting: Return, tmp_path: Any) -> None:
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["returns", "list", DOMAIN, "--status", "requested"])
    assert listed.exit_code == 0 and "RMA-1001-1" in listed.output and "requested" in listed.output
    refused = runner.invoke(args=["returns", "decide", str(waiting.id), "reject"])
    assert refused.exit_code != 0 and "--note is required" in refused.output
    assert runner.invoke(args=["returns", "decide", "999999", "approve"]).exit_code != 0
    approved = runner.invoke(args=["returns", "decide", str(waiting.id), "approve"])
    assert approved.exit_code == 0 and "approved" in approved.output
    again = runner.invoke(args=["returns", "decide", str(waiting.id), "approve"])
    assert again.exit_code != 0 and "only a requested return can be approved" in again.output
    shown = runner.invoke(args=["returns", "show", str(waiting.id)])
    assert '"status": "approved"' in shown.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"window_days": "forever"}')
    assert "window_days" in runner.invoke(args=["returns", "rules", DOMAIN, str(bad)]).output
    good = tmp_path / "rules.json"
    good.write_text('{"window_days": 60, "outcomes": ["refund", "store_credit"]}')
    out = runner.invoke(args=["returns", "rules", DOMAIN, str(good)])
    assert out.exit_code == 0 and "60 days" in out.output


def test_the_admin_home_counts_returns_waiting_and_shows_their_problems(app: Any, db: Any, client: Any,
                                                                       auth: dict[str, str], waiting: Return) -> None:
    status = client.get("/api/v1/shop", headers=auth).get_json()
    assert status["returns_waiting"] == 1
    assert [r["rma"] for r in status["returns_needing_attention"]] == ["RMA-1001-1"]
    client.post(f"/api/v1/returns/{waiting.id}/approve", headers=auth)
    client.post(f"/api/v1/returns/{waiting.id}/close", headers=auth)
    drain(app)
    db.session.expire_all()
    status = client.get("/api/v1/shop", headers=auth).get_json()
    (attention,) = status["returns_needing_attention"]
    assert status["returns_waiting"] == 0 and "not connected" in attention["problem"]
    from flask import render_template

    from app.services.status import shop_status

    with app.test_request_context():  # the page the merchant opens inside Shopify admin, from the same figures
        html = render_template("embedded_home.html", status=shop_status(waiting.order.shop), api_key="k")
    assert "RMA-1001-1" in html and "not connected" in html
