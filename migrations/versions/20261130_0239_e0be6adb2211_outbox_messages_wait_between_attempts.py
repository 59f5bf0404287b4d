"""outbox messages wait between attempts

A message whose sending failed is tried again after a growing delay (1 min, 5 min, 30 min, 2 h)
instead of every minute, so that a mail server down for a while no longer makes the outbox give
it up within five minutes. Existing rows have no delay: they are tried at the next delivery.

Revision ID: e0be6adb2211
Revises: 98e4d1f6e195
Create Date: 2026-11-30 02:39:49.523110

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e0be6adb2211'
down_revision = '98e4d1f6e195'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
