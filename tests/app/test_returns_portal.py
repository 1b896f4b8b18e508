"""The returns portal over HTTP: find the order, ask, get approved, print the label; and every refusal."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select
from urllib3 import encode_multipart_formdata

from app.models import Message, Return, ReturnPhoto, Shipment
from app.services import return_tasks
from tests.conftest import drain, load_fixture

EMAIL = "lucia.martin@example.com"
SHIRT, SHOES = "15678901234567891", "15678901234567893"  # 2 x 29.95 and 1 x 59.00 in orders_create.json
ADDRESS = {"name": "Tienda Test Devoluciones", "line1": "Calle Mayor 1", "city": "Madrid", "postal_code": "28013",
           "country_code": "ES"}


def recent(payload: dict[str, Any], days_ago: float) -> dict[str, Any]:
    """A recorded payload moved in time, so return windows are measured from today."""
    when = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    return {**payload, **{k: when for k in ("created_at", "updated_at", "processed_at") if k in payload}}


@pytest.fixture
def shipped(db: Any, shop: Any, post_shopify: Any, app: Any) -> Any:
    """Order #1001 placed and shipped three days ago; the store's return address set."""
    def ship(days_ago: float = 3, **rules: Any) -> Any:
        post_shopify("orders/create", recent(load_fixture("shopify", "orders_create.json"), days_ago + 1), "o1")
        post_shopify("fulfillments/create", recent(load_fixture("shopify", "fulfillments_create.json"), days_ago),
                     "f1")
        drain(app)
        shop.settings = {**(shop.settings or {}), "returns": {"return_address": ADDRESS, **rules}}
        db.session.commit()
        return shop
    return ship


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "every portal form carries a CSRF token"
    return match.group(1)


def open_form(client: Any, number: str = "1001", email: str = EMAIL) -> Any:
    page = client.get("/returns/tienda-test.myshopify.com")
    assert page.status_code == 200
    return client.post("/returns/tienda-test.myshopify.com",
                       data={"order": number, "email": email, "csrf_token": csrf(page.get_data(as_text=True))})


def photo(fmt: str = "PNG", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def submit(client: Any, form_url: str, **fields: Any) -> Any:
    form_url += "?lang=en"  # the page speaks the order's Spanish unless asked; the messages below are English
    page = client.get(form_url).get_data(as_text=True)
    data = {"csrf_token": csrf(page), "key": re.search(r'name="key" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
            "reason": "damaged", "outcome": "refund", f"qty-{SHIRT}": "1", **fields}
    return post_multipart(client, form_url, data)


def post_multipart(client: Any, url: str, data: dict[str, Any]) -> Any:
    """A multipart body encoded here, in memory (the test client spools big bodies to files it never closes)."""
    fields: list[tuple[str, Any]] = []
    for name, value in data.items():
        if isinstance(value, list):
            fields += [(name, (filename, stream.read(), "application/octet-stream")) for stream, filename in value]
        else:
            fields.append((name, value))
    body, content_type = encode_multipart_formdata(fields)
    return client.post(url, data=body, content_type=content_type)


def returns(db: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Return)))


def test_lookup_answers_the_same_for_a_wrong_number_or_email(db: Any, shipped: Any, client: Any) -> None:
    shipped()
    wrong_email = open_form(client, email="someone@example.com")
    wrong_number = open_form(client, number="9999")
    assert wrong_email.status_code == wrong_number.status_code == 200
    message = "We could not find an order with that number and email."
    assert message in wrong_email.get_data(as_text=True) and message in wrong_number.get_data(as_text=True)
    right = open_form(client, email=EMAIL.upper())
    assert right.status_code == 302 and "/returns/tienda-test.myshopify.com/o/" in right.headers["Location"]


def test_lookup_without_csrf_token_is_refused(db: Any, shipped: Any, client: Any) -> None:
    shipped()
    resp = client.post("/returns/tienda-test.myshopify.com", data={"order": "1001", "email": EMAIL})
    assert resp.status_code == 400 and "expired" in resp.get_data(as_text=True)


def test_unknown_shop_and_tampered_links_are_404(db: Any, shipped: Any, client: Any) -> None:
    shipped()
    assert client.get("/returns/nobody.myshopify.com").status_code == 404
    form_url = open_form(client).headers["Location"]
    assert client.get(form_url[:-3] + "abc").status_code == 404
    assert client.get("/returns/tienda-test.myshopify.com/r/garbage").status_code == 404
    assert client.get("/returns/tienda-test.myshopify.com/r/garbage/label.pdf").status_code == 404


