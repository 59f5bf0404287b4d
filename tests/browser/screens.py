"""The pages the audits visit. To audit a new page, add one ``Screen`` to ``SCREENS``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

from tests import factories
from tests.browser.axe import KnownViolation
from tests.browser.helpers import log_in, with_prefs

LANGS = ("zh", "en")
MODES = ("standard", "elder")


@dataclass(frozen=True)
class Screen:
    name: str                                 # the test id
    path: str = ""
    # makes its data with factories and returns the path, or (path, email of the user to sign in as)
    build: Callable[[], str | tuple[str, str]] | None = None
    role: str | None = None                   # sign in as a fresh user of this role first
    status: int = 200
    optional: bool = False                    # the route may not exist yet: skip while it is not 200
    # Violations already reported to whoever owns the markup: they xfail, anything else still fails.
    # e.g. known=(KnownViolation("color-contrast", 'class="badge', "badge colours, reported to ..."),)
    known: tuple[KnownViolation, ...] = ()
    # The page answers a form: these fields are posted to ``path`` from the home page. A form's address
    # carries no ``?lang=``, so the language and mode are chosen on the home page first. A value may be
    # a function, asked when the form is sent (a date from today: the run may cross midnight).
    form: dict[str, str | Callable[[], str]] | None = None

    def prepare(self) -> tuple[str, str | None]:
        """Build the data: the path to load, and the email of the user to sign in as (or None)."""
        built = self.build() if self.build else self.path
        path, email = built if isinstance(built, tuple) else (built, None)
        if self.role and not email:
            email = factories.user(self.role).email
        return path, email

    def open(self, page, lang: str, mode: str, prepared: tuple[str, str | None] | None = None):
        """Sign in if needed, and load the page in ``lang`` and ``mode``; the data is built first
        unless ``prepared`` (of ``prepare``) is given, so that two pages can show the same rows."""
        path, email = prepared or self.prepare()
        if email:
            log_in(page, email)
        if self.form is None:
            response = page.goto(with_prefs(path, lang, mode))
        else:
            page.goto(with_prefs("/", lang, mode))
            with page.expect_navigation() as navigation:
                form = {name: value() if callable(value) else value for name, value in self.form.items()}
                page.evaluate(_SEND_FORM_JS, [path, form])
            response = navigation.value
        assert response is not None, f"no response for {path}"
        if self.optional and response.status != 200:
            pytest.skip(f"{path} answers {response.status}: the page is not built yet")
        assert response.status == self.status, f"{path} answered {response.status}, expected {self.status}"
        return response


# Posts a form of the given fields to the given address, as the page's own form would.
_SEND_FORM_JS = """([action, fields]) => {
  const form = Object.assign(document.createElement('form'), {method: 'post', action});
  for (const [name, value] of Object.entries(fields)) {
    form.append(Object.assign(document.createElement('input'), {type: 'hidden', name, value}));
  }
  document.body.append(form);
  form.submit();
}"""


def _approved_venue() -> str:
    venue = factories.venue()
    factories.accreditation(venue)
    return f"/venues/{venue.id}"


def _bookable_slot() -> str:
    return f"/slots/{factories.slot().id}/book"


def _slot_not_yet_open() -> str:
    # A teacher's: a citizen in elder mode is taken to the step-by-step booking, which says it there.
    return f"/slots/{factories.slot(audience='school', days_ahead=40).id}/book"  # schools: 30 days ahead


def _district_equity() -> str:
    """The admin equity page with its district's schools listed, one of them without a class visit."""
    factories.school(district_code=factories.XUANWU)
    return "/admin/equity"


def _teacher_moving() -> tuple[str, str]:
    """The move page of a teacher with a class visit to come (the notice that it stays is shown)."""
    teacher = factories.user("teacher")
    factories.booked_visit(factories.slot(audience="school", days_ahead=10, capacity=100), teacher)
    return "/me/school", teacher.email


def _partner_school_teacher() -> tuple[str, str]:
    """A teacher's My SciVisit listing their school's partner venues."""
    from datetime import timedelta

    from app.bookings.models import Partnership
    from app.core.time import local_today
    from app.extensions import db

    teacher = factories.user("teacher")
    db.session.add(Partnership(venue_id=factories.venue().id, school_id=teacher.school_id,
                               valid_from=local_today(), valid_to=local_today() + timedelta(days=300)))
    db.session.commit()
    return "/me", teacher.email


def _partners_with_a_closed_school() -> tuple[str, str]:
    """A venue's partner schools, one of them marked closed."""
    from datetime import timedelta

    from app.bookings.models import Partnership
    from app.core.time import local_today
    from app.extensions import db

    manager = factories.user("venue_manager")
    for school in (factories.school(), factories.school(is_active=False)):
        db.session.add(Partnership(venue_id=manager.venue_id, school_id=school.id, valid_from=local_today(),
                                   valid_to=local_today() + timedelta(days=300)))
    db.session.commit()
    return "/manage/partners", manager.email


def _district_agreements() -> str:
    """The district's cooperation agreements: one in force, one ending within 30 days."""
    from datetime import timedelta

    from app.bookings.models import Partnership
    from app.core.time import local_today
    from app.extensions import db

    venue, today = factories.venue(), local_today()
    for school, days in ((factories.school(), 300), (factories.school(is_active=False), 20)):
        db.session.add(Partnership(venue_id=venue.id, school_id=school.id, valid_from=today,
                                   valid_to=today + timedelta(days=days)))
    db.session.commit()
    return "/admin/partnerships"


def _accreditation_to_correct() -> str:
    return f"/admin/accreditations/{factories.accreditation(factories.venue()).id}/edit"


