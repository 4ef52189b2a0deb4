"""records' documents compressed with lz4 on PostgreSQL

A record's ``doc`` and ``remote_data`` are about 1.2 kB each, so most rows cross
PostgreSQL's TOAST threshold and get compressed on every insert and update. pglz, the
server's default, spent about a sixth of the backends' CPU of an initial sync; lz4
compresses and decompresses several times faster at a similar ratio (bench/RESULTS.md).

Only new values are written with lz4; rows stored before this migration stay pglz and
read as before (``VACUUM FULL`` would rewrite them, and is not worth a lock). Servers
built without lz4 keep pglz. SQLite stores text uncompressed: nothing to do there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("doc", "remote_data")


def _has_lz4() -> bool:
    """PostgreSQL 14 or later, built ``--with-lz4`` (Debian's and most packages are)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    row = bind.execute(
        sa.text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
    ).first()
    return bool(row and row[0])


def upgrade() -> None:
    if _has_lz4():
        for column in COLUMNS:
            op.execute(f"ALTER TABLE records ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    if _has_lz4():
        for column in COLUMNS:
            op.execute(f"ALTER TABLE records ALTER COLUMN {column} SET COMPRESSION default")
