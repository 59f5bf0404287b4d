"""class visits remember the seats the venue confirmed

A confirmed class visit that grows goes back to the venue for approval; until now, putting the
numbers back (a typo undone) left it waiting for the venue, and lapsing at its start if the venue
never decided. ``bookings.approved_seats`` keeps the seats as the venue last confirmed them, so that
numbers back within them confirm the visit again. Confirmed class visits start with their seats;
a visit already back with the venue for approval cannot be told from a first request, and starts
with none (as before).

Revision ID: c3f8a1e6d2b9
Revises: b7e2d4a9c1f5
Create Date: 2026-12-01 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f8a1e6d2b9'
down_revision = 'b7e2d4a9c1f5'
branch_labels = None
depends_on = None

bookings = sa.table('bookings', sa.column('kind', sa.String), sa.column('status', sa.String),
                    sa.column('seats', sa.Integer), sa.column('approved_seats', sa.Integer))


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_seats', sa.Integer(), nullable=True))
    op.get_bind().execute(
        bookings.update().where(bookings.c.kind == 'group', bookings.c.status.in_(('confirmed', 'checked_in')))
        .values(approved_seats=bookings.c.seats))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('approved_seats')