def _booking_step(step: str, **answers) -> Callable[[], str]:
    """A screen of the step-by-step booking at a venue with a free and a full time on one day."""
    def build() -> str:
        from datetime import time

        venue = factories.venue()
        free = factories.slot(venue, start=time(9, 0), end=time(11, 0))
        full = factories.slot(venue, start=time(14, 0), end=time(16, 0), capacity=1)
        factories.booked_visit(full, factories.user("citizen"), party_size=1)
        query = "&".join(f"{k}={v}" for k, v in {"step": step, "slot": free.id, **answers}.items())
        return f"/venues/{venue.id}/book?{query}" + (f"&day={free.local_date}" if step == "time" else "")
    return build


def _citizen_ticket() -> tuple[str, str]:
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(), citizen)
    return f"/bookings/{booking.id}", citizen.email


def _class_slip() -> tuple[str, str]:
    teacher = factories.user("teacher")
    booking = factories.confirmed_visit(factories.slot(audience="school", days_ahead=10, capacity=100), teacher)
    return f"/bookings/{booking.id}/slip", teacher.email


def _changes_closed_check() -> str:
    """The step-by-step check screen for tomorrow at a venue whose changes close 48 hours before."""
    from app.bookings.models import BookingRules
    from app.extensions import db

    venue = factories.venue(contact_phone="025-8453 8888")
    db.session.add(BookingRules(venue_id=venue.id, cancel_cutoff_hours=48))
    slot = factories.slot(venue, days_ahead=1)
    db.session.commit()
    return f"/venues/{venue.id}/book?step=check&slot={slot.id}&party_size=1&children=0"


def _walk_ins_to_take_back() -> tuple[str, str]:
    """The scanner of a staff member who added two walk-in groups just now: each may be taken back."""
    from app.checkin import walkins
    from app.extensions import db

    staff = factories.user("venue_staff")
    for persons, group in ((40, "youth"), (3, "senior")):
        walkins.record_walk_in(staff, staff.venue, persons=persons, audience_group=group)
    db.session.commit()
    return "/scan", staff.email


def _manager_with_requests() -> tuple[str, str]:
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    factories.booked_visit(slot, factories.user("teacher"))
    manager = factories.user("venue_manager", venue=slot.venue)
    return "/manage/bookings", manager.email


def _manager_slots() -> tuple[str, str]:
    slot = factories.slot()
    return "/manage/slots", factories.user("venue_manager", venue=slot.venue).email


def _events_with_times() -> str:
    """Themed events with times a visitor sees on the page: one open to book and one a school books
    later, whose "booking opens …" link is the longest cell (the empty page has no table to spill)."""
    from app.events.themed_days import load_themed_days
    from app.extensions import db
    from app.scheduling.models import ProgramKind

    load_themed_days()
    db.session.commit()
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
    for audience, days_ahead in (("public", 2), ("school", 40)):
        program = factories.program(venue, kind=ProgramKind.THEMED_ACTIVITY, themed_day_key="science_week",
                                    title_zh="科技活动周机器人工作坊", title_en="Science Week robotics workshop")
        factories.slot(venue, program_id=program.id, audience=audience, days_ahead=days_ahead)
    return "/events"


def _availability() -> str:
    return f"/venues/{factories.slot().venue_id}/availability"


SCREENS = [
    Screen("home", "/"),
    Screen("venues", "/venues"),
    Screen("venue", build=_approved_venue),
    Screen("login", "/login"),
    Screen("register", "/register"),
    Screen("privacy", "/privacy"),
    Screen("not-found", "/no-such-page", status=404),
    Screen("me", "/me", role="citizen"),
    Screen("events", "/events"),
    Screen("events-with-times", build=_events_with_times),
    Screen("stats", "/stats"),
    Screen("equity", "/stats/equity"),
    Screen("open-data", "/open-data/"),
    Screen("availability", build=_availability),
    Screen("book", build=_bookable_slot, role="citizen"),
    Screen("book-not-open", build=_slot_not_yet_open, role="teacher"),
    Screen("book-step-day", build=_booking_step("day"), role="citizen"),
    Screen("book-step-time", build=_booking_step("time"), role="citizen"),
    Screen("book-step-people-error", build=_booking_step("children", party_size="x"), role="citizen", status=400),
    Screen("book-step-guardian", build=_booking_step("guardian", party_size=3, children=1), role="citizen"),
    Screen("book-step-check", build=_booking_step("check", party_size=3, children=1, guardian_confirmed="y"),
           role="citizen"),
    Screen("book-step-check-changes-closed", build=_changes_closed_check, role="citizen"),
    Screen("ticket", build=_citizen_ticket),
    Screen("slip", build=_class_slip),
    Screen("my-bookings", "/me/bookings", role="citizen"),
    Screen("manage-bookings", build=_manager_with_requests),
    Screen("manage-slots", build=_manager_slots),
    Screen("scan", "/scan", role="venue_staff"),
    Screen("scan-walk-ins-to-take-back", build=_walk_ins_to_take_back),
    Screen("review-venues", "/admin/venues", role="district_admin"),
    Screen("schools", "/admin/schools", role="city_admin"),
    Screen("admin-equity-schools", build=_district_equity, role="district_admin"),
    Screen("correct-accreditation", build=_accreditation_to_correct, role="city_admin"),
    Screen("profile", "/me/profile", role="citizen"),
    Screen("change-school", build=_teacher_moving),
    Screen("me-partner-school", build=_partner_school_teacher),
    Screen("partners-closed-school", build=_partners_with_a_closed_school),
    Screen("admin-partnerships", build=_district_agreements, role="district_admin"),
    Screen("venues-unreadable-search", "/venues?district=zzz&q=" + "x" * 101, status=400),
    Screen("venues-unknown-education-base", "/venues?accreditation=spaceport&free=1", status=400),
]


def cases() -> list:
    """Every screen in both languages and both modes, each its own test id (``home-zh-elder``)."""
    params = []
    for screen in SCREENS:
        for lang in LANGS:
            for mode in MODES:
                params.append(pytest.param(screen, lang, mode, id=f"{screen.name}-{lang}-{mode}"))
    return params


