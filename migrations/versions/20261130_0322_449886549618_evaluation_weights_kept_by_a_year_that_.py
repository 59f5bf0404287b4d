"""evaluation weights kept by a year that was over

A year that is over keeps the weights it was scored with when an earlier year's change (the defaults,
or an earlier year's). Those rows were nobody's setting, yet the page said the year's weights were
"set on" the moment they were kept: they are now marked ``kept``, with ``kept_from_year`` naming the
year whose weights they are (None: the defaults). Existing rows stay the city admin's own.

Revision ID: 449886549618
Revises: e0be6adb2211
Create Date: 2026-11-30 03:22:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '449886549618'
down_revision = 'e0be6adb2211'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evaluation_weights', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kept', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('kept_from_year', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('evaluation_weights', schema=None) as batch_op:
        batch_op.drop_column('kept_from_year')
        batch_op.drop_column('kept')
