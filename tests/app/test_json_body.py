"""The ingest's JSON check answers exactly as the standard library would, on any body."""

from __future__ import annotations

import json
import random

import pytest

from app.json_body import is_json_object, json_object
from tests.conftest import FIXTURES


def stdlib_answer(body: bytes) -> str:
    try:
        value = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return "invalid"
    return "object" if isinstance(value, dict) else "other"


def our_answer(body: bytes) -> str:
    try:
        return "object" if is_json_object(body) else "other"
    except ValueError:
        return "invalid"


@pytest.mark.parametrize("body", [
    b'{"id": 1}', b' {"a": {"b": [null, true, false, -1.5e3, "\\u00e9"]}}\n', b"{}",
    b'{"a": NaN}', b'{"a": Infinity}', b'{"\\ud800": 1}', b'{"a": "\\ud800"}',  # stdlib-only: still objects
    b'{"a": 123456789012345678901234567890}', b'{"a": 1e999}', b'{"a": 1, "a": 2}',
    b"[1, 2]", b'"text"', b"3", b"null",
    b"", b"{", b'{"a": 1', b'{"a": 1}x', b'{"a": .5}', b'{"a": 01}', b'{"a": tru}', b'{"a": "\\q"}',
    b'{"a": "x\x01"}', b'\xef\xbb\xbf{"a": 1}', b'{"a": 1}\x00', b'{"a": [1, 2,]}',
])
def test_known_edges(body: bytes) -> None:
    assert our_answer(body) == stdlib_answer(body)


def test_mutated_real_orders_get_the_stdlib_answer() -> None:
    """Thousands of one- to three-byte edits of a real order: never accepted where the stdlib refuses."""
    real = (FIXTURES / "shopify" / "orders_create.json").read_bytes()
    alphabet = b'{}[]",:\\ 0123456789-+.eEtrufalsnNI\x00\x1f\x7f'
    rng = random.Random(20261205)
    checked = 0
    for _ in range(4000):
        body = bytearray(real)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(body))
            match rng.randrange(3):
                case 0:
                    body.insert(at, rng.choice(alphabet))
                case 1:
                    del body[at]
                case _:
                    body[at] = rng.choice(alphabet)
        sample = bytes(body)
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError:
            continue  # the endpoint refuses these before the check
        assert our_answer(sample) == stdlib_answer(sample), sample[:200]
        checked += 1
    assert checked > 3000


def test_nesting_past_the_stack_is_invalid_json_not_a_crash() -> None:
    deep = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(ValueError):
        is_json_object(deep)
    with pytest.raises(ValueError):
        json_object(deep.decode())
