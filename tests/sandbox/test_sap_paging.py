"""Server-side paging: `__next` with stateless keyset `$skiptoken`s, under ties and edits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.sandbox.sap_inventory import Sap, ms, start

MO = "/API_MAINTENANCEORDER/MaintenanceOrder"


@pytest.fixture
def sap() -> Iterator[Sap]:
    sandbox = start(scale=300)
    yield sandbox
    sandbox.close()


def pages(sap: Sap, path: str, **params: str) -> Iterator[dict[str, Any]]:
    body = sap.get(path, **params)
    while True:
        yield body
        if "__next" not in body:
            return
        response = sap.api.get(body["__next"])
        assert response.status_code == 200, response.text
        body = response.json()["d"]


def offset(ms_value: int) -> str:
    moment = datetime.fromtimestamp(ms_value / 1000, UTC)
    return "datetimeoffset'" + moment.strftime("%Y-%m-%dT%H:%M:%S") + "Z'"


def test_next_links_page_through_everything_once(sap: Sap) -> None:
    sap.page_size("MaintenanceOrder", 7)
    seen: list[str] = []
    for page in pages(sap, MO, **{"$inlinecount": "allpages", "$select": "MaintenanceOrder"}):
        assert page["__count"] == "300"
        assert len(page["results"]) <= 7
        seen += [row["MaintenanceOrder"] for row in page["results"]]
        if "__next" in page:
            query = parse_qs(urlsplit(page["__next"]).query)
            assert query["$skiptoken"] and "$skip" not in query
            assert page["__next"].startswith(sap.credentials["base_url"])
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 300


def test_top_and_skip_carry_over_pages(sap: Sap) -> None:
    sap.page_size("MaintenanceOrder", 7)
    sizes = [len(p["results"]) for p in pages(sap, MO, **{"$top": "20"})]
    assert sizes == [7, 7, 6]
    everything = [r["MaintenanceOrder"] for p in pages(sap, MO) for r in p["results"]]
    skipped = [
        r["MaintenanceOrder"] for p in pages(sap, MO, **{"$skip": "5"}) for r in p["results"]
    ]
    assert skipped == everything[5:]
    limited = [
        r["MaintenanceOrder"]
        for p in pages(sap, MO, **{"$skip": "5", "$top": "10"})
        for r in p["results"]
    ]
    assert limited == everything[5:15]


def test_skiptoken_is_stateless_and_resumable(sap: Sap) -> None:
    sap.page_size("MaintenanceOrder", 25)
    first = sap.get(MO, **{"$filter": "MaintenanceOrderType eq 'PM01'"})
    link = first["__next"]
    again = sap.api.get(link).json()["d"]
    for _ in range(3):  # other traffic in between changes nothing
        sap.get(MO, **{"$top": "50"})
    later = sap.api.get(link).json()["d"]
    assert again["results"] == later["results"]
    assert all(r["MaintenanceOrderType"] == "PM01" for r in later["results"])


def test_ties_on_the_change_time_never_skip_or_repeat(sap: Sap) -> None:
    before = max(ms(r["LastChangeDateTime"]) or 0 for r in sap.pull(MO))
    created = sap.ctl("/create", entity="work_orders", count=40)["keys"]
    sap.page_size("MaintenanceOrder", 7)
    rows = [
        row
        for page in pages(
            sap,
            MO,
            **{
                "$filter": f"LastChangeDateTime gt {offset(before)}",
                "$orderby": "LastChangeDateTime",
                "$select": "MaintenanceOrder,LastChangeDateTime",
            },
        )
        for row in page["results"]
    ]
    numbers = [row["MaintenanceOrder"] for row in rows]
    assert sorted(numbers) == sorted(created)
    stamps = [ms(row["LastChangeDateTime"]) for row in rows]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) < len(stamps), "the orders were created within the same seconds"


def test_edits_during_key_order_paging_do_not_shift_other_records(sap: Sap) -> None:
    sap.page_size("MaintenanceOrder", 13)
    seen: list[str] = []
    for page in pages(sap, MO, **{"$select": "MaintenanceOrder"}):
        seen += [row["MaintenanceOrder"] for row in page["results"]]
        sap.ctl("/mutate", entity="work_orders", count=5)
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 300


def test_incremental_read_under_concurrent_edits_misses_nothing(sap: Sap) -> None:
    sap.page_size("MaintenanceOrder", 17)
    watermark = "datetimeoffset'2025-03-01T00:00:00Z'"
    expected = {
        r["MaintenanceOrder"]
        for r in sap.pull(MO, **{"$filter": f"LastChangeDateTime ge {watermark}"})
    }
    counts: Counter[str] = Counter()
    edited: set[str] = set()
    params = {
        "$filter": f"LastChangeDateTime ge {watermark}",
        "$orderby": "LastChangeDateTime",
        "$select": "MaintenanceOrder",
    }
    for page in pages(sap, MO, **params):
        counts.update(row["MaintenanceOrder"] for row in page["results"])
        edited |= set(sap.ctl("/mutate", entity="work_orders", count=4)["keys"])
    assert set(counts) == expected | edited  # edited records move to the end: seen again
    assert all(counts[key] == 1 for key in expected - edited)


def test_deleted_records_vanish_from_the_rest_of_a_paging_run(sap: Sap) -> None:
    sap.page_size("MaintenanceOrder", 50)
    first = sap.get(MO, **{"$select": "MaintenanceOrder"})
    assert sap.control.delete("/records/work_orders/4000200").status_code == 200
    rest = [r["MaintenanceOrder"] for p in pages_from(sap, first["__next"]) for r in p["results"]]
    assert "4000200" not in rest and len(rest) == 300 - 50 - 1
    assert sap.api.get(f"{MO}('4000200')").status_code == 404


def pages_from(sap: Sap, link: str) -> Iterator[dict[str, Any]]:
    while link:
        body = sap.api.get(link).json()["d"]
        yield body
        link = body.get("__next", "")


def test_paging_any_order_breaks_ties_by_key(sap: Sap) -> None:
    sap.page_size("MaintenanceOrder", 11)
    rows = [
        r
        for p in pages(
            sap,
            MO,
            **{"$orderby": "MaintPriority desc", "$select": "MaintenanceOrder,MaintPriority"},
        )
        for r in p["results"]
    ]
    assert [(r["MaintPriority"], r["MaintenanceOrder"]) for r in rows] == sorted(
        ((r["MaintPriority"], r["MaintenanceOrder"]) for r in rows),
        key=lambda pair: (-int(pair[0]), pair[1]),
    )
    assert len({r["MaintenanceOrder"] for r in rows}) == 300


def test_supplier_changes_show_on_the_business_partner(sap: Sap) -> None:
    partners = sap.pull("/API_BUSINESS_PARTNER/A_BusinessPartner")
    newest = max(ms(p["LastChangeDate"]) + ms_of_time(p["LastChangeTime"]) for p in partners)
    (vendor,) = sap.ctl("/mutate", entity="vendors", count=1)["keys"]
    day = newest - newest % 86_400_000
    date = datetime.fromtimestamp(day / 1000, UTC).strftime("%Y-%m-%dT00:00:00")
    clock = newest % 86_400_000 // 1000
    time = f"PT{clock // 3600:02d}H{clock // 60 % 60:02d}M{clock % 60:02d}S"
    changed = sap.pull(
        "/API_BUSINESS_PARTNER/A_BusinessPartner",
        **{
            "$filter": f"LastChangeDate gt datetime'{date}' or "
            f"(LastChangeDate eq datetime'{date}' and LastChangeTime gt time'{time}')",
            "$expand": "to_Supplier",
        },
    )
    assert [p["BusinessPartner"] for p in changed] == [vendor]
    assert changed[0]["to_Supplier"]["Supplier"] == vendor


def ms_of_time(value: str) -> int:
    hours, minutes, seconds = int(value[2:4]), int(value[5:7]), int(value[8:10])
    return ((hours * 60 + minutes) * 60 + seconds) * 1000
