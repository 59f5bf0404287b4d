"""cancelled bookings keep a closure's reason in English beside the Chinese

A closure (and a suspension) gives its reason in Chinese and English. Bookings kept one text,
"中文 / English", and showed both to every reader; ``bookings.cancel_reason_en`` now holds the English
and ``cancel_reason`` the Chinese. Bookings cancelled by a closure, or by a suspension, before this
revision are split back exactly: a text that only looks alike (a teacher's "A / B") is left as typed.

Revision ID: b7e2d4a9c1f5
Revises: f1a7c3d9b2e4
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2d4a9c1f5'
down_revision = 'f1a7c3d9b2e4'
branch_labels = None
depends_on = None

# The suspension's notice as the catalog gave it when bookings kept both languages in one text.
SUSPENDED = ("场馆已被科协暂停开放，暂不接待观众。",
             "The venue has been suspended by the science association and receives no visitors for now.")

bookings = sa.table('bookings', sa.column('id', sa.Integer), sa.column('venue_id', sa.Integer),
                    sa.column('status', sa.String), sa.column('cancel_reason', sa.Text),
                    sa.column('cancel_reason_en', sa.Text))
closures = sa.table('closures', sa.column('venue_id', sa.Integer), sa.column('reason_zh', sa.String),
                    sa.column('reason_en', sa.String))


def _split(connection, chinese, english, *where):
    connection.execute(
        bookings.update()
        .where(bookings.c.status == 'cancelled', bookings.c.cancel_reason == f"{chinese} / {english}", *where)
        .values(cancel_reason=chinese, cancel_reason_en=english))


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_reason_en', sa.Text(), nullable=False, server_default=''))
    connection = op.get_bind()
    _split(connection, *SUSPENDED)
    given_in_english = sa.select(closures.c.venue_id, closures.c.reason_zh, closures.c.reason_en).where(
        closures.c.reason_en != '').distinct()
    for venue_id, chinese, english in connection.execute(given_in_english):
        _split(connection, chinese, english, bookings.c.venue_id == venue_id)


def downgrade():
    connection = op.get_bind()
    connection.execute(
        bookings.update().where(bookings.c.cancel_reason_en != '')
        .values(cancel_reason=bookings.c.cancel_reason + ' / ' + bookings.c.cancel_reason_en))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason_en')
