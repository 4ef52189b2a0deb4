"""A sync runs with the bulk collector settings and leaves the process as it found it."""

from __future__ import annotations

import gc

from plantlink.core.gctune import BULK_THRESHOLD
from plantlink.sync.schedule import RunRequest
from tests.sync.conftest import Rig


def test_a_sync_runs_with_bulk_gc_settings_and_restores_them(rig: Rig) -> None:
    before = (gc.get_threshold(), gc.get_freeze_count())
    during: list[tuple[int, int]] = []
    engine = rig.engine(
        progress=lambda _model, _pages, _n: during.append(
            (gc.get_threshold()[0], gc.get_freeze_count())
        )
    )
    result = engine.run(RunRequest(rig.connection_id, models=["work_orders"]))
    assert result.status == "done"
    assert rig.stored_keys("work_orders") == rig.sandbox_keys("work_orders")
    assert during and all(t >= BULK_THRESHOLD and frozen > 0 for t, frozen in during)
    assert gc.get_threshold() == before[0]
    # Everything is handed back, the in-process sandbox's own freeze included.
    assert gc.get_freeze_count() == 0
