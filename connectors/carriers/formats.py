"""The carriers we know and the tracking-number formats they publish, as two tables."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from connectors.carriers import checkdigits as cd


@dataclass(frozen=True, slots=True)
class Carrier:
    """A carrier as shoppers meet it: a name and the public page that tracks a number."""

    code: str
    name: str
    tracking_url: str  # template with {number}


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """One published shape of a carrier's tracking number, matched on the normalised number."""

    carrier: str | None  # None: a UPU S10 number, whose operator follows its country code
    service: str
    pattern: re.Pattern[str]  # fullmatch on the normalised number
    validator: Callable[[str], bool] | None  # the check digit; None where none is published
    score: float  # validated formats score >= VALIDATED_FLOOR, shape-only ones below it
    tracking: Callable[[str], str] | None = None  # the part the carrier's page wants, when not all


# A check digit that holds is evidence; a shape alone is a guess. Keep the two bands apart.
VALIDATED_FLOOR: Final = 0.6

# The code for S10 numbers from a country without an operator in POSTAL_OPERATORS.
GENERIC_POSTAL: Final = "upu"

# URL templates are the carriers' public tracking pages; a few regional ones (marked) are
# best-known deep links that could not be confirmed offline and are worth checking live.
CARRIERS: Final[Mapping[str, Carrier]] = MappingProxyType(
    {
        c.code: c
        for c in (
            Carrier("ups", "UPS", "https://www.ups.com/track?tracknum={number}"),
            Carrier("usps", "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
            Carrier("fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
            Carrier(
                "dhl-express",
                "DHL Express",
                "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}",
            ),
            Carrier(
                "dhl-ecommerce",
                "DHL eCommerce",
                "https://www.dhl.com/global-en/home/tracking/tracking-ecommerce.html?submit=1&tracking-id={number}",
            ),
            Carrier(
                "dhl-parcel",
                "DHL Paket",
                "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={number}",
            ),
            Carrier(
                "deutsche-post",
                "Deutsche Post",
                "https://www.deutschepost.de/de/s/sendungsverfolgung/verfolgen.html?piececode={number}",
            ),
            Carrier("amazon", "Amazon Logistics", "https://track.amazon.com/tracking/{number}"),
            Carrier(
                "canada-post",
                "Canada Post",
                "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
            ),
            Carrier("purolator", "Purolator", "https://www.purolator.com/en/shipping/tracker?searchValue={number}"),
            Carrier("dpd", "DPD", "https://tracking.dpd.de/status/en_US/parcel/{number}"),
            Carrier("gls", "GLS", "https://gls-group.eu/EU/en/parcel-tracking?match={number}"),
            Carrier("royal-mail", "Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/{number}"),
            Carrier(
                "parcelforce", "Parcelforce Worldwide", "https://www.parcelforce.com/track-trace?trackNumber={number}"
            ),
            Carrier(
                "correos",
                "Correos",
                "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number={number}",
            ),
            Carrier("correos-express", "Correos Express", "https://s.correosexpress.com/c?n={number}"),  # unconfirmed
            Carrier("seur", "SEUR", "https://www.seur.com/miseur/mis-envios?tracking={number}"),
            Carrier(  # unconfirmed
                "mrw",
                "MRW",
                "https://www.mrw.es/seguimiento_envios/MRW_resultados_consultas.asp?modo=nacional&envio={number}",
            ),
            Carrier("andreani", "Andreani", "https://www.andreani.com/envio/{number}"),  # unconfirmed
            Carrier("oca", "OCA", "https://www.oca.com.ar/Busquedas/Envios?numero={number}"),  # unconfirmed
            Carrier("estafeta", "Estafeta", "https://cs.estafeta.com/es/Tracking/searchByGet?wayBill={number}"),
            Carrier(  # unconfirmed
                "correo-argentino",
                "Correo Argentino",
                "https://www.correoargentino.com.ar/formularios/e-commerce?id={number}",
            ),
            Carrier(  # unconfirmed
                "correos-mexico",
                "Correos de México",
                "https://www.correosdemexico.gob.mx/SSLServicios/SeguimientoEnvio/Seguimiento.aspx?guia={number}",
            ),
            Carrier("4-72", "4-72", "https://www.4-72.com.co/rastreo?guia={number}"),  # unconfirmed
            Carrier(
                "correos-chile",
                "Correos de Chile",
                "https://www.correos.cl/web/guest/seguimiento-en-linea?codigos={number}",
            ),
            Carrier("serpost", "Serpost", "https://www.serpost.com.pe/seguimiento?codigo={number}"),  # unconfirmed
            Carrier("la-poste", "La Poste", "https://www.laposte.fr/outils/suivre-vos-envois?code={number}"),
            Carrier(
                "poste-italiane",
                "Poste Italiane",
                "https://www.poste.it/cerca/index.html#/risultati-spedizioni/{number}",
            ),
            Carrier(
                "ctt", "CTT", "https://www.ctt.pt/feapl_2/app/open/objectSearch/objectSearch.jspx?objects={number}"
            ),
            Carrier("correios", "Correios", "https://rastreamento.correios.com.br/app/index.php?objetos={number}"),
            Carrier("china-post", "China Post", "https://track.chinapost.com.cn/?trackNumber={number}"),  # unconfirmed
            # Any other S10 issuer: an aggregator page, since the operator's own page is unknown.
            Carrier(GENERIC_POSTAL, "Postal service", "https://t.17track.net/en#nums={number}"),
        )
    }
)

# UPU S10: the last two letters name the issuing country, whose designated operator owns the number.
POSTAL_OPERATORS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "ES": "correos",
        "AR": "correo-argentino",
        "MX": "correos-mexico",
        "CO": "4-72",
        "CL": "correos-chile",
        "PE": "serpost",
        "US": "usps",
        "GB": "royal-mail",
        "CA": "canada-post",
        "DE": "deutsche-post",
        "FR": "la-poste",
        "IT": "poste-italiane",
        "PT": "ctt",
        "BR": "correios",
        "CN": "china-post",
    }
)


