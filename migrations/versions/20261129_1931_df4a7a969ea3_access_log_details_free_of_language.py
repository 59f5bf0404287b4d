"""access log details free of language: "page 3" becomes 3, "venue 7" becomes 7

The teacher queue's page and the booking list's venue were recorded with an English word, which the
Chinese log showed as it was; the log now words them in the reader's language.

Revision ID: df4a7a969ea3
Revises: 8489b5223349
Create Date: 2026-11-29 19:31:40.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'df4a7a969ea3'
down_revision = '8489b5223349'
branch_labels = None
depends_on = None

# action: the English word its detail began with
WORDS = {"view_teacher_queue": "page ", "view_booking_list": "venue "}

access = sa.table('personal_data_access', sa.column('action', sa.String), sa.column('detail', sa.String))


def upgrade():
    for action, word in WORDS.items():
        op.execute(access.update()
                   .where(access.c.action == action, access.c.detail.like(f"{word}%"))
                   .values(detail=sa.func.substr(access.c.detail, len(word) + 1)))


def downgrade():
    for action, word in WORDS.items():
        op.execute(access.update()
                   .where(access.c.action == action, access.c.detail != "")
                   .values(detail=sa.literal(word) + access.c.detail))
