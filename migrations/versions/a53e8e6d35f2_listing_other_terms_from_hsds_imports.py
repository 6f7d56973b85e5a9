"""listing other terms from HSDS imports

Revision ID: a53e8e6d35f2
Revises: 61a832ed6e77
Create Date: 2026-11-21 07:56:17.943429

Taxonomy terms an HSDS import brings that are not in our vocabulary are kept on the listing
(as JSON) so that the exporter writes them back out instead of dropping them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a53e8e6d35f2'
down_revision = '61a832ed6e77'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('other_terms', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.drop_column('other_terms')
