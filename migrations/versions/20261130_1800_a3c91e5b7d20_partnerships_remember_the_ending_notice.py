"""partnerships remember when their managers were told the agreement ends

The daily reminder job warns a venue's managers 30 days before a cooperation agreement ends, once per
agreement however often it runs. ``partnerships.ending_notice_sent_at`` records that warning on the
agreement itself; the outbox is purged by the retention rules and is no record of what was sent.

Revision ID: a3c91e5b7d20
Revises: 7314d87444d4
Create Date: 2026-11-30 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c91e5b7d20'
down_revision = '7314d87444d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ending_notice_sent_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.drop_column('ending_notice_sent_at')
