"""one certificate per level in any case or width

The unique constraint on (level, certificate_no) compared numbers as typed, so two requests recording
"YX-7" and "ｙｘ－７" at the same moment both passed it (the services' check, which folds case and
width, had looked before either was saved). ``accreditations.certificate_key`` now holds
``venues.models.certificate_key`` of the number (NFKC, case-folded: "YX-7", "yx-7" and "ｙｘ－７"
are all "yx-7"), and the unique constraint on (level, certificate_key) replaces the one on the
number, which it implies.

Existing rows are keyed here in Python (SQL cannot apply NFKC), with a copy of today's fold: a
migration must not change when the app does. Two rows of a level whose numbers already fold together
(recorded before the services compared numbers by case and width) both stay, as recorded: the
earliest recorded keeps the key, and each later one gets its key followed by " [DUPLICATE #<its id>]",
which no number can fold to (a key has no upper-case ASCII letter). The services still refuse the
later one's number, as the earliest holds it, until the city admin corrects or removes it; the ids
are logged as a warning. The upgrade never fails on them.

The downgrade drops the key and restores the constraint on the number as typed. Every row meets it
unless a number kept by such a later duplicate was recorded again after the earliest was removed; the
downgrade then stops before changing anything, naming those numbers.

Revision ID: 3077b7db2c0c
Revises: e5b2c8d4f1a7
Create Date: 2026-12-01 15:00:00.000000

"""
import logging
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3077b7db2c0c'
down_revision = 'e5b2c8d4f1a7'
branch_labels = None
depends_on = None

accreditations = sa.table('accreditations', sa.column('id', sa.Integer), sa.column('level', sa.String),
                          sa.column('certificate_no', sa.String), sa.column('certificate_key', sa.Text))


def _key(number: str) -> str:
    return unicodedata.normalize("NFKC", number.replace("\x00", "")).strip().casefold()


def upgrade():
    with op.batch_alter_table('accreditations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_key', sa.Text(), nullable=True))

    connection = op.get_bind()
    held, duplicates = set(), []
    rows = connection.execute(sa.select(accreditations.c.id, accreditations.c.level, accreditations.c.certificate_no)
                              .order_by(accreditations.c.id)).all()
    for row_id, level, number in rows:
        key = _key(number)
        if (level, key) in held:
            duplicates.append(row_id)
            key = f"{key} [DUPLICATE #{row_id}]"
        held.add((level, key))
        connection.execute(accreditations.update().where(accreditations.c.id == row_id).values(certificate_key=key))
    if duplicates:
        logging.getLogger('alembic.runtime.migration').warning(
            "accreditations %s repeat the certificate number of an earlier one of their level in another case "
            "or width: the city admin should correct or remove them", duplicates)

    with op.batch_alter_table('accreditations', schema=None) as batch_op:
        batch_op.alter_column('certificate_key', existing_type=sa.Text(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_accreditations_level_certificate_no'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_accreditations_level_certificate_key'),
                                          ['level', 'certificate_key'])


def downgrade():
    twice = op.get_bind().execute(
        sa.select(accreditations.c.level, accreditations.c.certificate_no)
        .group_by(accreditations.c.level, accreditations.c.certificate_no)
        .having(sa.func.count() > 1)).all()
    if twice:
        raise RuntimeError(f"accreditations record these numbers twice, which the constraint on the number as "
                           f"typed refuses; correct or remove one of each first: {twice}")
    with op.batch_alter_table('accreditations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_accreditations_level_certificate_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_accreditations_level_certificate_no'),
                                          ['level', 'certificate_no'])
        batch_op.drop_column('certificate_key')