def test_the_whole_return_with_a_photo_auto_approved_label_and_emails(app: Any, db: Any, shipped: Any, client: Any,
                                                                     smtp: Any) -> None:
    shipped()
    form_url = open_form(client).headers["Location"]
    page = client.get(form_url).get_data(as_text=True)
    assert "policy-text" in page
    assert "30" in page  # the window is part of the policy shown before submitting
    resp = submit(client, form_url, photos=[(io.BytesIO(photo()), "broken.png")], comment="Llegó roto")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    ret = db.session.scalar(select(Return))
    assert (ret.status, ret.auto_approved, ret.rma) == ("approved", True, "RMA-1001-1")
    assert ret.value_amount == Decimal("29.95")
    assert ret.lines == [{"line_item_id": SHIRT, "quantity": 1, "reason": "damaged", "note": "Llegó roto"}]
    stored = db.session.scalar(select(ReturnPhoto))
    assert stored.content_type == "image/jpeg" and Image.open(io.BytesIO(stored.data)).size == (64, 48)

    drain(app)
    db.session.expire_all()
    ret = db.session.get(Return, ret.id)
    assert ret.status == "label_issued" and ret.label_state == "done" and ret.label_provider == "builtin"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(ret.label_pdf)).pages)
    assert "RMA-1001-1" in text and "Calle Mayor 1" in text and "28009" in text  # store's and shopper's addresses
    assert [e.status for e in ret.events] == ["requested", "approved", "label_issued"]

    subjects = sorted(str(m["Subject"]) for m in smtp.messages)
    assert len(subjects) == 3, subjects  # the order shipped, the return requested, the return approved
    assert sum("RMA-1001-1" in s for s in subjects) == 2  # the request's and the approval's
    attachments = [a for m in smtp.messages for a in m.iter_attachments() if a.get_content_type() == "application/pdf"]
    assert len(attachments) == 1 and attachments[0].get_content() == ret.label_pdf  # on the approval email only

    status_url = resp.headers["Location"]
    status = client.get(status_url)
    assert status.status_code == 200 and "RMA-1001-1" in status.get_data(as_text=True)
    label = client.get(status_url + "/label.pdf")
    assert label.status_code == 200 and label.mimetype == "application/pdf" and label.data == ret.label_pdf

    drain(app)  # nothing is done twice: same messages, one label
    assert len(smtp.messages) == 3
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.return_id == ret.id)) == 2


def test_the_same_form_sent_twice_makes_one_return(db: Any, shipped: Any, client: Any) -> None:
    shipped()
    form_url = open_form(client).headers["Location"]
    page = client.get(form_url).get_data(as_text=True)
    data = {"csrf_token": csrf(page), "key": re.search(r'name="key" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
            "reason": "too_small", "outcome": "refund", f"qty-{SHIRT}": "1"}
    first = client.post(form_url, data=data)
    second = client.post(form_url, data=data)
    assert first.status_code == second.status_code == 302 and first.headers["Location"] == second.headers["Location"]
    assert returns(db) == 1


@pytest.mark.parametrize(("fields", "message"), [
    ({f"qty-{SHIRT}": "0"}, "Choose at least one item to return."),
    ({f"qty-{SHIRT}": "3"}, "Choose a quantity you can return for each item."),
    ({"reason": ""}, "Choose a reason for the return."),
    ({"reason": "nonsense"}, "Choose a reason for the return."),
    ({"outcome": "cash"}, "Choose how you would like to be compensated."),
    ({"outcome": "exchange"}, "Choose the variant you would like instead."),
])
def test_an_incomplete_form_is_refused_with_its_reason(db: Any, shipped: Any, client: Any, fields: dict[str, str],
                                                       message: str) -> None:
    shipped()
    form_url = open_form(client).headers["Location"]
    resp = submit(client, form_url, **({"reason": "too_small"} | fields))
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)
    assert returns(db) == 0


def test_a_reason_that_needs_a_photo_is_refused_without_one(db: Any, shipped: Any, client: Any) -> None:
    shipped()
    resp = submit(client, open_form(client).headers["Location"], reason="damaged")
    assert resp.status_code == 422 and "Please add at least one photo" in resp.get_data(as_text=True)
    assert returns(db) == 0


