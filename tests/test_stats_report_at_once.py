"""An annual report's remarks saved twice at once (a double click) before the year's report exists:
both saves succeed and the venue keeps one report."""
from __future__ import annotations

import threading

from sqlalchemy import select

from app.accounts.models import Role, User
from app.core.time import local_today
from app.extensions import db
from app.stats import reports
from app.stats.models import ReportSubmission
from app.venues.models import Venue
from tests import factories
from tests.races import race


def test_the_first_remarks_of_a_year_saved_twice_at_once_both_save_into_one_report(app, monkeypatch):
    venue = factories.venue()
    manager = factories.user(Role.VENUE_MANAGER, venue=venue)
    year = local_today().year
    looked = threading.Barrier(2, timeout=60)
    first_look = threading.local()
    find = reports.submission_for

    def found_together(*args):
        submission = find(*args)
        if not getattr(first_look, "done", False):
            first_look.done = True
            looked.wait()  # both have found no report for the year yet
        return submission

    monkeypatch.setattr(reports, "submission_for", found_together)

    def save(text: str):
        def job():
            reports.save_report_text(db.session.get(User, manager.id), db.session.get(Venue, venue.id), year, text)
            return "saved"
        return job

    assert race(app, [save("更新了天文展区。"), save("更新了天文展区。")]) == ["saved", "saved"]
    db.session.expire_all()
    rows = db.session.scalars(select(ReportSubmission).where(ReportSubmission.venue_id == venue.id)).all()
    assert [(row.year, row.text) for row in rows] == [(year, "更新了天文展区。")]
