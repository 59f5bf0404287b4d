"""annual report returns: each time the city admin hands a filed report back, with the reason

Reports returned before this revision have no row: their reasons went out only by message.

Revision ID: 2b8486949f44
Revises: 41b4ee1c367b
Create Date: 2026-11-29 17:11:40.982531

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2b8486949f44'
down_revision = '41b4ee1c367b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('annual_report_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('returned_at', sa.DateTime(), nullable=False),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['annual_report_submissions.id'], name=op.f('fk_annual_report_returns_report_id_annual_report_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['returned_by_id'], ['users.id'], name=op.f('fk_annual_report_returns_returned_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_report_returns'))
    )
    with op.batch_alter_table('annual_report_returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annual_report_returns_report_id'), ['report_id'], unique=False)


def downgrade():
    with op.batch_alter_table('annual_report_returns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annual_report_returns_report_id'))

    op.drop_table('annual_report_returns')