def _fullmatch(pattern: str) -> re.Pattern[str]:
    """Patterns are written for the normalised number: upper-case ASCII, no separators."""
    return re.compile(pattern, re.ASCII)


# --- validators that need more than one check-digit call ------------------------------------


def _usps_pic(number: str) -> str | None:
    """The IMpb Package Identification Code inside a 420+ZIP routed barcode, if one validates."""
    for zip_len in (5, 9):
        pic = number[3 + zip_len :]
        if len(pic) in (22, 26) and pic[0] == "9" and pic[1] in "12345" and cd.is_valid_gs1(pic):
            return pic
    return None


def _usps_routed_valid(number: str) -> bool:
    """IMpb with its 420+ZIP routing prefix: the check digit covers the PIC only."""
    return _usps_pic(number) is not None


def _usps_routed_tracking(number: str) -> str:
    """USPS tracks the PIC; the 420+ZIP prefix is routing data for sorting machines."""
    return _usps_pic(number) or number


def _usps_legacy20_valid(number: str) -> bool:
    """Legacy 20-digit USPS numbers: GS1 mod 10 as printed, or with the dropped "91" channel prefix."""
    return cd.is_valid_gs1(number) or cd.is_valid_gs1("91" + number)


def _fedex_smartpost_valid(number: str) -> bool:
    """FedEx SmartPost prints 20 digits; the GS1 check digit covers them behind the "92" identifier."""
    return cd.is_valid_gs1("92" + number)


def _last15(number: str) -> str:
    """The 15-digit FedEx Ground tracking number inside a 96 barcode."""
    return number[-15:]


def _fedex_ground96_valid(number: str) -> bool:
    """FedEx Ground 96 barcode: GS1 mod 10 on its trailing 15-digit tracking number."""
    return cd.is_valid_gs1(_last15(number))


def _dpd_label_tracking(number: str) -> str:
    """The 14-digit parcel number inside DPD's 28-character label barcode."""
    return number[7:21]


def _dpd_parcel_tracking(number: str) -> str:
    """DPD's pages take the 14-digit parcel number without its check character."""
    return number[:14]


