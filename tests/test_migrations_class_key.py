"""Keying the class bookings already made (revision f2093500897f): each gets its case-folded key, a
later active booking of one slot and school whose class folds onto an earlier one keeps a key of its
own rather than failing the upgrade, and the way back restores the index on the class as kept."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.accounts.models import User
from app.core.time import utcnow
from app.extensions import db
from tests import factories
from tests.conftest import make_config
from tests.test_migrations import _fresh_database

BEFORE, AFTER = "3077b7db2c0c", "f2093500897f"

bookings = sa.table("bookings", *(sa.column(c) for c in (
    "id", "reference", "slot_id", "venue_id", "user_id", "kind", "status", "students", "adults", "grade",
    "class_name", "school_id", "is_partner", "seats", "guardian_confirmed", "ticket_version", "decline_reason",
    "cancel_reason", "cancel_reason_en", "created_at")))
# As booked before classes were compared by case: 2 is 1's class again, on one slot (both pending);
# 3 is too, but cancelled; 4 is on the other slot; 5 was anonymised.
BOOKED = [(1, "first", "pending", "Class 4A"), (2, "first", "confirmed", "class 4a"),
          (3, "first", "cancelled", "CLASS 4A"), (4, "second", "pending", "class 4a"), (5, "first", "checked_in", None)]
KEYED = {1: "class 4a", 2: "class 4a [DUPLICATE #2]", 3: "class 4a", 4: "class 4a", 5: None}


@contextmanager
def _booked_before_the_key(tmp_path):
    """An app on a database of its own at the revision before the key, holding ``BOOKED`` (each by a
    teacher of one school); yields the slots' ids by name and the id of another teacher of the school."""
    url, drop = _fresh_database(tmp_path)
    app = create_app(make_config(url))
    try:
        with app.app_context():
            upgrade()
            venue = factories.venue()
            slots = {"first": factories.slot(venue, days_ahead=5, audience="school"),
                     "second": factories.slot(venue, days_ahead=6, audience="school")}
            teacher = factories.user("teacher")
            colleagues = [factories.user("teacher", school=teacher.school).id for _ in BOOKED]  # one each
            ids = {name: slot.id for name, slot in slots.items()}, teacher.id, teacher.school_id, venue.id
            db.session.remove()
            downgrade(revision=BEFORE)
            slot_ids, teacher_id, school_id, venue_id = ids
            with db.engine.begin() as conn:
                for n, slot, status, class_name in BOOKED:  # one by one: ids 1, 2, ... in this order
                    conn.execute(bookings.insert().values(
                        reference=f"REF{n}", slot_id=slot_ids[slot], venue_id=venue_id, user_id=colleagues[n - 1],
                        kind="group", status=status, students=30, adults=2, grade=4, class_name=class_name,
                        school_id=school_id, is_partner=False, seats=32, guardian_confirmed=False, ticket_version=1,
                        decline_reason="", cancel_reason="", cancel_reason_en="", created_at=utcnow()))
            yield slot_ids, teacher_id
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def _rows(column: str) -> dict:
    with db.engine.connect() as conn:
        return dict(conn.execute(sa.text(f"select id, {column} from bookings order by id")).all())


def _class_index_columns() -> list:
    index, = (i for i in sa.inspect(db.engine).get_indexes("bookings") if i["name"] == "uq_bookings_active_per_class")
    return index["column_names"]


def _book(teacher_id: int, slot_id: int, class_name: str):
    from app.bookings import services
    from app.scheduling.models import Slot

    return services.book_class_visit(db.session.get(User, teacher_id), db.session.get(Slot, slot_id),
                                     students=30, adults=2, grade=4, class_name=class_name)


def test_booked_classes_are_keyed_and_a_later_one_in_another_case_keeps_a_key_of_its_own(tmp_path):
    from app.core.errors import DomainError

    with _booked_before_the_key(tmp_path) as (slots, teacher_id):
        upgrade(revision=AFTER)

        assert _rows("class_key") == KEYED
        assert _rows("class_name") == {n: class_name for n, _, _, class_name in BOOKED}  # as booked
        assert _class_index_columns() == ["slot_id", "school_id", "class_key"]
        colleague = factories.user("teacher", school=db.session.get(User, teacher_id).school)
        with pytest.raises(DomainError) as refused:  # the earliest holds the class, in every case
            _book(colleague.id, slots["first"], "CLASS 4a")
        assert (refused.value.code, refused.value.field) == ("duplicate_booking", "class_name")
        assert "Class 4A" in str(refused.value.message)  # as the earliest booked it
        db.session.rollback()


def test_the_way_back_restores_the_index_on_the_class_and_the_way_up_keys_again(tmp_path):
    with _booked_before_the_key(tmp_path):
        upgrade(revision=AFTER)
        downgrade(revision=BEFORE)

        with db.engine.connect() as conn:
            assert "class_key" not in {c["name"] for c in sa.inspect(conn).get_columns("bookings")}
        assert _class_index_columns() == ["slot_id", "school_id", "class_name"]
        upgrade()
        assert _rows("class_key") == KEYED


def test_the_way_back_stops_unchanged_when_a_class_is_booked_twice_as_kept(tmp_path):
    with _booked_before_the_key(tmp_path) as (slots, teacher_id):
        upgrade(revision=AFTER)
        # 1 cancelled, its class is free, and is booked again just as 2 (a duplicate left in place) reads.
        with db.engine.begin() as conn:
            conn.execute(bookings.update().where(bookings.c.id == 1).values(status="cancelled"))
        colleague = factories.user("teacher", school=db.session.get(User, teacher_id).school)
        _book(colleague.id, slots["first"], "class 4a")
        db.session.commit()

        with pytest.raises(SystemExit):
            downgrade(revision=BEFORE)

        assert _class_index_columns() == ["slot_id", "school_id", "class_key"]
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("select version_num from alembic_version")).scalar() == AFTER
