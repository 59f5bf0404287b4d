"""Moving where a school move stands from the access log onto the account (revision d6d811ec527e):
each teacher not verified since gets their latest move and a refusal after it; the way back keeps
every account and what points at it."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from tests.conftest import make_config
from tests.test_migrations import _fresh_database

BEFORE, AFTER = "92f950d82668", "d6d811ec527e"
MOVE, REFUSAL = "change_own_school", "refuse_school_move"

schools = sa.table("schools", *(sa.column(c) for c in ("id", "name_zh", "name_en", "kind", "district_code",
                                                        "address", "is_active", "created_at")))
users = sa.table("users", *(sa.column(c) for c in (
    "id", "email", "password_hash", "name", "phone", "role", "school_id", "verified_at", "elder_mode",
    "session_token", "failed_logins", "is_disabled", "created_at")))
access = sa.table("personal_data_access", *(sa.column(c) for c in ("id", "at", "actor_id", "action",
                                                                  "subject_user_id", "detail")))
tokens = sa.table("api_tokens", *(sa.column(c) for c in ("id", "token_hash", "kind", "name", "user_id",
                                                        "expires_at", "created_at")))
moves = sa.table("users", sa.column("id", sa.Integer), sa.column("moved_school_at", sa.DateTime),
                 sa.column("moved_from_school_id", sa.Integer), sa.column("school_move_refused_at", sa.DateTime))


def _at(day: int) -> datetime:
    return datetime(2026, 11, day, 8, 0)


def _load(conn) -> None:
    conn.execute(schools.insert(), [
        {"id": n, "name_zh": f"学校{n}", "name_en": f"School {n}", "kind": "primary", "district_code": "320102",
         "address": "", "is_active": True, "created_at": _at(1)} for n in (1, 2, 3)])
    # 1 waits after a move from school 1; 2 was refused; 3 moved again after a refusal; 4 was verified
    # since; 5's move names a school that is not there; 6 never moved.
    verified = {4: _at(9)}
    conn.execute(users.insert(), [
        {"id": n, "email": f"t{n}@example.com", "password_hash": "x", "name": f"T{n}", "phone": "", "role": "teacher",
         "school_id": 3, "verified_at": verified.get(n), "elder_mode": False, "session_token": f"s{n}",
         "failed_logins": 0, "is_disabled": False, "created_at": _at(1)} for n in range(1, 7)])
    rows = [(1, MOVE, 1, "1"), (2, MOVE, 2, "1"), (2, REFUSAL, 3, "3"), (3, MOVE, 2, "1"), (3, REFUSAL, 3, "2"),
            (3, MOVE, 4, "2"), (4, MOVE, 2, "1"), (5, MOVE, 2, "999"), (1, "view_account", 5, "")]
    conn.execute(access.insert(), [{"id": i, "at": _at(day), "actor_id": None, "action": action,
                                    "subject_user_id": subject, "detail": detail}
                                   for i, (subject, action, day, detail) in enumerate(rows, start=1)])
    conn.execute(tokens.insert(), {"id": 1, "token_hash": "h", "kind": "user", "name": "mine", "user_id": 1,
                                   "expires_at": _at(30), "created_at": _at(1)})


def _moves() -> dict:
    with db.engine.connect() as conn:
        return {row.id: tuple(row[1:]) for row in conn.execute(sa.select(moves).order_by(moves.c.id))}


def _counter():
    if db.engine.dialect.name != "sqlite":
        return None
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'users'")).scalar()


def test_moves_are_taken_from_the_access_log_onto_the_account_and_back(tmp_path):
    url, drop = _fresh_database(tmp_path)
    app = create_app(make_config(url))
    try:
        with app.app_context():
            upgrade(revision=BEFORE)
            with db.engine.begin() as conn:
                _load(conn)
                if db.engine.dialect.name == "sqlite":  # accounts up to 40 were deleted: their ids stay unused
                    conn.execute(sa.text("UPDATE sqlite_sequence SET seq = 40 WHERE name = 'users'"))

            upgrade(revision=AFTER)

            expected = {1: (_at(1), 1, None), 2: (_at(2), 1, _at(3)), 3: (_at(4), 2, None),
                        4: (None, None, None), 5: (_at(2), None, None), 6: (None, None, None)}
            assert _moves() == expected
            assert _counter() in (None, 40)
            downgrade(revision=BEFORE)
            with db.engine.connect() as conn:
                assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar() == 6
                assert conn.execute(sa.text("SELECT user_id FROM api_tokens")).scalar() == 1
                assert "moved_school_at" not in {c["name"] for c in sa.inspect(conn).get_columns("users")}
            assert _counter() in (None, 40)
            upgrade()
            assert _moves() == expected
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
