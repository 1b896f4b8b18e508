"""Local fakes of EasyPost's and Shippo's label-buying APIs, served over real HTTP on loopback."""

from __future__ import annotations

import base64
import copy
import io
from collections.abc import Iterator
from typing import Any

import pytest
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from werkzeug.wrappers import Request, Response

from tests.fake_trackers import _Fake, recorded, serving


def label_pdf(text: str) -> bytes:
    """A small 4x6 PDF standing in for the carrier's label file."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(288, 432), invariant=1)
    canvas.drawString(20, 400, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _LabelFake(_Fake):
    """What both label fakes share: purchases counted, targeted failures, label files served without a key."""

    def __init__(self) -> None:
        super().__init__()
        self.purchases: list[dict[str, Any]] = []  # every label bought, in order
        self.files: dict[str, tuple[bytes, str]] = {}  # path -> (body, content type)
        self.rejections: list[tuple[str, str, int, dict[str, Any]]] = []  # (method, path suffix, status, body)

    def reject(self, method: str, path_suffix: str, status: int, body: dict[str, Any]) -> None:
        """Answer the next `method` call whose path ends with `path_suffix` with `status` and `body`."""
        self.rejections.append((method, path_suffix, status, body))

    def __call__(self, environ: Any, start_response: Any) -> Any:
        req = Request(environ)
        if req.path.startswith("/files/"):  # label downloads live on a file host (S3), outside the API and its key
            body, content_type = self.files.get(req.path, (b"<Error><Code>NoSuchKey</Code></Error>", ""))
            status = 200 if req.path in self.files else 404
            return Response(body, status, content_type=content_type or "application/xml")(environ, start_response)
        return super().__call__(environ, start_response)

    def route(self, req: Request) -> Response:
        for i, (method, suffix, status, body) in enumerate(self.rejections):
            if req.method == method and req.path.endswith(suffix):
                del self.rejections[i]
                return self._json(body, status)
        return self.labels_route(req)

    def serve_file(self, name: str, body: bytes, content_type: str = "application/pdf") -> str:
        """Put a file on the fake's file host; its URL."""
        self.files[f"/files/{name}"] = (body, content_type)
        return f"{self.url}/files/{name}"

    def labels_route(self, req: Request) -> Response:
        raise NotImplementedError


