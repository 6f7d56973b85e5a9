"""listing description in Spanish

Revision ID: e2c8858d673e
Revises: 4ffb62ba612b
Create Date: 2026-11-22 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2c8858d673e'
down_revision = '4ffb62ba612b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_es', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.drop_column('description_es')