def _manager_closures() -> tuple[str, str]:
    """The closures page with an upcoming closure (its remove action open to read) and a finished one."""
    from datetime import timedelta

    from app.core.time import local_today
    from app.extensions import db
    from app.scheduling.models import Closure

    manager = factories.user("venue_manager")
    today = local_today()
    db.session.add_all([
        Closure(venue_id=manager.venue_id, starts_on=today + timedelta(days=3), ends_on=today + timedelta(days=4),
                reason_zh="设备检修", reason_en="Maintenance"),
        Closure(venue_id=manager.venue_id, starts_on=today - timedelta(days=9), ends_on=today - timedelta(days=8),
                reason_zh="春节休馆"),
    ])
    db.session.commit()
    return "/manage/closures", manager.email


def _availability_with_a_closed_day() -> str:
    from datetime import timedelta

    from app.extensions import db
    from app.scheduling.models import Closure

    slot = factories.slot()
    day = slot.local_date + timedelta(days=1)
    db.session.add(Closure(venue_id=slot.venue_id, starts_on=day, ends_on=day, reason_zh="设备检修",
                           reason_en="Maintenance"))
    db.session.commit()
    return f"/venues/{slot.venue_id}/availability?month={day:%Y-%m}"


SCREENS += [
    Screen("manage-closures", build=_manager_closures),
    Screen("availability-closed-day", build=_availability_with_a_closed_day),
]


def _venue_with_mixed_slots_not_open_to_the_public() -> str:
    """A venue's calendar with two mixed times not open to the public yet: schools may book the first
    already, and the second opens to schools later (its link, naming both times, is the longest)."""
    from datetime import timedelta

    from app.bookings.models import BookingRules
    from app.core.time import local_today
    from app.extensions import db

    today = local_today()
    month = (today + timedelta(days=45)).replace(day=1)
    venue = factories.venue()
    # Classes book from the 15th of that month back: the time on the 10th is open to schools, the 20th's not yet.
    db.session.add(BookingRules(venue_id=venue.id, school_window_days=(month.replace(day=15) - today).days))
    db.session.commit()
    for day in (10, 20):
        factories.slot(venue, audience="mixed", day=month.replace(day=day), window_opens_days=7)
    return f"/venues/{venue.id}?month={month:%Y-%m}"


SCREENS += [Screen("venue-mixed-not-open", build=_venue_with_mixed_slots_not_open_to_the_public)]


def _manager_staff() -> tuple[str, str]:
    """The staff page with two members, one of whom has signed in."""
    from app.core.time import utcnow
    from app.extensions import db

    manager = factories.user("venue_manager")
    factories.user("venue_staff", venue=manager.venue, name="王检票", phone="13812341234")
    signed_in = factories.user("venue_staff", venue=manager.venue, name="Alexandra Montgomery-Smith",
                               email="alexandra.montgomery-smith@example.com")
    signed_in.last_login_at = utcnow()
    # Invited, no password chosen yet: its badge and the buttons to send the invitation again or withdraw it.
    factories.user("venue_staff", venue=manager.venue, name="李新员工").password_hash = "!invited"
    db.session.commit()
    return "/manage/staff", manager.email


def _remove_staff() -> tuple[str, str]:
    manager = factories.user("venue_manager")
    member = factories.user("venue_staff", venue=manager.venue, name="王检票")
    return f"/manage/staff/{member.id}/remove", manager.email


def _citizen_bookings() -> tuple[str, str]:
    """My bookings with a confirmed and a cancelled booking of the same visit time: only their status
    tells them apart."""
    from app.bookings import services as booking_services
    from app.extensions import db

    citizen = factories.user("citizen")
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
    factories.booked_visit(factories.slot(venue, days_ahead=3, capacity=2000), citizen, party_size=3)
    dropped = factories.booked_visit(factories.slot(venue, days_ahead=3, capacity=2000), citizen, party_size=3)
    booking_services.cancel_booking(citizen, dropped)
    db.session.commit()
    return "/me/bookings", citizen.email


SCREENS += [
    Screen("my-bookings-listed", build=_citizen_bookings),
    Screen("manage-staff", build=_manager_staff),
    Screen("remove-staff", build=_remove_staff),
]


def _walk_in() -> str:
    """The visitor's walk-in form from today's poster (its counted-before state: test_journey_walk_in)."""
    from app.checkin import walkins
    from app.core.time import local_today

    venue = factories.venue()
    return f"/walk-in/{venue.id}/{walkins.daily_token(venue.id, local_today())}"


SCREENS += [
    Screen("walk-in", build=_walk_in),
]


def _signed_in_devices() -> tuple[str, str]:
    """The person's signed-in devices: this browser, a phone signed in earlier, and an app using the API."""
    from app.accounts.sign_ins import record_sign_in
    from app.extensions import db

    citizen = factories.user("citizen")
    record_sign_in(citizen, user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                                       "Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")
    factories.user_token(citizen)
    db.session.commit()
    return "/me/sessions", citizen.email


SCREENS += [
    Screen("signed-in-devices", build=_signed_in_devices),
]


def _people() -> tuple[str, str]:
    """The city admin's list of accounts: every role, one suspended, a long name and address."""
    from app.extensions import db

    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
    factories.user("venue_manager", venue=venue, name="王馆长", phone="13812341234")
    factories.user("venue_staff", venue=venue, name="Alexandra Montgomery-Smith",
                   email="alexandra.montgomery-smith@example.com")
    factories.user("teacher", name="李老师")
    factories.user("district_admin", name="玄武区科协")
    factories.user("citizen", name="张市民").is_disabled = True
    db.session.commit()
    return "/admin/people", factories.user("city_admin").email


def _person() -> tuple[str, str]:
    """A venue's only manager, suspended once and reinstated, as the city admin sees the account."""
    from app.accounts import people
    from app.extensions import db

    admin = factories.user("city_admin", name="市科协管理员")
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
    manager = factories.user("venue_manager", venue=venue, name="王馆长", phone="13812341234")
    people.suspend_account(admin, manager, "场馆年度报告逾期未交")
    people.reinstate_account(admin, manager, "已补交")
    db.session.commit()
    return f"/admin/people/{manager.id}", admin.email


