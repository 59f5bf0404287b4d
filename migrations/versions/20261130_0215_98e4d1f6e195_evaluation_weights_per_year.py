"""evaluation weights per year

Weights now belong to a year (a year without its own is scored with the most recent earlier year's,
else the defaults), so that setting them no longer rescores every past yearly review.

Until now the stored weights scored every year. Making them only the weights of the year they were
last saved in would send the years before it back to the defaults and change their scores; so they
become the weights of every year from 2000 (the first year of the evaluation, ``reports.FIRST_YEAR``)
to that year, and the years after it inherit them: every year keeps exactly the scores it showed.

Downgrade keeps the latest year's weights, the ones the current year is scored with.

Revision ID: 98e4d1f6e195
Revises: 35d085d812ca
Create Date: 2026-11-30 02:15:14.965448

"""
from datetime import timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '98e4d1f6e195'
down_revision = '35d085d812ca'
branch_labels = None
depends_on = None

FIRST_YEAR = 2000
weights = sa.table('evaluation_weights', sa.column('year', sa.Integer), sa.column('indicator', sa.String),
                   sa.column('weight', sa.Numeric(5, 1)), sa.column('updated_at', sa.DateTime),
                   sa.column('updated_by_id', sa.Integer))


def _local_year(stored) -> int:
    """The Asia/Shanghai year of a stored (naive UTC) timestamp."""
    return stored.replace(tzinfo=timezone.utc).astimezone(ZoneInfo('Asia/Shanghai')).year


def upgrade():
    with op.batch_alter_table('evaluation_weights') as batch_op:
        batch_op.add_column(sa.Column('year', sa.Integer(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(weights.c.indicator, weights.c.weight, weights.c.updated_at,
                                  weights.c.updated_by_id)).all()
    saved_in = _local_year(max(row.updated_at for row in rows)) if rows else None
    if rows:
        bind.execute(weights.update().values(year=saved_in))
    with op.batch_alter_table('evaluation_weights') as batch_op:
        batch_op.alter_column('year', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('pk_evaluation_weights', type_='primary')
        batch_op.create_primary_key('pk_evaluation_weights', ['year', 'indicator'])
    if rows:
        bind.execute(weights.insert(), [
            {'year': year, 'indicator': row.indicator, 'weight': row.weight, 'updated_at': row.updated_at,
             'updated_by_id': row.updated_by_id}
            for year in range(FIRST_YEAR, saved_in) for row in rows])


def downgrade():
    latest = sa.select(sa.func.max(weights.c.year)).scalar_subquery()
    op.get_bind().execute(weights.delete().where(weights.c.year != latest))
    with op.batch_alter_table('evaluation_weights') as batch_op:
        batch_op.drop_constraint('pk_evaluation_weights', type_='primary')
        batch_op.create_primary_key('pk_evaluation_weights', ['indicator'])
        batch_op.drop_column('year')
