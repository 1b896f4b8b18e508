"""Carrier detection on numbers built here with reference check-digit arithmetic."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from connectors.carriers import (
    Carrier,
    CarrierMatch,
    carrier,
    code_for_name,
    detect,
    normalize_number,
    resolve,
    tracking_url,
)
from connectors.carriers.formats import (
    CARRIERS,
    GENERIC_POSTAL,
    NUMBER_FORMATS,
    POSTAL_OPERATORS,
    VALIDATED_FLOOR,
    NumberFormat,
)

# The package re-exports the function detect(), which shadows the module of the same name.
detect_module = importlib.import_module("connectors.carriers.detect")

# --- reference check digits, written from each scheme's published description ----------------

_ALNUM36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# UPS's conversion chart for letters in a 1Z number.
_UPS_CHART = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "23456789012345678901234567", strict=True))


def ref_gs1(payload: str) -> str:
    """GS1 mod 10: from the left, weight 3 where the distance to the check digit is odd."""
    total = sum(int(ch) * (3 if (len(payload) - i) % 2 == 1 else 1) for i, ch in enumerate(payload))
    return str((10 - total % 10) % 10)


def ref_luhn(payload: str) -> str:
    """Luhn: double every second digit from the right, add the digits, times 9 mod 10."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d = sum(divmod(d * 2, 10))
        total += d
    return str(total * 9 % 10)


def ref_ups(payload: str) -> str:
    """UPS: chart letters to digits; odd positions plus twice the even ones; up to the next ten."""
    values = [int(_UPS_CHART.get(ch, ch)) for ch in payload]
    total = sum(values[0::2]) + 2 * sum(values[1::2])
    return str((10 - total % 10) % 10)


def ref_fedex12(payload: str) -> str:
    """FedEx Express: weights read off the published line 31731731731, mod 11, 10 becomes 0."""
    remainder = sum(int(d) * int(w) for d, w in zip(payload, "31731731731", strict=True)) % 11
    return "0" if remainder == 10 else str(remainder)


def ref_dhl_express(payload: str) -> str:
    """DHL Express: the 9-digit serial mod 7."""
    return str(int(payload) % 7)


def ref_identcode(payload: str) -> str:
    """Deutsche Post Identcode: 4 on odd positions, 9 on even ones, up to the next ten."""
    total = sum(int(ch) * (4 if i % 2 == 0 else 9) for i, ch in enumerate(payload))
    return str((10 - total % 10) % 10)


def ref_gls(payload: str) -> str:
    """GLS: weights 3,1 from the right, plus one, up to the next ten."""
    total = 1 + sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(payload)))
    return str((10 - total % 10) % 10)


def ref_s10(serial: str) -> str:
    """UPU S10 as Wikipedia states it: C = 11 - (S mod 11); 10 -> 0, 11 -> 5."""
    s = sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    c = 11 - s % 11
    return "0" if c == 10 else "5" if c == 11 else str(c)


def ref_mod37_36(payload: str) -> str:
    """MOD 37,36 as the DPD label specification spells it out, step by step."""
    cd = 36
    for ch in payload:
        cd += _ALNUM36.index(ch)
        if cd > 36:
            cd -= 36
        cd *= 2
        if cd > 36:
            cd -= 37
    cd = 37 - cd
    return _ALNUM36[0 if cd == 36 else cd]


def complete(payload: str, check: Callable[[str], str]) -> str:
    return payload + check(payload)


def valid_under(check: Callable[[str], str], start: int = 0) -> Callable[[str], bool]:
    """A validator that recomputes `check` over number[start:-1] and compares the last character."""

    def valid(number: str) -> bool:
        return check(number[start:-1]) == number[-1]

    return valid


def counter(prefix: str, width: int) -> Iterator[str]:
    """Deterministic, well-spread payloads of prefix + `width` digits, the same on every run."""
    k = 7
    for _ in range(100_000):
        yield f"{prefix}{k:0{width}d}"
        k = (k * 7919 + 104_729) % 10**width


def first(candidates: Iterator[str], keep: Callable[[str], bool]) -> str:
    for number in candidates:
        if keep(number):
            return number
    raise AssertionError("unreachable")  # pragma: no cover