@pytest.mark.parametrize(("upload", "message"), [
    (b"%PDF-1.4 not a picture", "Photos must be JPEG, PNG, WebP or GIF images."),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "Photos must be JPEG, PNG, WebP or GIF images."),
    (b"\xff" * (5 * 1024 * 1024 + 10), "Each photo can be at most 5 MB."),
])
def test_a_bad_upload_is_refused_and_nothing_is_created(db: Any, shipped: Any, client: Any, upload: bytes,
                                                        message: str) -> None:
    shipped()
    resp = submit(client, open_form(client).headers["Location"], photos=[(io.BytesIO(upload), "x.png")])
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)
    assert returns(db) == 0 and db.session.scalar(select(func.count()).select_from(ReturnPhoto)) == 0


def test_four_photos_are_too_many(db: Any, shipped: Any, client: Any) -> None:
    shipped()
    resp = submit(client, open_form(client).headers["Location"],
                  photos=[(io.BytesIO(photo()), f"{i}.png") for i in range(4)])
    assert resp.status_code == 422 and "up to 3 photos" in resp.get_data(as_text=True)
    assert returns(db) == 0


def test_a_huge_request_is_refused(db: Any, shipped: Any, client: Any) -> None:
    shipped()
    resp = submit(client, open_form(client).headers["Location"],
                  photos=[(io.BytesIO(b"\0" * (17 * 1024 * 1024)), "big.png")])
    assert resp.status_code == 413 and returns(db) == 0


def test_outside_the_window_nothing_can_be_returned(db: Any, shipped: Any, client: Any) -> None:
    shipped(days_ago=45)
    form_url = open_form(client).headers["Location"]
    page = client.get(form_url + "?lang=en").get_data(as_text=True)
    assert "The return window for this item has closed." in page
    resp = submit(client, form_url, reason="too_small")
    assert resp.status_code == 422 and returns(db) == 0


def test_non_returnable_sku_and_final_sale_tags(db: Any, shipped: Any, client: Any) -> None:
    shipped(non_returnable_skus=["cam-org-m-az"])
    form_url = open_form(client).headers["Location"]
    assert "This item cannot be returned." in client.get(form_url + "?lang=en").get_data(as_text=True)
    resp = submit(client, form_url, reason="too_small")
    assert resp.status_code == 422 and returns(db) == 0
    ok = submit(client, form_url, reason="too_small", **{f"qty-{SHIRT}": "0", f"qty-{SHOES}": "1"})
    assert ok.status_code == 302 and returns(db) == 1


def test_over_the_auto_approve_limit_waits_for_the_merchant(db: Any, shipped: Any, client: Any) -> None:
    shipped(auto_approve_max="20.00")
    resp = submit(client, open_form(client).headers["Location"], reason="too_small")
    assert resp.status_code == 302
    ret = db.session.scalar(select(Return))
    assert ret.status == "requested" and ret.label_state == "none"
    assert "review it shortly" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_already_returned_items_cannot_be_returned_again(db: Any, shipped: Any, client: Any) -> None:
    shipped()
    form_url = open_form(client).headers["Location"]
    assert submit(client, form_url, reason="too_small", **{f"qty-{SHIRT}": "2"}).status_code == 302
    again = submit(client, form_url, reason="too_small", **{f"qty-{SHIRT}": "1"})
    assert again.status_code == 422 and returns(db) == 1
    assert "This item has already been returned." in again.get_data(as_text=True)


def test_a_label_without_a_return_address_fails_visibly_and_the_shopper_still_hears(app: Any, db: Any, shipped: Any,
                                                                                    client: Any) -> None:
    shop = shipped()
    shop.settings = {**shop.settings, "returns": {}}
    db.session.commit()
    assert submit(client, open_form(client).headers["Location"], reason="too_small").status_code == 302
    drain(app)
    ret = db.session.scalar(select(Return))
    db.session.refresh(ret)
    assert ret.label_state == "failed" and "return address" in (ret.label_error or "")
    kinds = set(db.session.scalars(select(Message.kind).where(Message.return_id == ret.id)))
    assert kinds == {"return_requested", "return_approved"}