# Scores: check-digit formats sit in [0.6, 1.0) by how distinctive their shape is; where two
# carriers share a shape (12 digits: FedEx, Purolator, DHL Paket, GLS) the order is a prior by
# shipping volume, which a merchant's priority list overrides in resolve().
NUMBER_FORMATS: Final[tuple[NumberFormat, ...]] = (
    # UPS: 1Z + 6 shipper + 2 service + 7 package + check (UPS mod 10).
    NumberFormat("ups", "UPS 1Z", _fullmatch(r"1Z[0-9A-Z]{15}[0-9]"), cd.is_valid_ups, 0.95),
    # UPU S10: 2 letters + 8 digits + check + ISO country; the operator follows the country code.
    NumberFormat(None, "UPU S10", _fullmatch(r"[A-Z]{2}[0-9]{9}(?P<country>[A-Z]{2})"), cd.is_valid_s10, 0.9),
    # USPS IMpb (Pub. 199): channel 91-95 + STC + MID + serial + check = 22 or 26 digits,
    # optionally behind the 420+ZIP5 or 420+ZIP9 routing prefix (30/34/38 digits in all).
    NumberFormat(
        "usps",
        "IMpb (420 ZIP routed)",
        _fullmatch(r"420[0-9]{27,35}"),
        _usps_routed_valid,
        0.9,
        _usps_routed_tracking,
    ),
    NumberFormat("usps", "IMpb", _fullmatch(r"9[1-5][0-9]{20}(?:[0-9]{4})?"), cd.is_valid_gs1, 0.85),
    # Legacy 20-digit USPS numbers (Delivery Confirmation era), GS1 mod 10.
    NumberFormat("usps", "USPS 20-digit", _fullmatch(r"[0-9]{20}"), _usps_legacy20_valid, 0.65),
    # FedEx Express: 11 digits + mod 11 check (weights 1,3,7 from the right).
    NumberFormat("fedex", "FedEx Express", _fullmatch(r"[0-9]{12}"), cd.is_valid_fedex_express, 0.7),
    # FedEx Ground: 14 digits + GS1 mod 10 check.
    NumberFormat("fedex", "FedEx Ground", _fullmatch(r"[0-9]{15}"), cd.is_valid_gs1, 0.7),
    # FedEx Ground 96 barcode: 96 + SCNC(2) + service(3) + the 15-digit Ground number.
    NumberFormat("fedex", "FedEx Ground (96)", _fullmatch(r"96[0-9]{20}"), _fedex_ground96_valid, 0.85, _last15),
    # FedEx SmartPost: 20 digits printed, IMpb check digit computed behind the "92" identifier.
    # The 22-digit 92... form is a USPS IMpb and is reported as USPS above.
    NumberFormat("fedex", "FedEx SmartPost", _fullmatch(r"[0-9]{20}"), _fedex_smartpost_valid, 0.7),
    # FedEx door tag: "DT" + 12 digits; no published check digit, shape only.
    NumberFormat("fedex", "FedEx Door Tag", _fullmatch(r"DT[0-9]{12}"), None, 0.55),
    # DHL Express waybill: 9 digits + mod 7 check.
    NumberFormat("dhl-express", "DHL Express", _fullmatch(r"[0-9]{10}"), cd.is_valid_dhl_express, 0.7),
    # DHL Express piece IDs (license plates); no published check digit, shape only.
    NumberFormat("dhl-express", "DHL Express piece ID", _fullmatch(r"(?:JJD|JVGL)[0-9]{9,10}"), None, 0.5),
    # DHL eCommerce: a prefix + 10-39 digits; no published check digit, shape only.
    NumberFormat(
        "dhl-ecommerce",
        "DHL eCommerce",
        _fullmatch(r"(?:GM|LX|RX|UV|CN|SG|TH|IN|HK|MY)[0-9]{10,39}"),
        None,
        0.4,
    ),
    # DHL Paket (Germany): the 20-digit NVE, an SSCC behind AI 00; DHL's begin 003404 (paketda.de).
    NumberFormat("dhl-parcel", "DHL Paket (NVE)", _fullmatch(r"003404[0-9]{14}"), cd.is_valid_gs1, 0.85),
    # DHL Paket 12-digit Identcode: Deutsche Post weights 4,9 mod 10.
    NumberFormat("dhl-parcel", "DHL Paket", _fullmatch(r"[0-9]{12}"), cd.is_valid_dhl_identcode, 0.62),
    # DHL Paket "JJD" + 13-18 digits (paketda.de); structure not published, shape only, uncertain.
    NumberFormat("dhl-parcel", "DHL Paket (JJD)", _fullmatch(r"JJD[0-9]{13,18}"), None, 0.45),
    # Amazon Logistics: "TBA" + 12 digits; Amazon publishes no check digit, shape only.
    NumberFormat("amazon", "Amazon Logistics", _fullmatch(r"TBA[0-9]{12}"), None, 0.55),
    # Canada Post: 7-digit header + 8-digit sequence + mod 10 check (GS1 weights).
    NumberFormat("canada-post", "Canada Post", _fullmatch(r"[0-9]{16}"), cd.is_valid_gs1, 0.7),
    # Purolator: 12-digit PIN with a Luhn check digit.
    NumberFormat("purolator", "Purolator", _fullmatch(r"[0-9]{12}"), cd.is_valid_luhn, 0.65),
    # Purolator: 3 letters + 9 digits; no published check digit, shape only.
    NumberFormat("purolator", "Purolator (alpha)", _fullmatch(r"[A-Z]{3}[0-9]{9}"), None, 0.45),
    # DPD: 14-digit parcel number + ISO 7064 MOD 37,36 check character.
    NumberFormat("dpd", "DPD", _fullmatch(r"[0-9]{14}[0-9A-Z]"), cd.is_valid_mod37_36, 0.8, _dpd_parcel_tracking),
    # DPD label barcode: 7 postcode + 14 parcel + 3 service + 3 country + MOD 37,36 character.
    NumberFormat(
        "dpd", "DPD (label barcode)", _fullmatch(r"[0-9]{27}[0-9A-Z]"), cd.is_valid_mod37_36, 0.85, _dpd_label_tracking
    ),
    # DPD parcel number printed without its check character: shape only.
    NumberFormat("dpd", "DPD", _fullmatch(r"[0-9]{14}"), None, 0.3),
    # GLS: 2 depot + 2 product + serial + check (GLS mod 10, weights 3,1 plus one), 12 digits.
    NumberFormat("gls", "GLS", _fullmatch(r"[0-9]{12}"), cd.is_valid_gls, 0.6),
    # GLS parcel number without its check digit: shape only.
    NumberFormat("gls", "GLS", _fullmatch(r"[0-9]{11}"), None, 0.15),
    # GLS Track-ID: 8 alphanumerics; alphabet unpublished, so letters and digits both required.
    NumberFormat("gls", "GLS Track-ID", _fullmatch(r"(?=[0-9]*[A-Z])(?=[A-Z]*[0-9])[0-9A-Z]{8}"), None, 0.1),
    # Parcelforce (parcelforce.com, "tracking number formats"): UK numbers, shape only.
    NumberFormat("parcelforce", "Parcelforce", _fullmatch(r"[A-Z]{2}[0-9]{7}"), None, 0.4),
    NumberFormat("parcelforce", "Parcelforce", _fullmatch(r"[A-Z]{4}[0-9]{10}"), None, 0.4),
    # Correos national registered products (Correos pre-register API, annex XI): product(2) +
    # client(4, no I/O/U) + channel(2 digits) + sequence(7 digits) + package(2) + postcode(5) +
    # control letter. The control letter's formula (annex IV) is not public: shape only.
    NumberFormat(
        "correos",
        "Correos",
        _fullmatch(r"[A-Z0-9]{2}[0-9A-HJ-NP-TV-Z]{4}[0-9]{9}[0-9A-Z]{2}[0-9A-Z]{5}[A-Z]"),
        None,
        0.5,
    ),
    # Older Correos domestic codes ("PQ"/"PK" + 19-20 characters): shape only, uncertain.
    NumberFormat("correos", "Correos", _fullmatch(r"P[QK][0-9A-Z]{19,20}"), None, 0.25),
    # Andreani: 15 digits starting with 3, as seen on labels; unpublished, shape only, uncertain.
    NumberFormat("andreani", "Andreani", _fullmatch(r"3[0-9]{14}"), None, 0.15),
    # Estafeta: 22-character waybill ("número de guía") and 10-digit tracking code; no published
    # check digit, shape only.
    NumberFormat("estafeta", "Estafeta waybill", _fullmatch(r"(?=[A-Z]*[0-9])[0-9A-Z]{22}"), None, 0.1),
    NumberFormat("estafeta", "Estafeta tracking code", _fullmatch(r"[0-9]{10}"), None, 0.05),
)
# Not covered, for want of a published format: SEUR, MRW, Correos Express, OCA (the platform's
# carrier name still resolves them), Royal Mail domestic numbers, Canada Post 12-digit numbers,
# UPS Mail Innovations.
