"""email addresses in one spelling

``accounts.services.normalize_email`` now applies NFKC, so that an address typed in full width (with a
Chinese input method) or with a decomposed accent is the address it looks like. Stored addresses
are brought to that spelling here, so that their owners can still sign in. An address whose new
spelling another account already has stays as it was: those two accounts are for an administrator
to merge, and this migration must not pick one.

Revision ID: e5b2c8d4f1a7
Revises: d9a4e7b3c5f1
Create Date: 2026-12-01 14:30:00.000000

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5b2c8d4f1a7'
down_revision = 'd9a4e7b3c5f1'
branch_labels = None
depends_on = None

users = sa.table('users', sa.column('id', sa.Integer), sa.column('email', sa.String))


def _spelling(email: str) -> str:
    return unicodedata.normalize("NFKC", email).strip().lower()


def upgrade():
    connection = op.get_bind()
    taken = set(connection.scalars(sa.select(users.c.email)))
    for user_id, email in connection.execute(sa.select(users.c.id, users.c.email).order_by(users.c.id)):
        spelled = _spelling(email)
        if spelled != email and spelled not in taken:
            connection.execute(users.update().where(users.c.id == user_id).values(email=spelled))
            taken.add(spelled)


def downgrade():
    pass  # the old spellings are not kept