def _close_account() -> tuple[str, str]:
    """Closing a venue's only manager: the page says what is kept and that the venue is left without one."""
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
    manager = factories.user("venue_manager", venue=venue, name="王馆长")
    return f"/admin/people/{manager.id}/close", factories.user("city_admin").email


def _venue_managers() -> tuple[str, str]:
    """A venue's page as its district admin sees it: a manager, a suspended one who never signed in, one
    invited who has not chosen a password yet, the form to add one, and a registration step by a person
    whose account has since been closed."""
    from app.extensions import db
    from app.venues.models import VenueStatus, VenueStatusChange

    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
    factories.user("venue_manager", venue=venue, name="王馆长", phone="13812341234").last_login_at = venue.created_at
    factories.user("venue_manager", venue=venue, name="Alexandra Montgomery-Smith").is_disabled = True
    factories.user("venue_manager", venue=venue, name="李新馆长").password_hash = "!invited"  # invited
    db.session.add(VenueStatusChange(venue_id=venue.id, from_status=VenueStatus.SUBMITTED,
                                     to_status=VenueStatus.APPROVED, actor_id=None))
    # Registered again by someone else, and another district's hall of the same name: possibly the same.
    factories.venue(name_zh="南京 科技馆", name_en="Nanjing Science & Technology Museum (new hall)",
                    status=VenueStatus.SUBMITTED)
    factories.venue(name_zh="南京科技馆", name_en="", district_code=factories.GULOU, status=VenueStatus.REJECTED)
    db.session.commit()
    return f"/admin/venues/{venue.id}", factories.user("district_admin").email


SCREENS += [
    Screen("people", build=_people),
    Screen("people-district", "/admin/people", role="district_admin"),
    Screen("person", build=_person),
    Screen("close-account", build=_close_account),
    Screen("venue-managers", build=_venue_managers),
]


def _undelivered_mail() -> tuple[str, str]:
    """The city admin's undelivered email: one refused for good, one waiting for its retry."""
    from datetime import timedelta

    from app.core.time import utcnow
    from app.extensions import db
    from app.notifications.services import queue_message

    now = utcnow()
    refused = queue_message(kind="booking_confirmed", recipient="alexandra.montgomery-smith@example.com",
                            subject="预约已确认：南京科技馆 · 2026年12月12日 09:00–11:00", body="…")
    refused.attempts, refused.given_up_at = 1, now
    refused.last_error = "550 5.1.1 <alexandra.montgomery-smith@example.com>: Recipient address rejected"
    waiting = queue_message(kind="password_reset", recipient="wang@example.com", subject="重设您的密码", body="…")
    waiting.created_at, waiting.attempts = now - timedelta(hours=2), 3
    waiting.next_attempt_at, waiting.last_error = now + timedelta(hours=1), "[Errno 111] Connection refused"
    db.session.commit()
    return "/admin/mail", factories.user("city_admin").email


def _undelivered_mail_all_ticked() -> tuple[str, str]:
    """The list filtered by a kind, every box on the page ticked (the no-script "select all")."""
    path, email = _undelivered_mail()
    return f"{path}?kind=booking_confirmed&select=page", email


def _send_all_mail_again() -> tuple[str, str]:
    """The confirmation of "send all again", saying how many."""
    path, email = _undelivered_mail()
    return f"{path}/send-again-all", email


SCREENS += [
    Screen("undelivered-mail", build=_undelivered_mail),
    Screen("undelivered-mail-all-ticked", build=_undelivered_mail_all_ticked),
    Screen("send-all-mail-again", build=_send_all_mail_again),
]

# A citizen's own privacy pages, which elder mode words without file formats or tokens.
SCREENS += [
    Screen("my-data", "/me/data", role="citizen"),
    Screen("delete-my-account", "/me/delete", role="citizen"),
]

# A citizen's calendar address, which elder mode explains without "subscribe" or "URL".
SCREENS += [
    Screen("my-calendar", "/me/calendar", role="citizen"),
]


def _expired_form() -> tuple[str, str]:
    """A form sent without its token, as when its page stayed open while its person signed in again
    elsewhere; the check is on, as in production (the tests' config turns it off)."""
    from flask import current_app

    current_app.config["WTF_CSRF_ENABLED"] = True
    return "/me/sessions/end-others", factories.user("citizen").email


SCREENS += [
    Screen("form-expired", build=_expired_form, form={}, status=400),
]


def _class_visit():
    """A teacher named in full and her class of a long-named school at a long-named venue: the
    longest lines these pages have (the 360-px audits)."""
    school = factories.school(name_zh="南京市玄武区第一实验小学", name_en="Nanjing Xuanwu District No. 1 Experimental Primary")
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
    teacher = factories.user("teacher", school=school, name="欧阳明月")
    return venue, teacher


def _class_cancel_question() -> tuple[str, str]:
    venue, teacher = _class_visit()
    booking = factories.confirmed_visit(factories.slot(venue, audience="school", days_ahead=10, capacity=100),
                                        teacher)
    return f"/bookings/{booking.id}/cancel", teacher.email


def _class_visit_checked_in() -> tuple[str, str]:
    """A class that came with fewer than booked: its page says both figures."""
    from app.checkin.services import Headcount

    venue, teacher = _class_visit()
    row = factories.admitted_visit(factories.slot_at(venue), teacher, students=30, adults=2,
                                   headcount=Headcount(students=28, adults=2))
    return f"/bookings/{row.booking_id}", teacher.email


def _manager_with_a_class_visit_checked_in() -> tuple[str, str]:
    """The venue's list with a request (its teacher named) and a class that came with fewer."""
    from app.checkin.services import Headcount

    venue, teacher = _class_visit()
    factories.booked_visit(factories.slot(venue, audience="school", days_ahead=10, capacity=100), teacher)
    factories.admitted_visit(factories.slot_at(venue), teacher, students=30, adults=2,
                             headcount=Headcount(students=28, adults=2))
    return "/manage/bookings", factories.user("venue_manager", venue=venue).email


