"""themed days: dates a law fixes from a year on

``themed_days.standing`` holds "YYYY:MM-DD..MM-DD": the dates a themed day has every year from that
year on, for the years no announced or corrected row sets. The revised Science Popularization Law
(in force 2024-12-25) made all of September the national science popularization month (全国科普月),
so 全国科普日 has had 09-01..09-30 since 2025; before this, its dates for 2026 on read as not
announced. The key's row, where loaded, is given that rule here as the themed-days file now gives it;
a year the city admin set keeps its dates.

Revision ID: a4c9e2f7b1d3
Revises: f2093500897f
Create Date: 2026-12-01 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c9e2f7b1d3'
down_revision = 'f2093500897f'
branch_labels = None
depends_on = None

themed_days = sa.table('themed_days', sa.column('key', sa.String), sa.column('standing', sa.String))


def upgrade():
    with op.batch_alter_table('themed_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('standing', sa.String(length=40), server_default='', nullable=False))
    op.execute(themed_days.update().where(themed_days.c.key == 'national_science_day')
               .values(standing='2025:09-01..09-30'))


def downgrade():
    with op.batch_alter_table('themed_days', schema=None) as batch_op:
        batch_op.drop_column('standing')
