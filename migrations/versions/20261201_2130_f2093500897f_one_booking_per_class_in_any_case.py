"""one booking per class in any case

The unique index on a slot's active class bookings compared class names as kept (width and spaces
folded, case not), so "Class 4A" and "class 4a" of one school could both book one time, and a class
booked at one venue could book an overlapping time elsewhere in another case. ``bookings.class_key``
now holds ``bookings.models.class_key`` of the name (case-folded), and the index is on it.

Existing class bookings are keyed here in Python (SQL cannot apply NFKC), with a copy of today's
fold: a migration must not change when the app does. Two active bookings of one slot and school whose
classes already fold together both stay, as booked: the earliest keeps the key, and each later one
gets its key followed by " [DUPLICATE #<its id>]", which no class can fold to (a key has no upper-case
ASCII letter). Their ids are logged as a warning for the venue to look at; the upgrade never fails on
them. Anonymised bookings (no class name) get no key, as before.

The downgrade drops the key and restores the index on the name as kept. Every active booking meets
it unless a name kept by such a later duplicate was booked again for its slot after the earliest was
cancelled; the downgrade then stops before changing anything, naming those bookings.

Revision ID: f2093500897f
Revises: 3077b7db2c0c
Create Date: 2026-12-01 21:30:00.000000

"""
import logging
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2093500897f'
down_revision = '3077b7db2c0c'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('pending','confirmed','waitlisted','checked_in') AND kind = 'group'"
bookings = sa.table('bookings', sa.column('id', sa.Integer), sa.column('slot_id', sa.Integer),
                    sa.column('school_id', sa.Integer), sa.column('kind', sa.String), sa.column('status', sa.String),
                    sa.column('class_name', sa.String), sa.column('class_key', sa.Text))


def _key(class_name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", class_name).split()).casefold()


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('class_key', sa.Text(), nullable=True))

    connection = op.get_bind()
    held, duplicates = set(), []
    rows = connection.execute(
        sa.select(bookings.c.id, bookings.c.slot_id, bookings.c.school_id, bookings.c.class_name,
                  sa.text(f"({ACTIVE}) AS active"))
        .where(bookings.c.class_name.isnot(None)).order_by(bookings.c.id)).all()
    for row_id, slot_id, school_id, class_name, active in rows:
        key = _key(class_name)
        if active:
            if (slot_id, school_id, key) in held:
                duplicates.append(row_id)
                key = f"{key} [DUPLICATE #{row_id}]"
            held.add((slot_id, school_id, key))
        connection.execute(bookings.update().where(bookings.c.id == row_id).values(class_key=key))
    if duplicates:
        logging.getLogger('alembic.runtime.migration').warning(
            "bookings %s are a class already booked for their time by a colleague, in another case: the venue "
            "should look at them", duplicates)

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_active_per_class', sqlite_where=sa.text(ACTIVE),
                            postgresql_where=sa.text(ACTIVE))
        batch_op.create_index('uq_bookings_active_per_class', ['slot_id', 'school_id', 'class_key'], unique=True,
                              sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))


def downgrade():
    twice = op.get_bind().execute(
        sa.select(bookings.c.slot_id, bookings.c.school_id, bookings.c.class_name)
        .where(sa.text(ACTIVE))
        .group_by(bookings.c.slot_id, bookings.c.school_id, bookings.c.class_name)
        .having(sa.func.count() > 1)).all()
    if twice:
        raise RuntimeError(f"these (slot, school, class) hold two active bookings, which the index on the class as "
                           f"kept refuses; cancel one of each first: {twice}")
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_active_per_class', sqlite_where=sa.text(ACTIVE),
                            postgresql_where=sa.text(ACTIVE))
        batch_op.create_index('uq_bookings_active_per_class', ['slot_id', 'school_id', 'class_name'], unique=True,
                              sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
        batch_op.drop_column('class_key')
