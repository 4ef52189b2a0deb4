"""Shared fixtures: a fresh database on each store (SQLite and PostgreSQL), a live API.

PostgreSQL tests use a throw-away database cloned from a migrated template. They are
skipped only when the server is unreachable and ``CI`` is unset; under CI they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn

from plantlink.core.config import Settings
from plantlink.store import Store
from plantlink.store.db import migrate

PG_ADMIN_DSN = os.environ.get("PLANTLINK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


def _pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + dbname


@dataclass
class Templates:
    sqlite_file: Path | None = None
    pg_name: str | None = None


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    templates = Templates()
    yield templates
    if templates.pg_name:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{templates.pg_name}" WITH (FORCE)')


def _sqlite_template(templates: Templates, base: Path) -> Path:
    if templates.sqlite_file is None:
        path = base / "template.db"
        migrate(f"sqlite:///{path}")
        templates.sqlite_file = path
    return templates.sqlite_file


def _pg_template(templates: Templates) -> str:
    if templates.pg_name is None:
        name = f"plantlink_tpl_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        migrate(_pg_url(name))
        templates.pg_name = name
    return templates.pg_name


def _fresh_database(backend: str, base: Path, templates: Templates, tpl_dir: Path) -> Iterator[str]:
    if backend == "sqlite":
        template = _sqlite_template(templates, tpl_dir)
        path = base / "plantlink.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is unreachable but CI is set: PostgreSQL tests must run")
        pytest.skip("PostgreSQL unreachable (set CI to make this a failure)")
    template = _pg_template(templates)
    name = f"plantlink_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _pg_url(name)
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    _templates: Templates,
) -> Iterator[str]:
    """A freshly migrated, empty database on each backend."""
    yield from _fresh_database(request.param, tmp_path, _templates, tmp_path_factory.mktemp("tpl"))


@pytest.fixture(scope="module", params=BACKENDS)
def module_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, _templates: Templates
) -> Iterator[str]:
    """Like ``db_url``, shared by the tests of one module (for read-only tests)."""
    base = tmp_path_factory.mktemp("module-db")
    yield from _fresh_database(request.param, base, _templates, tmp_path_factory.mktemp("tpl"))


def new_connection(store: Store) -> str:
    """A new organization with one MaintainX connection (never contacted); its id."""
    org, _ = store.accounts.create_organization("o")
    row, _ = store.accounts.create_connection(
        org.id, "maintainx", "c", {"base_url": "http://x"}, {}
    )
    return str(row.id)


def make_settings(db_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=db_url,
        data_dir=data_dir,
        secret_key="test-secret-key-not-for-production",
        api_rate_limit_per_minute=100_000,
        # One process does everything in tests, on PostgreSQL too.
        embedded=True,
    )


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = Store.open(settings, run_migrations=False)
    yield s
    s.close()


class LiveServer:
    """An ASGI app served by uvicorn on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@dataclass
class Api:
    """The real API over HTTP, plus direct access to its store for set-up."""

    url: str
    store: Store
    app: Any

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def new_org(self, name: str = "Acme Integrations") -> str:
        _org, key = self.store.accounts.create_organization(name)
        return key


def serve_api(settings: Settings) -> Iterator[Api]:
    from plantlink.api.app import build_context, create_app

    ctx = build_context(settings, Store.open(settings, run_migrations=False))
    app = create_app(settings, ctx)
    live = LiveServer(app)
    url = live.start()
    yield Api(url, ctx.store, app)
    live.stop()
    ctx.store.close()


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    yield from serve_api(settings)


@pytest.fixture(scope="module")
def module_api(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One live API per module and backend, for tests that only read."""
    yield from serve_api(make_settings(module_db_url, tmp_path_factory.mktemp("module-data")))
