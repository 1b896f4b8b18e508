"""The whole return in the system Chromium, against an installed Shopify store served by the fake Admin API.

Find the order, choose an item, send a photo, get auto-approved, download the label (its words and barcodes
checked), the merchant closes the return, and the refund reaches the store exactly once even though the worker
that made it died before it could write it down. Spanish by default (the order's language), English when asked.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select, update

from tests.browser_pages import require_chromium
from tests.conftest import drain

require_chromium()
PDFTOPPM = shutil.which("pdftoppm")
if PDFTOPPM is None:
    pytest.skip("pdftoppm is not installed (apt-get install poppler-utils): the label's barcodes cannot be scanned; "
                "CI installs it and runs these tests", allow_module_level=True)

import zxingcpp  # noqa: E402
from playwright.sync_api import Browser, Page, ViewportSize, expect  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from app.models import Return, ReturnPhoto  # noqa: E402
from app.services import return_tasks  # noqa: E402
from connectors.base import ProcessReturnRequest  # noqa: E402
from connectors.shopify import return_process  # noqa: E402
from connectors.shopify.admin import ShopifyAdminClient  # noqa: E402
from tests.app.test_embedded import session_token  # noqa: E402
from tests.fake_shopify import SHOP, FakeShopify  # noqa: E402
from tests.returns_store import (  # noqa: E402
    EMAIL,
    ORDER_GID,
    SHIRT,
    Store,
)

PHONE: ViewportSize = {"width": 390, "height": 844}
SCREENSHOT = "/tmp/returns-es.png"
STATUS_SCREENSHOT = "/tmp/returns-status-es.png"
CLOSED_SCREENSHOT = "/tmp/returns-closed-es.png"
ERRORS_SCREENSHOT = "/tmp/returns-errors-es.png"

SHIRT_TITLE = "Camiseta de algodón orgánico"
RMA = "RMA-1001-1"
NOT_FOUND_EN = "We could not find an order with that number and email."
NOT_FOUND_ES = "No encontramos ningún pedido con ese número y ese correo electrónico."


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A phone-sized fresh profile whose browser asks for English: Spanish pages are so because of the order."""
    context = browser.new_context(locale="en-US", viewport=PHONE)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def fake_return_id(fake: FakeShopify) -> str:
    (only,) = fake.returns
    return str(only)


def a_return(db: Any) -> Return:
    db.session.expire_all()
    ret = db.session.scalar(select(Return))
    assert ret is not None
    return ret


def png(tmp_path: Path) -> Path:
    path = tmp_path / "caja-rota.png"
    Image.new("RGB", (320, 240), (200, 30, 30)).save(path, "PNG")
    return path


