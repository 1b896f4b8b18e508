"""Local fakes of the AfterShip and EasyPost tracking APIs, served over real HTTP on loopback."""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

FIXTURES = Path(__file__).parent / "fixtures"


def recorded(provider: str, name: str) -> dict[str, Any]:
    """A recorded payload from tests/fixtures/<provider>/<name>.json."""
    return json.loads((FIXTURES / provider / f"{name}.json").read_text())


@dataclass
class Seen:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class _Fake:
    """What both fakes share: the recorded requests and a queue of failures to answer first."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Seen] = []
        self.failures: list[Failure] = []
        self._next_id = 0

    def fail_next(self, status: int, times: int = 1, retry_after: str | None = None,
                  headers: dict[str, str] | None = None) -> None:
        """Answer the next `times` requests with `status` (429/500/503/401...) before behaving normally."""
        extra = {**({"Retry-After": retry_after} if retry_after is not None else {}), **(headers or {})}
        self.failures += [Failure(status, dict(extra)) for _ in range(times)]

    def __call__(self, environ: Any, start_response: Any) -> Any:
        req = Request(environ)
        raw = req.get_data()
        self.requests.append(Seen(req.method, req.path, dict(req.args), dict(req.headers),
                                  json.loads(raw) if raw else None))
        if self.failures:
            failure = self.failures.pop(0)
            resp = self._json(self.error_body(failure.status), failure.status)
            resp.headers.update(failure.headers)
        elif not self.authorised(req):
            resp = self._json(self.error_body(401), 401)
        else:
            resp = self.route(req)
        return resp(environ, start_response)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    @staticmethod
    def _json(body: Any, status: int) -> Response:
        return Response(json.dumps(body), status, mimetype="application/json")

    def authorised(self, req: Request) -> bool:
        raise NotImplementedError

    def error_body(self, status: int) -> dict[str, Any]:
        raise NotImplementedError

    def route(self, req: Request) -> Response:
        raise NotImplementedError


class FakeAfterShip(_Fake):
    """AfterShip Tracking API 2026-07: POST/GET /trackings and GET /trackings/{id}, with its envelope."""

    api_key = "asat_5f0c2b9e8d7a4c1b9e3f6a2d0c8b7e41"
    prefix = "/tracking/2026-07"

    def __init__(self) -> None:
        super().__init__()
        self.trackings: dict[str, dict[str, Any]] = {}

    def seed(self, fixture: str) -> dict[str, Any]:
        """Store a recorded tracking (the `data` of a fixture) as if it had been created earlier."""
        tracking = recorded("aftership", fixture)["data"]
        self.trackings[tracking["id"]] = tracking
        return tracking

    def authorised(self, req: Request) -> bool:
        return req.headers.get("as-api-key") == self.api_key

    def error_body(self, status: int) -> dict[str, Any]:
        if status == 401:
            return recorded("aftership", "error_invalid_api_key")
        if status == 429:
            return recorded("aftership", "error_too_many_requests")
        if status == 404:
            return {"meta": {"code": 4004, "message": "Tracking does not exist.", "type": "BadRequest"}, "data": {}}
        return {"meta": {"code": status, "message": "Something went wrong on AfterShip's end.",
                         "type": "InternalError"}, "data": {}}

    def route(self, req: Request) -> Response:
        path = req.path.removeprefix(self.prefix)
        if path == "/trackings" and req.method == "POST":
            body = req.get_json()
            number, slug = body["tracking_number"], body.get("slug")
            if any(t["tracking_number"] == number and slug in (None, t["slug"]) for t in self.trackings.values()):
                return self._json(recorded("aftership", "error_tracking_already_exists"), 400)
            tracking = copy.deepcopy(recorded("aftership", "tracking_created")["data"])
            tracking.update(id=f"{self.new_id():032x}", tracking_number=number, title=number,
                            slug=slug or tracking["slug"])
            self.trackings[tracking["id"]] = tracking
            return self._json({"meta": {"code": 201}, "data": tracking}, 201)
        if path == "/trackings" and req.method == "GET":
            numbers = set(filter(None, req.args.get("tracking_numbers", "").split(",")))
            slugs = set(filter(None, req.args.get("slug", "").split(",")))
            found = [t for t in self.trackings.values()
                     if (not numbers or t["tracking_number"] in numbers) and (not slugs or t["slug"] in slugs)]
            return self._json({"meta": {"code": 200}, "data": {
                "pagination": {"total": len(found), "next_cursor": None, "has_next_page": False},
                "trackings": found}}, 200)
        if path.startswith("/trackings/") and req.method == "GET":
            tracking = self.trackings.get(path.removeprefix("/trackings/"))
            if tracking is None:
                return self._json(self.error_body(404), 404)
            return self._json({"meta": {"code": 200}, "data": tracking}, 200)
        return self._json({"meta": {"code": 404, "message": "The URI requested is invalid or the resource "
                                    "requested does not exist.", "type": "NotFound"}, "data": {}}, 404)


class FakeEasyPost(_Fake):
    """EasyPost API v2 trackers: POST /trackers (returns the existing tracker), GET /trackers[/{id}]."""

    api_key = "EZAK5a1e9c0b7d3f4e2a8c6b1d0f9e7a5c3b"

    def __init__(self) -> None:
        super().__init__()
        self.trackers: dict[str, dict[str, Any]] = {}

    def seed(self, fixture: str) -> dict[str, Any]:
        """Store a recorded tracker as if it had been created earlier."""
        tracker = recorded("easypost", fixture)
        self.trackers[tracker["id"]] = tracker
        return tracker

    def authorised(self, req: Request) -> bool:
        scheme, _, encoded = req.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        user, _, _ = base64.b64decode(encoded).decode().partition(":")
        return user == self.api_key

    def error_body(self, status: int) -> dict[str, Any]:
        code, message = {
            401: ("APIKEY.INVALID", "The API key is invalid."),
            404: ("NOT_FOUND", "The requested resource could not be found."),
            429: ("RATE_LIMITED", "Too many requests."),
        }.get(status, ("INTERNAL_SERVER_ERROR", "Something went wrong."))
        return {"error": {"code": code, "message": message, "errors": []}}

    def route(self, req: Request) -> Response:
        path = req.path.removeprefix("/v2")
        if path == "/trackers" and req.method == "POST":
            wanted = req.get_json()["tracker"]
            code, carrier = wanted["tracking_code"], wanted.get("carrier")
            for tracker in self.trackers.values():
                if tracker["tracking_code"] == code and (carrier is None or
                                                         tracker["carrier"].lower() == carrier.lower()):
                    return self._json(tracker, 200)  # EasyPost hands back the tracker it already has
            tracker = copy.deepcopy(recorded("easypost", "tracker_created"))
            tracker.update(id=f"trk_{self.new_id():032x}", tracking_code=code, carrier=carrier or tracker["carrier"])
            self.trackers[tracker["id"]] = tracker
            return self._json(tracker, 201)
        if path == "/trackers" and req.method == "GET":
            code, carrier = req.args.get("tracking_code"), req.args.get("carrier")
            found = [t for t in self.trackers.values() if (code is None or t["tracking_code"] == code)
                     and (carrier is None or t["carrier"].lower() == carrier.lower())]
            return self._json({"trackers": found, "has_more": False}, 200)
        if path.startswith("/trackers/") and req.method == "GET":
            stored = self.trackers.get(path.removeprefix("/trackers/"))
            if stored is None:
                return self._json(self.error_body(404), 404)
            return self._json(stored, 200)
        return self._json(self.error_body(404), 404)


@contextmanager
def serving(app: _Fake) -> Iterator[str]:
    """Serve a fake on a free loopback port for the duration of the block."""
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fake_aftership() -> Iterator[FakeAfterShip]:
    fake = FakeAfterShip()
    with serving(fake) as url:
        fake.url = url
        yield fake


@pytest.fixture
def fake_easypost() -> Iterator[FakeEasyPost]:
    fake = FakeEasyPost()
    with serving(fake) as url:
        fake.url = url
        yield fake
