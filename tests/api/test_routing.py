"""The read API's routes are matched first (hot path); that must change no outcome."""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import BaseRoute, Match

from plantlink.api.app import build_context, create_app
from plantlink.api.routes import records
from plantlink.core.config import Settings
from plantlink.store import Store
from tests.conftest import Api


def _leaf_routes(routes: list[BaseRoute]) -> list[Any]:
    out: list[Any] = []
    for r in routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            out.extend(_leaf_routes(inner.routes))
        elif hasattr(r, "path_regex"):
            out.append(r)
    return out


def _scope(path: str, method: str) -> dict[str, Any]:
    return {"type": "http", "path": path, "method": method, "root_path": ""}


def test_no_other_route_fully_matches_a_record_route_or_the_reverse(
    settings: Settings, store: Store
) -> None:
    app = create_app(settings, build_context(settings, store))
    serving = {id(r) for r in records.router.routes}
    leaves = _leaf_routes(app.routes)
    others = [r for r in leaves if id(r) not in serving]
    # every model's documented list and get paths, as requests would spell them
    samples = [re.sub(r"\{[^}]+\}", "x1", r.path) for r in records.documented.routes]
    assert len(samples) >= 20 and len(others) > 20
    for sample in samples:
        served = [
            r for r in records.router.routes if r.matches(_scope(sample, "GET"))[0] is Match.FULL
        ]
        assert len(served) == 1, sample  # exactly one serving route, the list or the get
        for other in others:  # GET on a record path reaches the read API, first or last
            if other.path == "/v1/{name}":  # the unknown-model fallback, included after
                continue
            m, _ = other.matches(_scope(sample, "GET"))
            assert m is not Match.FULL, (sample, other.path)
    for other in others:
        sample = re.sub(r"\{[^}]+\}", "x1", other.path)
        for method in getattr(other, "methods", None) or {"GET"}:
            for mine in records.router.routes:
                m, _ = mine.matches(_scope(sample, method))
                assert m is not Match.FULL, (other.path, method, mine.path)


def test_record_routes_match_model_paths_only(api: Api) -> None:
    for path in ("/v1/work-order", "/v1/work-orders-x", "/v1/xwork-orders", "/v1/work_orders"):
        for mine in records.router.routes:
            assert mine.matches(_scope(path, "GET"))[0] is Match.NONE, path
    # unknown names still reach the fallback's 404 with a hint
    with api.client("x") as client:
        resp = client.get("/v1/work_orders")
    assert resp.status_code == 404 and "work-orders" in resp.json()["error"]["message"]


def test_openapi_lists_the_read_api_after_the_writes(settings: Settings, store: Store) -> None:
    app = create_app(settings, build_context(settings, store))
    paths = list(app.openapi()["paths"])
    # routers are matched read API first, but documented in the familiar order
    assert paths.index("/v1/admin/connections") < paths.index("/v1/sites")
    assert paths.index("/v1/meta/sites") < paths.index("/v1/sites")
    assert "get" in app.openapi()["paths"]["/v1/work-orders"]
    assert "post" in app.openapi()["paths"]["/v1/work-orders"]
