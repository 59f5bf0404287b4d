"""user ids never reused; no old links to people in the access log or walk-ins

On SQLite the users table becomes AUTOINCREMENT: a deleted account's id was handed to the next
person who registered, who then inherited whatever still named that id (the access log). Its counter
starts above every id the access log names. PostgreSQL's sequences never reuse an id: nothing to do.

Data written before the fixes that come with this revision loses what could still lead to a person
(both databases; not restored on downgrade, there is nothing to put back):
- access log rows about an anonymised booking lose the booking (beside the booker's id it led back
  to them); rows about an account that no longer exists lose the subject;
- walk-ins lose their phone hash: the old one was the same for a phone at every venue on every day.
  It only serves to count a phone once a day, and new rows use a per-venue, per-day hash that the
  old ones could never match anyway.

Revision ID: 9b97e4c7c0f0
Revises: 68c5cc075eae
Create Date: 2026-11-29 23:05:18.421219

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b97e4c7c0f0'
down_revision = '68c5cc075eae'
branch_labels = None
depends_on = None

access = sa.table('personal_data_access', sa.column('booking_id', sa.Integer),
                  sa.column('subject_user_id', sa.Integer))
bookings = sa.table('bookings', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer))
users = sa.table('users', sa.column('id', sa.Integer))
checkins = sa.table('checkins', sa.column('device_hash', sa.String))


def _set_foreign_keys(on: bool) -> None:
    # SQLite ignores this pragma inside a transaction: set it between two.
    with op.get_context().autocommit_block():
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _recreate_users(*, autoincrement: bool) -> None:
    """Copy the users table into one with (or without) AUTOINCREMENT. Foreign keys are off meanwhile:
    dropping the old table would otherwise delete every API token and null every reference to a user
    (or fail on the bookings'); the references name the table, so they hold again once it is back."""
    bind = op.get_bind()
    enforced = bool(bind.exec_driver_sql("PRAGMA foreign_keys").scalar())
    if enforced:
        _set_foreign_keys(False)
    with op.batch_alter_table('users', recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}):
        pass
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"foreign keys broken by recreating users: {broken[:5]}")
    if enforced:
        _set_foreign_keys(True)


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        _recreate_users(autoincrement=True)
        # Above every id in use or named by the access log (an account deleted since).
        op.execute("DELETE FROM sqlite_sequence WHERE name = 'users'")
        op.execute("INSERT INTO sqlite_sequence (name, seq) SELECT 'users', top FROM ("
                   " SELECT max(id) AS top FROM ("
                   "  SELECT max(id) AS id FROM users"
                   "  UNION ALL SELECT max(actor_id) FROM personal_data_access"
                   "  UNION ALL SELECT max(subject_user_id) FROM personal_data_access)"
                   ") WHERE top IS NOT NULL")
    op.execute(access.update()
               .where(access.c.booking_id.in_(sa.select(bookings.c.id).where(bookings.c.user_id.is_(None))))
               .values(booking_id=None))
    op.execute(access.update()
               .where(access.c.subject_user_id.isnot(None),
                      access.c.subject_user_id.not_in(sa.select(users.c.id)))
               .values(subject_user_id=None))
    op.execute(checkins.update().where(checkins.c.device_hash.isnot(None)).values(device_hash=None))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        _recreate_users(autoincrement=False)
