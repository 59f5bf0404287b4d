"""check-in: ticket keys and check-ins

ticket_keys holds the public half and lifecycle (active, retired, revoked) of each ticket signing
key, shared by every app machine; the private halves stay in files or the environment.
checkins is the gate's audit log (every attempt, admitted or refused) and the visits statistics
count (result 'ok': ticket admissions and walk-ins). One admission per booking and one answer per
(actor, nonce) are unique indexes.

Revision ID: ee62f098449c
Revises: 1ae2f330b43e
Create Date: 2026-11-28 14:16:46.589211

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ee62f098449c'
down_revision = '1ae2f330b43e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ticket_keys',
    sa.Column('kid', sa.String(length=16), nullable=False),
    sa.Column('algorithm', sa.String(length=16), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.Column('not_after', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_ticket_keys'))
    )
    with op.batch_alter_table('ticket_keys', schema=None) as batch_op:
        batch_op.create_index('uq_ticket_keys_one_active', ['is_active'], unique=True, sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))

    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('ticket', 'walk_in', name='checkinkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('result', sa.Enum('ok', 'already_checked_in', 'invalid_code', 'unknown_booking', 'wrong_venue', 'wrong_date', 'too_early', 'too_late', 'cancelled', 'not_confirmed', 'revoked_key', name='checkinresult', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('students', sa.Integer(), nullable=True),
    sa.Column('adults', sa.Integer(), nullable=True),
    sa.Column('audience_group', sa.Enum('youth', 'adult', 'senior', name='audiencegroup', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('gate', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.Column('actor_key', sa.String(length=24), nullable=True),
    sa.Column('nonce', sa.String(length=64), nullable=True),
    sa.Column('kid', sa.String(length=16), nullable=True),
    sa.Column('reference', sa.String(length=24), nullable=True),
    sa.Column('device_hash', sa.String(length=64), nullable=True),
    sa.Column('scanned_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("result = 'ok' OR persons = 0", name=op.f('ck_checkins_refusals_count_nobody')),
    sa.CheckConstraint('persons >= 0', name=op.f('ck_checkins_persons_not_negative')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_checkins_booking_id_bookings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_checkins_token_id_api_tokens'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_checkins_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_checkins_venue_id_venues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins')),
    sa.UniqueConstraint('actor_key', 'nonce', name=op.f('uq_checkins_actor_key_nonce')),
    sa.UniqueConstraint('venue_id', 'local_date', 'device_hash', name=op.f('uq_checkins_venue_id_local_date_device_hash'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkins_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_checkins_venue_date_result', ['venue_id', 'local_date', 'result'], unique=False)
        batch_op.create_index('uq_checkins_one_admission', ['booking_id'], unique=True, sqlite_where=sa.text("result = 'ok' AND booking_id IS NOT NULL"), postgresql_where=sa.text("result = 'ok' AND booking_id IS NOT NULL"))



def downgrade():
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('uq_checkins_one_admission', sqlite_where=sa.text("result = 'ok' AND booking_id IS NOT NULL"), postgresql_where=sa.text("result = 'ok' AND booking_id IS NOT NULL"))
        batch_op.drop_index('ix_checkins_venue_date_result')
        batch_op.drop_index(batch_op.f('ix_checkins_booking_id'))

    op.drop_table('checkins')
    with op.batch_alter_table('ticket_keys', schema=None) as batch_op:
        batch_op.drop_index('uq_ticket_keys_one_active', sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))

    op.drop_table('ticket_keys')
