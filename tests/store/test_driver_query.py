"""``DriverQuery``: the token lookup's fast path behaves like ``Connection.execute``."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, column, select, table, text
from sqlalchemy.exc import DBAPIError

from plantlink.store import Store
from plantlink.store.db import DriverQuery, read_connection

SECRET = "tok_hash_do_not_leak"


def test_rows_match_connection_execute_on_both_paramstyles(store: Store) -> None:
    org, _key = store.accounts.create_organization("Acme")
    orgs = table("organizations", column("id"), column("name"))
    stmt = select(orgs.c.name, orgs.c.id).where(
        orgs.c.id == bindparam("org_id"), orgs.c.name == bindparam("name")
    )
    query = DriverQuery(stmt)
    with read_connection(store.engine) as db:
        params = {"org_id": org.id, "name": "Acme"}
        expected = db.execute(stmt, params).first()
        assert expected is not None
        assert query.first(db, params) == tuple(expected) == ("Acme", org.id)
        assert query.first(db, {"org_id": org.id, "name": "Other"}) is None


def test_driver_errors_come_back_as_sqlalchemy_errors_without_parameters(store: Store) -> None:
    query = DriverQuery(
        select(column("x"))
        .select_from(table("no_such_table"))
        .where(column("x") == bindparam("secret"))
    )
    with read_connection(store.engine) as db:
        with pytest.raises(DBAPIError) as caught:
            query.first(db, {"secret": SECRET})
        assert not caught.value.connection_invalidated
    assert "no_such_table" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_dropped_connection_is_invalidated(store: Store) -> None:
    query = DriverQuery(select(text("1 AS one")))
    with read_connection(store.engine) as db:
        if store.engine.dialect.name == "postgresql":  # the server ends the session
            pid = db.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            with store.engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        else:  # SQLite has no server: the handle is closed under the pool's feet
            db.connection.dbapi_connection.close()  # type: ignore[union-attr]
        with pytest.raises(DBAPIError) as caught:
            query.first(db, {})
        assert caught.value.connection_invalidated and db.invalidated
    with read_connection(store.engine) as db:  # the pool hands out a working connection
        assert query.first(db, {}) == (1,)
