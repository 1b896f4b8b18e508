"""Group commit: many requests, one transaction; errors and timeouts reach every waiting request."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.services.group_commit import GroupCommitter, Incoming, StoreTimeout


class FakeResult:
    def __init__(self, row: Any) -> None:
        self.row = row

    def fetchone(self) -> Any:
        return self.row


class FakeConnection:
    """Records batches; rows whose event id starts with 'dup' already exist."""

    def __init__(self, log: list[list[str]], gate: threading.Event, fail: list[BaseException]) -> None:
        self.log, self.gate, self.fail, self.closed = log, gate, fail, False
        self._results: list[FakeResult] = []

    @contextmanager
    def cursor(self) -> Iterator[FakeConnection]:
        yield self

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    def _run(self, rows: list[tuple[str, ...]]) -> None:
        self.gate.wait(5)
        if self.fail:
            raise self.fail.pop()
        self.log.append([r[0] for r in rows])
        self._results = [FakeResult(None if r[0].startswith("dup") else (r[0], r[4])) for r in rows]

    def execute(self, query: str, params: tuple[str, ...] | list[str]) -> None:
        """One row (event_id, topic, payload, platform, domain), or a batch's rows flattened in one statement."""
        self._run([tuple(params[i:i + 5]) for i in range(0, len(params), 5)])

    def fetchone(self) -> Any:
        return self._results[0].fetchone()

    def fetchall(self) -> list[Any]:
        return [r.row for r in self._results if r.row is not None]

    def close(self) -> None:
        self.closed = True


def item(event_id: str) -> Incoming:
    return Incoming("shopify", "s.myshopify.com", event_id, "orders/create", "{}")


def make(gate: threading.Event, fail: list[BaseException] | None = None,
         timeout: float = 5.0) -> tuple[GroupCommitter, list[list[str]], list[FakeConnection]]:
    log: list[list[str]] = []
    conns: list[FakeConnection] = []

    def connect() -> FakeConnection:
        conns.append(FakeConnection(log, gate, fail if fail is not None else []))
        return conns[-1]

    return GroupCommitter(connect, timeout=timeout), log, conns


def store_all(committer: GroupCommitter, ids: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def run(event_id: str) -> None:
        try:
            out[event_id] = committer.store(item(event_id))
        except Exception as exc:  # collected for the assertions
            out[event_id] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in ids]
    for t in threads:
        t.start()
        time.sleep(0.01)
    out["_threads"] = threads
    return out


def test_requests_arriving_during_a_commit_share_the_next_one() -> None:
    gate = threading.Event()
    committer, log, _ = make(gate)
    out = store_all(committer, ["a", "b", "dup-c", "d"])
    gate.set()  # the first commit was held; b, dup-c and d queued behind it
    for t in out.pop("_threads"):
        t.join(5)
    assert log == [["a"], ["b", "dup-c", "d"]]
    assert out == {"a": True, "b": True, "dup-c": False, "d": True}


def test_alone_a_request_writes_its_own_row() -> None:
    gate = threading.Event()
    gate.set()
    committer, log, _ = make(gate)
    assert committer.store(item("x")) is True
    assert committer.store(item("dup-y")) is False
    assert log == [["x"], ["dup-y"]]


def test_a_failed_commit_reaches_every_request_and_the_next_batch_reconnects() -> None:
    gate = threading.Event()
    committer, log, conns = make(gate, fail=[RuntimeError("db down")])
    out = store_all(committer, ["a", "b"])
    gate.set()
    for t in out.pop("_threads"):
        t.join(5)
    assert isinstance(out["a"], RuntimeError)  # its batch failed
    assert out["b"] is True  # the next leader reconnected and wrote it
    assert conns[0].closed and len(conns) == 2
    assert log == [["b"]]


def test_a_request_never_picked_up_times_out_and_is_not_written() -> None:
    gate = threading.Event()
    committer, log, _ = make(gate, timeout=0.3)
    out = store_all(committer, ["slow", "waiting"])
    time.sleep(0.6)
    gate.set()
    for t in out.pop("_threads"):
        t.join(5)
    assert out["slow"] is True
    assert isinstance(out["waiting"], StoreTimeout)
    assert log == [["slow"]]



def test_one_statement_batch_on_postgresql(app: Any, db: Any, shop: Any) -> None:
    """The real multi-row INSERT: new rows, a duplicate inside the batch, an old duplicate, an unknown shop."""
    import pytest
    from sqlalchemy import select

    from app.models import WebhookEvent
    from app.services.ingest import _group_committer

    if db.engine.dialect.name != "postgresql":
        pytest.skip("group commit is PostgreSQL's; SQLite stores each webhook alone")

    def one(event_id: str, domain: str = "tienda-test.myshopify.com") -> Incoming:
        return Incoming("shopify", domain, event_id, "orders/create", '{"id": 1}')

    committer = _group_committer(app)
    assert committer._insert([one("old")]) == [True]
    batch = [one("n1"), one("n1"), one("old"), one("n2"), one("n3", "nadie.myshopify.com")]
    assert committer._insert(batch) == [True, False, False, True, False]
    stored = sorted(e.event_id for e in db.session.scalars(select(WebhookEvent)))
    assert stored == ["n1", "n2", "old"]
