"""Check-digit schemes carriers publish, as pure functions over digit strings."""

from __future__ import annotations

from collections.abc import Sequence

_ALNUM36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _digits(text: str) -> list[int] | None:
    """The digits of an ASCII-digit string, or None so callers reject anything else."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    return [ord(ch) - 48 for ch in text]


def _weighted_sum_from_right(digits: Sequence[int], weights: Sequence[int]) -> int:
    """Sum with weights cycling from the rightmost digit, the way GS1-style schemes count."""
    return sum(d * weights[i % len(weights)] for i, d in enumerate(reversed(digits)))


# --- GS1 mod 10 (weights 3,1 from the right) ------------------------------------------------


def gs1_check_digit(payload: str) -> int | None:
    """GS1 mod 10 (weights 3,1 from the rightmost payload digit): SSCC, IMpb, FedEx Ground, Canada Post."""
    digits = _digits(payload)
    if digits is None:
        return None
    return (10 - _weighted_sum_from_right(digits, (3, 1)) % 10) % 10


def is_valid_gs1(number: str) -> bool:
    """GS1 mod 10 on a whole number whose last digit is the check digit."""
    return len(number) > 1 and number[-1:].isdigit() and gs1_check_digit(number[:-1]) == int(number[-1])


# --- Luhn -----------------------------------------------------------------------------------


def luhn_check_digit(payload: str) -> int | None:
    """Luhn mod 10 (double every second digit from the right, sum the digits): Purolator PINs."""
    digits = _digits(payload)
    if digits is None:
        return None
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def is_valid_luhn(number: str) -> bool:
    """Luhn mod 10 on a whole number whose last digit is the check digit."""
    return len(number) > 1 and number[-1:].isdigit() and luhn_check_digit(number[:-1]) == int(number[-1])


# --- UPS 1Z ---------------------------------------------------------------------------------


def _ups_value(ch: str) -> int | None:
    """UPS maps a letter to a digit as (position in the alphabet + 2) mod 10: A=2 ... H=9, I=0 ..."""
    if "0" <= ch <= "9":
        return ord(ch) - 48
    if "A" <= ch <= "Z":
        return (ord(ch) - ord("A") + 2) % 10
    return None


def ups_check_digit(payload: str) -> int | None:
    """UPS 1Z mod 10: the 15 characters after "1Z", letters mapped, every second one doubled (no digit sum)."""
    values = [_ups_value(ch) for ch in payload]
    if not values or any(v is None for v in values):
        return None
    total = sum(v * (2 if i % 2 else 1) for i, v in enumerate(values) if v is not None)
    return (10 - total % 10) % 10


def is_valid_ups(number: str) -> bool:
    """UPS 1Z mod 10 on an 18-character 1Z number."""
    if len(number) != 18 or not number.startswith("1Z") or not number[-1:].isdigit():
        return False
    return ups_check_digit(number[2:-1]) == int(number[-1])


# --- FedEx Express (mod 11, weights 1,3,7 from the right) -------------------------------------


def fedex_express_check_digit(payload: str) -> int | None:
    """FedEx Express mod 11: weights 1,3,7 repeating from the rightmost payload digit, remainder mod 10."""
    digits = _digits(payload)
    if digits is None:
        return None
    return _weighted_sum_from_right(digits, (1, 3, 7)) % 11 % 10


def is_valid_fedex_express(number: str) -> bool:
    """FedEx Express mod 11 on a 12-digit number."""
    return len(number) == 12 and number[-1:].isdigit() and fedex_express_check_digit(number[:-1]) == int(number[-1])


# --- DHL Express (mod 7) --------------------------------------------------------------------


def dhl_express_check_digit(payload: str) -> int | None:
    """DHL Express waybill mod 7: the payload read as one integer, remainder by 7."""
    if _digits(payload) is None:
        return None
    return int(payload) % 7


def is_valid_dhl_express(number: str) -> bool:
    """DHL Express mod 7 on a 10-digit waybill."""
    return len(number) == 10 and number[-1:].isdigit() and dhl_express_check_digit(number[:-1]) == int(number[-1])


# --- Deutsche Post / DHL Paket Identcode (weights 4,9) ---------------------------------------


def dhl_identcode_check_digit(payload: str) -> int | None:
    """Deutsche Post Identcode mod 10: weights 4,9 alternating from the leftmost digit."""
    digits = _digits(payload)
    if digits is None:
        return None
    total = sum(d * (4 if i % 2 == 0 else 9) for i, d in enumerate(digits))
    return (10 - total % 10) % 10


def is_valid_dhl_identcode(number: str) -> bool:
    """Deutsche Post Identcode mod 10 on a 12-digit DHL Paket number."""
    return len(number) == 12 and number[-1:].isdigit() and dhl_identcode_check_digit(number[:-1]) == int(number[-1])


# --- GLS (weights 3,1 from the right, plus one) ---------------------------------------------


def gls_check_digit(payload: str) -> int | None:
    """GLS parcel number mod 10: weights 3,1 from the rightmost payload digit, plus 1 before the mod."""
    digits = _digits(payload)
    if digits is None:
        return None
    return (10 - (_weighted_sum_from_right(digits, (3, 1)) + 1) % 10) % 10


def is_valid_gls(number: str) -> bool:
    """GLS mod 10 on a 12-digit parcel number."""
    return len(number) == 12 and number[-1:].isdigit() and gls_check_digit(number[:-1]) == int(number[-1])


# --- UPU S10 --------------------------------------------------------------------------------

_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> int | None:
    """UPU S10 mod 11: weights 8,6,4,2,3,5,9,7 on the serial, 11 - remainder, with 10 -> 0 and 11 -> 5."""
    digits = _digits(serial)
    if digits is None or len(digits) != 8:
        return None
    check = 11 - sum(d * w for d, w in zip(digits, _S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def is_valid_s10(number: str) -> bool:
    """UPU S10 mod 11 on a 13-character item identifier (2 letters, 8 digits, check, 2 letters)."""
    if len(number) != 13 or not number[10:11].isdigit():
        return False
    return s10_check_digit(number[2:10]) == int(number[10])


# --- ISO/IEC 7064 MOD 37,36 (DPD) ------------------------------------------------------------


def mod37_36_check_char(payload: str) -> str | None:
    """ISO/IEC 7064 MOD 37,36 hybrid system over 0-9A-Z: the DPD parcel number check character."""
    if not payload or any(ch not in _ALNUM36 for ch in payload):
        return None
    modulus = 36
    product = modulus
    for ch in payload:
        total = (product + _ALNUM36.index(ch)) % modulus or modulus
        product = (total * 2) % (modulus + 1)
    return _ALNUM36[(modulus + 1 - product) % modulus]


def is_valid_mod37_36(number: str) -> bool:
    """ISO/IEC 7064 MOD 37,36 on a whole string whose last character is the check character."""
    return len(number) > 1 and mod37_36_check_char(number[:-1]) == number[-1]
