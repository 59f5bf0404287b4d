"""outbox messages given up and dismissed

A message is given up at once when the mail server refuses it for good (a 5xx reply), not only
after its fifth attempt, so "given up" is now a time of its own. The city admin may dismiss a
message that is not going out: it is then no longer reported as stuck. Messages already given up
(five attempts, unsent) are given up as of their last attempt.

Revision ID: 7e3a432ff335
Revises: 449886549618
Create Date: 2026-11-30 05:41:08.018021

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e3a432ff335'
down_revision = '449886549618'
branch_labels = None
depends_on = None

MAX_ATTEMPTS = 5  # app.notifications.services.MAX_ATTEMPTS when this was written


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('given_up_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('dismissed_at', sa.DateTime(), nullable=True))
    # The last attempt ran about when its retry was due (``next_attempt_at``).
    op.execute(sa.text("UPDATE outbox_messages SET given_up_at = COALESCE(next_attempt_at, created_at) "
                       "WHERE sent_at IS NULL AND attempts >= :max").bindparams(max=MAX_ATTEMPTS))


def downgrade():
    # Without the column, only the count of attempts says a message is given up: keep those given up early so.
    op.execute(sa.text("UPDATE outbox_messages SET attempts = :max "
                       "WHERE sent_at IS NULL AND given_up_at IS NOT NULL AND attempts < :max")
               .bindparams(max=MAX_ATTEMPTS))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('dismissed_at')
        batch_op.drop_column('given_up_at')
