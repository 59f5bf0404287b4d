"""the register's own notes in English too

The site writes a note in a venue's registration history when the venue moves district or is
renamed, and a move's note is also the venue's status reason. It was kept in Chinese only and
showed so on English pages; ``venue_status_changes.reason_en`` and ``venues.status_reason_en`` now
keep the English beside it. A reviewer's reason stays as typed, in one language. Notes written
before this revision stay in Chinese.

Revision ID: d9a4e7b3c5f1
Revises: c3f8a1e6d2b9
Create Date: 2026-12-01 10:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd9a4e7b3c5f1'
down_revision = 'c3f8a1e6d2b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('venue_status_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_en', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_reason_en', sa.Text(), nullable=False, server_default=''))


def downgrade():
    # Not in a batch: on SQLite that copies the table, and every slot and booking refers to its venue.
    op.drop_column('venues', 'status_reason_en')
    with op.batch_alter_table('venue_status_changes', schema=None) as batch_op:
        batch_op.drop_column('reason_en')