# Reference validators for every numeric format that shares a shape with another.
is_fedex12 = valid_under(ref_fedex12)
is_luhn = valid_under(ref_luhn)
is_identcode = valid_under(ref_identcode)
is_gls = valid_under(ref_gls)
is_gs1 = valid_under(ref_gs1)
is_dpd = valid_under(ref_mod37_36)
is_dhl_express = valid_under(ref_dhl_express)


def is_smartpost(number: str) -> bool:
    return ref_gs1("92" + number[:-1]) == number[-1]


def is_usps20(number: str) -> bool:
    return is_gs1(number) or ref_gs1("91" + number[:-1]) == number[-1]


def is_s10(number: str) -> bool:
    return ref_s10(number[2:10]) == number[10]


def twelve(target: Callable[[str], bool]) -> str:
    """A 12-digit number valid for `target` and for none of the other 12-digit schemes."""
    others = [v for v in (is_fedex12, is_luhn, is_identcode, is_gls) if v is not target]
    numbers = (p + str(d) for p in counter("", 11) for d in range(10))
    return first(numbers, lambda n: target(n) and not any(v(n) for v in others))


# --- one case per format ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    number: str
    code: str
    service: str
    tracked: str | None = None  # the part the URL carries, when not the whole number
    valid: Callable[[str], bool] | None = None  # reference check, for the flip test
    flip_at: int = 0


IMPB22 = complete("94" + "001" + "123456789" + "1234567", ref_gs1)  # channel, STC, MID, serial
IMPB26 = complete("92" + "055" + "123456789" + "12345678901", ref_gs1)
DPD_PAYLOAD = first(counter("0101", 10), lambda p: ref_mod37_36(p).isalpha())
DPD_DIGIT_PAYLOAD = first(counter("0202", 10), lambda p: ref_mod37_36(p).isdigit() and not is_gs1(p + ref_mod37_36(p)))
DPD_LABEL = complete("2800900" + "01015026003653" + "101" + "724", ref_mod37_36)
USPS_LEGACY = first(
    (complete(p, ref_gs1) for p in counter("0307", 15)), lambda n: not is_smartpost(n) and not n.startswith("003404")
)
USPS_91 = first(
    (complete(p, lambda p: ref_gs1("91" + p)) for p in counter("7196", 15)),
    lambda n: not is_gs1(n) and not is_smartpost(n),
)
SMARTPOST = first((complete(p, lambda p: ref_gs1("92" + p)) for p in counter("6129", 15)), lambda n: not is_usps20(n))
FEDEX15 = first((complete(p, ref_gs1) for p in counter("0414", 10)), lambda n: not is_dpd(n))
ANDREANI = first(counter("36", 13), lambda n: not is_gs1(n) and not is_dpd(n))
ESTAFETA10 = first(counter("90", 8), lambda n: not is_dhl_express(n))

