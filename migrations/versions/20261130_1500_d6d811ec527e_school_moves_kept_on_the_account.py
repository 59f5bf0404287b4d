"""school moves kept on the account, not read from the access log

A teacher who moved to another school awaits its district's verification, and that district may
refuse the move: where a move stands was read from the access log (its last move or refusal, the
school left in the row's free-text detail). The log is an audit trail that may be purged; the account
now holds it: ``users.moved_school_at``, ``moved_from_school_id`` (the school left; SET NULL should
it ever be deleted) and ``school_move_refused_at``, all cleared once a district verifies the teacher.

Backfilled from the log for teachers not verified since: their latest move (when, and from where) and
a refusal logged after it. Downgrade drops the columns; the log, still written, holds the same.

Revision ID: d6d811ec527e
Revises: 92f950d82668
Create Date: 2026-11-30 15:00:00.000000

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd6d811ec527e'
down_revision = '92f950d82668'
branch_labels = None
depends_on = None

MOVE, REFUSAL = 'change_own_school', 'refuse_school_move'

access = sa.table('personal_data_access', sa.column('id', sa.Integer), sa.column('at', sa.DateTime),
                  sa.column('action', sa.String), sa.column('subject_user_id', sa.Integer),
                  sa.column('detail', sa.String))
users = sa.table('users', sa.column('id', sa.Integer), sa.column('role', sa.String),
                 sa.column('verified_at', sa.DateTime), sa.column('moved_school_at', sa.DateTime),
                 sa.column('moved_from_school_id', sa.Integer), sa.column('school_move_refused_at', sa.DateTime))
schools = sa.table('schools', sa.column('id', sa.Integer))


def _set_foreign_keys(on: bool) -> None:
    # SQLite ignores this pragma inside a transaction: set it between two.
    with op.get_context().autocommit_block():
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


@contextmanager
def _altering_users():
    """A batch on the users table. SQLite copies the table (a foreign key cannot be added or dropped in
    place): with foreign keys off meanwhile, or dropping the old table would delete every API token and
    null every reference to a user; keeping AUTOINCREMENT and its counter, so that no deleted account's
    id is given out again (revision 9b97e4c7c0f0)."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        with op.batch_alter_table('users', schema=None) as batch_op:
            yield batch_op
        return
    enforced = bool(bind.exec_driver_sql("PRAGMA foreign_keys").scalar())
    counter = bind.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'users'").scalar() or 0
    if enforced:
        _set_foreign_keys(False)
    with op.batch_alter_table('users', recreate='always', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        yield batch_op
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'users'")
    op.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) SELECT 'users', max(:counter, coalesce(max(id), 0)) "
                       "FROM users").bindparams(counter=counter))
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"foreign keys broken by recreating users: {broken[:5]}")
    if enforced:
        _set_foreign_keys(True)


def _backfill() -> None:
    """Each teacher's latest move (when, from which school) and a refusal logged after it; the log's
    order is its id, as the access log was read before."""
    bind = op.get_bind()
    state = {}  # subject: [moved_at, moved_from, refused_at]
    for subject, action, at, detail in bind.execute(
            sa.select(access.c.subject_user_id, access.c.action, access.c.at, access.c.detail)
            .where(access.c.action.in_([MOVE, REFUSAL]), access.c.subject_user_id.isnot(None))
            .order_by(access.c.id)):
        if action == MOVE:
            detail = (detail or '').strip()
            state[subject] = [at, int(detail) if detail.isdigit() else None, None]
        else:
            state.setdefault(subject, [None, None, None])[2] = at
    if not state:
        return
    known = set(bind.execute(sa.select(schools.c.id).where(
        schools.c.id.in_({left for _, left, _ in state.values() if left is not None}))).scalars())
    for subject, (moved_at, left, refused_at) in state.items():
        bind.execute(users.update()
                     .where(users.c.id == subject, users.c.role == 'teacher', users.c.verified_at.is_(None))
                     .values(moved_school_at=moved_at, moved_from_school_id=left if left in known else None,
                             school_move_refused_at=refused_at))


def upgrade():
    with _altering_users() as batch_op:
        batch_op.add_column(sa.Column('moved_school_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('moved_from_school_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('school_move_refused_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_moved_from_school_id_schools'), 'schools',
                                    ['moved_from_school_id'], ['id'], ondelete='SET NULL')
    _backfill()


def downgrade():
    with _altering_users() as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_moved_from_school_id_schools'), type_='foreignkey')
        batch_op.drop_column('school_move_refused_at')
        batch_op.drop_column('moved_from_school_id')
        batch_op.drop_column('moved_school_at')
