"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 02:30:27.195603
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("redirect_urls", sa.Text(), server_default="[]", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "record_refs",
        sa.Column("connection_id", sa.String(length=36), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
    )
    with op.batch_alter_table("record_refs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_refs_lookup", ["connection_id", "model", "name", "target_id"], unique=False
        )
        batch_op.create_index("ix_record_refs_record", ["record_id"], unique=False)

    op.create_table(
        "records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("connection_id", sa.String(length=36), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("modified_at", sa.BigInteger(), nullable=False),
        sa.Column("remote_created_at", sa.BigInteger(), nullable=True),
        sa.Column("remote_modified_at", sa.BigInteger(), nullable=True),
        sa.Column("remote_deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("asset_id", sa.String(length=36), nullable=True),
        sa.Column("location_id", sa.String(length=36), nullable=True),
        sa.Column("site_id", sa.String(length=36), nullable=True),
        sa.Column("vendor_id", sa.String(length=36), nullable=True),
        sa.Column("part_id", sa.String(length=36), nullable=True),
        sa.Column("date_a", sa.BigInteger(), nullable=True),
        sa.Column("date_b", sa.BigInteger(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("remote_data", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_records_asset_id",
            ["connection_id", "model", "asset_id"],
            unique=False,
            sqlite_where=sa.text("asset_id IS NOT NULL"),
            postgresql_where=sa.text("asset_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_records_created", ["connection_id", "model", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_records_date_a",
            ["connection_id", "model", "date_a"],
            unique=False,
            sqlite_where=sa.text("date_a IS NOT NULL"),
            postgresql_where=sa.text("date_a IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_records_date_b",
            ["connection_id", "model", "date_b"],
            unique=False,
            sqlite_where=sa.text("date_b IS NOT NULL"),
            postgresql_where=sa.text("date_b IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_records_location_id",
            ["connection_id", "model", "location_id"],
            unique=False,
            sqlite_where=sa.text("location_id IS NOT NULL"),
            postgresql_where=sa.text("location_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_records_modified", ["connection_id", "model", "modified_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_records_part_id",
            ["connection_id", "model", "part_id"],
            unique=False,
            sqlite_where=sa.text("part_id IS NOT NULL"),
            postgresql_where=sa.text("part_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_records_remote_modified",
            ["connection_id", "model", "remote_modified_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_records_site_id",
            ["connection_id", "model", "site_id"],
            unique=False,
            sqlite_where=sa.text("site_id IS NOT NULL"),
            postgresql_where=sa.text("site_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_records_status", ["connection_id", "model", "status"], unique=False
        )
        batch_op.create_index(
            "ix_records_vendor_id",
            ["connection_id", "model", "vendor_id"],
            unique=False,
            sqlite_where=sa.text("vendor_id IS NOT NULL"),
            postgresql_where=sa.text("vendor_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_records_remote", ["connection_id", "model", "remote_id"], unique=True
        )

    op.create_table(
        "sync_seen",
        sa.Column("connection_id", sa.String(length=36), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("connection_id", "model", "remote_id", name=op.f("pk_sync_seen")),
    )
    op.create_table(
        "admin_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_admin_keys_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_admin_keys_key_hash")),
    )
    with op.batch_alter_table("admin_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_admin_keys_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "connections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credentials", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), server_default="{}", nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("last_stamp", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_successful_sync_at", sa.BigInteger(), nullable=True),
        sa.Column("next_sync_at", sa.BigInteger(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sync_request", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=80), nullable=True),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_connections_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
    )
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.create_index("ix_connections_due", ["next_sync_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_connections_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "connection_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("connection_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_connection_tokens_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_connection_tokens_token_hash")),
    )
    with op.batch_alter_table("connection_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connection_tokens_connection_id"), ["connection_id"], unique=False
        )

    op.create_table(
        "sync_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("connection_id", sa.String(length=36), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("models", sa.Text(), nullable=False),
        sa.Column("full", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("records_changed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("requests", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_sync_runs_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sync_runs_connection", ["connection_id", "started_at"], unique=False
        )

    op.create_table(
        "sync_state",
        sa.Column("connection_id", sa.String(length=36), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("is_initial_sync", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=True),
        sa.Column("checkpoint", sa.Text(), nullable=True),
        sa.Column("last_successful_sync_at", sa.BigInteger(), nullable=True),
        sa.Column("last_sync_started_at", sa.BigInteger(), nullable=True),
        sa.Column("last_sync_finished_at", sa.BigInteger(), nullable=True),
        sa.Column("last_reconciled_at", sa.BigInteger(), nullable=True),
        sa.Column("records", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_sync_state_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("connection_id", "model", name=op.f("pk_sync_state")),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_runs_connection")

    op.drop_table("sync_runs")
    with op.batch_alter_table("connection_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connection_tokens_connection_id"))

    op.drop_table("connection_tokens")
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connections_organization_id"))
        batch_op.drop_index("ix_connections_due")

    op.drop_table("connections")
    with op.batch_alter_table("admin_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_keys_organization_id"))

    op.drop_table("admin_keys")
    op.drop_table("sync_seen")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("uq_records_remote")
        batch_op.drop_index(
            "ix_records_vendor_id",
            sqlite_where=sa.text("vendor_id IS NOT NULL"),
            postgresql_where=sa.text("vendor_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_records_status")
        batch_op.drop_index(
            "ix_records_site_id",
            sqlite_where=sa.text("site_id IS NOT NULL"),
            postgresql_where=sa.text("site_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_records_remote_modified")
        batch_op.drop_index(
            "ix_records_part_id",
            sqlite_where=sa.text("part_id IS NOT NULL"),
            postgresql_where=sa.text("part_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_records_modified")
        batch_op.drop_index(
            "ix_records_location_id",
            sqlite_where=sa.text("location_id IS NOT NULL"),
            postgresql_where=sa.text("location_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_records_date_b",
            sqlite_where=sa.text("date_b IS NOT NULL"),
            postgresql_where=sa.text("date_b IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_records_date_a",
            sqlite_where=sa.text("date_a IS NOT NULL"),
            postgresql_where=sa.text("date_a IS NOT NULL"),
        )
        batch_op.drop_index("ix_records_created")
        batch_op.drop_index(
            "ix_records_asset_id",
            sqlite_where=sa.text("asset_id IS NOT NULL"),
            postgresql_where=sa.text("asset_id IS NOT NULL"),
        )

    op.drop_table("records")
    with op.batch_alter_table("record_refs", schema=None) as batch_op:
        batch_op.drop_index("ix_record_refs_record")
        batch_op.drop_index("ix_record_refs_lookup")

    op.drop_table("record_refs")
    op.drop_table("organizations")
