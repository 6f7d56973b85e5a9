"""referral packets

Revision ID: 7e2e52cf2a0e
Revises: b5de4c5cdccb
Create Date: 2026-11-21 06:53:59.667832

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e2e52cf2a0e'
down_revision = 'b5de4c5cdccb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referral_packet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caseworker_id', sa.Integer(), nullable=False),
    sa.Column('client_reference', sa.String(length=20), nullable=False),
    sa.Column('client_language', sa.String(length=2), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('share_token', sa.String(length=64), nullable=True),
    sa.Column('share_expires_at', sa.DateTime(), nullable=True),
    sa.Column('share_revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['caseworker_id'], ['user_account.id'], name=op.f('fk_referral_packet_caseworker_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_packet')),
    sa.UniqueConstraint('share_token', name=op.f('uq_referral_packet_share_token'))
    )
    with op.batch_alter_table('referral_packet', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_packet_caseworker_id'), ['caseworker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_packet_created_at'), ['created_at'], unique=False)

    op.create_table('referral_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('packet_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('note_for_client', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_note', sa.String(length=500), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_referral_item_listing_id_listing'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['packet_id'], ['referral_packet.id'], name=op.f('fk_referral_item_packet_id_referral_packet'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_item')),
    sa.UniqueConstraint('packet_id', 'listing_id', name='uq_referral_item_packet_listing')
    )
    with op.batch_alter_table('referral_item', schema=None) as batch_op:
        batch_op.create_index('ix_referral_item_listing_status', ['listing_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_item_packet_id'), ['packet_id'], unique=False)



def downgrade():
    with op.batch_alter_table('referral_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_item_packet_id'))
        batch_op.drop_index('ix_referral_item_listing_status')

    op.drop_table('referral_item')
    with op.batch_alter_table('referral_packet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_packet_created_at'))
        batch_op.drop_index(batch_op.f('ix_referral_packet_caseworker_id'))

    op.drop_table('referral_packet')
