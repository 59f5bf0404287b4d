"""venue district history: the district a moved venue counted for, month by month

Statistics count a month for the district a venue was registered in on the month's first day; a
row closes a period ("before until_day, the venue counted for district_code"). Moves made before
this revision were not recorded and cannot be recovered: their venues' past figures stay with the
district they are in now, as before.

Revision ID: 68c5cc075eae
Revises: ec2163bf8360
Create Date: 2026-11-29 22:59:07.642652

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '68c5cc075eae'
down_revision = 'ec2163bf8360'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('venue_district_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=8), nullable=False),
    sa.Column('until_day', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('fk_venue_district_history_district_code_districts')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_venue_district_history_venue_id_venues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venue_district_history')),
    sa.UniqueConstraint('venue_id', 'until_day', name=op.f('uq_venue_district_history_venue_id_until_day'))
    )


def downgrade():
    op.drop_table('venue_district_history')
