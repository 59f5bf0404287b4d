"""published results keep the venue's names as published

A published version of the yearly review showed each venue under its current name, so renaming a venue
after publication changed what had been published. Each result now holds the venue's names (Chinese and
English) as they were when it was published: ``evaluation_published_results.name_zh`` and ``name_en``.

Results published before this revision are backfilled with the venues' current names, the closest record
there is of what they were published under. Downgrade drops the columns.

Revision ID: 7314d87444d4
Revises: d6d811ec527e
Create Date: 2026-11-30 17:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7314d87444d4'
down_revision = 'd6d811ec527e'
branch_labels = None
depends_on = None

results = sa.table('evaluation_published_results', sa.column('venue_id', sa.Integer),
                   sa.column('name_zh', sa.String), sa.column('name_en', sa.String))
venues = sa.table('venues', sa.column('id', sa.Integer), sa.column('name_zh', sa.String),
                  sa.column('name_en', sa.String))


def upgrade():
    with op.batch_alter_table('evaluation_published_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_zh', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('name_en', sa.String(length=200), nullable=True))

    def current(column: str):
        return (sa.select(venues.c[column]).where(venues.c.id == results.c.venue_id).scalar_subquery())

    op.execute(results.update().values(name_zh=current('name_zh'),
                                       name_en=sa.func.coalesce(current('name_en'), '')))

    with op.batch_alter_table('evaluation_published_results', schema=None) as batch_op:
        batch_op.alter_column('name_zh', existing_type=sa.String(length=120), nullable=False)
        batch_op.alter_column('name_en', existing_type=sa.String(length=200), nullable=False)


def downgrade():
    with op.batch_alter_table('evaluation_published_results', schema=None) as batch_op:
        batch_op.drop_column('name_en')
        batch_op.drop_column('name_zh')
