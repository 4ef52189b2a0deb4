"""The benchmark harness at a tiny size: it runs end to end and reports sane numbers.

No timing assertions (speed targets live in ``bench/``); no dlt (a bench-only
dependency). Uses the PostgreSQL server like the store tests do.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.run import INCREMENTAL_REPEATS, Sizes, run
from tests.conftest import _pg_available

TINY = Sizes(
    throughput=400,
    utilization_rate=20,
    utilization_pages=2,
    incremental=(400, 600),
    changes=30,
    seed_above=400,
    read_records=600,
    read_seconds=1,
    memory=600,
)


@pytest.fixture(autouse=True)
def _needs_postgres() -> None:
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is unreachable but CI is set: the benchmarks need it")
        pytest.skip("the benchmarks need the PostgreSQL server (set CI to make this a failure)")


def test_throughput_and_incremental_produce_well_formed_results(tmp_path: Path) -> None:
    sections = run(["throughput", "incremental"], TINY, dlt=False, write=False, work_dir=tmp_path)
    by_name = {s.name: s for s in sections}
    assert list(by_name) == ["throughput", "incremental"]

    thr = by_name["throughput"].data
    runs = {(r["label"], r["store"]): r for r in thr["runs"]}
    assert set(runs) == {
        ("ceiling (store nothing)", "-"),
        ("plantlink", "sqlite"),
        ("plantlink", "postgresql"),
    }
    for r in runs.values():
        assert r["records"] == TINY.throughput
        assert r["records_per_second"] > 0 and r["max_rss_mb"] > 0
        # One page per 200 work orders, plus the currency lookup.
        assert r["requests"] == TINY.throughput // 200 + 1
    for store in ("sqlite", "postgresql"):
        assert runs[("plantlink", store)]["stored"] == TINY.throughput
        assert thr["ratios"][store]["vs_ceiling"] > 0
        assert "vs_dlt" not in thr["ratios"][store]
    table = by_name["throughput"].markdown
    assert any(line.startswith("| plantlink | sqlite | 400 |") for line in table)
    assert not any(line.startswith("| dlt |") for line in table)

    inc = by_name["incremental"].data
    assert inc["minimum"] == 2  # ceil(30 / 200) + 1
    assert [r["size"] for r in inc["runs"]] == [400, 600]
    assert inc["runs"][0]["stored_by"] == "initial sync"
    assert inc["runs"][1]["stored_by"].startswith("seeded")
    for r in inc["runs"]:
        assert len(r["all"]) == INCREMENTAL_REPEATS and r["seconds"] in r["samples"]
        for n, rep in enumerate(r["all"]):
            assert rep["status"] == "done"
            # Every repeat reads its own changes, as updates of stored records, and none
            # of an earlier repeat's; after the first, it changes one record fewer and
            # reads the one record of the cursor-moving sync between repeats again.
            # (Unless the draw changed that very record: then it is one of the updates.)
            listed = (rep["updated"], rep["created"], rep["unchanged"])
            if n == 0:
                assert listed == (TINY.changes, 0, 0), (r["size"], n, listed)
            else:
                assert listed in ((TINY.changes - 1, 0, 1), (TINY.changes - 1, 0, 0)), (
                    r["size"],
                    n,
                    listed,
                )
            assert rep["requests"] >= inc["minimum"]
    assert inc["ratio"] > 0