SCREENS += [
    Screen("cancel-class-visit", build=_class_cancel_question),
    Screen("class-visit-checked-in", build=_class_visit_checked_in),
    Screen("manage-bookings-checked-in", build=_manager_with_a_class_visit_checked_in),
]


def _weekly_schedule():
    """A venue with a weekly schedule, a day of it booked, and one withdrawn from a day on: the manager's
    email, the schedule and its booked slot."""
    from datetime import timedelta

    from app.core.time import local_today
    from app.extensions import db
    from app.scheduling.models import Schedule

    manager = factories.user("venue_manager")
    first = local_today() + timedelta(days=1)
    schedules = [Schedule(venue_id=manager.venue_id, starts_on=first, ends_on=first + timedelta(days=27),
                          weekdays="2,3,4,5,6,7", sessions="09:00-12:00,13:30-16:30", capacity=40, audience="mixed",
                          admission="free"),
                 Schedule(venue_id=manager.venue_id, starts_on=first, ends_on=first + timedelta(days=90),
                          weekdays="6,7", sessions="19:00-21:00", capacity=80, audience="public", admission="free",
                          withdrawn_from=first + timedelta(days=30), withdrawal_reason="展厅改造，暂停夜场")]
    db.session.add_all(schedules)
    db.session.commit()
    slot = factories.slot(manager.venue, days_ahead=2, schedule_id=schedules[0].id)
    factories.booked_visit(slot, factories.user("citizen"), party_size=3)
    return manager.email, schedules[0], slot


def _schedules() -> tuple[str, str]:
    email, _schedule, _slot = _weekly_schedule()
    return "/manage/schedules/new", email


def _withdraw_schedule() -> tuple[str, str]:
    email, schedule, _slot = _weekly_schedule()
    return f"/manage/schedules/{schedule.id}/withdraw", email


def _slot_to_correct() -> tuple[str, str]:
    slot = factories.slot(days_ahead=5)
    factories.program(slot.venue, title_zh="机器人工作坊", title_en="Robotics workshop")
    return f"/manage/slots/{slot.id}", factories.user("venue_manager", venue=slot.venue).email


def _booked_slot() -> tuple[str, str]:
    email, _schedule, slot = _weekly_schedule()
    return f"/manage/slots/{slot.id}", email


# A manager corrects what was published: a weekly schedule withdrawn from a day (what it cancels is
# shown first), a slot nobody booked corrected, a booked one saying why its time stays.
SCREENS += [
    Screen("weekly-schedules", build=_schedules),
    Screen("withdraw-schedule", build=_withdraw_schedule),
    Screen("withdraw-schedule-confirm", build=_withdraw_schedule,
           form={"from_day": "", "reason": "展厅改造，暂停开放 The hall is being rebuilt"}),
    Screen("correct-slot", build=_slot_to_correct),
    Screen("booked-slot", build=_booked_slot),
]


def _class_visit_to_grow() -> tuple[str, str]:
    """A confirmed class at a venue that approves classes: its page says more people go back for approval."""
    venue, teacher = _class_visit()
    booking = factories.confirmed_visit(factories.slot(venue, audience="school", days_ahead=10, capacity=100),
                                        teacher)
    return f"/bookings/{booking.id}", teacher.email


def _class_visit_past_growing() -> tuple[str, str]:
    """A class whose slot classes can no longer book: its page says whom to call to bring more people."""
    from datetime import timedelta

    venue, teacher = _class_visit()
    venue.contact_phone = "025-8480 0000"
    slot = factories.slot(venue, audience="school", days_ahead=3, window_closes_hours=120)
    booking = factories.booked_visit(slot, teacher, now=slot.starts_at - timedelta(days=10))
    return f"/bookings/{booking.id}", teacher.email


def _manager_requests_waiting() -> tuple[str, str]:
    venue, teacher = _class_visit()
    factories.booked_visit(factories.slot(venue, audience="school", days_ahead=10, capacity=100), teacher)
    return "/manage/bookings?show=requests", factories.user("venue_manager", venue=venue).email


# A class's headcount both ways, and the manager's requests waiting (the dashboard links there).
SCREENS += [
    Screen("class-visit-to-grow", build=_class_visit_to_grow),
    Screen("class-visit-past-growing", build=_class_visit_past_growing),
    Screen("manage-requests-waiting", build=_manager_requests_waiting),
]


def _evaluated_venue():
    """A venue open on a day of last year, so that it is scored in last year's evaluation."""
    from datetime import date

    from app.core.time import local_today

    year = local_today().year - 1
    venue = factories.venue(district_code=factories.XUANWU)
    factories.slot(venue, day=date(year, 3, 10))
    return venue, year


def _manager_evaluation() -> tuple[str, str]:
    venue, year = _evaluated_venue()
    return f"/manage/evaluation/{year}", factories.user("venue_manager", venue=venue).email


def _district_evaluation() -> tuple[str, str]:
    venue, year = _evaluated_venue()
    return f"/admin/evaluation?year={year}", factories.user("district_admin", district_code=factories.XUANWU).email


def _city_evaluation() -> str:
    return f"/admin/evaluation?year={_evaluated_venue()[1]}"


# The evaluation: the venue's own score, a district admin's read-only table, the city admin's with the download.
SCREENS += [
    Screen("manage-evaluation", build=_manager_evaluation),
    Screen("admin-evaluation-district", build=_district_evaluation),
    Screen("admin-evaluation", build=_city_evaluation, role="city_admin"),
]


def _published_evaluation():
    """Last year's evaluation published, then a late upload: its figures now differ from the live ones."""
    from datetime import date

    from app.extensions import db
    from app.stats import publication, rebuild

    venue, year = _evaluated_venue()
    publication.publish_evaluation(factories.user("city_admin"), year, 1)
    db.session.commit()
    factories.slot(venue, day=date(year, 5, 10))
    rebuild.rebuild_all()
    db.session.commit()
    return venue, year


