"""The built-in return label: a printable 4x6 inch PDF, so returns work before any carrier account exists.

Text is drawn in Helvetica, whose WinAnsi encoding covers Latin-1 (Spanish accents, Ñ, ¿, ¡) and a few
more (€, curly quotes, …). A character outside it is printed as its base letter when it has one
(ő → o, Ł stays unknown) and as '?' otherwise, so a name in another script never breaks a label.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence

from reportlab.graphics import renderPDF  # type: ignore[import-untyped]
from reportlab.graphics.barcode.code128 import Code128  # type: ignore[import-untyped]
from reportlab.graphics.barcode.qr import QrCodeWidget  # type: ignore[import-untyped]
from reportlab.graphics.shapes import Drawing  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from connectors.labels import Label, LabelRequest
from connectors.model import Address

PAGE_WIDTH, PAGE_HEIGHT = 288.0, 432.0  # 4 x 6 inches in points
MARGIN = 12.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
FONT, BOLD = "Helvetica", "Helvetica-Bold"
ENCODING = "cp1252"  # what Helvetica's WinAnsiEncoding can show

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "RETURN LABEL",
        "return_to": "RETURN TO",
        "from": "FROM",
        "order": "Order",
        "rma": "RMA",
        "weight": "Weight",
        "items": "ITEMS",
        "see_packing_list": "{count} items: see the packing list on page 2",
        "packing_list": "PACKING LIST",
        "continued": "continued",
        "page": "Page {page} of {pages}",
    },
    "es": {
        "title": "ETIQUETA DE DEVOLUCIÓN",
        "return_to": "DEVOLVER A",
        "from": "DE",
        "order": "Pedido",
        "rma": "RMA",
        "weight": "Peso",
        "items": "ARTÍCULOS",
        "see_packing_list": "{count} artículos: ver la lista de contenido en la página 2",
        "packing_list": "LISTA DE CONTENIDO",
        "continued": "continuación",
        "page": "Página {page} de {pages}",
    },
}

# The bottom band of page 1 beside the QR code, where a short items list fits.
_ITEM_SIZE, _ITEM_LEADING = 8.0, 9.5
_ITEMS_TOP, _ITEMS_BOTTOM = 58.0, MARGIN + 2
_ITEMS_ON_LABEL = int((_ITEMS_TOP - _ITEMS_BOTTOM) // _ITEM_LEADING) + 1
_QR_SIZE = 92.0
_LIST_SIZE, _LIST_LEADING = 9.0, 12.0
_LIST_TOP = PAGE_HEIGHT - MARGIN - 58
_ITEMS_PER_LIST_PAGE = int((_LIST_TOP - MARGIN - 14) // _LIST_LEADING) + 1


def printable(text: str) -> str:
    """Text Helvetica can draw: base letters for accents it lacks, '?' for what it cannot show at all."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if _encodable(char):
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(base if base and all(_encodable(c) for c in base) else "?")
    return "".join(out)


def _encodable(char: str) -> bool:
    if not char.isprintable():
        return False
    try:
        char.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def words_for(language: str) -> dict[str, str]:
    """The label's few words; "es-MX" reads as Spanish, anything unknown as English."""
    return WORDS.get(language.lower().replace("_", "-").split("-")[0], WORDS["en"])


def address_lines(address: Address, fallback_name: str | None = None) -> list[str]:
    """An address as the lines printed on a parcel, skipping whatever is missing."""
    locality = ", ".join(p for p in (address.city, " ".join(p for p in (address.region, address.postal_code) if p))
                         if p)
    parts = (address.name or fallback_name, address.company, address.line1, address.line2, locality,
             address.country_code, address.phone)
    return [p.strip() for p in parts if p and p.strip()]


class BuiltinLabels:
    """Label provider "builtin": a PDF the shopper prints and tapes on the parcel; no carrier, no tracking."""

    name: str = "builtin"

    def create(self, request: LabelRequest) -> Label:
        """The label for one return; the same request always renders the same bytes."""
        return Label(provider=self.name, label_id=request.idempotency_key, tracking_number=None, carrier=None,
                     pdf=render_label(request), label_url=None)


