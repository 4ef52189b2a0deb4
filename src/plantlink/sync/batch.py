"""Several pages per write transaction, each page with its checkpoint.

A commit costs the same whatever it holds: on SQLite every index page a transaction
touched is written to the log again, and with records keyed by hashed ids a page of 200
touches about as many index pages as five pages do (bench/RESULTS.md). So a listing
keeps one transaction open across pages and commits it once it holds
``max_records`` records or has been open ``max_seconds`` — or when the listing ends,
fails or runs out of time. The transaction writes the checkpoint after its last page
(and the pages' multi-valued references, ``PendingRefs``) just before it commits: a
crash loses at most the pages of the open transaction, which the resumed run fetches
again from the last committed checkpoint (no gap, no duplicate).

``max_seconds`` is the bound that matters: it keeps records arriving from a slow source
visible within that time, and bounds how long the connection's stamp lock (and, on
SQLite, the database's single write lock) is held against write-throughs and other
syncs. ``max_records`` is set high enough that a fast source reaches the time bound
first: at 1,000 records a SQLite initial sync spent a third of its time committing; at
5,000 that halved, for the same lock time (bench/RESULTS.md).

On PostgreSQL the transaction commits without waiting for its log to reach the disk
(``synchronous_commit = off``, for this transaction only): the writer would otherwise
wait for the flush with the next pages ready. That is 0.3-0.6 ms per commit on the
benchmark machine's local disk (below the benchmark's noise); network-attached volumes
take longer to sync. A server crash can then lose
the last fraction of a second of commits, but never part of one, and only the newest:
the lost pages go with the checkpoint that covers them, and the resumed run fetches them
again, as it would after a crash of the sync itself. Writes on behalf of API callers
keep the server's setting.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from plantlink.store.db import write_connection
from plantlink.store.records import PendingRefs, UpsertResult, take_stamp
from plantlink.sync import lease


@dataclass
class BatchPolicy:
    max_records: int = 5_000
    max_seconds: float = 0.5


@dataclass
class PageBatch:
    """The open write transaction of a listing and what it holds so far."""

    conn: Connection
    stamp: int
    opened: float
    _stack: ExitStack
    pages: int = 0
    records: int = 0
    result: UpsertResult = field(default_factory=UpsertResult)
    #: The pages' ``record_refs`` rows, written once just before the commit.
    refs: PendingRefs = field(default_factory=PendingRefs)

    @classmethod
    def open(cls, engine: Engine, connection_id: str, owner: str) -> PageBatch:
        """Begin the transaction: check the lease is still ours, take the stamp."""
        stack = ExitStack()
        try:
            conn = stack.enter_context(write_connection(engine))
            lease.fence(conn, connection_id, owner)
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            stamp = take_stamp(conn, connection_id)
        except BaseException:
            stack.close()
            raise
        return cls(conn, stamp, time.monotonic(), stack)

    def add(self, result: UpsertResult, records: int, pages: int = 1) -> None:
        self.result.add(result)
        self.pages += pages
        self.records += records

    def full(self, policy: BatchPolicy) -> bool:
        return (
            self.records >= policy.max_records
            or time.monotonic() - self.opened >= policy.max_seconds
        )

    def commit(self) -> None:
        self._stack.close()

    def rollback(self) -> None:
        """Leave without committing (the pages are fetched again from the checkpoint)."""
        self._stack.__exit__(RuntimeError, RuntimeError("batch abandoned"), None)
