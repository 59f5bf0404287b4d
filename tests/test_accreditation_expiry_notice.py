"""The daily job (``bookings remind``) emails a venue's managers once, 60 days before its accreditation
(认定) ends, in their language: the level, the certificate number, the end date, and that the city
admin records renewals. The accreditation remembers the warning; a corrected end date is warned of anew."""
from __future__ import annotations

from datetime import timedelta

from babel.dates import format_date
from sqlalchemy import select

from app.accounts.models import Role
from app.core.time import local_today
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.venues.models import Accreditation
from tests import factories


def warnings(email: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.kind == "accreditation_expiring")
    if email is not None:
        query = query.where(OutboxMessage.recipient == email)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def remind(app) -> str:
    result = app.test_cli_runner().invoke(args=["bookings", "remind"], env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    return result.output


def manager(venue, locale: str = "en"):
    person = factories.user(Role.VENUE_MANAGER, venue=venue)
    person.locale = locale
    db.session.commit()
    return person


def accredit(venue, ends_in: int, **kw) -> Accreditation:
    today = local_today()
    return factories.accreditation(venue, valid_from=kw.pop("valid_from", today - timedelta(days=1000)),
                                   valid_to=today + timedelta(days=ends_in), **kw)


def test_the_managers_are_told_once_60_days_before_an_accreditation_ends(app):
    venue = factories.venue(name_en="Titled Hall", name_zh="认定馆")
    english, chinese = manager(venue, "en"), manager(venue, "zh")
    staff = factories.user(Role.VENUE_STAFF, venue=venue)
    accreditation = accredit(venue, 60, level="provincial_base", certificate_no="JSKP-2021-007")
    later = factories.venue()
    other = manager(later)
    accredit(later, 61, certificate_no="LATER-1")  # beyond the 60 days: not yet

    output = remind(app)

    end = format_date(local_today() + timedelta(days=60), "medium", locale="en")  # in the reader's language
    [message] = warnings(english.email)
    assert "Titled Hall" in message.subject and end in message.subject
    assert "Provincial science education base" in message.body and "JSKP-2021-007" in message.body
    assert end in message.body and "city science association" in message.body and "renew" in message.body
    assert message.body.rstrip().endswith("/manage/venue")
    [in_chinese] = warnings(chinese.email)
    chinese_end = format_date(local_today() + timedelta(days=60), "medium", locale="zh")
    assert "省级科普教育基地" in in_chinese.body and "JSKP-2021-007" in in_chinese.body and chinese_end in in_chinese.body
    assert "认定馆" in in_chinese.subject
    assert warnings(staff.email) == [] and warnings(other.email) == [] and len(warnings()) == 2
    assert "1 accreditation ends within 60 days" in output
    assert db.session.get(Accreditation, accreditation.id).expiry_notice_sent_at is not None


def test_an_accreditation_is_not_warned_of_again_once_the_mail_itself_is_purged(app):
    venue = factories.venue()
    manager(venue)
    accredit(venue, 20)
    remind(app)
    assert len(warnings()) == 1
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()

    output = remind(app)

    assert warnings() == [] and "accreditation" not in output


def test_ended_future_and_already_renewed_accreditations_are_not_warned_of(app):
    venue, today = factories.venue(), local_today()
    manager(venue)
    accredit(venue, -1, certificate_no="ENDED")
    accredit(venue, 30, valid_from=today + timedelta(days=1), certificate_no="NOT-BEGUN")
    # The renewal is recorded already: its venue has nothing to do.
    accredit(venue, 10, level="national_base", certificate_no="OLD")
    accredit(venue, 1500, level="national_base", certificate_no="RENEWED")

    remind(app)

    assert warnings() == []


def test_the_last_day_is_still_warned_of(app):
    venue = factories.venue()
    person = manager(venue)
    accredit(venue, 0, certificate_no="LAST-DAY")

    remind(app)

    assert "LAST-DAY" in warnings(person.email)[0].body


def test_a_corrected_end_date_is_warned_of_again(client, auth, app):
    venue, today = factories.venue(), local_today()
    person = manager(venue)
    accreditation = accredit(venue, 30, level="city_base", certificate_no="NJKP-5")
    remind(app)
    assert len(warnings(person.email)) == 1
    auth.login(factories.user(Role.CITY_ADMIN).email)
    form = {"level": "city_base", "certificate_no": "NJKP-5", "valid_from": accreditation.valid_from.isoformat(),
            "valid_to": (today + timedelta(days=30)).isoformat()}

    # A correction that keeps the end date (the number retyped) is no new end.
    assert client.post(f"/admin/accreditations/{accreditation.id}/edit",
                       data={**form, "certificate_no": "NJKP-0005"}).status_code == 302
    remind(app)
    assert len(warnings(person.email)) == 1

    later = today + timedelta(days=50)
    assert client.post(f"/admin/accreditations/{accreditation.id}/edit",
                       data={**form, "certificate_no": "NJKP-0005", "valid_to": later.isoformat()}).status_code == 302
    assert db.session.get(Accreditation, accreditation.id).expiry_notice_sent_at is None
    remind(app)

    newest = warnings(person.email)
    assert len(newest) == 2 and format_date(later, "medium", locale="en") in newest[-1].body and "NJKP-0005" in newest[-1].body


def test_an_end_moved_beyond_the_60_days_is_warned_of_when_it_comes_near(client, auth, app):
    venue, today = factories.venue(), local_today()
    person = manager(venue)
    accreditation = accredit(venue, 30, certificate_no="NJKP-7")
    remind(app)
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.post(f"/admin/accreditations/{accreditation.id}/edit", data={
        "level": "city_base", "certificate_no": "NJKP-7", "valid_from": accreditation.valid_from.isoformat(),
        "valid_to": (today + timedelta(days=400)).isoformat()}).status_code == 302

    remind(app)

    assert len(warnings(person.email)) == 1  # the new end is far off: nothing yet
    assert db.session.get(Accreditation, accreditation.id).expiry_notice_sent_at is None


def test_a_venue_without_a_manager_is_warned_once_one_is_appointed(app):
    venue = factories.venue()
    accreditation = accredit(venue, 40)
    remind(app)
    assert warnings() == []
    assert db.session.get(Accreditation, accreditation.id).expiry_notice_sent_at is None
    manager(venue)

    remind(app)
    remind(app)

    assert len(warnings()) == 1


def test_the_warning_reads_in_chinese(app):
    venue = factories.venue(name_zh="认定馆")
    person = manager(venue, "zh")
    accredit(venue, 45, certificate_no="NJKP-9")

    remind(app)

    [message] = warnings(person.email)
    assert "到期" in message.subject and "市科协" in message.body and "续期" in message.body
