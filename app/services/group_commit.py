"""Group commit: webhooks arriving together share one transaction and one durable PostgreSQL commit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# One statement per webhook: the shop lookup, the insert and the dedupe; RETURNING says whether it was new.
INSERT_ONE = """
    INSERT INTO webhook_events (shop_id, event_id, topic, payload, status, attempts, received_at)
    SELECT shops.id, %s, %s, %s, 'pending', 0, now() FROM shops
    WHERE shops.platform = %s AND shops.domain = %s
    ON CONFLICT (shop_id, event_id) DO NOTHING
    RETURNING id
"""


@dataclass(eq=False)
class Incoming:
    """One webhook waiting for the commit of the batch it joined."""

    platform: str
    domain: str
    event_id: str
    topic: str
    payload: str
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    inserted: bool = False
    error: BaseException | None = None

    def params(self) -> tuple[str, str, str, str, str]:
        return (self.event_id, self.topic, self.payload, self.platform, self.domain)


def insert_many_sql(rows: int) -> str:
    """One statement for a whole batch: the shops join, the dedupe and RETURNING say which rows were new."""
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * rows)
    return f"""
    INSERT INTO webhook_events (shop_id, event_id, topic, payload, status, attempts, received_at)
    SELECT shops.id, e.event_id, e.topic, e.payload, 'pending', 0, now()
    FROM (VALUES {values}) AS e(event_id, topic, payload, platform, domain)
    JOIN shops ON shops.platform = e.platform AND shops.domain = e.domain
    ON CONFLICT (shop_id, event_id) DO NOTHING
    RETURNING event_id, (SELECT s.domain FROM shops s WHERE s.id = webhook_events.shop_id)
    """


class StoreTimeout(TimeoutError):
    """The batch holding this webhook did not commit in time."""


class GroupCommitter:
    """Leader/follower: the request that finds nobody writing writes everything queued, its own row included.

    Alone (a sync worker), a request simply writes its own row; under concurrency (threaded workers) the rows
    that arrived during one commit go together in the next, so one fsync serves many requests.
    """

    def __init__(self, connect: Callable[[], Any], max_batch: int = 64, timeout: float = 10.0) -> None:
        self._connect = connect
        self._conn: Any = None
        self.max_batch = max_batch
        self.timeout = timeout
        self._lock = threading.Lock()
        self._queue: list[Incoming] = []
        self._writing = False

    def store(self, item: Incoming) -> bool:
        """True if the webhook was new; returns only once its row is committed."""
        with self._lock:
            self._queue.append(item)
            if not self._writing:
                self._writing = item.lead = True
        if not item.lead and not item.done.wait(self.timeout):
            with self._lock:
                if item in self._queue:  # never picked up: nothing was written
                    self._queue.remove(item)
                    raise StoreTimeout(f"webhook {item.event_id} not stored within {self.timeout:.0f} s")
            item.done.wait()  # being written right now, or just made leader: see it through
        if item.lead:
            self._write_as_leader()
        if item.error is not None:
            raise item.error
        return item.inserted

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _write_as_leader(self) -> None:
        with self._lock:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
        try:
            new = self._insert(batch)
        except Exception as exc:  # every request in the batch answers 503; the next leader starts afresh
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            for item in batch:
                item.error = exc
        else:
            for item, was_new in zip(batch, new, strict=True):
                item.inserted = was_new
        with self._lock:
            if self._queue:
                nxt = self._queue[0]
                nxt.lead = True  # woken below to write the rows that queued meanwhile
                nxt.done.set()
            else:
                self._writing = False
        for item in batch:
            item.done.set()

    def _insert(self, batch: list[Incoming]) -> list[bool]:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        with self._conn.cursor() as cur:
            if len(batch) == 1:  # autocommit: the statement is its own transaction, one round trip
                cur.execute(INSERT_ONE, batch[0].params())
                return [cur.fetchone() is not None]
            # Autocommit: the one statement is the batch's transaction and its one durable commit.
            cur.execute(insert_many_sql(len(batch)), [p for item in batch for p in item.params()])
            new = {(event_id, domain) for event_id, domain in cur.fetchall()}
            answers = []
            for item in batch:  # the same webhook twice in one batch: the first is new, the second a duplicate
                key = (item.event_id, item.domain)
                answers.append(key in new)
                new.discard(key)
            return answers
