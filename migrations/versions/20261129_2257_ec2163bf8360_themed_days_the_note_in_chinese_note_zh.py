"""themed days: the note in Chinese (note_zh) beside the reference file's English

Themed days already loaded get the Chinese note of the reference file's rows, matched by key; a
themed day the file does not know keeps an empty one (its page shows the English, marked so).

Revision ID: ec2163bf8360
Revises: df4a7a969ea3
Create Date: 2026-11-29 22:57:41.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ec2163bf8360'
down_revision = 'df4a7a969ea3'
branch_labels = None
depends_on = None

# As in app/demo/data/themed_days.csv at this revision: a migration does not read files that change later.
NOTES_ZH = {
    "national_science_day": "2024年12月25日施行的新修订《科学技术普及法》将九月定为全国科普月",
    "science_week": "国务院批复 国函〔2001〕30号",
    "china_water_week": "始于1994年",
    "patriotic_health_month": "始于1989年",
    "disaster_reduction_day": "始于2009年",
    "science_workers_day": "见本市实施方案（三、6.3）",
}


def upgrade():
    with op.batch_alter_table('themed_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note_zh', sa.Text(), nullable=False, server_default=''))

    themed_days = sa.table('themed_days', sa.column('key', sa.String), sa.column('note_zh', sa.Text))
    for key, words in NOTES_ZH.items():
        op.execute(themed_days.update().where(themed_days.c.key == key).values(note_zh=words))

    # The application always writes the column; the default was only for the rows already there.
    with op.batch_alter_table('themed_days', schema=None) as batch_op:
        batch_op.alter_column('note_zh', server_default=None)


def downgrade():
    with op.batch_alter_table('themed_days', schema=None) as batch_op:
        batch_op.drop_column('note_zh')
