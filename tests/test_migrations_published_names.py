"""Published results keep the venue's names as published (revision 7314d87444d4): results published
before it take the venues' current names; the way back drops them and keeps every result."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from tests.conftest import make_config
from tests.test_migrations import _fresh_database

BEFORE, AFTER = "d6d811ec527e", "7314d87444d4"
AT = datetime(2026, 6, 15, 2, 0)

venues = sa.table("venues", *(sa.column(c) for c in (
    "id", "name_zh", "name_en", "venue_type", "operator_kind", "district_code", "address_zh", "address_en",
    "description_zh", "description_en", "closed_weekdays", "admission", "discount_zh", "discount_en", "grade_min",
    "grade_max", "accessibility_zh", "accessibility_en", "contact_phone", "contact_email", "website",
    "unverified_note", "status", "status_reason", "updated_at", "created_at")))
publications = sa.table("evaluation_publications", *(sa.column(c) for c in ("id", "year", "version", "published_at")))
results = sa.table("evaluation_published_results", *(sa.column(c) for c in (
    "id", "publication_id", "venue_id", "district_code", "score", "rank")))


def _load(conn) -> None:
    conn.execute(venues.insert(), [
        {"id": n, "name_zh": f"馆{n}", "name_en": english, "venue_type": "comprehensive_museum",
         "operator_kind": "government", "district_code": "320102", "address_zh": "", "address_en": "",
         "description_zh": "", "description_en": "", "closed_weekdays": "", "admission": "free", "discount_zh": "",
         "discount_en": "", "grade_min": 0, "grade_max": 12, "accessibility_zh": "", "accessibility_en": "",
         "contact_phone": "", "contact_email": "", "website": "", "unverified_note": "", "status": "approved",
         "status_reason": "", "updated_at": AT, "created_at": AT} for n, english in ((1, "Hall One"), (2, ""))])
    conn.execute(publications.insert(), [{"id": 1, "year": 2025, "version": 1, "published_at": AT},
                                         {"id": 2, "year": 2025, "version": 2, "published_at": AT}])
    conn.execute(results.insert(), [{"id": i, "publication_id": p, "venue_id": v, "district_code": "320102",
                                     "score": 50, "rank": v} for i, (p, v) in enumerate(((1, 1), (1, 2), (2, 1)), 1)])


def _names() -> dict:
    with db.engine.connect() as conn:
        return {row.id: (row.name_zh, row.name_en) for row in conn.execute(
            sa.text("SELECT id, name_zh, name_en FROM evaluation_published_results ORDER BY id"))}


def test_published_results_take_the_venues_names_and_back(tmp_path):
    url, drop = _fresh_database(tmp_path)
    app = create_app(make_config(url))
    try:
        with app.app_context():
            upgrade(revision=BEFORE)
            with db.engine.begin() as conn:
                _load(conn)

            upgrade(revision=AFTER)

            expected = {1: ("馆1", "Hall One"), 2: ("馆2", ""), 3: ("馆1", "Hall One")}
            assert _names() == expected
            columns = {c["name"]: c for c in sa.inspect(db.engine).get_columns("evaluation_published_results")}
            assert not columns["name_zh"]["nullable"] and not columns["name_en"]["nullable"]
            downgrade(revision=BEFORE)
            with db.engine.connect() as conn:
                assert conn.execute(sa.text("SELECT count(*) FROM evaluation_published_results")).scalar() == 3
                assert "name_zh" not in {c["name"] for c in sa.inspect(conn).get_columns("evaluation_published_results")}
            upgrade()
            assert _names() == expected
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
