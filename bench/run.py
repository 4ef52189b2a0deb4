"""plantlink benchmarks (issue 8): ``make bench`` or ``python -m bench.run [NAME ...]``.

    python -m bench.run                          # everything, full size (~20 min)
    python -m bench.run throughput memory        # a selection
    python -m bench.run --quick                  # small sizes, a smoke run
    python -m bench.run --no-write incremental   # print, do not append to RESULTS.md

Benchmarks: throughput (initial sync vs dlt vs the store-nothing ceiling), utilization
(latency- and rate-limit-bound sync), incremental (1,000 changes over growing stores),
read_api (wrk against the list endpoint and a bare Starlette endpoint), memory (peak RSS
of a large initial sync). Needs PostgreSQL (``PLANTLINK_TEST_PG``), ``wrk`` for
read_api and the ``bench`` extra (dlt) for throughput. Results are appended to
``bench/RESULTS.md`` as one dated section per run; raw JSON goes to ``bench/out/``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import (
    PAGE_SIZE,
    ROOT,
    Sandboxes,
    commit,
    database,
    load_average,
    machine,
    run_child,
    settle,
)

RESULTS = ROOT / "bench" / "RESULTS.md"
OUT = ROOT / "bench" / "out"


@dataclass(frozen=True)
class Sizes:
    #: Work orders of the initial-sync throughput runs.
    throughput: int
    #: Requests per second the sandbox (and the connection) allow in the utilization run,
    #: and how many pages that run reads.
    utilization_rate: int
    utilization_pages: int
    #: Stored work orders of the incremental runs; up to ``seed_above`` they come from a
    #: real initial sync, above it the store is filled directly (``bench.seed``).
    incremental: tuple[int, ...]
    changes: int
    seed_above: int
    #: Stored work orders behind the read API, and seconds per wrk run.
    read_records: int
    read_seconds: int
    #: Work orders of the memory run's initial sync.
    memory: int


FULL = Sizes(
    throughput=200_000,
    utilization_rate=10,
    utilization_pages=150,
    incremental=(10_000, 100_000, 1_000_000),
    changes=1_000,
    seed_above=10_000,
    read_records=1_000_000,
    read_seconds=15,
    memory=1_000_000,
)
QUICK = Sizes(
    throughput=4_000,
    utilization_rate=10,
    utilization_pages=20,
    incremental=(1_000, 4_000, 10_000),
    changes=100,
    seed_above=1_000,
    read_records=10_000,
    read_seconds=3,
    memory=10_000,
)


@dataclass
class Section:
    """One benchmark's outcome: markdown for RESULTS.md and the raw numbers."""

    name: str
    markdown: list[str]
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class StoredSet:
    """A PostgreSQL store holding one connection's work orders, kept for the whole run."""

    url: str
    connection_id: str
    token: str
    how: str


@dataclass
class Context:
    sizes: Sizes
    sandboxes: Sandboxes
    work_dir: Path
    stack: ExitStack
    dlt: bool = True
    #: Stores by work-order count (memory's, incremental's, read_api's), shared in a run.
    #: Stores kept for later steps, by the sandbox (size, seed) they mirror.
    stores: dict[tuple[int, int], StoredSet] = field(default_factory=dict)


def _rate(records: float, seconds: float) -> float:
    return records / seconds if seconds > 0 else 0.0


def _fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _target(ok: bool) -> str:
    return "met" if ok else "**missed**"


# -- 1. initial-sync throughput ---------------------------------------------------------


