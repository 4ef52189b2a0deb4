"""drop records' unique (connection_id, model, remote_id) index

A record's primary key is ``record_id(connection, model, remote id)``, a pure function
of that triple, so the primary key already makes the triple unique and finds a record
by remote id (``remote_ids`` filters look ids up). The second unique index only cost
an entry at a random position on every insert and every update (bench/RESULTS.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("uq_records_remote", table_name="records")


def downgrade() -> None:
    op.create_index(
        "uq_records_remote", "records", ["connection_id", "model", "remote_id"], unique=True
    )