CASES = [
    # UPS's own sample number, and one built here.
    Case("ups-sample", "1Z999AA10123456784", "ups", "UPS 1Z", valid=valid_under(ref_ups, 2), flip_at=9),
    Case(
        "ups-built",
        complete("1Z" + "8V92A7" + "03" + "6720302", lambda p: ref_ups(p[2:])),
        "ups",
        "UPS 1Z",
        valid=valid_under(ref_ups, 2),
        flip_at=12,
    ),
    Case("usps-impb22", IMPB22, "usps", "IMpb", valid=is_gs1, flip_at=10),
    Case("usps-impb26", IMPB26, "usps", "IMpb", valid=is_gs1, flip_at=15),
    Case(
        "usps-420zip5-22",
        "420" + "28009" + IMPB22,
        "usps",
        "IMpb (420 ZIP routed)",
        tracked=IMPB22,
        valid=lambda n: is_gs1(n[8:]),
        flip_at=20,
    ),
    Case(
        "usps-420zip9-22",
        "420" + "280091234" + IMPB22,
        "usps",
        "IMpb (420 ZIP routed)",
        tracked=IMPB22,
        valid=lambda n: is_gs1(n[12:]),
        flip_at=25,
    ),
    Case(
        "usps-420zip5-26",
        "420" + "28009" + IMPB26,
        "usps",
        "IMpb (420 ZIP routed)",
        tracked=IMPB26,
        valid=lambda n: is_gs1(n[8:]),
        flip_at=20,
    ),
    Case(
        "usps-420zip9-26",
        "420" + "280091234" + IMPB26,
        "usps",
        "IMpb (420 ZIP routed)",
        tracked=IMPB26,
        valid=lambda n: is_gs1(n[12:]),
        flip_at=25,
    ),
    Case("usps-legacy20", USPS_LEGACY, "usps", "USPS 20-digit", valid=is_usps20, flip_at=6),
    Case("usps-legacy20-91", USPS_91, "usps", "USPS 20-digit", valid=is_usps20, flip_at=6),
    Case("fedex-express", twelve(is_fedex12), "fedex", "FedEx Express", valid=is_fedex12, flip_at=3),
    # FedEx's worked example: 01234567898 -> 179 mod 11 = 3.
    Case("fedex-express-example", "012345678983", "fedex", "FedEx Express", valid=is_fedex12, flip_at=3),
    Case("fedex-ground", FEDEX15, "fedex", "FedEx Ground", valid=is_gs1, flip_at=5),
    Case(
        "fedex-ground-96",
        "96" + "11" + "020" + complete("98765431234567", ref_gs1),
        "fedex",
        "FedEx Ground (96)",
        tracked=complete("98765431234567", ref_gs1),
        valid=lambda n: is_gs1(n[-15:]),
        flip_at=12,
    ),
    Case("fedex-smartpost", SMARTPOST, "fedex", "FedEx SmartPost", valid=is_smartpost, flip_at=8),
    Case("fedex-door-tag", "DT123456789012", "fedex", "FedEx Door Tag"),
    Case(
        "dhl-express",
        complete("331881002", ref_dhl_express),
        "dhl-express",
        "DHL Express",
        valid=is_dhl_express,
        flip_at=4,
    ),
    Case("dhl-express-jjd", "JJD0099999999", "dhl-express", "DHL Express piece ID"),
    Case("dhl-express-jvgl", "JVGL0999999990", "dhl-express", "DHL Express piece ID"),
    Case("dhl-ecommerce", "GM2951173225174494", "dhl-ecommerce", "DHL eCommerce"),
    # paketda.de's 20-digit example, and one built here.
    Case("dhl-nve-example", "00340433836442636597", "dhl-parcel", "DHL Paket (NVE)", valid=is_gs1, flip_at=12),
    Case(
        "dhl-nve-built",
        complete("003404" + "1234567890123", ref_gs1),
        "dhl-parcel",
        "DHL Paket (NVE)",
        valid=is_gs1,
        flip_at=12,
    ),
    Case("dhl-identcode", twelve(is_identcode), "dhl-parcel", "DHL Paket", valid=is_identcode, flip_at=2),
    Case("dhl-jjd", "JJD1410302937991", "dhl-parcel", "DHL Paket (JJD)"),  # paketda.de example
    Case("amazon", "TBA123456789012", "amazon", "Amazon Logistics"),
    Case(
        "canada-post",
        complete("0073938" + "12345678", ref_gs1),
        "canada-post",
        "Canada Post",
        valid=is_gs1,
        flip_at=9,
    ),
    Case("purolator", twelve(is_luhn), "purolator", "Purolator", valid=is_luhn, flip_at=5),
    Case("purolator-alpha", "KYV009956937", "purolator", "Purolator (alpha)"),
    Case(
        "dpd-letter-check",
        complete(DPD_PAYLOAD, ref_mod37_36),
        "dpd",
        "DPD",
        tracked=DPD_PAYLOAD,
        valid=is_dpd,
        flip_at=7,
    ),
    Case(
        "dpd-digit-check",
        complete(DPD_DIGIT_PAYLOAD, ref_mod37_36),
        "dpd",
        "DPD",
        tracked=DPD_DIGIT_PAYLOAD,
        valid=is_dpd,
        flip_at=7,
    ),
    Case("dpd-label", DPD_LABEL, "dpd", "DPD (label barcode)", tracked="01015026003653", valid=is_dpd, flip_at=10),
    Case("dpd-bare", "01015026003653", "dpd", "DPD"),
    Case("gls", twelve(is_gls), "gls", "GLS", valid=is_gls, flip_at=6),
    Case("gls-11", "12345678901", "gls", "GLS"),
    Case("gls-track-id", "XHAX4HDA", "gls", "GLS Track-ID"),  # paketda.de example
    Case("parcelforce-9", "AA1234567", "parcelforce", "Parcelforce"),  # parcelforce.com examples
    Case("parcelforce-14", "AAAA1234567890", "parcelforce", "Parcelforce"),
    Case("correos-23", "PQ4F6P0703673180128000P", "correos", "Correos"),
    Case("correos-legacy", "PK5BM40300020000128001", "correos", "Correos"),
    Case("andreani", ANDREANI, "andreani", "Andreani"),
    Case("estafeta-22", "8055241528464720099314", "estafeta", "Estafeta waybill"),
    Case("estafeta-10", ESTAFETA10, "estafeta", "Estafeta tracking code"),
    # UPU S10, Wikipedia's example serial 47312482 -> 9.
    Case("s10-es", "RR473124829ES", "correos", "UPU S10", valid=is_s10, flip_at=4),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_detects_every_format(case: Case) -> None:
    if case.valid is not None:
        assert case.valid(case.number), "the test's own number must satisfy the reference check"
    matches = detect(case.number)
    assert matches, case.number
    best = matches[0]
    assert (best.code, best.service) == (case.code, case.service), matches
    assert best.name == CARRIERS[case.code].name
    expected_url = CARRIERS[case.code].tracking_url.format(number=case.tracked or case.number)
    assert best.tracking_url == expected_url
    assert tracking_url(case.code, case.tracked or case.number) == expected_url


FLIP_CASES = [c for c in CASES if c.valid is not None]


def flip(number: str, pos: int, still_valid: Callable[[str], bool]) -> str:
    """The number with the character at `pos` changed so that the reference check fails."""
    for replacement in "0123456789":
        if replacement != number[pos]:
            changed = number[:pos] + replacement + number[pos + 1 :]
            if not still_valid(changed):
                return changed
    raise AssertionError(f"no failing flip at {pos} of {number}")  # pragma: no cover


@pytest.mark.parametrize("case", FLIP_CASES, ids=lambda c: c.id)
def test_one_wrong_digit_loses_the_validated_match(case: Case) -> None:
    assert case.valid is not None
    assert case.number[case.flip_at].isdigit()
    wrong = flip(case.number, case.flip_at, case.valid)
    found = [(m.code, m.service) for m in detect(wrong)]
    assert (case.code, case.service) not in found
    for match in detect(wrong):
        # Whatever remains is another carrier's claim, never this format's.
        assert match.service != case.service or match.code != case.code


def test_a_wrong_dhl_express_digit_leaves_only_the_shape_only_guess() -> None:
    number = complete("331881002", ref_dhl_express)
    assert [m.code for m in detect(number)][:1] == ["dhl-express"]
    wrong = flip(number, 4, is_dhl_express)
    matches = detect(wrong)
    assert [m.code for m in matches] == ["estafeta"]
    assert matches[0].score < VALIDATED_FLOOR


def test_a_wrong_dpd_character_leaves_the_bare_parcel_shape_below_it() -> None:
    number = complete(DPD_PAYLOAD, ref_mod37_36)
    assert detect(number)[0].score >= VALIDATED_FLOOR
    assert detect(number[:14])[0].service == "DPD"
    assert detect(number[:14])[0].score < VALIDATED_FLOOR


# --- UPU S10 and the national postal operators -------------------------------------------------


def s10(service: str, serial: str, country: str) -> str:
    return f"{service}{serial}{ref_s10(serial)}{country}"


@pytest.mark.parametrize(
    ("country", "code", "name"),
    [
        ("ES", "correos", "Correos"),
        ("AR", "correo-argentino", "Correo Argentino"),
        ("MX", "correos-mexico", "Correos de México"),
        ("CO", "4-72", "4-72"),
        ("CL", "correos-chile", "Correos de Chile"),
        ("PE", "serpost", "Serpost"),
        ("US", "usps", "USPS"),
        ("GB", "royal-mail", "Royal Mail"),
        ("CA", "canada-post", "Canada Post"),
        ("DE", "deutsche-post", "Deutsche Post"),
        ("FR", "la-poste", "La Poste"),
        ("IT", "poste-italiane", "Poste Italiane"),
        ("PT", "ctt", "CTT"),
        ("BR", "correios", "Correios"),
        ("CN", "china-post", "China Post"),
    ],
)
@pytest.mark.parametrize("serial", ["47312482", "00060000", "98765432"])
def test_s10_goes_to_the_national_operator(country: str, code: str, name: str, serial: str) -> None:
    number = s10("LX", serial, country)
    matches = detect(number)
    assert len(matches) == 1
    match = matches[0]
    assert (match.code, match.name, match.service, match.country) == (code, name, "UPU S10", country)
    assert match.score >= VALIDATED_FLOOR
    assert match.tracking_url == CARRIERS[code].tracking_url.format(number=number)


def test_s10_from_an_unmapped_country_names_its_postal_service() -> None:
    number = s10("RR", "47312482", "XX")
    [match] = detect(number)
    assert match.code == GENERIC_POSTAL
    assert match.name == "Postal service of XX"
    assert match.country == "XX"
    assert number in match.tracking_url
    # A named operator is more certain than the generic one.
    assert match.score < detect(s10("RR", "47312482", "ES"))[0].score


@pytest.mark.parametrize("country", ["ES", "GB", "XX"])
def test_s10_with_a_wrong_check_digit_is_not_postal(country: str) -> None:
    number = s10("RR", "47312482", country)
    wrong = number[:6] + str((int(number[6]) + 1) % 10) + number[7:]
    assert ref_s10(wrong[2:10]) != wrong[10]
    assert detect(wrong) == []


# --- normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "1Z999AA10123456784",
        "1z999aa10123456784",
        " 1Z 999 AA1 01 2345 6784 ",
        "1Z\t999\nAA1\u00a001 2345 6784",
        "1Z-999-AA1-01-2345-6784",
        "1Z\u2013999\u2014AA1 01 2345 6784",
        "１Ｚ９９９ＡＡ１０１２３４５６７８４",  # full-width, as some keyboards type it
    ],
)
def test_whitespace_dashes_and_case_do_not_matter(raw: str) -> None:
    assert normalize_number(raw) == "1Z999AA10123456784"
    assert detect(raw) == detect("1Z999AA10123456784")


