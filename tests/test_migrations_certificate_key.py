"""Keying the certificate numbers already recorded (revision 3077b7db2c0c): each gets its folded key,
a later number folding onto an earlier one of its level keeps a key of its own rather than failing the
upgrade, and the way back restores the constraint on the number as typed."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.core.errors import DomainError
from app.extensions import db
from app.venues import services
from tests import factories
from tests.conftest import make_config
from tests.test_migrations import _fresh_database

BEFORE, AFTER = "e5b2c8d4f1a7", "3077b7db2c0c"

accreditations = sa.table("accreditations", *(sa.column(c) for c in (
    "id", "venue_id", "level", "certificate_no", "valid_from", "valid_to", "created_at")))
# As recorded before numbers were compared by case and width: 2 and 3 are 1's certificate again.
RECORDED = [(1, "study_base", "YX-1"), (2, "study_base", "yx-1"), (3, "study_base", "ＹＸ－１"),
            (4, "city_base", "yx-1"), (5, "study_base", " Ab-２ ")]
KEYED = {1: "yx-1", 2: "yx-1 [DUPLICATE #2]", 3: "yx-1 [DUPLICATE #3]", 4: "yx-1", 5: "ab-2"}


@contextmanager
def _recorded_before_the_key(tmp_path):
    """An app on a database of its own at the revision before the key, holding ``RECORDED``."""
    url, drop = _fresh_database(tmp_path)
    app = create_app(make_config(url))
    try:
        with app.app_context():
            upgrade()
            venue_id = factories.venue().id
            db.session.remove()
            downgrade(revision=BEFORE)
            with db.engine.begin() as conn:
                for n, level, number in RECORDED:  # one by one: ids 1, 2, ... in this order
                    conn.execute(accreditations.insert().values(
                        venue_id=venue_id, level=level, certificate_no=number, valid_from=date(2026, 1, 1),
                        valid_to=date(2028, 12, 31), created_at=date(2026, 1, 1)))
            assert _rows("certificate_no") == {n: number for n, _, number in RECORDED}
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def _rows(column: str) -> dict:
    with db.engine.connect() as conn:
        return dict(conn.execute(sa.text(f"select id, {column} from accreditations order by id")).all())


def _unique_constraints() -> list:
    return sorted(c["name"] for c in sa.inspect(db.engine).get_unique_constraints("accreditations"))


def test_recorded_numbers_are_keyed_and_a_later_one_in_another_case_or_width_keeps_a_key_of_its_own(tmp_path):
    with _recorded_before_the_key(tmp_path):
        upgrade(revision=AFTER)

        assert _rows("certificate_key") == KEYED
        assert _rows("certificate_no") == {n: number for n, _, number in RECORDED}  # as recorded
        assert _unique_constraints() == ["uq_accreditations_level_certificate_key"]
        with pytest.raises(DomainError) as refused:  # the earliest holds the number, in every spelling
            services.record_accreditation(factories.user("city_admin"), factories.venue(), level="study_base",
                                          certificate_no="ｙＸ-1", valid_from=date(2026, 1, 1),
                                          valid_to=date(2027, 1, 1))
        assert (refused.value.code, refused.value.field) == ("duplicate_certificate", "certificate_no")
        db.session.rollback()


def test_the_way_back_restores_the_constraint_on_the_number_and_the_way_up_keys_again(tmp_path):
    with _recorded_before_the_key(tmp_path):
        upgrade(revision=AFTER)
        downgrade(revision=BEFORE)

        with db.engine.connect() as conn:
            assert "certificate_key" not in {c["name"] for c in sa.inspect(conn).get_columns("accreditations")}
        assert _unique_constraints() == ["uq_accreditations_level_certificate_no"]
        assert _rows("certificate_no") == {n: number for n, _, number in RECORDED}
        upgrade()
        assert _rows("certificate_key") == KEYED


def test_the_way_back_stops_unchanged_when_a_number_is_recorded_twice_as_typed(tmp_path):
    with _recorded_before_the_key(tmp_path):
        upgrade(revision=AFTER)
        # 1 removed, its number is free, and is recorded again just as 2 (a duplicate left in place) reads.
        with db.engine.begin() as conn:
            conn.execute(accreditations.delete().where(accreditations.c.id == 1))
        venue = factories.venue()
        factories.accreditation(venue, level="study_base", certificate_no="yx-1")

        with pytest.raises(SystemExit):
            downgrade(revision=BEFORE)

        assert _unique_constraints() == ["uq_accreditations_level_certificate_key"]
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("select version_num from alembic_version")).scalar() == AFTER