def _publish_confirmation() -> str:
    return f"/admin/evaluation/{_evaluated_venue()[1]}/publish"


def _city_published_evaluation() -> str:
    return f"/admin/evaluation?year={_published_evaluation()[1]}"


def _manager_published_evaluation() -> tuple[str, str]:
    venue, year = _published_evaluation()
    return f"/manage/evaluation/{year}", factories.user("venue_manager", venue=venue).email


# Publishing the yearly review: the confirmation, and the published figures as the city and the venue see them.
SCREENS += [
    Screen("admin-evaluation-publish", build=_publish_confirmation, role="city_admin"),
    Screen("admin-evaluation-published", build=_city_published_evaluation, role="city_admin"),
    Screen("manage-evaluation-published", build=_manager_published_evaluation),
]


def _annual_reports() -> str:
    """Last year's reports: one venue's submitted, one returned to its venue, one not yet submitted."""
    from app.core.time import utcnow
    from app.extensions import db
    from app.stats.models import ReportReturn, ReportSubmission

    (waiting, year), (submitted, _), (returned, _) = _evaluated_venue(), _evaluated_venue(), _evaluated_venue()
    now = utcnow()
    db.session.add(ReportSubmission(venue_id=submitted.id, year=year, text="", submitted_at=now))
    db.session.add(ReportSubmission(venue_id=returned.id, year=year, text="",
                                    returns=[ReportReturn(reason="请补充说明", filed_at=now)]))
    db.session.commit()
    return f"/admin/reports?year={year}"


# The admins' list of annual reports: the city admin's with the district filter, a district admin's without.
SCREENS += [
    Screen("admin-reports", build=_annual_reports, role="city_admin"),
    Screen("admin-reports-district", build=_annual_reports, role="district_admin"),
]


def _manager_report() -> tuple[str, str]:
    """Last year's report as its manager sees it: the year links, a themed event with its totals."""
    from datetime import date

    from app.events.models import ThemedDay
    from app.extensions import db

    venue, year = _evaluated_venue()
    db.session.add(ThemedDay(key="screen_week", name_zh="测试周", name_en="Test week", rule_kind="fixed",
                             rule="09-20..09-26"))
    db.session.commit()
    factories.slot(venue, day=date(year, 9, 20), capacity=30,
                   program_id=factories.program(venue, themed_day_key="screen_week").id)
    return f"/manage/reports/{year}", factories.user("venue_manager", venue=venue).email


def _manager_home_report_due() -> tuple[str, str]:
    """A manager's home page with last year's report to file (due or overdue, as today has it)."""
    venue, _year = _evaluated_venue()
    return "/me", factories.user("venue_manager", venue=venue).email


# The manager's annual report, and their home page saying it is to be filed.
SCREENS += [
    Screen("manage-report", build=_manager_report),
    Screen("me-report-due", build=_manager_home_report_due),
]


def _filed_report():
    """Last year's report filed with its figures kept (a themed event among them); then a walk-in the
    records counted later, so that the live figures differ from those filed."""
    from datetime import date, datetime

    from app.core.time import from_local, utcnow
    from app.events.models import ThemedDay
    from app.extensions import db
    from app.stats import rebuild, reports
    from app.stats.models import ReportSubmission

    venue, year = _evaluated_venue()
    db.session.add(ThemedDay(key="filed_week", name_zh="档案周", name_en="Archive week", rule_kind="fixed",
                             rule="09-20..09-26"))
    db.session.commit()
    factories.slot(venue, day=date(year, 9, 20), capacity=30,
                   program_id=factories.program(venue, themed_day_key="filed_week").id)
    rebuild.rebuild_all()
    db.session.add(ReportSubmission(venue_id=venue.id, year=year, text="全年免费开放，新增天文展区。", submitted_at=utcnow(),
                                    filed_figures=reports.filed_snapshot(reports.report_figures(venue, year))))
    db.session.commit()
    factories.walk_in(venue, persons=3, when=from_local(datetime(year, 6, 1, 10)))
    rebuild.rebuild_all()
    db.session.commit()
    return venue, year


def _public_filed_report() -> str:
    venue, year = _filed_report()
    return f"/venues/{venue.id}/reports/{year}"


def _venue_with_filed_reports() -> str:
    venue, _year = _filed_report()
    return f"/venues/{venue.id}"


def _admin_filed_report() -> str:
    venue, year = _filed_report()
    return f"/admin/reports/{venue.id}/{year}"


# A filed report as the public reads it (and the venue's page listing it); as the city admin reads it,
# saying which figures the records now give otherwise.
SCREENS += [
    Screen("venue-report", build=_public_filed_report),
    Screen("venue-with-reports", build=_venue_with_filed_reports),
    Screen("admin-report-as-filed", build=_admin_filed_report, role="city_admin"),
]


def _district_admins() -> tuple[str, str]:
    """The city admin's district administrators: one active, one invited who has not chosen a password yet."""
    from app.extensions import db

    factories.user("district_admin", name="玄武区科协管理员", district_code=factories.XUANWU)
    factories.user("district_admin", name="Alexandra Montgomery-Smith", district_code=factories.GULOU,
                   email="alexandra.montgomery-smith@example.com").password_hash = "!invited"
    db.session.commit()
    return "/admin/district-admins", factories.user("city_admin").email


def _district_admin_form_errors() -> tuple[str, str]:
    """The invitation form sent back: no district chosen, an address that already has an account."""
    factories.user("citizen", email="taken@example.com")
    return "/admin/district-admins", factories.user("city_admin").email


def _manage_venue_registered_twice() -> tuple[str, str]:
    """A new manager's draft of a venue already in the public directory."""
    from app.venues.models import VenueStatus

    factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
    draft = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science & Technology Museum",
                            status=VenueStatus.DRAFT)
    return "/manage/venue", factories.user("venue_manager", venue=draft).email


