"""The built-in return label: a 4x6 PDF whose words, addresses and barcodes a store can rely on."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from connectors.labels import (
    Label,
    LabelConfigError,
    LabelProvider,
    LabelRequest,
    UnknownLabelProvider,
    get_label_provider,
)
from connectors.labels.builtin import BuiltinLabels, printable
from connectors.model import Address

STORE = Address(name="Tienda Ñandú", company="Ñandú S.L.", line1="Calle Mayor 1", line2="Almacén 3",
                city="Madrid", region="M", postal_code="28013", country_code="ES", phone="+34 910 000 000")
SHOPPER = Address(name="José Pérez", line1="Av. de la Constitución 742", line2="2º B", city="Sevilla",
                  postal_code="41001", country_code="ES")

REQUEST = LabelRequest(
    idempotency_key="shop-1:order-1001:return-1",
    rma="RMA-1001-1",
    store_name="Tienda Ñandú",
    return_address=STORE,
    from_address=SHOPPER,
    order_number="#1001",
    items=(("Camiseta azul", 2), ("Pantalón de lino", 1)),
    language="es",
    weight_grams=1200,
)


def render(request: LabelRequest) -> Label:
    return get_label_provider("builtin").create(request)


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_label_is_one_4x6_page_with_everything_a_parcel_needs() -> None:
    label = render(REQUEST)

    assert label.provider == "builtin"
    assert label.label_id == REQUEST.idempotency_key
    assert label.tracking_number is None and label.carrier is None and label.label_url is None
    assert label.pdf is not None and label.pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(label.pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (288.0, 432.0)

    text = reader.pages[0].extract_text()
    for expected in ("RMA-1001-1", "#1001", "Tienda Ñandú",
                     "Ñandú S.L.", "Calle Mayor 1", "Almacén 3", "Madrid, M 28013", "+34 910 000 000",
                     "José Pérez", "Av. de la Constitución 742", "2º B", "Sevilla, 41001",
                     "2 × Camiseta azul", "1 × Pantalón de lino", "1.20 kg"):
        assert expected in text, expected


def test_spanish_and_english_labels_use_their_own_words() -> None:
    spanish = page_texts(render(REQUEST).pdf or b"")[0]
    english = page_texts(render(replace(REQUEST, language="en")).pdf or b"")[0]

    for word in ("ETIQUETA DE DEVOLUCIÓN", "DEVOLVER A", "DE", "Pedido #1001", "Peso", "ARTÍCULOS"):
        assert word in spanish, word
    assert "RETURN TO" not in spanish and "Order" not in spanish
    for word in ("RETURN LABEL", "RETURN TO", "FROM", "Order #1001", "Weight", "ITEMS"):
        assert word in english, word
    assert "DEVOLVER A" not in english and "Pedido" not in english


def test_regional_and_unknown_languages_fall_back_sensibly() -> None:
    assert "DEVOLVER A" in page_texts(render(replace(REQUEST, language="es-MX")).pdf or b"")[0]
    assert "RETURN TO" in page_texts(render(replace(REQUEST, language="fr")).pdf or b"")[0]


def test_same_request_renders_the_same_bytes() -> None:
    assert render(REQUEST).pdf == render(REQUEST).pdf


def test_characters_outside_latin1_are_replaced_not_fatal() -> None:
    shopper = replace(SHOPPER, name="李雷 Łukasz Őrs 🙂", line1="Straße 5 — “Hof”")
    label = render(replace(REQUEST, from_address=shopper, store_name="Ñandú €"))

    text = page_texts(label.pdf or b"")[0]
    assert "?? ?ukasz Ors ?" in text  # no base letter: '?'; a base letter without the accent: the letter
    assert "Straße 5 — “Hof”" in text  # cp1252 extras (—, curly quotes) are kept
    assert "Ñandú €" in text
    assert printable("Ñoño ¿qué? ¡sí!") == "Ñoño ¿qué? ¡sí!"
    assert printable("Dvořák\u200b") == "Dvorák?"  # ř lacks a glyph, á has one; zero-width space: '?'


def test_many_items_flow_to_a_packing_list_after_the_label() -> None:
    items = tuple((f"Producto número {n}", n % 3 + 1) for n in range(1, 41))
    pdf = render(replace(REQUEST, items=items)).pdf or b""

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == (288.0, 432.0)
    texts = [page.extract_text() for page in reader.pages]
    assert "40 artículos: ver la lista de contenido en la página 2" in texts[0]
    assert "Producto número" not in texts[0]
    assert "LISTA DE CONTENIDO" in texts[1] and "RMA-1001-1" in texts[1] and "#1001" in texts[1]
    listed = "\n".join(texts[1:])
    for title, quantity in items:
        assert f"{quantity} × {title}\n" in listed + "\n", title


def test_an_rma_a_barcode_cannot_carry_is_refused() -> None:
    with pytest.raises(ValueError, match="RMA"):
        render(replace(REQUEST, rma="RMA-ñ"))
    with pytest.raises(ValueError, match="RMA"):
        render(replace(REQUEST, rma="  "))


def test_both_barcodes_decode_to_the_rma(tmp_path: Path) -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm not installed (Debian package poppler-utils): cannot rasterise the label to scan it")
    pdf_path = tmp_path / "label.pdf"
    pdf_path.write_bytes(render(REQUEST).pdf or b"")
    # 203 dpi: what a common thermal label printer prints at.
    subprocess.run([pdftoppm, "-r", "203", "-png", "-singlefile", "-f", "1", "-l", "1", str(pdf_path),
                    str(tmp_path / "label")], check=True, timeout=60)

    with Image.open(tmp_path / "label.png") as image:
        found = {(barcode.format, barcode.text) for barcode in zxingcpp.read_barcodes(image)}

    assert (zxingcpp.BarcodeFormat.Code128, "RMA-1001-1") in found
    assert (zxingcpp.BarcodeFormat.QRCode, "RMA-1001-1") in found


def test_registry_gives_builtin_and_the_carrier_providers_need_their_key() -> None:
    provider = get_label_provider("builtin", api_key="ignored")
    assert isinstance(provider, BuiltinLabels) and isinstance(provider, LabelProvider)
    assert provider.name == "builtin"
    for name in ("easypost", "shippo"):
        with pytest.raises(LabelConfigError, match=f"{name}: the api_key setting"):
            get_label_provider(name)
        assert get_label_provider(name, api_key="k").name == name
    with pytest.raises(UnknownLabelProvider, match="nope"):
        get_label_provider("nope")