def test_normalize_keeps_other_punctuation_so_garbage_stays_garbage() -> None:
    assert normalize_number("1Z999AA1.0123456784") == "1Z999AA1.0123456784"
    assert detect("1Z999AA1.0123456784") == []


@pytest.mark.parametrize(
    "garbage", ["", "   ", "-", "hello world", "!!!", "N/A", "1234", "Ω", "not a tracking number", "1Z", "TBA"]
)
def test_garbage_detects_nothing(garbage: str) -> None:
    assert detect(garbage) == []
    assert resolve(garbage, None) is None


# --- ranking --------------------------------------------------------------------------------


def fedex_and_purolator() -> str:
    """A 12-digit number whose FedEx Express and Purolator (Luhn) check digits both hold."""
    return first(
        (complete(p, ref_luhn) for p in counter("", 11)),
        lambda n: is_fedex12(n) and not is_identcode(n) and not is_gls(n),
    )


def test_ambiguous_twelve_digits_rank_fedex_over_purolator() -> None:
    number = fedex_and_purolator()
    matches = detect(number)
    assert [m.code for m in matches] == ["fedex", "purolator"]
    assert matches[0].score > matches[1].score >= VALIDATED_FLOOR
    assert resolve(number, None) == matches[0]


@pytest.mark.parametrize("priority", [["purolator"], ["Purolator"], [" PUROLATOR "], ["seur", "purolator", "fedex"]])
def test_priority_picks_the_merchants_carrier_among_candidates(priority: list[str]) -> None:
    number = fedex_and_purolator()
    match = resolve(number, None, priority)
    assert match is not None
    assert match.code == "purolator"
    assert match.service == "Purolator"
    assert match.score < 1.0


