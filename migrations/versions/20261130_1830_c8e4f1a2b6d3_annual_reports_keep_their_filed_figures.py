"""annual reports keep the figures they were filed with

A filed annual report showed figures computed from the data whenever it was read, so late gate
uploads, corrections or a rebuild changed a report after the venue had filed it.
``annual_report_submissions.filed_figures`` keeps the report's figures as filed (a JSON snapshot taken
at each filing). Nothing is backfilled: the figures of reports filed before cannot be known now, and
their pages say that no figures were kept.

Revision ID: c8e4f1a2b6d3
Revises: a3c91e5b7d20
Create Date: 2026-11-30 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8e4f1a2b6d3'
down_revision = 'a3c91e5b7d20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('annual_report_submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('filed_figures', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('annual_report_submissions', schema=None) as batch_op:
        batch_op.drop_column('filed_figures')