def bench_throughput(ctx: Context) -> Section:
    n = ctx.sizes.throughput
    sb = ctx.sandboxes.get(n, seed=1)
    creds = sb.credentials
    rows: list[dict[str, Any]] = []

    def measured(label: str, store: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
        sb.control("POST", "/_sandbox/reset-stats")
        res = run_child(kind, spec)
        stats = sb.control("GET", "/_sandbox/stats")
        d = res.data
        if kind == "sync":
            records = d["models"]["work_orders"]["created"]
            stored = d["stored"]["work_orders"]
        elif kind == "dlt":
            records = d["rows"].get("work_orders", 0)
            stored = d["stored"]
        else:
            records = d["records"]
            stored = 0
        row = {
            "label": label,
            "store": store,
            "records": records,
            "stored": stored,
            "seconds": d["seconds"],
            "records_per_second": _rate(records, d["seconds"]),
            "requests": stats["requests"],
            "max_rss_mb": res.max_rss_mb,
            "cpu_ms_per_1k": 1000 * res.cpu_seconds / max(records, 1) * 1000,
            "detail": d,
        }
        print(f"  {label:<22} {store:<10} {row['records_per_second']:>8.0f} records/s", flush=True)
        rows.append(row)
        return row

    ceiling = measured("ceiling (store nothing)", "-", "ceiling", {"credentials": creds})
    ours: dict[str, dict[str, Any]] = {}
    theirs: dict[str, dict[str, Any]] = {}
    for kind in ("sqlite", "postgresql"):
        with database(kind, ctx.work_dir) as url:
            ours[kind] = measured("plantlink", kind, "sync", {"db_url": url, "credentials": creds})
        if ctx.dlt:
            with database(kind, ctx.work_dir) as url:
                theirs[kind] = measured(
                    "dlt",
                    kind,
                    "dlt",
                    {
                        "destination": kind,
                        "url": url,
                        "credentials": creds,
                        "work_dir": str(ctx.work_dir / "dlt"),
                    },
                )
    md = [
        f"## 1. Initial-sync throughput ({_fmt(n)} work orders, page size {PAGE_SIZE})",
        "",
        "Sandbox in its own process on loopback; each pull in a fresh child process and a",
        "fresh database. Rates are work orders stored (or, for the ceiling, fetched, parsed",
        "and mapped) per second of the pull's wall time.",
        "",
        "| pull | store | records | seconds | records/s | source requests | peak RSS MB | CPU ms / 1k records |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        md.append(
            f"| {r['label']} | {r['store']} | {_fmt(r['stored'] or r['records'])} | "
            f"{r['seconds']:.1f} | {_fmt(r['records_per_second'])} | {r['requests']} | "
            f"{r['max_rss_mb']:.0f} | {r['cpu_ms_per_1k']:.0f} |"
        )
    md.append("")
    ratios: dict[str, dict[str, float]] = {}
    for kind, o in ours.items():
        vs_ceiling = o["records_per_second"] / ceiling["records_per_second"]
        ratios[kind] = {"vs_ceiling": vs_ceiling}
        line = f"- {kind}: plantlink = {vs_ceiling:.0%} of the ceiling (target >= 70%: {_target(vs_ceiling >= 0.7)})"
        if kind in theirs:
            vs_dlt = o["records_per_second"] / max(theirs[kind]["records_per_second"], 1e-9)
            ratios[kind]["vs_dlt"] = vs_dlt
            line += f"; {vs_dlt:.2f}x dlt (target >= 3x: {_target(vs_dlt >= 3)})"
        md.append(line)
        if o["stored"] != n:
            md.append(f"  - plantlink stored {o['stored']} of {n} work orders")
    for kind, t in theirs.items():
        if t["stored"] != n:
            md.append(f"- dlt ({kind}) stored {t['stored']} of {n} work orders")
    md.append("")
    ctx.sandboxes.drop(n, seed=1)
    return Section("throughput", md, {"size": n, "runs": rows, "ratios": ratios})


# -- 2. latency- and rate-limit-bound utilization ---------------------------------------


def bench_utilization(ctx: Context) -> Section:
    rate, pages = ctx.sizes.utilization_rate, ctx.sizes.utilization_pages
    n = pages * PAGE_SIZE
    sb = ctx.sandboxes.get(n, seed=3)
    creds = sb.credentials
    sb.control("POST", "/_sandbox/latency", {"ms": 50})
    sb.control("POST", "/_sandbox/rate-limit", {"requests": rate, "per_seconds": 1})
    sb.control("POST", "/_sandbox/reset-stats")
    with database("sqlite", ctx.work_dir) as url:
        res = run_child(
            "sync",
            {
                "db_url": url,
                "credentials": creds,
                "rate_limit": {"requests": rate, "per_seconds": 1},
            },
        )
    stats = sb.control("GET", "/_sandbox/stats")
    sb.calm()
    d = res.data
    records = d["models"]["work_orders"]["created"]
    achieved = _rate(records, d["seconds"])
    utilization = achieved / (rate * PAGE_SIZE)
    throttled = int(stats["by_status"].get("429", 0))
    ok = utilization >= 0.9 and throttled <= 1
    md = [
        "## 2. Latency-bound utilization",
        "",
        f"Sandbox latency 50 ms per request, sandbox rate limit {rate} requests/s (fixed",
        f"window) and the connection's rate limit set to {rate} requests/s; initial sync of",
        f"{_fmt(n)} work orders into SQLite.",
        "",
        "| records | seconds | records/s | ceiling R x page | utilization | source requests | 429s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {_fmt(records)} | {d['seconds']:.1f} | {_fmt(achieved)} | {_fmt(rate * PAGE_SIZE)} | "
        f"{utilization:.2f} | {stats['requests']} | {throttled} |",
        "",
        f"Target utilization >= 0.9 with <= 1 429: {_target(ok)}.",
        "",
    ]
    ctx.sandboxes.drop(n, seed=3)
    return Section(
        "utilization",
        md,
        {
            "rate": rate,
            "records": records,
            "seconds": d["seconds"],
            "utilization": utilization,
            "requests": stats["requests"],
            "429": throttled,
        },
    )


# -- 5. memory ---------------------------------------------------------------------------


def bench_memory(ctx: Context) -> Section:
    """Peak RSS of a large initial sync; its PostgreSQL store is kept for later steps."""
    n = ctx.sizes.memory
    sb = ctx.sandboxes.get(n, seed=2)
    url = ctx.stack.enter_context(database("postgresql", ctx.work_dir))
    res = run_child("sync", {"db_url": url, "credentials": sb.credentials})
    d = res.data
    stored = d["stored"]["work_orders"]
    ctx.stores[(n, 2)] = StoredSet(url, d["connection_id"], d["token"], "initial sync (memory run)")
    settle(url)
    ok = res.max_rss_mb < 300
    md = [
        f"## 5. Memory: initial sync of {_fmt(n)} work orders (PostgreSQL)",
        "",
        "| stored | seconds | records/s | peak RSS of the sync process (ru_maxrss) |",
        "| ---: | ---: | ---: | ---: |",
        f"| {_fmt(stored)} | {d['seconds']:.0f} | {_fmt(_rate(stored, d['seconds']))} | "
        f"{res.max_rss_mb:.0f} MB |",
        "",
        f"Target < 300 MB: {_target(ok)}.",
        "",
    ]
    return Section(
        "memory",
        md,
        {"size": n, "stored": stored, "seconds": d["seconds"], "max_rss_mb": res.max_rss_mb},
    )


# -- 3. incremental cost ----------------------------------------------------------------


def _stored_set(ctx: Context, size: int, seed: int) -> StoredSet:
    """A PostgreSQL store mirroring sandbox (size, seed): synced for small sizes, else seeded."""
    if (size, seed) in ctx.stores:
        return ctx.stores[(size, seed)]
    sb = ctx.sandboxes.get(size, seed=seed)
    url = ctx.stack.enter_context(database("postgresql", ctx.work_dir))
    if size <= ctx.sizes.seed_above:
        d = run_child("sync", {"db_url": url, "credentials": sb.credentials}).data
        made = StoredSet(url, d["connection_id"], d["token"], "initial sync")
    else:
        d = run_child(
            "seed", {"db_url": url, "credentials": sb.credentials, "sandbox_url": sb.base_url}
        ).data
        made = StoredSet(url, d["connection_id"], d["token"], f"seeded in {d['seconds']:.0f} s")
    settle(url)
    ctx.stores[(size, seed)] = made
    return made


#: Incremental syncs per store size (the median is reported: one ~0.2 s sample moved the
#: ratio by ±0.1 from run to run).
INCREMENTAL_REPEATS = 3


def bench_incremental(ctx: Context) -> Section:
    changes = ctx.sizes.changes
    minimum = math.ceil(changes / PAGE_SIZE) + 1
    rows: list[dict[str, Any]] = []
    for size in ctx.sizes.incremental:
        stored = _stored_set(ctx, size, seed=2)
        sb = ctx.sandboxes.get(size, seed=2)
        samples: list[dict[str, Any]] = []
        for rep in range(INCREMENTAL_REPEATS):
            if rep:
                # The last repeat's changes sit inside the next listing's 5-minute overlap
                # (the cursor is their own stamp). An unmeasured sync of one change made
                # 10 minutes later moves the cursor past them; the next listing reads that
                # record again (unchanged), so the repeat changes one record fewer and
                # lists the same number of records, in the same number of pages.
                sb.control("POST", "/_sandbox/clock", {"skew_seconds": rep * 1200 - 600})
                sb.control("POST", "/_sandbox/mutate", {"entity": "work_orders", "count": 1})
                run_child("sync", {"db_url": stored.url, "connection_id": stored.connection_id})
            sb.control("POST", "/_sandbox/clock", {"skew_seconds": rep * 1200})
            count = changes - 1 if rep else changes
            sb.control("POST", "/_sandbox/mutate", {"entity": "work_orders", "count": count})
            sb.control("POST", "/_sandbox/reset-stats")
            res = run_child("sync", {"db_url": stored.url, "connection_id": stored.connection_id})
            stats = sb.control("GET", "/_sandbox/stats")
            o = res.data["models"]["work_orders"]
            samples.append(
                {
                    "seconds": res.data["seconds"],
                    "requests": stats["requests"],
                    "by_path": stats["by_path"],
                    "created": o["created"],
                    "updated": o["updated"],
                    "unchanged": o["unchanged"],
                    "status": res.data["status"],
                }
            )
        sb.control("POST", "/_sandbox/clock", {"skew_seconds": 0})
        median = sorted(samples, key=lambda x: x["seconds"])[len(samples) // 2]
        row = {
            "size": size,
            "stored_by": stored.how,
            **median,
            "samples": [x["seconds"] for x in samples],
            "all": samples,
        }
        print(f"  {size:>9} stored: {row['seconds']:.2f} s, {row['requests']} requests", flush=True)
        rows.append(row)
        if size != ctx.sizes.memory:
            ctx.sandboxes.drop(size, seed=2)
    base = rows[0]["seconds"]
    md = [
        f"## 3. Incremental cost: {_fmt(changes)} changed work orders (PostgreSQL)",
        "",
        f"The sandbox changes {_fmt(changes)} work orders, then one incremental sync of the",
        f"work-order model runs in a fresh process; {INCREMENTAL_REPEATS} times per store (between",
        "repeats, an unmeasured sync of one later change moves the cursor past the last",
        "repeat's changes; a later repeat changes one record fewer and reads that one again,",
        "unchanged), median reported. Minimum source requests for the model:",
        f"ceil({changes}/{PAGE_SIZE}) + 1 = {minimum}. Larger stores are filled directly with",
        "records mirroring the sandbox (see `bench/seed.py`); the incremental sync is the real",
        "one against the real sandbox. Each store is vacuumed, analyzed and checkpointed",
        "before it is measured (as a store in service would be, not one still digesting",
        "its bulk load).",
        "",
        "| stored work orders | stored by | seconds (median) | repeats (s) | x smallest | source requests | minimum | updated | created | unchanged |",
        "| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        md.append(
            f"| {_fmt(r['size'])} | {r['stored_by']} | {r['seconds']:.2f} | "
            f"{' / '.join(f'{x:.2f}' for x in r['samples'])} | {r['seconds'] / base:.2f} | {r['requests']} | {minimum} | {r['updated']} | "
            f"{r['created']} | {r['unchanged']} |"
        )
    ratio = rows[-1]["seconds"] / base
    md += [
        "",
        f"Requests by path (largest store): `{json.dumps(rows[-1]['by_path'])}`.",
        "",
        f"Target: time at {_fmt(rows[-1]['size'])} <= 1.3x time at {_fmt(rows[0]['size'])}: "
        f"{ratio:.2f}x, {_target(ratio <= 1.3)}.",
        "",
    ]
    return Section(
        "incremental", md, {"changes": changes, "minimum": minimum, "runs": rows, "ratio": ratio}
    )


def bench_incremental_models(ctx: Context) -> Section:
    """Issue 3: source requests of an incremental sync, model by model, against the minimum."""
    from plantlink.connectors.maintainx import CONNECTOR

    size, changes = ctx.sizes.incremental[0], ctx.sizes.changes
    sb = ctx.sandboxes.get(size, seed=4)
    creds = sb.credentials
    with database("postgresql", ctx.work_dir) as url:
        initial = run_child(
            "sync", {"db_url": url, "credentials": creds, "models": list(CONNECTOR.models)}
        ).data
        sb.control("POST", "/_sandbox/mutate", {"entity": "work_orders", "count": changes})
        each = run_child(
            "sync_each", {"db_url": url, "connection_id": initial["connection_id"]}
        ).data["models"]
    ctx.sandboxes.drop(size, seed=4)
    md = [
        f"## 3b. Incremental sync of every model ({_fmt(size)} work orders, {_fmt(changes)} changed)",
        "",
        "After an initial sync of all models into PostgreSQL, the sandbox changes",
        f"{_fmt(changes)} work orders; then one incremental run per model (fresh process, one",
        "after the other). Minimum = ceil(changed records / page size) + 1. Models MaintainX",
        "cannot filter by change time are listed in full on every run (the content hash",
        "keeps their unchanged records untouched).",
        "",
        "| model | stored | changed | requests | minimum | seconds | filtered by the source |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    total = total_min = 0
    for model, r in each.items():
        minimum = math.ceil(r["changed"] / PAGE_SIZE) + 1
        total += r["requests"]
        total_min += minimum
        md.append(
            f"| {model} | {_fmt(r['stored'])} | {r['changed']} | {r['requests']} | {minimum} | "
            f"{r['seconds']:.2f} | {'yes' if r['incremental'] else 'no (full listing)'} |"
        )
    md += [f"| all | | | **{total}** | **{total_min}** | | |", ""]
    return Section(
        "incremental_models",
        md,
        {"size": size, "changes": changes, "models": each, "requests": total, "minimum": total_min},
    )


# -- 4. read API --------------------------------------------------------------------------


def bench_read_api(ctx: Context) -> Section:
    from bench.readapi import compare

    n = ctx.sizes.read_records
    stored = _stored_set(ctx, n, seed=2)
    rounds = compare(stored, ctx.sizes.read_seconds, ctx.work_dir)
    ours = [r for r in rounds if r["endpoint"] == "plantlink"]
    bare = [r for r in rounds if r["endpoint"] == "bare"]

    def mean(rs: list[dict[str, Any]], key: str) -> float:
        return sum(r[key] for r in rs) / len(rs)

    ratio = mean(ours, "requests_per_second") / max(mean(bare, "requests_per_second"), 1e-9)
    md = [
        f"## 4. Read API over {_fmt(n)} stored work orders (PostgreSQL)",
        "",
        "`GET /v1/work-orders?modified_after=…&page_size=100` (every request a full page via",
        "the modified index) under `wrk` (1 thread, 8 connections, "
        f"{ctx.sizes.read_seconds} s a round), alternating",
        "`plantlink serve` (one uvicorn process) and a bare Starlette endpoint running the same",
        "query in the same process model (`bench/bare.py`).",
        "",
        "| round | endpoint | requests/s | p50 ms | p99 ms | requests | errors |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rounds:
        md.append(
            f"| {r['round']} | {r['endpoint']} | {r['requests_per_second']:.0f} | "
            f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['requests']} | {r['errors']} |"
        )
    md += [
        "",
        f"plantlink = {ratio:.0%} of the bare endpoint's requests/s (mean of the rounds); "
        f"target >= 70%: {_target(ratio >= 0.7)}.",
        "",
    ]
    return Section("read_api", md, {"size": n, "rounds": rounds, "ratio": ratio})


#: In the order a full run runs them (memory's store is reused by the two after it).
BENCHMARKS: dict[str, Callable[[Context], Section]] = {
    "throughput": bench_throughput,
    "utilization": bench_utilization,
    "memory": bench_memory,
    "incremental": bench_incremental,
    "incremental_models": bench_incremental_models,
    "read_api": bench_read_api,
}


def run(
    names: list[str],
    sizes: Sizes,
    *,
    dlt: bool = True,
    write: bool = True,
    work_dir: Path | None = None,
    label: str = "",
) -> list[Section]:
    """Run the named benchmarks in order; append their section to RESULTS.md if ``write``."""
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; known: {', '.join(BENCHMARKS)}")
    own_dir = work_dir is None
    work = work_dir or Path(tempfile.mkdtemp(prefix="plantlink-bench-"))
    started = datetime.now(UTC)
    measured_commit = commit()  # the tree measured (not whatever it is when we finish)
    load_before = load_average()
    sandboxes = Sandboxes(work / "logs")
    stack = ExitStack()
    ctx = Context(sizes, sandboxes, work, stack, dlt=dlt)
    sections: list[Section] = []
    try:
        for name in names:
            print(f"== {name}", flush=True)
            section = BENCHMARKS[name](ctx)
            section.data["load_average_after"] = load_average()
            section.markdown.append(f"Load average (1 / 5 min) after this step: {load_average()}")
            section.markdown.append("")
            sections.append(section)
    finally:
        sandboxes.stop_all()
        stack.close()
        if own_dir:
            shutil.rmtree(work, ignore_errors=True)
    header = [
        f"# Benchmark run {started.strftime('%Y-%m-%d %H:%M UTC')}"
        + (" (quick sizes)" if sizes == QUICK else "")
        + (f": {label}" if label else ""),
        "",
        f"- commit: {measured_commit}",
        *(
            [f"- plantlink measured from PYTHONPATH={os.environ['PYTHONPATH']}"]
            if os.environ.get("PYTHONPATH")
            else []
        ),
        f"- machine: {machine()}",
        f"- benchmarks: {', '.join(names)}; load average (1 / 5 min) at start: {load_before}",
        "- the machine is shared with other work: compare numbers within this run, side by side",
        "",
    ]
    text = "\n".join(header + [line for s in sections for line in s.markdown])
    print(text)
    if write:
        OUT.mkdir(parents=True, exist_ok=True)
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        raw = {s.name: s.data for s in sections} | {"sizes": asdict(sizes)}
        (OUT / f"results-{stamp}.json").write_text(json.dumps(raw, indent=1, default=str))
        with RESULTS.open("a") as fh:
            fh.write("\n" + text + "\n")
    return sections


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run: {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--no-dlt", action="store_true", help="skip the dlt comparison")
    parser.add_argument("--label", default="", help="a note for the results header")
    args = parser.parse_args()
    # A terminated run still stops its sandboxes and drops its databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run(
        args.names or list(BENCHMARKS),
        QUICK if args.quick else FULL,
        dlt=not args.no_dlt,
        write=not args.no_write,
        label=args.label,
    )


if __name__ == "__main__":
    main()