def test_priority_outside_the_candidates_changes_nothing() -> None:
    number = fedex_and_purolator()
    match = resolve(number, None, ["seur", "not-a-carrier", ""])
    assert match is not None and match.code == "fedex"


def test_priority_lifts_a_shape_only_candidate_the_merchant_uses() -> None:
    number = complete("331881002", ref_dhl_express)
    match = resolve(number, None)
    assert match is not None and match.code == "dhl-express"
    match = resolve(number, None, ["estafeta"])
    assert match is not None and match.code == "estafeta"


def test_all_four_twelve_digit_schemes_keep_a_fixed_order() -> None:
    number = first(
        (p + str(d) for p in counter("", 11) for d in range(10)),
        lambda n: all(v(n) for v in (is_fedex12, is_luhn, is_identcode, is_gls)),
    )
    codes = [m.code for m in detect(number)]
    assert codes == ["fedex", "purolator", "dhl-parcel", "gls"]
    assert detect(number) == detect(number)


def test_twenty_digits_are_never_both_smartpost_and_usps() -> None:
    # The hidden "92" adds 9*3 + 2 = 29 to the GS1 sum and "91" adds 28, so the three readings
    # of a 20-digit number (as printed, behind 91, behind 92) always want different check digits.
    payloads = counter("1", 18)
    for _ in range(200):
        payload = next(payloads)
        digits = {ref_gs1(payload), ref_gs1("91" + payload), ref_gs1("92" + payload)}
        assert len(digits) == 3
        for d in "0123456789":
            codes = [m.code for m in detect(payload + d)]
            assert not {"fedex", "usps"} <= set(codes)