def scan(pdf: bytes, tmp_path: Path) -> set[tuple[Any, str]]:
    """The label's first page as a 300 dpi picture, and every barcode a scanner reads on it."""
    assert PDFTOPPM is not None
    (tmp_path / "label.pdf").write_bytes(pdf)
    subprocess.run([PDFTOPPM, "-r", "300", "-png", "-singlefile", "-f", "1", "-l", "1", str(tmp_path / "label.pdf"),
                    str(tmp_path / "label")], check=True, timeout=60)
    with Image.open(tmp_path / "label.png") as image:
        return {(barcode.format, barcode.text) for barcode in zxingcpp.read_barcodes(image)}


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def test_the_whole_return_in_a_browser(page: Page, server: str, app: Flask, db: Any, store: Store, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fake = store.fake

    # 1. Find the order (the lookup page speaks the browser's English: no order is known yet).
    page.goto(server + store.lookup_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Return an item")
    page.get_by_label("Order number").fill("1001")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Find my order").click()
    expect(page).to_have_url(re.compile(re.escape(f"{server}/returns/{SHOP}/o/") + r"[^/?]+$"))
    form_url = page.url

    # The form speaks the order's Spanish.
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Devolver artículos del pedido #1001")
    expect(page.get_by_role("heading", name="Política de devoluciones")).to_be_visible()
    quantity = page.get_by_label(SHIRT_TITLE, exact=True)
    expect(quantity).to_have_value("0")
    quantity.select_option("1")
    reason = page.get_by_label("Motivo", exact=True)
    # "Arrived damaged", which needs a photo, as the Spanish page words it.
    reason.select_option(label="Llegó dañado (foto obligatoria)")
    expect(reason).to_have_value("damaged")
    page.get_by_label(re.compile(r"^Fotos")).set_input_files(png(tmp_path))
    page.get_by_label("Comentario (opcional)").fill("La caja llegó aplastada")
    expect(page.get_by_label("Un reembolso a mi método de pago original")).to_be_checked()  # the default outcome
    page.screenshot(path=SCREENSHOT, full_page=True)
    no_sideways_scroll(page)
    page.get_by_role("button", name="Solicitar devolución").click()

    # The return's page: auto-approved (29.95 is under the default 100 limit), the label on its way.
    expect(page).to_have_url(re.compile(re.escape(f"{server}/returns/{SHOP}/r/") + r"[^/?]+$"))
    status_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Devolución {RMA}")
    card = page.locator("section.return")
    expect(card).to_have_attribute("data-status", "approved")
    expect(card.get_by_role("heading", level=2)).to_have_text("Devolución aprobada")
    expect(card).to_contain_text("Tu devolución está aprobada. Estamos preparando tu etiqueta")
    expect(card.locator(".items li")).to_have_text([re.compile(rf"^{SHIRT_TITLE}\s+× 1$")])
    expect(card.get_by_role("link", name=re.compile("etiqueta", re.I))).to_have_count(0)
    ret = a_return(db)
    assert (ret.status, ret.auto_approved, ret.rma, ret.outcome) == ("approved", True, RMA, "refund")
    assert ret.value_amount == Decimal("29.95") and ret.language == "es"
    assert ret.lines == [{"line_item_id": SHIRT, "quantity": 1, "reason": "damaged", "note": "La caja llegó aplastada"}]
    assert db.session.scalar(select(func.count()).select_from(ReturnPhoto).where(ReturnPhoto.return_id == ret.id)) == 1
    return_id = ret.id
    db.session.remove()

    # 2. The queue writes the return to Shopify and issues the label; the page offers it.
    drain(app)
    ret = a_return(db)
    assert (ret.status, ret.label_state, ret.label_provider) == ("label_issued", "done", "builtin")
    assert ret.sync_state == "done", ret.sync_error  # approving wrote it to Shopify (returnCreate)
    assert [r["orderId"] for r in fake.returns.values()] == [ORDER_GID] and ret.external_id
    [shopify_line] = [line for r in fake.returns.values() for line in r["lines"]]
    assert (shopify_line["fulfillmentLineItemId"], shopify_line["quantity"]) == (
        "gid://shopify/FulfillmentLineItem/501", 1)
    assert "La caja llegó aplastada" in shopify_line["returnReasonNote"]  # the shopper's words reach the merchant
    db.session.remove()
    page.reload()
    expect(card).to_have_attribute("data-status", "label_issued")
    expect(card.get_by_role("heading", level=2)).to_have_text("Etiqueta de devolución lista")
    download = card.get_by_role("link", name="Descarga tu etiqueta de devolución (PDF)")
    expect(download).to_be_visible()
    expect(card).to_contain_text(f"escribe {RMA} en la caja")
    href = download.get_attribute("href")
    assert href is not None and href.endswith("/label.pdf")
    label = page.request.get(server + href)  # the page's own request context, as the click would fetch it
    assert label.status == 200 and label.headers["content-type"] == "application/pdf"
    pdf = label.body()
    assert pdf.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for expected in (RMA, "#1001", "DEVOLVER A", "Tienda Nueva Devoluciones", "Calle Mayor 1", "28013",  # the store
                     "Lucía Martín Gómez", "Calle de Alcalá 123, 4º B", "28009",  # the shopper
                     f"1 × {SHIRT_TITLE}"):
        assert expected in text, f"{expected!r} is not on the label:\n{text}"
    found = scan(pdf, tmp_path)
    assert (zxingcpp.BarcodeFormat.Code128, RMA) in found, found
    assert (zxingcpp.BarcodeFormat.QRCode, RMA) in found, found
    page.screenshot(path=STATUS_SCREENSHOT, full_page=True)
    no_sideways_scroll(page)

    # 3. The merchant closes the return (embedded admin API, App Bridge session token).
    closed = page.request.post(f"{server}/api/v1/returns/{return_id}/close",
                               headers={"Authorization": f"Bearer {session_token(app)}"})
    assert closed.status == 200, closed.text()
    assert closed.json()["resolution"]["state"] == "pending"

    # The worker dies right after Shopify processed the return and refunded, before our database heard of it.
    test_process = os.getpid()
    real_process = return_process.process_return

    def killed_after_the_platform_call(client: ShopifyAdminClient, request: ProcessReturnRequest) -> Any:
        result = real_process(client, request)
        if not result.already_done:
            assert os.getpid() != test_process, "the refund was expected to run in RQ's forked work horse"
            os._exit(137)  # SIGKILL's exit status: nothing after this line runs, nothing is committed
        return result

    monkeypatch.setattr(return_process, "process_return", killed_after_the_platform_call)
    drain(app)
    assert len(fake.refunds.get(ORDER_GID, [])) == 1  # the money left...
    ret = a_return(db)
    assert (ret.status, ret.resolution_state, ret.resolution_ref) == ("label_issued", "pending", None)  # ...unrecorded
    db.session.remove()
    page.reload()
    expect(card).to_have_attribute("data-status", "label_issued")
    expect(card.locator(".resolution")).to_have_count(0)

    # The claim's lease runs out; the dispatcher hands the return out again and the job is run again.
    lease = timedelta(seconds=app.config["CLAIM_LEASE_SECONDS"] + 1)
    db.session.execute(update(Return).where(Return.id == return_id)
                       .values(task_enqueued_at=datetime.now(UTC) - lease))
    db.session.commit()
    db.session.remove()
    drain(app)
    assert len(fake.refunds[ORDER_GID]) == 1, fake.refunds  # exactly one refund on the store
    assert len(fake.return_process_inputs) == 1, "Shopify was asked to process (and refund) the return twice"
    assert fake.refund_inputs == []  # the refund came with processing the return, not beside it
    assert return_tasks.run(return_id) == {}  # a third run (a stale retry): nothing left to do
    db.session.remove()
    assert len(fake.return_process_inputs) == 1
    refund = fake.refunds[ORDER_GID][0]
    assert refund["totalRefundedSet"]["shopMoney"]["amount"] == "29.95"
    assert fake.returns[fake_return_id(fake)]["status"] == "CLOSED"  # Shopify's copy of the return is closed too
    ret = a_return(db)
    assert (ret.status, ret.resolution_state, ret.resolution_error) == ("closed", "done", None)
    assert ret.resolution_ref == refund["id"] and ret.resolution_amount == Decimal("29.95")
    assert [e.status for e in ret.events] == ["requested", "approved", "label_issued", "closed"]
    db.session.remove()

    page.reload()
    expect(card).to_have_attribute("data-status", "closed")
    expect(card.get_by_role("heading", level=2)).to_have_text("Completada")
    expect(card.locator(".resolution")).to_have_text("Hemos enviado el reembolso a tu método de pago original.")
    page.screenshot(path=CLOSED_SCREENSHOT, full_page=True)
    no_sideways_scroll(page)

    # 4. Spanish by default (the order's language); English when asked, and back.
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Devolución {RMA}")
    expect(page.locator("footer nav a[aria-current=true]")).to_have_text("Español")
    page.goto(status_url + "?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Return {RMA}")
    expect(card.get_by_role("heading", level=2)).to_have_text("Completed")
    expect(card.locator(".resolution")).to_have_text("Your refund has been sent to your original payment method.")
    expect(card.get_by_role("link", name="Download your return label (PDF)")).to_have_count(0)  # nothing to send
    expect(page.get_by_role("heading", name="Return policy")).to_be_visible()
    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(card.get_by_role("heading", level=2)).to_have_text("Completada")

    # The form remembers the return; nothing more of that shirt can go back twice by mistake.
    page.goto(form_url + "?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Return items from order #1001")
    expect(page.locator("ul.returns > li")).to_have_text([f"{RMA} · Completed"])


def test_a_wrong_email_gets_the_same_answer_as_a_wrong_number(page: Page, server: str, db: Any,
                                                                store: Store) -> None:
    answers = []
    for number, email in (("#1001", "someone.else@example.com"), ("#9999", EMAIL), ("1001", "lucia@example.com")):
        page.goto(server + store.lookup_path)
        page.get_by_label("Order number").fill(number)
        page.get_by_label("Email").fill(email)
        page.get_by_role("button", name="Find my order").click()
        alert = page.get_by_role("alert")
        expect(alert).to_be_visible()
        expect(page).to_have_url(server + store.lookup_path)
        expect(page.get_by_label("Order number")).to_have_value(number)  # what was typed is kept
        answers.append(alert.inner_text())
        html = page.content()
        assert "Lucía" not in html and SHIRT_TITLE not in html  # nothing about the order leaks
    assert answers == [NOT_FOUND_EN] * 3

    # The same in Spanish, and still nothing created.
    page.goto(server + store.lookup_path + "?lang=es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Devolver un artículo")
    page.get_by_label("Número de pedido").fill("#1001")
    page.get_by_label("Correo electrónico").fill("nadie@example.com")
    page.get_by_role("button", name="Buscar mi pedido").click()
    expect(page.get_by_role("alert")).to_have_text(NOT_FOUND_ES)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Return)) == 0


def test_a_damaged_item_without_a_photo_is_refused_on_the_form(page: Page, server: str, db: Any,
                                                                store: Store) -> None:
    page.goto(server + store.lookup_path)
    page.get_by_label("Order number").fill("#1001")
    page.get_by_label("Email").fill(EMAIL.upper())  # the email in another case still finds it
    page.get_by_role("button", name="Find my order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Devolver artículos del pedido #1001")
    page.get_by_label(SHIRT_TITLE, exact=True).select_option("2")
    page.get_by_label("Motivo", exact=True).select_option(label="Llegó dañado (foto obligatoria)")
    page.get_by_role("button", name="Solicitar devolución").click()
    errors = page.locator("#form-errors")
    expect(errors).to_have_attribute("role", "alert")
    expect(errors.locator("li")).to_have_text(["Para este motivo, añade al menos una foto."])
    # What was chosen is kept, so only the photo is missing.
    expect(page.get_by_label(SHIRT_TITLE, exact=True)).to_have_value("2")
    expect(page.get_by_label("Motivo", exact=True)).to_have_value("damaged")
    page.screenshot(path=ERRORS_SCREENSHOT, full_page=True)
    no_sideways_scroll(page)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Return)) == 0
