"""A venue renews a cooperation agreement (馆校合作协议) for the next school year, and its managers are
told once, 30 days before an agreement ends, that it is about to."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from app.bookings.models import Partnership
from app.bookings.partnerships import school_year_of
from app.core.time import local_today
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


def agree(venue, school, valid_from: date, valid_to: date, note: str = "") -> Partnership:
    partnership = Partnership(venue_id=venue.id, school_id=school.id, valid_from=valid_from, valid_to=valid_to,
                              note=note)
    db.session.add(partnership)
    db.session.commit()
    return partnership


def periods(venue, school) -> list[tuple[date, date]]:
    return list(db.session.execute(select(Partnership.valid_from, Partnership.valid_to).where(
        Partnership.venue_id == venue.id, Partnership.school_id == school.id).order_by(Partnership.valid_from)))


def next_year(first: date, last: date) -> tuple[date, date]:
    return first.replace(year=first.year + 1), last.replace(year=last.year + 1)


def _a_year_before(day: date) -> date:
    """The first day from which ``day`` is at most a year ahead."""
    if (day.month, day.day) == (2, 29):
        return date(day.year - 1, 3, 1)
    return day.replace(year=day.year - 1)


def renew(client, partnership, lang="en"):
    return client.post(f"/manage/partners/{partnership.id}/renew?lang={lang}", follow_redirects=True)


# --- renewal --------------------------------------------------------------------------------------

def test_renewing_signs_the_same_school_up_for_the_next_school_year(client, manager):
    school = factories.school()
    first, last = school_year_of(local_today())
    partnership = agree(manager.venue, school, first, last, note="科学课实践")

    page = renew(client, partnership).get_data(as_text=True)

    coming = next_year(first, last)
    assert f"Renewed: the agreement runs from {coming[0].isoformat()} until {coming[1].isoformat()}." in page
    assert periods(manager.venue, school) == [(first, last), coming]
    renewed = db.session.scalar(select(Partnership).where(Partnership.valid_from == coming[0]))
    assert renewed.note == "科学课实践" and renewed.created_by_id == manager.id


def test_an_agreement_ending_mid_year_is_renewed_from_the_next_day_through_the_school_year_after(client, manager):
    """No day without priority between the two: the renewal starts the day after, and runs on
    through the next school year."""
    school, today = factories.school(), local_today()
    ends = today + timedelta(days=20)
    partnership = agree(manager.venue, school, today, ends)

    page = renew(client, partnership).get_data(as_text=True)

    renewed = (ends + timedelta(days=1), next_year(*school_year_of(ends))[1])
    assert periods(manager.venue, school)[-1] == renewed
    assert f"Renewed: the agreement runs from {renewed[0].isoformat()} until {renewed[1].isoformat()}." in page


def test_renewing_twice_is_refused_with_a_message(client, manager):
    school = factories.school(name_en="Renewed Primary")
    first, last = school_year_of(local_today())
    partnership = agree(manager.venue, school, first, last)
    renew(client, partnership)

    page = renew(client, partnership).get_data(as_text=True)

    coming = next_year(first, last)
    assert f"The agreement with Renewed Primary has already been renewed, until {coming[1].isoformat()}." in page
    assert len(periods(manager.venue, school)) == 2


def test_the_agreement_of_a_closed_school_is_not_renewed(client, manager):
    school = factories.school(name_en="Closed Primary", is_active=False)
    first, last = school_year_of(local_today())
    partnership = agree(manager.venue, school, first, last)

    page = renew(client, partnership).get_data(as_text=True)

    assert "Closed Primary is marked closed in the schools registry: its agreement cannot be renewed." in page
    assert len(periods(manager.venue, school)) == 1


def test_the_partner_list_offers_renewal_for_agreements_in_force(client, manager):
    first, last = school_year_of(local_today())
    open_school, closed_school = factories.school(), factories.school(is_active=False)
    running = agree(manager.venue, open_school, first, last)
    agree(manager.venue, closed_school, first, last)

    page = client.get("/manage/partners?lang=en").get_data(as_text=True)

    assert page.count("Renew for next school year") == 1
    assert f'action="/manage/partners/{running.id}/renew"' in page
    assert f'id="agreement-{running.id}"' in page


def test_a_renewed_agreement_shows_until_when_instead_of_offering_renewal(client, manager):
    school = factories.school()
    first, last = school_year_of(local_today())
    renewed = agree(manager.venue, school, first, last)
    coming = agree(manager.venue, school, *next_year(first, last))

    page = client.get("/manage/partners?lang=en").get_data(as_text=True)

    assert f'action="/manage/partners/{renewed.id}/renew"' not in page
    assert f"Renewed until {format_date(coming.valid_to, 'medium', locale='en')}" in page
    ends = coming.valid_to
    assert f"{ends.year}年{ends.month}月{ends.day}日" in client.get("/manage/partners?lang=zh").get_data(as_text=True)
    # The next school year's agreement is renewed from a year before its renewal would start: not yet.
    assert f'action="/manage/partners/{coming.id}/renew"' not in page and "Renew for next school year" not in page
    opens = _a_year_before(coming.valid_to + timedelta(days=1))
    assert f"Can be renewed from {format_date(opens, 'medium', locale='en')}" in page
    assert "An agreement can start at most a year from today." in renew(client, coming).get_data(as_text=True)


def test_an_agreement_is_offered_renewal_once_its_renewal_is_within_a_year(client, manager):
    today = local_today()
    school, later_school = factories.school(), factories.school()
    within = agree(manager.venue, school, today, today + timedelta(days=364))
    beyond = agree(manager.venue, later_school, today, today + timedelta(days=400))

    page = client.get("/manage/partners?lang=en").get_data(as_text=True)

    assert f'action="/manage/partners/{within.id}/renew"' in page
    assert f'action="/manage/partners/{beyond.id}/renew"' not in page
    opens = _a_year_before(today + timedelta(days=401))
    assert f"Can be renewed from {format_date(opens, 'medium', locale='en')}" in page


def test_an_agreement_followed_within_its_school_year_counts_as_renewed(client, manager):
    # The same rule as the warning before an agreement ends: whatever follows it renews it.
    school, today = factories.school(name_en="Followed Primary"), local_today()
    running = agree(manager.venue, school, today, today + timedelta(days=5))
    agree(manager.venue, school, today + timedelta(days=6), today + timedelta(days=9))

    page = renew(client, running).get_data(as_text=True)

    until = (today + timedelta(days=9)).isoformat()
    assert f"The agreement with Followed Primary has already been renewed, until {until}." in page
    assert len(periods(manager.venue, school)) == 2


def test_another_venues_agreement_cannot_be_renewed(client, manager):
    first, last = school_year_of(local_today())
    elsewhere = agree(factories.venue(), factories.school(), first, last)

    assert client.post(f"/manage/partners/{elsewhere.id}/renew").status_code == 404
    assert db.session.scalar(select(Partnership.id).where(Partnership.valid_from > last)) is None


# --- the warning before an agreement ends -----------------------------------------------------------

def warnings() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "partnership_ending")
                                   .order_by(OutboxMessage.id)))


def remind(app):
    result = app.test_cli_runner().invoke(args=["bookings", "remind"], env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_venues_managers_are_told_once_30_days_before_an_agreement_ends(app):
    venue, today = factories.venue(), local_today()
    managers = [factories.user("venue_manager", venue=venue) for _ in range(2)]
    managers[0].locale = "en"
    db.session.commit()
    school = factories.school(name_en="Ending Primary")
    partnership = agree(venue, school, today - timedelta(days=300), today + timedelta(days=30))

    first_run = remind(app)
    remind(app)

    sent = warnings()
    assert "1 cooperation agreement ends within 30 days; its venue is told." in first_run
    assert sorted(m.recipient for m in sent) == sorted(m.email for m in managers)
    english = next(m for m in sent if m.recipient == managers[0].email)
    ends = format_date(partnership.valid_to, "medium", locale="en")  # "Jun 30, 2027": the reader's way
    assert english.subject == f"Cooperation agreement ends on {ends}: Ending Primary"
    assert english.body.endswith(f"/manage/partners#agreement-{partnership.id}")
    assert "renew it for the next school year" in english.body


def test_no_warning_for_agreements_ending_later_renewed_or_of_closed_schools(app):
    venue, today = factories.venue(), local_today()
    factories.user("venue_manager", venue=venue)
    agree(venue, factories.school(), today, today + timedelta(days=31))
    renewed = factories.school()
    agree(venue, renewed, today - timedelta(days=300), today + timedelta(days=10))
    agree(venue, renewed, today + timedelta(days=11), today + timedelta(days=300))
    agree(venue, factories.school(is_active=False), today - timedelta(days=300), today + timedelta(days=5))
    agree(venue, factories.school(), today - timedelta(days=300), today - timedelta(days=1))

    output = remind(app)

    assert warnings() == [] and "cooperation agreement" not in output


def test_each_agreement_is_warned_of_on_its_own(app):
    venue, today = factories.venue(), local_today()
    factories.user("venue_manager", venue=venue)
    # Ids 1 and 11 (and so on): one agreement's link is not mistaken for the other's.
    made = [agree(venue, factories.school(), today - timedelta(days=100), today + timedelta(days=n % 30))
            for n in range(12)]
    remind(app)
    assert len(warnings()) == 12
    extra = agree(venue, factories.school(), today, today + timedelta(days=3))

    remind(app)

    assert len(warnings()) == 13 and warnings()[-1].body.endswith(f"#agreement-{extra.id}")
    assert len({m.body.rsplit("#", 1)[1] for m in warnings()}) == len(made) + 1


def test_an_agreement_is_not_warned_of_again_once_the_mail_itself_is_purged(app):
    # The outbox is emptied by the retention rules; the agreement itself remembers the warning.
    venue, today = factories.venue(), local_today()
    factories.user("venue_manager", venue=venue)
    partnership = agree(venue, factories.school(), today - timedelta(days=300), today + timedelta(days=20))
    remind(app)
    assert len(warnings()) == 1
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()

    remind(app)

    assert warnings() == []
    assert db.session.get(Partnership, partnership.id).ending_notice_sent_at is not None


def test_a_venue_without_a_manager_is_warned_once_one_is_appointed(app):
    venue, today = factories.venue(), local_today()
    agree(venue, factories.school(), today - timedelta(days=300), today + timedelta(days=20))
    remind(app)
    assert warnings() == []
    factories.user("venue_manager", venue=venue)

    remind(app)

    assert len(warnings()) == 1