def test_equal_scores_break_ties_by_code_then_service(monkeypatch: pytest.MonkeyPatch) -> None:
    shape = re.compile(r"[0-9]{9}", re.ASCII)
    tied = tuple(NumberFormat(code, service, shape, None, 0.3) for code, service in TIED)
    monkeypatch.setattr(detect_module, "NUMBER_FORMATS", tied)
    for _ in range(3):
        assert [m.code for m in detect("123456789")] == ["dpd", "gls", "ups"]


TIED = [("ups", "B"), ("gls", "A"), ("dpd", "Z"), ("ups", "A")]


def test_one_match_per_carrier() -> None:
    for case in CASES:
        codes = [m.code for m in detect(case.number)]
        assert len(codes) == len(set(codes)), case.id


# --- the tables themselves ------------------------------------------------------------------


def test_validated_formats_always_outscore_shape_only_ones() -> None:
    validated = [f.score for f in NUMBER_FORMATS if f.validator is not None]
    shape_only = [f.score for f in NUMBER_FORMATS if f.validator is None]
    assert min(validated) >= VALIDATED_FLOOR > max(shape_only)
    assert all(0 < s < 1 for s in validated + shape_only)


def test_every_format_and_operator_names_a_known_carrier() -> None:
    for fmt in NUMBER_FORMATS:
        assert fmt.carrier is None or fmt.carrier in CARRIERS
        assert fmt.carrier is not None or "country" in fmt.pattern.groupindex
    for code in POSTAL_OPERATORS.values():
        assert code in CARRIERS


@pytest.mark.parametrize("entry", list(CARRIERS.values()), ids=lambda c: c.code)
def test_every_carrier_has_a_tracking_page_template(entry: Carrier) -> None:
    assert entry.tracking_url.startswith("https://")
    assert entry.tracking_url.count("{number}") == 1
    assert entry.code == entry.code.lower()


# --- lookups ----------------------------------------------------------------------------------


def test_carrier_lookup() -> None:
    assert carrier("ups") == CARRIERS["ups"]
    assert carrier(" UPS ") == CARRIERS["ups"]
    assert carrier("nope") is None