def _manage_venue_accreditations() -> tuple[str, str]:
    """A manager's venue page with a current, an expired and a coming accreditation."""
    from datetime import timedelta

    from app.core.time import local_today

    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
    today = local_today()
    factories.accreditation(venue)
    factories.accreditation(venue, valid_from=today - timedelta(days=800), valid_to=today - timedelta(days=1))
    factories.accreditation(venue, valid_from=today + timedelta(days=5), valid_to=today + timedelta(days=900))
    return "/manage/venue", factories.user("venue_manager", venue=venue).email


SCREENS += [
    Screen("district-admins", build=_district_admins),
    Screen("district-admins-form-errors", build=_district_admin_form_errors, status=400,
           form={"name": "鼓楼区管理员", "email": "taken@example.com", "district": ""}),
    Screen("manage-venue-accreditations", build=_manage_venue_accreditations),
    Screen("manage-venue-registered-twice", build=_manage_venue_registered_twice),
]


def _booking_days_from_tomorrow() -> str:
    """The step-by-step booking's day screen with times tomorrow (named "Tomorrow") and the day after."""
    venue = factories.venue()
    for days in (1, 2):
        factories.slot(venue, days_ahead=days)
    return f"/venues/{venue.id}/book?step=day"


SCREENS += [Screen("book-step-day-tomorrow", build=_booking_days_from_tomorrow, role="citizen")]


def _directory_open_on() -> str:
    """The directory's day filter with a day chosen: cards with the places left that day, a pager."""
    from datetime import timedelta

    from app.core.time import local_today

    day = local_today() + timedelta(days=3)
    for n in range(3):
        venue = factories.venue(name_zh=f"南京科普馆{n}", name_en=f"Nanjing Science Hall {n}")
        factories.slot(venue, day=day)
    return f"/venues?open_on={day.isoformat()}&district={factories.XUANWU}"


SCREENS += [
    Screen("venues-open-on", build=_directory_open_on),
    Screen("venues-open-on-bad-date", "/venues?open_on=2000-01-01", status=400),
]


def _venue_with_coming_closures() -> str:
    """A venue page listing its coming closures, one of them with a special opening."""
    from datetime import time, timedelta

    from app.core.time import local_today
    from app.extensions import db
    from app.scheduling.models import Closure

    venue = factories.venue()
    today = local_today()
    for first, last, zh, en in ((5, 6, "设备检修", ""), (40, 46, "春节闭馆", "Closed for the Spring Festival")):
        db.session.add(Closure(venue_id=venue.id, starts_on=today + timedelta(days=first),
                               ends_on=today + timedelta(days=last), reason_zh=zh, reason_en=en))
    db.session.commit()
    factories.slot(venue, days_ahead=41, start=time(19, 0), end=time(21, 0))
    return f"/venues/{venue.id}"


def _slots_capacity_refused() -> tuple[str, str]:
    """The slot list again, its form changing several slots' capacity refused (no capacity given)."""
    email = _manager_slots()[1]
    return "/manage/slots/capacity", email


# A holiday prepared: the venue's page says which days it closes; the slot list changes the
# capacity of several slots at once.
SCREENS += [
    Screen("venue-coming-closures", build=_venue_with_coming_closures),
    Screen("manage-slots-capacity-refused", build=_slots_capacity_refused, status=400,
           form={"batch-starts_on": "", "batch-ends_on": "", "batch-audience": "", "batch-capacity": ""}),
]


def _themed_event_manager():
    """A manager whose venue has a program for a themed day whose dates this year and next are not
    announced: the program, and the manager's email."""
    from app.events.models import ThemedDay, ThemedDayRule
    from app.extensions import db
    from app.scheduling.models import ProgramKind

    if db.session.scalar(db.select(ThemedDay.id).where(ThemedDay.key == "screen_dates_week")) is None:
        db.session.add(ThemedDay(key="screen_dates_week", name_zh="全国科普日",
                                 name_en="National Science Popularization Day",
                                 rule_kind=ThemedDayRule.YEARLY_TABLE, rule="third weekend of September"))
        db.session.commit()
    manager = factories.user("venue_manager")
    program = factories.program(manager.venue, kind=ProgramKind.THEMED_ACTIVITY, themed_day_key="screen_dates_week",
                                title_zh="科普日机器人工作坊", title_en="Science Day robot workshop")
    return program, manager.email


def _in_days(n: int) -> Callable[[], str]:
    """The date ``n`` days from today, asked when the form is sent: the screen's data is built from
    the same today, however long after the tests were collected it runs."""
    from datetime import timedelta

    from app.core.time import local_today

    return lambda: (local_today() + timedelta(days=n)).isoformat()


# The fields the themed-dates screens post; each build puts in the program it made (builds run first).
_THEMED_SLOT = {"day": _in_days(21), "start": "10:00", "end": "11:00", "audience": "mixed", "capacity": "30",
                "admission": "free", "program_id": ""}
_THEMED_SCHEDULE = {"starts_on": _in_days(21), "ends_on": _in_days(27), "weekdays": "1", "sessions": "10:00-11:00",
                    "audience": "mixed", "capacity": "30", "admission": "free", "program_id": ""}


def _themed_slot_form() -> tuple[str, str]:
    program, email = _themed_event_manager()
    _THEMED_SLOT["program_id"] = str(program.id)
    return "/manage/slots/new", email


def _themed_schedule_form() -> tuple[str, str]:
    program, email = _themed_event_manager()
    _THEMED_SCHEDULE["program_id"] = str(program.id)
    return "/manage/schedules/new", email


_THEMED_PROGRAM = {"kind": "guided_tour", "themed_day_key": "screen_dates_week", "title_zh": "机器人导览",
                   "title_en": "Robot tour", "description_zh": "", "description_en": "", "grade_min": "0",
                   "grade_max": "12", "curriculum_link": "", "language": "zh", "is_active": "y"}


