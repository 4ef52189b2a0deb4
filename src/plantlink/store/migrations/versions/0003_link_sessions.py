"""link sessions: hosted connect page sessions and their one-time codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 03:31:08.612105
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("redirect_url", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("end_user_name", sa.String(length=200), nullable=True),
        sa.Column("systems", sa.Text(), nullable=True),
        sa.Column("connection_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("claimed_until", sa.BigInteger(), nullable=True),
        sa.Column("completed_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_link_sessions_connection_id_connections"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_link_sessions_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_link_sessions_token_hash")),
    )
    with op.batch_alter_table("link_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_link_sessions_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "link_codes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("link_session_id", sa.String(length=36), nullable=False),
        sa.Column("connection_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_link_codes_connection_id_connections"),
        ),
        sa.ForeignKeyConstraint(
            ["link_session_id"],
            ["link_sessions.id"],
            name=op.f("fk_link_codes_link_session_id_link_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_link_codes_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_link_codes_code_hash")),
    )
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_link_codes_link_session_id"), ["link_session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_codes_link_session_id"))

    op.drop_table("link_codes")
    with op.batch_alter_table("link_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_sessions_organization_id"))

    op.drop_table("link_sessions")