def test_tracking_url_normalises_and_escapes() -> None:
    assert tracking_url("ups", " 1z 999 aa1 01 2345 6784 ") == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert tracking_url("ups", "A/B?C&D") == "https://www.ups.com/track?tracknum=A%2FB%3FC%26D"
    assert tracking_url("nope", "1Z999AA10123456784") is None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("UPS", "ups"),
        ("ups", "ups"),
        ("United Parcel Service", "ups"),
        ("FedEx", "fedex"),
        ("Fedex", "fedex"),
        ("fedex", "fedex"),
        ("FEDEX", "fedex"),
        ("USPS", "usps"),
        ("usps", "usps"),
        ("DHL Express", "dhl-express"),
        ("dhl-express", "dhl-express"),
        ("DHL", "dhl-express"),
        ("DHL eCommerce", "dhl-ecommerce"),
        ("dhl-ecommerce", "dhl-ecommerce"),
        ("DHL eCommerce Asia", "dhl-ecommerce"),
        ("DHL Paket", "dhl-parcel"),
        ("Correos", "correos"),
        ("correos", "correos"),
        ("Correos Express", "correos-express"),
        ("correos-express", "correos-express"),
        ("SEUR", "seur"),
        ("seur", "seur"),
        ("MRW", "mrw"),
        ("GLS", "gls"),
        ("gls", "gls"),
        ("GLS (US)", "gls"),
        ("Canada Post", "canada-post"),
        ("canada-post", "canada-post"),
        ("Royal Mail", "royal-mail"),
        ("royal-mail", "royal-mail"),
        ("Amazon Logistics", "amazon"),
        ("Amazon Logistics UK", "amazon"),
        ("amazon-logistics", "amazon"),
        ("Purolator", "purolator"),
        ("DPD", "dpd"),
        ("DPD UK", "dpd"),
        ("Andreani", "andreani"),
        ("OCA", "oca"),
        ("Estafeta", "estafeta"),
        ("Correo Argentino", "correo-argentino"),
        ("Correos de México", "correos-mexico"),
        ("correos de mexico", "correos-mexico"),
        ("4-72", "4-72"),
        ("Deutsche Post", "deutsche-post"),
        ("La Poste", "la-poste"),
        ("Correios", "correios"),
        ("  Canada   Post  ", "canada-post"),
    ],
)
def test_code_for_name(name: str, code: str) -> None:
    assert code_for_name(name) == code


@pytest.mark.parametrize("code", [c for c in CARRIERS if c != GENERIC_POSTAL])
def test_every_code_and_display_name_maps_back_to_its_code(code: str) -> None:
    # Callers hand a carrier's display name back to resolve(); it must land on the same code.
    assert code_for_name(code) == code
    assert code_for_name(CARRIERS[code].name) == code
    assert code_for_name(CARRIERS[code].name.upper()) == code


@pytest.mark.parametrize("name", ["", "   ", "Other", "Acme Couriers", "Postal service", "upu", "-"])
def test_code_for_name_unknown(name: str) -> None:
    assert code_for_name(name) is None


# --- resolve ----------------------------------------------------------------------------------


def test_platform_carrier_wins_over_detection() -> None:
    match = resolve(" 1z999aa10123456784 ", "FedEx")
    assert match == CarrierMatch(
        code="fedex",
        name="FedEx",
        service=None,
        tracking_url="https://www.fedex.com/fedextrack/?trknbr=1Z999AA10123456784",
        score=1.0,
    )


def test_platform_carrier_keeps_what_detection_knows_about_it() -> None:
    number = s10("RR", "47312482", "ES")
    match = resolve(number, "correos")
    assert match is not None
    assert (match.code, match.service, match.country, match.score) == ("correos", "UPU S10", "ES", 1.0)
    routed = "420" + "28009" + IMPB22
    match = resolve(routed, "USPS")
    assert match is not None
    assert match.tracking_url == CARRIERS["usps"].tracking_url.format(number=IMPB22)


def test_platform_carrier_wins_even_for_numbers_we_cannot_read() -> None:
    match = resolve("ABC-123/45", "SEUR")
    assert match is not None
    assert (match.code, match.service, match.score) == ("seur", None, 1.0)
    assert match.tracking_url == "https://www.seur.com/miseur/mis-envios?tracking=ABC123%2F45"


@pytest.mark.parametrize("platform", [None, "", "Other", "Acme Couriers"])
def test_unknown_platform_carrier_falls_back_to_detection(platform: str | None) -> None:
    match = resolve("1Z999AA10123456784", platform)
    assert match is not None
    assert (match.code, match.service) == ("ups", "UPS 1Z")
    assert match.score == detect("1Z999AA10123456784")[0].score


def test_priority_does_not_override_the_platform() -> None:
    number = fedex_and_purolator()
    match = resolve(number, "FedEx", ["purolator"])
    assert match is not None and match.code == "fedex" and match.score == 1.0


def test_nothing_to_resolve() -> None:
    assert resolve("", "UPS") is None
    assert resolve("hello", None) is None
    assert resolve("hello", "Other", ["ups"]) is None