def _themed_program_form() -> tuple[str, str]:
    """A program with a session coming, tied to a themed day whose dates are not announced."""
    _event, email = _themed_event_manager()
    from app.accounts.models import User
    from app.extensions import db

    venue = db.session.scalar(db.select(User).where(User.email == email)).venue
    program = factories.program(venue, title_zh="机器人导览", title_en="Robot tour")
    factories.slot(venue, days_ahead=21, program_id=program.id)
    return f"/manage/programs/{program.id}/edit", email


def _themed_days_on_the_dashboard() -> str:
    """Last week's themed events at two venues, one with a visit checked in: /stats shows them by themed day."""
    from datetime import timedelta

    from app.core.time import local_today
    from app.events.models import ThemedDay, ThemedDayRule
    from app.extensions import db

    for key, zh, en in (("screen_science_day", "全国科普日", "National Science Popularization Day"),
                        ("screen_science_week", "科技活动周", "Science and Technology Week")):
        db.session.add(ThemedDay(key=key, name_zh=zh, name_en=en, rule_kind=ThemedDayRule.YEARLY_TABLE, rule="-"))
    db.session.commit()
    day = max(local_today() - timedelta(days=2), local_today().replace(month=1, day=1))
    for key in ("screen_science_day", "screen_science_week"):
        venue = factories.venue()
        slot = factories.slot(venue, day=day, audience="mixed",
                              program_id=factories.program(venue, themed_day_key=key).id)
    factories.admitted_visit(slot, party_size=3)
    return "/stats"


def _themed_slot_to_book() -> str:
    from app.events.models import ThemedDay, ThemedDayRule
    from app.extensions import db

    db.session.add(ThemedDay(key="screen_book_day", name_zh="全国科普日", name_en="National Science Popularization Day",
                             rule_kind=ThemedDayRule.YEARLY_TABLE, rule="-"))
    db.session.commit()
    venue = factories.venue()
    slot = factories.slot(venue, days_ahead=3, program_id=factories.program(venue, themed_day_key="screen_book_day").id)
    return f"/slots/{slot.id}/book"


# Themed events: a slot or schedule of a themed program on days its themed day's dates do not cover
# (the warning next to the date, with its confirmation); the public dashboard's themed-day section;
# the booking page of a themed event's slot, naming its themed day.
SCREENS += [
    Screen("publish-slot-themed-dates", build=_themed_slot_form, form=_THEMED_SLOT),
    Screen("publish-schedule-themed-dates", build=_themed_schedule_form, form=_THEMED_SCHEDULE),
    Screen("edit-program-themed-dates", build=_themed_program_form, form=_THEMED_PROGRAM),
    Screen("stats-themed-days", build=_themed_days_on_the_dashboard),
    Screen("book-themed-event", build=_themed_slot_to_book, role="citizen"),
]


def _overlapping_slot_form() -> tuple[str, str]:
    """A manager whose venue runs 09:00–12:00 and 13:30–16:30 publishing 10:00–16:00 for the same visitors."""
    from datetime import time, timedelta

    from app.core.time import local_today

    manager = factories.user("venue_manager")
    day = local_today() + timedelta(days=21)
    for start, end in ((time(9), time(12)), (time(13, 30), time(16, 30))):
        factories.slot(manager.venue, day=day, start=start, end=end)
    return "/manage/slots/new", manager.email


# A new slot overlapping open slots for the same visitors and program: the warning next to the times,
# naming them, with its confirmation.
SCREENS += [
    Screen("publish-slot-overlap", build=_overlapping_slot_form,
           form={"day": _in_days(21), "start": "10:00", "end": "16:00", "audience": "public", "capacity": "500",
                 "admission": "free", "program_id": ""}),
]


def _manager_slots_over_a_closure() -> tuple[str, str]:
    """The slot list over a closure: said once, with its dates and reason, a special opening after it."""
    from datetime import time, timedelta

    from app.extensions import db
    from app.scheduling.models import Closure

    slot = factories.slot(days_ahead=3, start=time(19), end=time(21))
    db.session.add(Closure(venue_id=slot.venue_id, starts_on=slot.local_date - timedelta(days=1),
                           ends_on=slot.local_date, reason_zh="天象厅设备检修", reason_en="Planetarium maintenance"))
    db.session.commit()
    return "/manage/slots", factories.user("venue_manager", venue=slot.venue).email


# The manager's slot list says which of its days are closed, rather than leaving them empty.
SCREENS += [
    Screen("manage-slots-closure", build=_manager_slots_over_a_closure),
]


def _expiring_accreditations(path: str, role: str) -> Callable[[], tuple[str, str]]:
    """Accreditations ending within the expiry notice's window: one whose managers were warned, one not
    yet, one of a venue without a manager, one already renewed; shown at ``path`` (``{venue}``: the
    first venue's id) to a fresh user of ``role``."""
    def build() -> tuple[str, str]:
        from datetime import timedelta

        from app.core.time import local_today, utcnow
        from app.extensions import db

        today = local_today()
        venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
        factories.user("venue_manager", venue=venue)
        factories.accreditation(venue, level="city_base", valid_to=today + timedelta(days=30),
                                expiry_notice_sent_at=utcnow() - timedelta(days=2))
        factories.accreditation(venue, level="study_base", valid_to=today + timedelta(days=58))
        factories.accreditation(venue, level="national_base", valid_to=today + timedelta(days=12))
        factories.accreditation(venue, level="national_base", valid_to=today + timedelta(days=1500))
        unmanaged = factories.venue(name_zh="江北新区科普馆", name_en="Jiangbei Science Hall")
        factories.accreditation(unmanaged, valid_to=today)
        db.session.commit()
        return path.format(venue=venue.id), factories.user(role).email
    return build


# The administrators see whether a venue's managers were warned that its accreditation ends.
SCREENS += [
    Screen("admin-accreditations-expiring", build=_expiring_accreditations("/admin/accreditations", "city_admin")),
    Screen("venue-accreditations-warned", build=_expiring_accreditations("/admin/venues/{venue}", "district_admin")),
]
