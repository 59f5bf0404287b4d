"""admissions keep the walk-in they took over

An admission records how many people of its booker's walk-in that day it took over
(``checkins.replaced_walk_in``), so that a gate's retry of the scan (the same nonce) is told what
the first answer said. Admissions made before keep 0: how many their walk-in had is not kept
anywhere, and a retry comes within seconds of its scan.

Revision ID: 5b2f0c7d9e41
Revises: 37341c6fdcaf
Create Date: 2026-11-30 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b2f0c7d9e41'
down_revision = '37341c6fdcaf'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaced_walk_in', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_column('replaced_walk_in')
