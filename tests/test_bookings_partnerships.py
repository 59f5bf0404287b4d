"""Venue managers record and end cooperation agreements (馆校合作协议) with sensible dates."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from app.bookings.models import Partnership
from app.bookings.rules import is_partner
from app.bookings.services import cancel_booking
from app.core.time import local_today
from app.extensions import db
from tests import factories


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


def add(client, school, valid_from, valid_to, lang="en"):
    return client.post(f"/manage/partners?lang={lang}", data={
        "school_id": school.id,
        "valid_from": valid_from if isinstance(valid_from, str) else valid_from.isoformat(),
        "valid_to": valid_to if isinstance(valid_to, str) else valid_to.isoformat()})


def field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    return found.group(1).strip() if found else ""


def agreements() -> int:
    return db.session.scalar(select(func.count(Partnership.id)))


def agreement_row(page: str) -> str:
    return re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)


def test_ending_an_agreement_that_has_not_started_withdraws_it(client, manager):
    school, today = factories.school(), local_today()
    add(client, school, today + timedelta(days=30), today + timedelta(days=395))
    partnership = db.session.scalar(select(Partnership))

    response = client.post(f"/manage/partners/{partnership.id}/end?lang=en", follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "The agreement had not started yet: it has been withdrawn." in page
    assert agreements() == 0
    assert not is_partner(manager.venue_id, school.id, today + timedelta(days=30))
    assert "End agreement" not in page


def test_an_agreement_not_started_but_relied_on_by_a_booking_is_not_withdrawn(client, manager):
    """Partner status follows the slot's date: a class may book under an agreement before its first
    day. Ending an agreement leaves the bookings made under it their places, so one they rely on
    stays on record until it can be ended like a running one."""
    venue, today = manager.venue, local_today()
    teacher = factories.user("teacher")
    partnership = Partnership(venue_id=venue.id, school_id=teacher.school_id,
                              valid_from=today + timedelta(days=15), valid_to=today + timedelta(days=90))
    db.session.add(partnership)
    db.session.commit()
    slot = factories.slot(venue, audience="school", days_ahead=20, window_closes_hours=72)
    booking = factories.booked_visit(slot, teacher)
    assert booking.is_partner

    response = client.post(f"/manage/partners/{partnership.id}/end?lang=en", follow_redirects=True)

    page = response.get_data(as_text=True)
    assert ("1 booking already relies on this agreement, so it cannot be withdrawn before it starts. It can be "
            f"ended from {today + timedelta(days=16)} on; bookings made under it keep their places.") in page
    assert agreements() == 1 and "End agreement" in agreement_row(page)
    zh = client.post(f"/manage/partners/{partnership.id}/end?lang=zh", follow_redirects=True).get_data(as_text=True)
    assert "已有 1 个预约依据该合作协议，协议生效前不能撤销。" in zh


def test_an_agreement_that_started_today_and_is_relied_on_is_not_said_to_be_unstarted(client, manager):
    venue, today = manager.venue, local_today()
    teacher = factories.user("teacher")
    partnership = Partnership(venue_id=venue.id, school_id=teacher.school_id, valid_from=today,
                              valid_to=today + timedelta(days=90))
    db.session.add(partnership)
    db.session.commit()
    factories.booked_visit(factories.slot(venue, audience="school", days_ahead=20, window_closes_hours=72), teacher)

    page = client.post(f"/manage/partners/{partnership.id}/end?lang=en", follow_redirects=True).get_data(as_text=True)

    assert ("1 booking already relies on this agreement, which started today, so it cannot be withdrawn today. It "
            f"can be ended from {today + timedelta(days=1)} on; bookings made under it keep their places.") in page
    assert "before it starts" not in page and agreements() == 1


def test_an_agreement_not_started_whose_bookings_were_cancelled_is_withdrawn(client, manager):
    venue, today = manager.venue, local_today()
    teacher = factories.user("teacher")
    db.session.add(Partnership(venue_id=venue.id, school_id=teacher.school_id,
                               valid_from=today + timedelta(days=15), valid_to=today + timedelta(days=90)))
    db.session.commit()
    slot = factories.slot(venue, audience="school", days_ahead=20, window_closes_hours=72)
    cancel_booking(teacher, factories.booked_visit(slot, teacher))
    db.session.commit()
    partnership = db.session.scalar(select(Partnership))

    page = client.post(f"/manage/partners/{partnership.id}/end?lang=en", follow_redirects=True).get_data(as_text=True)

    assert "The agreement had not started yet: it has been withdrawn." in page and agreements() == 0


def test_ending_a_running_agreement_ends_it_yesterday_and_removes_the_button(client, manager):
    school, today = factories.school(), local_today()
    db.session.add(Partnership(venue_id=manager.venue_id, school_id=school.id, valid_from=today - timedelta(days=60),
                               valid_to=today + timedelta(days=300)))
    db.session.commit()
    partnership = db.session.scalar(select(Partnership))

    page = client.post(f"/manage/partners/{partnership.id}/end?lang=en", follow_redirects=True).get_data(as_text=True)

    assert "The agreement has ended." in page
    row = agreement_row(page)
    began, ended = today - timedelta(days=60), today - timedelta(days=1)
    assert (f'<time datetime="{began}">{format_date(began, "medium", locale="en")}</time> – '
            f'<time datetime="{ended}">{format_date(ended, "medium", locale="en")}</time>') in row
    assert "ended" in row and "End agreement" not in row
    assert not is_partner(manager.venue_id, school.id, today)
    again = client.post(f"/manage/partners/{partnership.id}/end?lang=en", follow_redirects=True)
    assert "This agreement has already ended." in again.get_data(as_text=True)


@pytest.mark.parametrize("valid_from, valid_to, field, message", [
    ("0001-01-01", "0001-01-02", "valid_to", "The end date has passed: record agreements still in force."),
    ("2020-01-01", "2020-12-31", "valid_to", "The end date has passed: record agreements still in force."),
    ("9999-12-31", "9999-12-31", "valid_from", "An agreement can start at most a year from today."),
    ("0001-01-01", None, "valid_to", "An agreement runs for at most 10 years."),
])
def test_absurd_or_past_dates_are_refused_next_to_the_field(client, manager, valid_from, valid_to, field, message):
    valid_to = valid_to or (local_today() + timedelta(days=30)).isoformat()

    response = add(client, factories.school(), valid_from, valid_to)

    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), field) == message
    assert agreements() == 0


def test_an_agreement_of_ten_years_from_today_is_accepted(client, manager):
    today = local_today()
    response = add(client, factories.school(), today, today.replace(year=today.year + 10) if today.day < 29
                   else today.replace(year=today.year + 10, day=28))
    assert response.status_code == 302
    assert agreements() == 1


def test_empty_dates_are_said_to_be_required(client, manager):
    response = add(client, factories.school(), "", "", lang="zh")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(page, "valid_from") == "此项为必填项。"
    assert field_error(page, "valid_to") == "此项为必填项。"
