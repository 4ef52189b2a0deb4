"""Persistence: SQLite (embedded default) or PostgreSQL (scale-out), same schema, same code."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from plantlink.core.config import Settings
from plantlink.core.security import CredentialCipher
from plantlink.store.accounts import Accounts
from plantlink.store.db import dispose, make_engine, migrate


@dataclass
class Store:
    engine: Engine
    accounts: Accounts
    url: str
    #: Where source rate-limit windows live (``limits`` storage URI; "" = this process).
    rate_limit_storage: str = ""

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @classmethod
    def open(cls, settings: Settings, *, run_migrations: bool = True) -> Store:
        url = settings.resolved_database_url
        if run_migrations:
            migrate(url)
        engine = make_engine(url)
        cipher = CredentialCipher(settings.resolved_secret_key())
        return cls(
            engine=engine,
            accounts=Accounts(engine, cipher),
            url=url,
            rate_limit_storage=settings.rate_limit_storage,
        )

    def close(self) -> None:
        dispose(self.engine)