class FakeEasyPostLabels(_LabelFake):
    """EasyPost API v2 shipments: create, retrieve by id or reference, buy, rerate, forms."""

    api_key = "EZTK4f0e8a2c6b1d49e7a3c5b9d1f0e2a4c6"

    def __init__(self) -> None:
        super().__init__()
        self.shipments: dict[str, dict[str, Any]] = {}

    def authorised(self, req: Request) -> bool:
        scheme, _, value = req.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":  # what the official SDK sends
            return value == self.api_key
        if scheme.lower() == "basic":  # what the docs' curl examples send
            return base64.b64decode(value).decode().partition(":")[0] == self.api_key
        return False

    def error_body(self, status: int) -> dict[str, Any]:
        if status == 401:
            return recorded("easypost_labels", "error_unauthorized")
        return {"error": {"code": "INTERNAL_SERVER_ERROR", "message": "Something went wrong.", "errors": []}}

    def find(self, id_or_reference: str) -> dict[str, Any] | None:
        """A shipment by id, else the newest with that reference (reference uniqueness is not enforced)."""
        if id_or_reference in self.shipments:
            return self.shipments[id_or_reference]
        same = [s for s in self.shipments.values() if s.get("reference") == id_or_reference]
        return same[-1] if same else None

    def labels_route(self, req: Request) -> Response:
        parts = req.path.removeprefix("/v2/").split("/")
        if parts == ["shipments"] and req.method == "POST":
            return self._json(self._create(req.get_json()["shipment"]), 201)
        if len(parts) < 2 or parts[0] != "shipments":
            return self._not_found()
        shipment = self.find(parts[1])
        if shipment is None:
            return self._not_found()
        if len(parts) == 2 and req.method == "GET":
            return self._json(shipment, 200)
        action = parts[2] if len(parts) == 3 else ""
        if action == "buy" and req.method == "POST":
            return self._buy(shipment, req.get_json()["rate"]["id"])
        if action == "rerate" and req.method == "POST":
            shipment["rates"] = copy.deepcopy(recorded("easypost_labels", "rerate")["rates"])
            return self._json({"rates": shipment["rates"]}, 200)
        if action == "forms" and req.method == "POST":
            form = recorded("easypost_labels", f"form_{req.get_json()['form']['type']}")
            form["form_url"] = self.serve_file(f"form/{shipment['id']}.png", b"\x89PNG\r\n\x1a\n", "image/png")
            shipment["forms"] = [*shipment.get("forms", []), form]
            return self._json(shipment, 201)
        return self._not_found()

    def _create(self, wanted: dict[str, Any]) -> dict[str, Any]:
        shipment = recorded("easypost_labels", "shipment_created")
        shipment_id = f"shp_{self.new_id():032x}"
        shipment.update(id=shipment_id, reference=wanted.get("reference"), is_return=bool(wanted.get("is_return")))
        shipment["options"].update(wanted.get("options") or {})
        shipment["parcel"]["weight"] = wanted["parcel"]["weight"]
        for rate in shipment["rates"]:
            rate["shipment_id"] = shipment_id
        self.shipments[shipment_id] = shipment
        return shipment

    def _buy(self, shipment: dict[str, Any], rate_id: str) -> Response:
        if shipment.get("postage_label"):
            return self._json(recorded("easypost_labels", "error_postage_exists"), 422)
        rate = next((r for r in shipment["rates"] if r["id"] == rate_id), None)
        if rate is None:
            return self._json({"error": {"code": "SHIPMENT.RATE.INVALID", "message": "Rate not found for this "
                                         "shipment.", "errors": []}}, 422)
        bought = recorded("easypost_labels", "shipment_bought")
        url = self.serve_file(f"postage_label/{shipment['id']}.pdf", label_pdf(f"{rate['carrier']} {shipment['id']}"))
        bought["postage_label"].update(label_url=url, label_pdf_url=url)
        shipment.update(selected_rate=rate, postage_label=bought["postage_label"], tracker=bought["tracker"],
                        tracking_code=f"94346002083031{self.new_id():08d}", fees=bought["fees"])
        self.purchases.append({"shipment": shipment["id"], "rate": rate_id})
        return self._json(shipment, 200)

    def _not_found(self) -> Response:
        return self._json(recorded("easypost_labels", "error_not_found"), 404)


