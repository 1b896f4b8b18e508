"""Check-digit schemes against the worked examples their publishers and references give."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from connectors.carriers import checkdigits as cd

# --- worked examples ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "number"),
    [
        # UPS sample number "1Z 999 AA1 01 2345 6784" as printed in UPS's own examples.
        (cd.is_valid_ups, "1Z999AA10123456784"),
        (cd.is_valid_ups, "1Z5R89390357567127"),  # tracking_number_data test vector
        # FedEx Express worked example: 01234567898 weighted 3,1,7,... = 179, 179 mod 11 = 3.
        (cd.is_valid_fedex_express, "012345678983"),
        (cd.is_valid_fedex_express, "986578788855"),  # tracking_number_data test vector
        # FedEx Ground 15-digit test vector (tracking_number_data).
        (cd.is_valid_gs1, "041441760228964"),
        # DHL Paket examples from paketda.de "Prüfziffern-Berechnung für Paketnummern".
        (cd.is_valid_gs1, "00340433836442636597"),
        (cd.is_valid_dhl_identcode, "201298452277"),
        # DHL Express waybill: 331881002 mod 7 = 5.
        (cd.is_valid_dhl_express, "3318810025"),
        # Canada Post 16-digit test vector (tracking_number_data).
        (cd.is_valid_gs1, "0073938000549297"),
        # USPS IMpb test vectors (tracking_number_data).
        (cd.is_valid_gs1, "9400111201080805483016"),
        (cd.is_valid_gs1, "92748931507708513018050063"),
        # UPU S10 (Wikipedia, "S10 (UPU standard)"): serial 47312482, S = 200, C = 11 - 2 = 9.
        (cd.is_valid_s10, "RR473124829ES"),
        (cd.is_valid_s10, "RB123456785GB"),
        # DPD parcel number with its MOD 37,36 character, paketda.de example "01015026003653c".
        (cd.is_valid_mod37_36, "01015026003653C"),
        # DPD 28-character label barcodes (tracking_number_data test vectors).
        (cd.is_valid_mod37_36, "008182709980000020033350276C"),
        (cd.is_valid_mod37_36, "008182709980000020045327276N"),
        # Purolator PINs (tracking_number_data test vectors).
        (cd.is_valid_luhn, "320595463938"),
        (cd.is_valid_luhn, "331434972567"),
        # Luhn's textbook example.
        (cd.is_valid_luhn, "79927398713"),
    ],
)
def test_worked_examples_validate(validator: Callable[[str], bool], number: str) -> None:
    assert validator(number)


@pytest.mark.parametrize(
    ("validator", "number"),
    [
        (cd.is_valid_ups, "1Z999AA10123456785"),
        (cd.is_valid_ups, "1Z1111111111111111"),
        (cd.is_valid_fedex_express, "996578788855"),
        (cd.is_valid_gs1, "568283610012732"),
        (cd.is_valid_gs1, "0073938000549292"),
        (cd.is_valid_dhl_express, "3318810010"),
        (cd.is_valid_s10, "RB123456786US"),
        (cd.is_valid_mod37_36, "008182709980000020033350276A"),
        (cd.is_valid_luhn, "320595463939"),
        (cd.is_valid_dhl_identcode, "201298452278"),
    ],
)
def test_published_invalid_examples_fail(validator: Callable[[str], bool], number: str) -> None:
    assert not validator(number)


def test_fedex_worked_example_step_by_step() -> None:
    # Weights 1,3,7 repeat from the rightmost payload digit: "31731731731" left to right.
    assert fedex_sum("01234567898") == 179
    assert cd.fedex_express_check_digit("01234567898") == 3


def fedex_sum(payload: str) -> int:
    """The worked example's weighted sum, weights read off the published line 31731731731."""
    return sum(int(d) * int(w) for d, w in zip(payload, "31731731731", strict=True))


def test_s10_special_remainders() -> None:
    # 11 - r: r = 1 gives 10 -> 0; r = 0 gives 11 -> 5.
    assert cd.s10_check_digit("00000000") == 5  # S = 0
    assert cd.s10_check_digit("00060000") == 0  # S = 12, r = 1, 11 - 1 = 10
    assert cd.s10_check_digit("00000001") == 4  # S = 7, 11 - 7
    assert cd.s10_check_digit("47312482") == 9


