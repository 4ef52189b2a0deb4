"""SAP's organisational units and codes for the seeded data.

Names of equipment, parts, suppliers, people and places come from the shared
`plantlink.sandbox.core.vocab`, so the SAP data tells the same story as the other
sandboxes; this module only adds what is SAP-specific (plants, company codes, order types,
payment-term keys, …).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from plantlink.sandbox.core.vocab import FIRST_NAMES, LAST_NAMES


@dataclass(frozen=True)
class Plant:
    code: str
    name: str
    company_code: str
    city: str
    postal_code: str
    street: str
    house_number: str
    region: str
    country: str
    weight: int  # share of the plant's orders, assets and purchases


@dataclass(frozen=True)
class CompanyCode:
    code: str
    name: str
    currency: str
    language: str


COMPANY_CODES = {
    "1010": CompanyCode("1010", "Plantlink Demo GmbH", "EUR", "DE"),
    "1710": CompanyCode("1710", "Plantlink Demo Inc.", "USD", "EN"),
}
PLANTS = {
    p.code: p
    for p in (
        Plant(
            "1010",
            "Hamburg Plant",
            "1010",
            "Hamburg",
            "20457",
            "Am Sandtorkai",
            "48",
            "HH",
            "DE",
            4,
        ),
        Plant(
            "1020",
            "Ludwigshafen Plant",
            "1010",
            "Ludwigshafen",
            "67059",
            "Industriestrasse",
            "12",
            "RP",
            "DE",
            3,
        ),
        Plant(
            "1710",
            "Houston Plant",
            "1710",
            "Houston",
            "77002",
            "Main Street",
            "1200",
            "TX",
            "US",
            3,
        ),
    )
}
PURCHASING_ORGS = {"1010": "1010", "1710": "1710"}  # purchasing organization → company code
PURCHASING_GROUPS = ("001", "002", "003")
PO_TYPES = ("NB", "FO")  # standard purchase order, framework order
CONTROLLING_AREA = "A000"
WORK_CENTERS = ("MECH-01", "ELEC-01", "INST-01", "UTIL-01")
PLANNER_GROUPS = ("100", "200")
PAYMENT_TERMS = {"0001": 0, "NT30": 30, "NT45": 45, "NT60": 60}  # key → net days
INCOTERMS = ("EXW", "FCA", "DAP", "DDP")
ORDER_TYPES = ("PM01", "PM02", "PM03")  # corrective, preventive, refurbishment
ORDER_TYPE_WEIGHTS = (55, 35, 10)
ACTIVITY_TYPES = {"PM01": ("002", "003"), "PM02": ("001", "004"), "PM03": ("005",)}
PRIORITIES = ("1", "2", "3", "4")  # very high, high, medium, low (priority type PM)

COUNTRIES = {
    # country name in core.vocab.CITIES → (ISO code, purchasing org buying there, dial code)
    "United States": ("US", "1710", "+1"),
    "Canada": ("CA", "1710", "+1"),
    "Mexico": ("MX", "1710", "+52"),
    "Brazil": ("BR", "1710", "+55"),
    "India": ("IN", "1710", "+91"),
    "Netherlands": ("NL", "1010", "+31"),
    "Germany": ("DE", "1010", "+49"),
    "Poland": ("PL", "1010", "+48"),
    "France": ("FR", "1010", "+33"),
}
REGIONS = {
    "Ohio": "OH",
    "South Carolina": "SC",
    "Texas": "TX",
    "Wisconsin": "WI",
    "Ontario": "ON",
    "Rheinland-Pfalz": "RP",
}
LEGAL_FORMS = {
    "US": "Inc.",
    "CA": "Ltd.",
    "MX": "S.A.",
    "BR": "S.A.",
    "IN": "Ltd.",
    "NL": "B.V.",
    "DE": "GmbH",
    "PL": "Sp. z o.o.",
    "FR": "S.A.",
}


def _user_id(first: str, last: str) -> str:
    ascii_last = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode()
    return (first[0] + ascii_last).upper().replace("'", "")[:12]


USERS = tuple(_user_id(FIRST_NAMES[i], LAST_NAMES[i]) for i in range(12))
"""SAP user ids (e.g. `JSMITH`) of the people who create and change the seeded documents."""
