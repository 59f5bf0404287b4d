"""accreditations remember when their venue's managers were told they expire

The daily reminder job (``bookings remind``) e-mails a venue's managers 60 days before an
education-base accreditation ends, once per accreditation however often it runs.
``accreditations.expiry_notice_sent_at`` records that warning on the accreditation itself (the outbox
is purged by the retention rules and is no record of what was sent); correcting its end date clears
it, so that a later end is warned of again. Nothing is backfilled: accreditations already within the
60 days are warned of on the job's next run.

Revision ID: e5b27d9c4a18
Revises: c8e4f1a2b6d3
Create Date: 2026-11-30 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5b27d9c4a18'
down_revision = 'c8e4f1a2b6d3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accreditations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expiry_notice_sent_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('accreditations', schema=None) as batch_op:
        batch_op.drop_column('expiry_notice_sent_at')
