"""webhook payloads compressed with lz4 and kept in the row

Revision ID: 0007_webhook_payload_lz4
Revises: 0006_returns_woocommerce
Create Date: 2026-11-23 19:20:00

Ingest writes one payload per webhook: pglz compression into a separate TOAST table cost PostgreSQL
about twice the CPU of lz4 kept inline (STORAGE MAIN). SQLite has neither; nothing to do there.
"""
from alembic import op


revision = '0007_webhook_payload_lz4'
down_revision = '0006_returns_woocommerce'
branch_labels = None
depends_on = None


def _lz4_available(bind) -> bool:
    row = bind.exec_driver_sql(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'").first()
    return bool(row and row[0])


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    compression = ", ALTER COLUMN payload SET COMPRESSION lz4" if _lz4_available(bind) else ""
    op.execute(f"ALTER TABLE webhook_events ALTER COLUMN payload SET STORAGE MAIN{compression}")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    compression = ", ALTER COLUMN payload SET COMPRESSION pglz" if _lz4_available(bind) else ""
    op.execute(f"ALTER TABLE webhook_events ALTER COLUMN payload SET STORAGE EXTENDED{compression}")
