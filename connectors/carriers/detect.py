"""Which carrier a tracking number belongs to, and the page that tracks it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final
from urllib.parse import quote

from connectors.carriers.formats import CARRIERS, GENERIC_POSTAL, NUMBER_FORMATS, POSTAL_OPERATORS, Carrier

# Whitespace of any kind and the dashes people paste from labels, e-mails and PDFs. No format in
# formats.py contains a hyphen, so dropping them loses nothing while grouped numbers such as
# "7946-1234-5678" or "1Z 999 AA1 01 2345 6784" still match.
_SEPARATORS: Final = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]+")


# An S10 number from a country whose operator we do not know is still postal, but less useful.
_UNNAMED_OPERATOR_PENALTY: Final = 0.05


def normalize_number(raw: str) -> str:
    """The number as the format table reads it: NFKC, separators dropped, upper case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()


@dataclass(frozen=True, slots=True)
class CarrierMatch:
    """One carrier a number may belong to, with how sure we are and where to track it."""

    code: str
    name: str
    service: str | None
    tracking_url: str
    score: float
    country: str | None = None  # the issuing country of a UPU S10 number


def carrier(code: str) -> Carrier | None:
    """Our carrier entry for a code, so callers never index the table with raw input."""
    return CARRIERS.get(code.strip().lower())


def tracking_url(code: str, number: str) -> str | None:
    """The carrier's public tracking page for a number, or None for an unknown carrier."""
    entry = carrier(code)
    if entry is None:
        return None
    return entry.tracking_url.format(number=quote(normalize_number(number), safe=""))


