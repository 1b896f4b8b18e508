"""page versions: what the tracking page shows of an order and of a shop, for its rendered-page cache

Revision ID: 0012_page_versions
Revises: 0011_returns_portal
Create Date: 2026-12-05 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_page_versions'
down_revision = '0011_returns_portal'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows start at 0; the app replaces it with a random version on the row's next change.
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False))
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False))


def downgrade():
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('page_version')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('page_version')