class FakeShippo(_LabelFake):
    """Shippo API: POST /shipments/, POST and GET /transactions/ (paginated, newest first), GET /rates/{id}."""

    api_key = "shippo_test_5e1c9a7b3d2f4e6a8c0b1d3f5e7a9c2b4d6e8f0a"

    def __init__(self) -> None:
        super().__init__()
        self.shipments: dict[str, dict[str, Any]] = {}
        self.rates: dict[str, dict[str, Any]] = {}
        self.transactions: list[dict[str, Any]] = []  # oldest first
        self.fail_purchases = 0  # this many purchases end in status ERROR, as a carrier refusal does
        self.expand_rates = True  # the list shows each transaction's rate as an object (as documented), else its id

    def authorised(self, req: Request) -> bool:
        return req.headers.get("Authorization") == f"ShippoToken {self.api_key}"

    def error_body(self, status: int) -> dict[str, Any]:
        if status == 401:
            return recorded("shippo", "error_invalid_token")
        return {"detail": "Something went wrong on Shippo's side."}

    def seed(self, fixture: str, **changes: Any) -> dict[str, Any]:
        """Store a recorded transaction as if it had been bought earlier."""
        transaction = {**recorded("shippo", fixture), **changes}
        self.transactions.append(transaction)
        return transaction

    def labels_route(self, req: Request) -> Response:
        path = req.path
        if path == "/shipments/" and req.method == "POST":
            return self._json(self._create(req.get_json()), 201)
        if path == "/transactions/" and req.method == "POST":
            return self._buy(req.get_json())
        if path == "/transactions/" and req.method == "GET":
            return self._list(int(req.args.get("page", 1)), int(req.args.get("results", 25)))
        if path.startswith("/rates/") and req.method == "GET":
            rate = self.rates.get(path.removeprefix("/rates/").strip("/"))
            return self._json(rate, 200) if rate else self._json({"detail": "Not found."}, 404)
        return self._json({"detail": "Not found."}, 404)

    def _create(self, wanted: dict[str, Any]) -> dict[str, Any]:
        shipment = recorded("shippo", "shipment_return")
        shipment_id = f"{self.new_id():032x}"
        shipment.update(object_id=shipment_id, metadata=wanted.get("metadata", ""), extra=wanted.get("extra", {}))
        for rate in shipment["rates"]:
            rate.update(object_id=f"{rate['object_id'][:-8]}{self.new_id():08x}", shipment=shipment_id)
            self.rates[rate["object_id"]] = rate
        self.shipments[shipment_id] = shipment
        return shipment

    def _buy(self, wanted: dict[str, Any]) -> Response:
        rate = self.rates.get(wanted["rate"])
        if rate is None:
            return self._json({"rate": [f"Rate with object_id '{wanted['rate']}' does not exist."]}, 400)
        transaction_id = f"{self.new_id():032x}"
        if self.fail_purchases:
            self.fail_purchases -= 1
            transaction = recorded("shippo", "transaction_error")
        else:
            transaction = recorded("shippo", "transaction_success")
            transaction["label_url"] = self.serve_file(f"{transaction_id}.pdf", label_pdf(f"{rate['provider']} label"))
            transaction["tracking_number"] = f"92055901649173{self.new_id():08d}"
            self.purchases.append({"transaction": transaction_id, "rate": wanted["rate"]})
        shipment = self.shipments[rate["shipment"]]
        if shipment["extra"].get("qr_code_requested") and transaction["status"] == "SUCCESS":
            transaction["qr_code_url"] = self.serve_file(f"{transaction_id}_qr.png", b"\x89PNG\r\n\x1a\n", "image/png")
        transaction.update(object_id=transaction_id, rate=wanted["rate"], metadata=wanted.get("metadata", ""),
                           label_file_type=wanted.get("label_file_type"))
        self.transactions.append(transaction)
        return self._json(transaction, 201)

    def _list(self, page: int, results: int) -> Response:
        newest_first = [self._listed(t) for t in reversed(self.transactions)]
        chunk = newest_first[(page - 1) * results: page * results]
        more = page * results < len(newest_first)
        return self._json({"next": f"{self.url}/transactions/?page={page + 1}&results={results}" if more else None,
                           "previous": f"{self.url}/transactions/?page={page - 1}&results={results}" if page > 1
                           else None, "results": chunk}, 200)

    def _listed(self, transaction: dict[str, Any]) -> dict[str, Any]:
        """A transaction as the list shows it: its rate expanded when the fake knows the rate."""
        rate = self.rates.get(transaction["rate"]) if isinstance(transaction["rate"], str) else None
        if rate is None or not self.expand_rates:
            return transaction
        return {**transaction, "rate": {"amount": rate["amount"], "amount_local": rate["amount_local"],
                                        "currency": rate["currency"], "currency_local": rate["currency_local"],
                                        "object_id": rate["object_id"], "provider": rate["provider"],
                                        "carrier_account": rate["carrier_account"],
                                        "servicelevel_name": rate["servicelevel"]["name"],
                                        "servicelevel_token": rate["servicelevel"]["token"]}}


@pytest.fixture
def fake_easypost_labels() -> Iterator[FakeEasyPostLabels]:
    fake = FakeEasyPostLabels()
    with serving(fake) as url:
        fake.url = url
        yield fake


@pytest.fixture
def fake_shippo() -> Iterator[FakeShippo]:
    fake = FakeShippo()
    with serving(fake) as url:
        fake.url = url
        yield fake