def _name_key(name: str) -> str:
    """Names compare on letters and digits only, so "DHL Express", "dhl-express" and "DHL_EXPRESS" agree."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", name).casefold() if ch.isalnum())


# Carrier names as Shopify, WooCommerce Shipment Tracking and merchants write them -> our codes.
# Codes and display names are added below; these are the other spellings seen in the wild.
_NAME_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "United Parcel Service": "ups",
        "UPS Ground": "ups",
        "United States Postal Service": "usps",
        "US Postal Service": "usps",
        "Federal Express": "fedex",
        "FedEx Ground": "fedex",
        "FedEx Express": "fedex",
        "FedEx SmartPost": "fedex",
        "DHL": "dhl-express",
        "DHL Worldwide Express": "dhl-express",
        "DHL eCommerce Asia": "dhl-ecommerce",
        "DHL eCommerce Solutions": "dhl-ecommerce",
        "DHL Global Mail": "dhl-ecommerce",
        "DHL Parcel": "dhl-parcel",
        "DHL Germany": "dhl-parcel",
        "DHL DE": "dhl-parcel",
        "Amazon": "amazon",
        "Amazon Logistics UK": "amazon",
        "Amazon Logistics US": "amazon",
        "Amazon Shipping": "amazon",
        "Postes Canada": "canada-post",
        "DPD UK": "dpd",
        "DPD Local": "dpd",
        "DPD DE": "dpd",
        "DPD Germany": "dpd",
        "DPD Group": "dpd",
        "GLS (US)": "gls",
        "GLS Spain": "gls",
        "GLS Europe": "gls",
        "General Logistics Systems": "gls",
        "Royal Mail UK": "royal-mail",
        "Parcel Force": "parcelforce",
        "Correos de España": "correos",
        "Correos Spain": "correos",
        "Correos España": "correos",
        "Chronoexpress": "correos-express",
        "OCA Argentina": "oca",
        "Estafeta México": "estafeta",
        "Estafeta Mexico": "estafeta",
        "Correos de Mexico": "correos-mexico",
        "Mexico Post": "correos-mexico",
        "Argentina Post": "correo-argentino",
        "472": "4-72",
        "Colombia Post": "4-72",
        "CorreosChile": "correos-chile",
        "Chile Post": "correos-chile",
        "Serpost Peru": "serpost",
        "Colissimo": "la-poste",
        "CTT Correios de Portugal": "ctt",
        "Correios Brazil": "correios",
        "Brazil Correios": "correios",
        "China EMS": "china-post",
    }
)


def _build_name_index() -> Mapping[str, str]:
    """Every spelling key -> code, built once so code_for_name is a single lookup."""
    index: dict[str, str] = {}
    for entry in CARRIERS.values():
        if entry.code == GENERIC_POSTAL:
            continue  # "Postal service" names no carrier
        index[_name_key(entry.code)] = entry.code
        index[_name_key(entry.name)] = entry.code
    for alias, code in _NAME_ALIASES.items():
        index[_name_key(alias)] = code
    return MappingProxyType(index)


_NAME_INDEX: Final = _build_name_index()


def code_for_name(name: str) -> str | None:
    """Our code for a carrier name as a platform sends it, case- and punctuation-insensitively."""
    key = _name_key(name)
    return _NAME_INDEX.get(key) if key else None


def _sort_key(match: CarrierMatch) -> tuple[float, str, str]:
    """Best score first, then by code and service so equal scores always come out in one order."""
    return (-match.score, match.code, match.service or "")


def detect(number: str) -> list[CarrierMatch]:
    """Every carrier whose published format the number fits, best first; [] when none does."""
    normalized = normalize_number(number)
    if not normalized:
        return []
    best: dict[str, CarrierMatch] = {}
    for fmt in NUMBER_FORMATS:
        found = fmt.pattern.fullmatch(normalized)
        if found is None or (fmt.validator is not None and not fmt.validator(normalized)):
            continue
        country: str | None = None
        if fmt.carrier is None:
            country = found.group("country")
            code = POSTAL_OPERATORS.get(country, GENERIC_POSTAL)
        else:
            code = fmt.carrier
        entry = CARRIERS[code]
        name = f"Postal service of {country}" if code == GENERIC_POSTAL else entry.name
        score = fmt.score - _UNNAMED_OPERATOR_PENALTY if code == GENERIC_POSTAL else fmt.score
        track = fmt.tracking(normalized) if fmt.tracking is not None else normalized
        match = CarrierMatch(
            code=code,
            name=name,
            service=fmt.service,
            tracking_url=entry.tracking_url.format(number=quote(track, safe="")),
            score=score,
            country=country,
        )
        # One entry per carrier: its best-scoring format stands for it.
        if code not in best or _sort_key(match) < _sort_key(best[code]):
            best[code] = match
    return sorted(best.values(), key=_sort_key)


def _priority_codes(priority: Sequence[str]) -> dict[str, int]:
    """The merchant's list as code -> rank; names are accepted too, unknown entries ignored."""
    ranks: dict[str, int] = {}
    for item in priority:
        code = item.strip().lower() if carrier(item) is not None else code_for_name(item)
        if code is not None and code not in ranks:
            ranks[code] = len(ranks)
    return ranks


def resolve(number: str, platform_carrier: str | None, priority: Sequence[str] = ()) -> CarrierMatch | None:
    """The carrier to track a shipment with: the platform's word first, else our best detection."""
    normalized = normalize_number(number)
    if not normalized:
        return None
    candidates = detect(normalized)
    code = code_for_name(platform_carrier) if platform_carrier else None
    if code is not None:
        entry = CARRIERS[code]
        same = next((m for m in candidates if m.code == code), None)
        if same is not None:
            return CarrierMatch(
                code=code,
                name=same.name,
                service=same.service,
                tracking_url=same.tracking_url,
                score=1.0,
                country=same.country,
            )
        return CarrierMatch(
            code=code,
            name=entry.name,
            service=None,
            tracking_url=entry.tracking_url.format(number=quote(normalized, safe="")),
            score=1.0,
        )
    if not candidates:
        return None
    ranks = _priority_codes(priority)
    # A carrier the merchant ships with beats a likelier-looking one it never uses.
    return min(candidates, key=lambda m: (ranks.get(m.code, len(ranks)), _sort_key(m)))