def render_label(request: LabelRequest) -> bytes:
    """The PDF: page 1 is the 4x6 label; a long items list goes on packing-list pages after it."""
    rma = request.rma.strip()
    if not rma or not rma.isascii() or not rma.isprintable():
        raise ValueError(f"RMA must be non-empty printable ASCII for its barcode, got {request.rma!r}")
    words = words_for(request.language)
    buffer = io.BytesIO()
    # invariant: no timestamp or random id in the file, so the same request gives the same bytes.
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    canvas.setTitle(f"{words['title']} {rma}")
    canvas.setAuthor(printable(request.store_name))
    canvas.setCreator("Postventa")
    items = [(printable(title), quantity) for title, quantity in request.items]
    on_label = items if len(items) <= _ITEMS_ON_LABEL else []
    _draw_label(canvas, request, rma, words, on_label, len(items))
    if items and not on_label:
        chunks = [items[i:i + _ITEMS_PER_LIST_PAGE] for i in range(0, len(items), _ITEMS_PER_LIST_PAGE)]
        for index, chunk in enumerate(chunks):
            canvas.showPage()
            _draw_packing_list(canvas, request, rma, words, chunk, index, len(chunks) + 1)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_label(canvas: Canvas, request: LabelRequest, rma: str, words: dict[str, str],
                items: Sequence[tuple[str, int]], item_count: int) -> None:
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    top = PAGE_HEIGHT - MARGIN

    _text(canvas, left, top - 7, words["title"], BOLD, 7)
    _text(canvas, left, top - 24, request.store_name, BOLD, 14)
    canvas.setLineWidth(1)
    canvas.line(left, top - 32, right, top - 32)

    # FROM: the shopper, small, top left.
    y = top - 43
    _text(canvas, left, y, words["from"], BOLD, 7)
    for line in address_lines(request.from_address)[:7]:
        y -= 8.5
        _text(canvas, left, y, line, FONT, 7.5)

    # RETURN TO: the store, big, in a box.
    box_top, box_bottom = 312.0, 200.0
    canvas.setLineWidth(1.5)
    canvas.rect(left, box_bottom, CONTENT_WIDTH, box_top - box_bottom)
    y = box_top - 12
    _text(canvas, left + 6, y, words["return_to"], BOLD, 8)
    lines = address_lines(request.return_address, fallback_name=request.store_name)[:7]
    for index, line in enumerate(lines):
        y -= 14 if index == 0 else 13
        _text(canvas, left + 6, y, line, BOLD if index == 0 else FONT, 12 if index == 0 else 11,
              width=CONTENT_WIDTH - 12)

    # The RMA in large text, then as Code128 for the store's scanner.
    _text(canvas, left, 190, words["rma"], BOLD, 7)
    _text(canvas, left, 166, rma, BOLD, 24, centered=True)
    _draw_code128(canvas, rma, y=108, height=50)

    # Bottom band: order number and the packing note on the left, the QR code on the right.
    band_width = CONTENT_WIDTH - _QR_SIZE - 6
    _text(canvas, left, 92, f"{words['order']} {request.order_number}", BOLD, 10, width=band_width)
    if request.weight_grams is not None:
        _text(canvas, left, 80, f"{words['weight']}: {request.weight_grams / 1000:.2f} kg", FONT, 8)
    if items:
        _text(canvas, left, 69, words["items"], BOLD, 7)
        y = _ITEMS_TOP
        for title, quantity in items:
            _text(canvas, left, y, f"{quantity} × {title}", FONT, _ITEM_SIZE, width=band_width)
            y -= _ITEM_LEADING
    elif item_count:
        _text(canvas, left, 69, words["see_packing_list"].format(count=item_count), FONT, 7, width=band_width)
    _draw_qr(canvas, rma, x=right - _QR_SIZE, y=MARGIN, size=_QR_SIZE)


def _draw_packing_list(canvas: Canvas, request: LabelRequest, rma: str, words: dict[str, str],
                       items: Sequence[tuple[str, int]], index: int, pages: int) -> None:
    left, top = MARGIN, PAGE_HEIGHT - MARGIN
    title = words["packing_list"] + (f" ({words['continued']})" if index else "")
    _text(canvas, left, top - 12, title, BOLD, 12)
    _text(canvas, left, top - 28, request.store_name, FONT, 9)
    _text(canvas, left, top - 42, f"{rma}  ·  {words['order']} {request.order_number}", BOLD, 9)
    canvas.setLineWidth(1)
    canvas.line(left, top - 50, PAGE_WIDTH - MARGIN, top - 50)
    y = _LIST_TOP
    for title_, quantity in items:
        _text(canvas, left, y, f"{quantity} × {title_}", FONT, _LIST_SIZE)
        y -= _LIST_LEADING
    _text(canvas, left, MARGIN, words["page"].format(page=index + 2, pages=pages), FONT, 7)


def _text(canvas: Canvas, x: float, y: float, text: str, font: str, size: float, *, width: float = CONTENT_WIDTH,
          centered: bool = False) -> None:
    """One line that always fits: shrunk to 70% at most, then cut with an ellipsis."""
    value = printable(text)
    smallest = size * 0.7
    while size > smallest and stringWidth(value, font, size) > width:
        size -= 0.5
    if stringWidth(value, font, size) > width:
        while value and stringWidth(value + "…", font, size) > width:
            value = value[:-1]
        value += "…"
    canvas.setFont(font, size)
    if centered:
        canvas.drawCentredString(PAGE_WIDTH / 2, y, value)
    else:
        canvas.drawString(x, y, value)


def _draw_code128(canvas: Canvas, value: str, y: float, height: float) -> None:
    """Code128 as wide as fits (bars at most 1.4 pt), centred, with the 10-module quiet zones scanners need."""
    modules = Code128(value, barWidth=1, quiet=0).width
    bar_width = min(1.4, CONTENT_WIDTH / (modules + 20))
    barcode = Code128(value, barWidth=bar_width, barHeight=height, lquiet=10 * bar_width, rquiet=10 * bar_width)
    barcode.drawOn(canvas, (PAGE_WIDTH - barcode.width) / 2, y)


def _draw_qr(canvas: Canvas, value: str, x: float, y: float, size: float) -> None:
    """A QR code of `size` points square (its quiet zone included), for a phone or a counter scanner."""
    widget = QrCodeWidget(value, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)
