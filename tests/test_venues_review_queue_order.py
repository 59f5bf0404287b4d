"""The review queue is a queue: venues waiting for review come oldest submission first (an edit while
waiting does not move a venue back), so the one waiting longest is on top of the first page; the other
statuses list the latest change first."""
from __future__ import annotations

import re
from datetime import timedelta

from app.core.time import utcnow
from app.extensions import db
from app.venues.models import VenueStatus, VenueStatusChange
from tests import factories
from tests.factories import XUANWU


def _names(page: str) -> list[str]:
    return re.findall(r'<a href="/admin/venues/\d+">([^<]+)</a>', page)


def _venue(name: str, status: VenueStatus, *, submitted_days_ago: int, updated_days_ago: int):
    venue = factories.venue(status=status, name_en=name, district_code=XUANWU)
    now = utcnow()
    venue.status_changes.append(VenueStatusChange(from_status=VenueStatus.DRAFT, to_status=VenueStatus.SUBMITTED,
                                                  created_at=now - timedelta(days=submitted_days_ago)))
    db.session.flush()
    venue.updated_at = now - timedelta(days=updated_days_ago)
    db.session.commit()
    return venue


def test_the_venue_waiting_longest_for_review_is_first(client, auth):
    _venue("Sent Yesterday", VenueStatus.SUBMITTED, submitted_days_ago=1, updated_days_ago=1)
    _venue("Sent Long Ago, Edited Today", VenueStatus.SUBMITTED, submitted_days_ago=30, updated_days_ago=0)
    _venue("Sent Last Week", VenueStatus.SUBMITTED, submitted_days_ago=7, updated_days_ago=7)
    auth.login(factories.user("district_admin", district_code=XUANWU).email)

    page = client.get("/admin/venues?lang=en").get_data(as_text=True)

    assert _names(page) == ["Sent Long Ago, Edited Today", "Sent Last Week", "Sent Yesterday"]


def test_the_oldest_submission_is_on_the_first_page_of_a_long_queue(client, auth):
    _venue("Waiting Longest", VenueStatus.SUBMITTED, submitted_days_ago=60, updated_days_ago=60)
    for n in range(31):  # more than a page
        _venue(f"Queue Hall {n:02d}", VenueStatus.SUBMITTED, submitted_days_ago=1, updated_days_ago=1)
    auth.login(factories.user("city_admin").email)

    page = client.get("/admin/venues?lang=en").get_data(as_text=True)

    assert _names(page)[0] == "Waiting Longest"


def test_approved_venues_still_list_the_latest_change_first(client, auth):
    _venue("Changed Long Ago", VenueStatus.APPROVED, submitted_days_ago=1, updated_days_ago=30)
    _venue("Changed Today", VenueStatus.APPROVED, submitted_days_ago=30, updated_days_ago=0)
    auth.login(factories.user("district_admin", district_code=XUANWU).email)

    page = client.get("/admin/venues?status=approved&lang=en").get_data(as_text=True)

    assert _names(page) == ["Changed Today", "Changed Long Ago"]
