"""The migrations are the schema: they build exactly what the models declare, and run both ways."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from tests.conftest import make_config


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"run `flask db migrate`: the models and migrations differ: {differences}"


def _fresh_database(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'roundtrip.db'}", lambda: None
    schema = f"rt_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", drop


@contextmanager
def _app_on_a_fresh_database(tmp_path):
    """An app, in its context, on a database of its own that no migration has touched; gone after."""
    url, drop = _fresh_database(tmp_path)
    app = create_app(make_config(url))
    try:
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_migrations_upgrade_downgrade_and_upgrade_again(tmp_path):
    with _app_on_a_fresh_database(tmp_path):
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"users", "venues", "schools", "districts"} <= tables
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        count = db.session.execute(sa.text("SELECT count(*) FROM districts")).scalar()
        assert count == 12


BEFORE_AUTOINCREMENT = "68c5cc075eae"  # the revision before users became AUTOINCREMENT on SQLite
_NEW_USER = sa.text("insert into users (email, password_hash, name, phone, role, elder_mode, session_token, "
                    "failed_logins, is_disabled, created_at) values (:email, 'x', 'N', '', 'citizen', false, "
                    ":email, 0, false, '2026-01-01 00:00:00') returning id")


def _add_user(conn, email: str) -> int:
    return conn.execute(_NEW_USER, {"email": email}).scalar()


def test_user_ids_are_never_reused_and_every_reference_to_a_user_survives_the_upgrade(tmp_path):
    with _app_on_a_fresh_database(tmp_path):
        upgrade(revision=BEFORE_AUTOINCREMENT)
        with db.engine.begin() as conn:
            admin, person, gone = (_add_user(conn, f"{n}@example.com") for n in ("admin", "person", "gone"))
            conn.execute(sa.text("update users set verified_by_id = :admin where id = :person"),
                         {"admin": admin, "person": person})
            conn.execute(sa.text("insert into api_tokens (token_hash, kind, name, user_id, expires_at, "
                                 "created_at) values ('h', 'user', '', :person, '2030-01-01', '2026-01-01')"),
                         {"person": person})
            conn.execute(sa.text("insert into outbox_messages (kind, recipient, subject, body, user_id, attempts, "
                                 "last_error, created_at) values ('k', 'person@example.com', 's', 'b', :person, 0, "
                                 "'', '2026-01-01')"), {"person": person})
            conn.execute(sa.text("insert into personal_data_access (at, actor_id, action, subject_user_id, detail) "
                                 "values ('2026-01-01', :gone, 'delete_own_account', :gone, '')"), {"gone": gone})
            conn.execute(sa.text("delete from users where id = :gone"), {"gone": gone})

        def references():
            with db.engine.connect() as conn:
                return (conn.execute(sa.text("select user_id from api_tokens")).all(),
                        conn.execute(sa.text("select user_id from outbox_messages")).all(),
                        conn.execute(sa.text("select verified_by_id from users where id = :p"),
                                     {"p": person}).all())

        before = references()
        assert before == ([(person,)], [(person,)], [(admin,)])
        upgrade()
        assert references() == before
        with db.engine.begin() as conn:
            assert _add_user(conn, "next@example.com") > gone
            assert conn.execute(sa.text("select subject_user_id from personal_data_access")).all() == [(None,)]
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        downgrade(revision=BEFORE_AUTOINCREMENT)
        assert references() == before
        upgrade()
        assert references() == before


def test_the_upgrade_drops_old_links_to_people_from_the_access_log_and_walk_ins(tmp_path):
    from tests import factories

    with _app_on_a_fresh_database(tmp_path):
        upgrade()
        person, manager = factories.user("citizen"), factories.user("venue_manager")
        kept = factories.booked_visit(factories.slot(manager.venue, days_ahead=3), person)
        old = factories.booked_visit(factories.slot(manager.venue, days_ahead=4), person)
        gone = factories.user("citizen")
        walk_in = factories.walk_in(manager.venue)
        ids = {"person": person.id, "kept": kept.id, "old": old.id, "gone": gone.id, "walk_in": walk_in.id}
        db.session.remove()
        downgrade(revision=BEFORE_AUTOINCREMENT)
        # As an older version left them: a purged booking still named in the log beside its booker, a
        # deleted account still the subject of rows, a walk-in with the phone's hash for every venue.
        with db.engine.begin() as conn:
            conn.execute(sa.text("update bookings set user_id = null where id = :old"), ids)
            conn.execute(sa.text("delete from users where id = :gone"), ids)
            for booking, subject in (("kept", "person"), ("old", "person"), (None, "gone")):
                conn.execute(sa.text("insert into personal_data_access (at, actor_id, action, subject_user_id, "
                                     "booking_id, detail) values ('2026-01-01', 1, 'view_booking', :subject, "
                                     ":booking, '')"),
                             {"subject": ids[subject], "booking": ids.get(booking)})
            conn.execute(sa.text("update checkins set device_hash = 'same-for-every-venue' where id = :walk_in"),
                         ids)
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("select subject_user_id, booking_id from personal_data_access "
                                        "order by id")).all()
            assert rows == [(ids["person"], ids["kept"]), (ids["person"], None), (None, None)]
            assert conn.execute(sa.text("select device_hash from checkins")).all() == [(None,)]


BEFORE_ENGLISH_REASONS = "f1a7c3d9b2e4"  # bookings kept a closure's reason as "中文 / English"
SUSPENDED_IN_2026 = ("场馆已被科协暂停开放，暂不接待观众。",
                     "The venue has been suspended by the science association and receives no visitors for now.")


def test_the_upgrade_splits_a_closures_two_language_reason_and_leaves_typed_reasons_as_they_are(tmp_path):
    from app.scheduling.models import Closure
    from tests import factories

    with _app_on_a_fresh_database(tmp_path):
        upgrade()
        manager = factories.user("venue_manager")
        elsewhere = factories.venue()
        closed, typed, other_venue, suspended = (
            factories.booked_visit(factories.slot(venue, days_ahead=3), factories.user("citizen"))
            for venue in (manager.venue, manager.venue, elsewhere, elsewhere))
        day = closed.slot.local_date
        db.session.add(Closure(venue_id=manager.venue.id, starts_on=day, ends_on=day, reason_zh="设备检修",
                               reason_en="Maintenance"))
        for booking, reason, english in ((closed, "设备检修", "Maintenance"), (typed, "上午 / 下午", ""),
                                         (other_venue, "设备检修 / Maintenance", ""),
                                         (suspended, *SUSPENDED_IN_2026)):
            booking.status, booking.cancel_reason, booking.cancel_reason_en = "cancelled", reason, english
        db.session.commit()
        ids = [b.id for b in (closed, typed, other_venue, suspended)]
        db.session.remove()
        downgrade(revision=BEFORE_ENGLISH_REASONS)
        with db.engine.connect() as conn:
            kept = conn.execute(sa.text("select cancel_reason from bookings order by id")).scalars().all()
        assert kept[:3] == ["设备检修 / Maintenance", "上午 / 下午", "设备检修 / Maintenance"]
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("select id, cancel_reason, cancel_reason_en from bookings order by id"))
            assert [tuple(r) for r in rows] == [
                (ids[0], "设备检修", "Maintenance"),
                (ids[1], "上午 / 下午", ""),  # a teacher's words, not a closure's
                (ids[2], "设备检修 / Maintenance", ""),  # another venue's closure did not say so
                (ids[3], *SUSPENDED_IN_2026),
            ]


def test_the_upgrade_brings_stored_addresses_to_one_spelling_unless_another_account_has_it(tmp_path):
    with _app_on_a_fresh_database(tmp_path):
        upgrade(revision="d9a4e7b3c5f1")
        with db.engine.begin() as conn:
            wide, decomposed, clash, taken = (_add_user(conn, email) for email in (
                "ｗｉｄｅ@example.com", "jose\u0301@example.com", "ａｌｉｃｅ@example.com", "alice@example.com"))
        upgrade(revision="e5b2c8d4f1a7")
        with db.engine.connect() as conn:
            emails = dict(conn.execute(sa.text("select id, email from users")).all())
        assert emails == {wide: "wide@example.com", decomposed: "jos\u00e9@example.com",
                          clash: "ａｌｉｃｅ@example.com", taken: "alice@example.com"}
