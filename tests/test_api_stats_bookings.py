"""The summary's ``bookings``: what the OpenAPI document says it counts is what it counts, and what the
dashboard says of it."""
from __future__ import annotations

import html
import re
from datetime import timedelta

from app.bookings import services as booking_services
from app.core.time import local_today
from app.extensions import db
from tests import factories


def documented() -> str:
    from app.api.stats import OPENAPI

    return OPENAPI["schemas"]["StatsSummary"]["properties"]["bookings"]["description"]


def test_the_openapi_document_says_what_the_dashboard_says_bookings_are(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    description = doc["components"]["schemas"]["StatsSummary"]["properties"]["bookings"]["description"]
    page = client.get("/stats?lang=en").get_data(as_text=True)
    explained = re.search(r"<dt>Bookings</dt><dd>([^<]+)</dd>", page).group(1)
    assert description == html.unescape(explained)
    assert "confirmed for a slot that has ended" in description


def test_bookings_count_a_confirmed_booking_only_once_its_slot_has_ended(client, app):
    venue = factories.venue()
    ended = factories.slot(venue, day=local_today() - timedelta(days=2))
    factories.confirmed_visit(ended)  # still confirmed: no one has closed the day
    factories.confirmed_visit(factories.slot_at(venue))  # under way: may yet be checked in
    citizen = factories.user()
    cancelled = factories.confirmed_visit(ended, citizen, now=ended.starts_at - timedelta(days=3))
    booking_services.cancel_booking(citizen, cancelled, now=ended.starts_at - timedelta(days=2))
    db.session.commit()
    body = client.get("/api/v1/stats/summary", query_string={
        "from": (local_today() - timedelta(days=3)).isoformat(), "to": local_today().isoformat()}).get_json()
    assert body["bookings"] == 1
    assert "cancelled, declined and pending ones are not counted" in documented()