def test_a_return_parcel_delivered_to_the_store_marks_the_return_received(app: Any, db: Any, shipped: Any,
                                                                          client: Any) -> None:
    shipped()
    submit(client, open_form(client).headers["Location"], reason="too_small")
    ret = db.session.scalar(select(Return))
    return_tasks._follow_parcel(ret, ret.order, "1Z999AA10123456784", "UPS")  # a carrier label's tracking number
    db.session.commit()
    parcel = db.session.get(Shipment, ret.shipment_id)
    assert parcel is not None and parcel.is_return and parcel.tracking_number
    from app.services.orders import upsert_shipment
    from connectors import model

    now = datetime.now(UTC)
    upsert_shipment(ret.order, model.Shipment(
        external_id=parcel.external_id, status=model.ShipmentStatus.DELIVERED, created_at=parcel.created_at,
        updated_at=now, tracking_number=parcel.tracking_number, carrier=parcel.carrier,
        events=(model.TrackingEvent(model.ShipmentStatus.DELIVERED, now, "Entregado en tienda"),)))
    db.session.commit()
    ret = db.session.get(Return, ret.id)
    assert ret.status == "received" and ret.received_at is not None
    kinds = set(db.session.scalars(select(Message.kind).where(Message.order_id == ret.order_id)))
    assert "delivered" not in kinds  # the return's parcel never emails the shopper as if it were their order


def test_a_woocommerce_store_has_a_portal_by_id_and_by_host(app: Any, db: Any, client: Any) -> None:
    from app.services.return_links import portal_order_url, shop_ref
    from app.services.shops import create_shop

    woo = create_shop("woocommerce", "https://tienda.example.com/").shop
    assert shop_ref(woo) == str(woo.id)
    for ref in (str(woo.id), "tienda.example.com", "TIENDA.example.com"):
        page = client.get(f"/returns/{ref}")
        assert page.status_code == 200 and 'name="csrf_token"' in page.get_data(as_text=True)
    link = portal_order_url(woo, 12345).removeprefix(app.config["APP_URL"])
    assert link.startswith(f"/returns/{woo.id}/o/")
    assert client.get(link).status_code == 404  # a well-formed link to an order that is not this store's


def test_a_final_sale_order_cannot_be_returned(db: Any, shop: Any, post_shopify: Any, app: Any, client: Any) -> None:
    order = recent(load_fixture("shopify", "orders_create.json"), 4)
    post_shopify("orders/create", {**order, "tags": "vip, Final-Sale"}, "o1")
    post_shopify("fulfillments/create", recent(load_fixture("shopify", "fulfillments_create.json"), 3), "f1")
    drain(app)
    form_url = open_form(client).headers["Location"]
    page = client.get(form_url + "?lang=en").get_data(as_text=True)
    assert "This order was a final sale and cannot be returned." in page and "<form" not in page.split("</h1>")[1]
    token = csrf(client.get("/returns/tienda-test.myshopify.com").get_data(as_text=True))  # one per session
    forced = post_multipart(client, form_url, {"csrf_token": token, "key": "k1", "reason": "too_small",
                                               "outcome": "refund", f"qty-{SHIRT}": "1"})
    assert forced.status_code == 422 and returns(db) == 0  # the rule holds on the server, not just on the page


def test_the_tracking_page_shows_the_same_policy_and_links_to_the_portal(db: Any, shipped: Any,
                                                                         client: Any) -> None:
    from app.models import Order
    from app.services.links import tracking_token

    shop = shipped(text={"en": "Thirty days, free returns.", "es": "Treinta días, devolución gratis."})
    order = db.session.scalar(select(Order))
    page = client.get(f"/t/{tracking_token(order.id)}").get_data(as_text=True)  # the order speaks Spanish
    assert "Treinta días, devolución gratis." in page
    link = re.search(r'href="(/returns/tienda-test.myshopify.com/o/[^"]+)"', page)
    assert link and client.get(link.group(1)).status_code == 200
    shop.settings = {**shop.settings, "returns": {**shop.settings["returns"], "text": {"es": "Sin devoluciones."}}}
    db.session.commit()
    assert "Sin devoluciones." in client.get(f"/t/{tracking_token(order.id)}").get_data(as_text=True)  # not cached


def test_a_label_provider_that_does_not_exist_fails_the_label_at_once(app: Any, db: Any, shipped: Any,
                                                                      client: Any) -> None:
    shipped()
    assert submit(client, open_form(client).headers["Location"], reason="too_small").status_code == 302
    app.config["LABEL_PROVIDER"] = "ups"
    try:
        return_tasks.run(db.session.scalar(select(Return)).id)
    finally:
        app.config["LABEL_PROVIDER"] = "builtin"
    db.session.expire_all()
    ret = db.session.scalar(select(Return))
    assert ret.label_state == "failed" and "unknown label provider" in (ret.label_error or "")
