"""schedules withdrawn from a day

A venue manager may withdraw a weekly schedule from a day on: its slots from then are cancelled
and the schedule records the day and the reason the bookers were given. Schedules published
before are not withdrawn.

Revision ID: 37341c6fdcaf
Revises: 7e3a432ff335
Create Date: 2026-11-30 06:23:40.324370

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '37341c6fdcaf'
down_revision = '7e3a432ff335'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.String(length=300), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_from')