def test_ups_letters_map_as_ups_defines() -> None:
    # UPS's chart: A=2, B=3 ... H=9, I=0, J=1 ... R=9, S=0 ... Z=7.
    chart = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "23456789012345678901234567", strict=True))
    for letter, digit in chart.items():
        # A payload of one letter in an odd (undoubled) position: check = (10 - value) mod 10.
        assert cd.ups_check_digit(letter) == (10 - int(digit)) % 10


def test_dpd_check_character_can_be_a_letter_or_digit() -> None:
    assert cd.mod37_36_check_char("01015026003653") == "C"
    chars = {cd.mod37_36_check_char(f"{n:014d}") for n in range(200)}
    assert any(c is not None and c.isdigit() for c in chars)
    assert any(c is not None and c.isalpha() for c in chars)


# --- inputs outside a scheme's alphabet are rejected, never crash ----------------------------


@pytest.mark.parametrize(
    "function",
    [
        cd.gs1_check_digit,
        cd.luhn_check_digit,
        cd.fedex_express_check_digit,
        cd.dhl_express_check_digit,
        cd.dhl_identcode_check_digit,
        cd.gls_check_digit,
        cd.s10_check_digit,
    ],
)
@pytest.mark.parametrize("payload", ["", "12a4", "１２３", "12 34", "-123"])
def test_numeric_schemes_reject_non_digits(function: Callable[[str], int | None], payload: str) -> None:
    assert function(payload) is None


@pytest.mark.parametrize(
    "validator",
    [
        cd.is_valid_gs1,
        cd.is_valid_luhn,
        cd.is_valid_ups,
        cd.is_valid_fedex_express,
        cd.is_valid_dhl_express,
        cd.is_valid_dhl_identcode,
        cd.is_valid_gls,
        cd.is_valid_s10,
        cd.is_valid_mod37_36,
    ],
)
@pytest.mark.parametrize("number", ["", "0", "X", "1z", "ABCDEFGHIJKLM", "12345678901x", "!!!!!!!!!!!!"])
def test_validators_reject_garbage(validator: Callable[[str], bool], number: str) -> None:
    assert validator(number) is False


def test_ups_rejects_lowercase_and_symbols() -> None:
    assert cd.ups_check_digit("999aa1012345678") is None
    assert cd.ups_check_digit("999AA101234567$") is None
    assert not cd.is_valid_ups("2Z999AA10123456784")


def test_mod37_36_rejects_lowercase() -> None:
    assert cd.mod37_36_check_char("0101502600365a") is None
    assert not cd.is_valid_mod37_36("01015026003653c")


# --- error-detection properties the schemes promise ------------------------------------------

_RNG = random.Random(20260101)
_PAYLOADS = ["".join(_RNG.choice("0123456789") for _ in range(_RNG.randint(8, 25))) for _ in range(40)]


@pytest.mark.parametrize("payload", _PAYLOADS)
@pytest.mark.parametrize(
    ("check", "valid"),
    [(cd.gs1_check_digit, cd.is_valid_gs1), (cd.luhn_check_digit, cd.is_valid_luhn)],
)
def test_mod10_schemes_catch_every_single_digit_error(
    payload: str, check: Callable[[str], int | None], valid: Callable[[str], bool]
) -> None:
    digit = check(payload)
    assert digit is not None
    number = f"{payload}{digit}"
    assert valid(number)
    for pos in range(len(number)):
        for replacement in "0123456789":
            if replacement != number[pos]:
                assert not valid(number[:pos] + replacement + number[pos + 1 :])


@pytest.mark.parametrize("payload", _PAYLOADS)
def test_mod37_36_catches_every_single_character_error(payload: str) -> None:
    char = cd.mod37_36_check_char(payload)
    assert char is not None
    number = payload + char
    for pos in range(len(number)):
        for replacement in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            if replacement != number[pos]:
                assert not cd.is_valid_mod37_36(number[:pos] + replacement + number[pos + 1 :])
