"""The booking steps' day screen names today and tomorrow, not only their dates."""
from __future__ import annotations

import re
from datetime import timedelta

from app.core.time import local_today, to_local, utcnow
from tests import factories


def _day_labels(client, venue) -> dict[str, str]:
    """Each day offered, by its date, as its button reads."""
    html = client.get(f"/venues/{venue.id}/book?step=day&lang=en").get_data(as_text=True)
    return {day: " ".join(re.sub(r"<[^>]+>", " ", label).split())
            for day, label in re.findall(r'<time class="choice-main" datetime="([^"]+)">(.*?)</time>', html)}


def test_the_day_screen_names_today_and_tomorrow(client, auth):
    venue = factories.venue()
    later_today = factories.slot_at(venue, starts_in=timedelta(minutes=30), length=timedelta(minutes=20),
                                    audience="public")
    tomorrow = local_today() + timedelta(days=1)
    for days in (1, 2):
        factories.slot(venue, days_ahead=days)
    auth.login(factories.user("citizen").email)

    labels = _day_labels(client, venue)

    assert labels[tomorrow.isoformat()].startswith("Tomorrow ")
    after = labels[(tomorrow + timedelta(days=1)).isoformat()]
    assert not after.startswith(("Today", "Tomorrow"))
    if later_today.local_date == to_local(utcnow()).date():  # not when the suite runs just before midnight
        assert labels[later_today.local_date.isoformat()].startswith("Today ")
