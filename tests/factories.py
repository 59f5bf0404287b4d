"""Builders for test data. Each returns a committed row; pass keyword arguments to override."""
from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from app.accounts.models import Role, User
from app.accounts.services import create_user
from app.core.time import utcnow
from app.extensions import db
from app.schools.models import School, SchoolKind
from app.venues.models import (Accreditation, AccreditationLevel, OperatorKind, Venue,
                               VenueStatus, VenueTheme, VenueType)

PASSWORD = "password123"
XUANWU, GULOU, JIANGNING = "320102", "320106", "320115"
_seq = itertools.count(1)


def school(**kw) -> School:
    n = next(_seq)
    row = School(name_zh=kw.pop("name_zh", f"测试小学{n}"), name_en=kw.pop("name_en", f"Test Primary {n}"),
                 kind=kw.pop("kind", SchoolKind.PRIMARY), district_code=kw.pop("district_code", XUANWU), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def venue(**kw) -> Venue:
    n = next(_seq)
    themes = kw.pop("themes", ["general science"])
    row = Venue(
        name_zh=kw.pop("name_zh", f"测试科技馆{n}"), name_en=kw.pop("name_en", f"Test Science Hall {n}"),
        venue_type=kw.pop("venue_type", VenueType.COMPREHENSIVE_MUSEUM),
        operator_kind=kw.pop("operator_kind", OperatorKind.GOVERNMENT),
        district_code=kw.pop("district_code", XUANWU),
        status=kw.pop("status", VenueStatus.APPROVED),
        address_zh=kw.pop("address_zh", f"测试路{n}号"), daily_capacity=kw.pop("daily_capacity", 1000),
        **kw,
    )
    row.themes = [VenueTheme(name=t) for t in themes]
    db.session.add(row)
    db.session.commit()
    return row


def user(role: Role | str = Role.CITIZEN, **kw) -> User:
    n = next(_seq)
    role = Role(role)
    verified = kw.pop("verified", True)
    if role == Role.TEACHER and "school" not in kw:
        kw["school"] = school()
    if role in (Role.VENUE_STAFF, Role.VENUE_MANAGER) and "venue" not in kw:
        kw["venue"] = venue()
    if role == Role.DISTRICT_ADMIN:
        kw.setdefault("district_code", XUANWU)
    row = create_user(email=kw.pop("email", f"{role.value}{n}@example.com"), password=kw.pop("password", PASSWORD),
                      name=kw.pop("name", f"User {n}"), role=role, phone=kw.pop("phone", f"138{n % 10**8:08d}"),
                      consent=True, **kw)
    if role == Role.TEACHER and verified:
        row.verified_at = utcnow()
    db.session.commit()
    return row


def session_id(person: User) -> str:
    """What a browser signed in as ``person`` keeps in its session as ``_user_id``: the id of a new
    sign-in, for tests that sign a client in without the login form."""
    from app.accounts.sign_ins import record_sign_in

    record_sign_in(person)
    db.session.commit()
    return person.get_id()


def accreditation(venue: Venue, **kw) -> Accreditation:
    n = next(_seq)
    today = date.today()
    row = Accreditation(venue_id=venue.id, level=kw.pop("level", AccreditationLevel.CITY_BASE),
                        certificate_no=kw.pop("certificate_no", f"NJKP-{n:04d}"),
                        valid_from=kw.pop("valid_from", today - timedelta(days=365)),
                        valid_to=kw.pop("valid_to", today + timedelta(days=365)), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def slot(venue: Venue | None = None, **kw):
    """A slot ``days_ahead`` days from today, 09:00–12:00 Asia/Shanghai unless told otherwise."""
    from datetime import datetime, time

    from app.core.time import from_local, local_today
    from app.scheduling.models import Audience, Slot

    venue = venue or globals()["venue"]()
    day = kw.pop("day", local_today() + timedelta(days=kw.pop("days_ahead", 2)))
    start = datetime.combine(day, kw.pop("start", time(9, 0)))
    end = datetime.combine(day, kw.pop("end", time(12, 0)))
    audience = Audience(kw.pop("audience", Audience.PUBLIC))
    row = Slot(venue_id=venue.id, starts_at=from_local(start), ends_at=from_local(end), local_date=day,
               audience=audience, admission=kw.pop("admission", "free"), capacity=kw.pop("capacity", 40),
               window_opens_days=kw.pop("window_opens_days", 30 if audience != Audience.PUBLIC else 7),
               window_closes_hours=kw.pop("window_closes_hours", 0), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def venue_form_data(**kw) -> dict:
    """A complete, valid venue registration form as a manager would post it."""
    n = next(_seq)
    data = {
        "name_zh": f"登记测试馆{n}", "name_en": f"Registry Test Hall {n}", "venue_type": "specialised_museum",
        "operator_kind": "research_institute", "themes": "天文、物理; astronomy", "district_code": XUANWU,
        "address_zh": f"北京东路{n}号", "address_en": f"{n} Beijing East Road", "latitude": "32.0580",
        "longitude": "118.7960", "description_zh": "一座测试用的科普场馆。", "description_en": "A test venue.",
        "opens_at": "09:00", "closes_at": "17:00", "closed_weekdays": ["1", "2"], "admission": "free",
        "discount_zh": "", "discount_en": "", "daily_capacity": "800", "grade_min": "1", "grade_max": "9",
        "accessibility_zh": "无障碍坡道、电梯", "accessibility_en": "Ramps and lifts",
        "contact_phone": "025-8480 0000", "contact_email": "info@example.org", "website": "https://example.org",
    }
    data.update(kw)
    return data


def program(venue: Venue, **kw):
    """A guided-tour program of ``venue``."""
    from app.scheduling.models import Program, ProgramKind

    n = next(_seq)
    row = Program(venue_id=venue.id, kind=kw.pop("kind", ProgramKind.GUIDED_TOUR),
                  title_zh=kw.pop("title_zh", f"测试导览{n}"), title_en=kw.pop("title_en", f"Test tour {n}"), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def booked_visit(slot, booker: User, **kw):
    """A booking made through the booking services: a citizen's party (``party_size``, default 2)
    or, for a teacher, a class (``students`` 30, ``adults`` 2, ``grade`` 4, ``class_name``)."""
    from app.bookings import services as booking_services

    if booker.role == Role.TEACHER:
        row = booking_services.book_class_visit(
            booker, slot, students=kw.pop("students", 30), adults=kw.pop("adults", 2), grade=kw.pop("grade", 4),
            class_name=kw.pop("class_name", "四年级2班"), **kw)
    else:
        row = booking_services.book_individual_visit(booker, slot, party_size=kw.pop("party_size", 2), **kw)
    db.session.commit()
    return row


def slot_at(venue: Venue | None = None, *, starts_in=None, length=None, **kw):
    """A slot starting ``starts_in`` from now (a timedelta, may be negative) and lasting ``length``
    (default 2 hours). By default it began 10 minutes ago, or at midnight if that was later: a
    visit the gate can admit right now, on today's date even just after midnight, when the suite
    may well run."""
    from app.core.time import from_local, to_local
    from app.scheduling.models import Audience, Slot

    venue = venue or globals()["venue"]()
    now = utcnow()
    if starts_in is not None:
        start = now + starts_in
    else:
        start = max(now - timedelta(minutes=10), from_local(datetime.combine(to_local(now).date(), time())))
    end = start + (length or timedelta(hours=2))
    audience = Audience(kw.pop("audience", Audience.MIXED))
    row = Slot(venue_id=venue.id, starts_at=start, ends_at=end, local_date=to_local(start).date(), audience=audience,
               admission=kw.pop("admission", "free"), capacity=kw.pop("capacity", 100), window_opens_days=30,
               window_closes_hours=0, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def confirmed_visit(slot, booker: User | None = None, **kw):
    """A confirmed booking of ``slot`` (a citizen's party by default; a teacher's class is approved by
    the venue's manager), booked an hour before the slot starts (a class four days before: groups
    book until three days ahead) so that slots under way work too."""
    from app.bookings import services as booking_services

    booker = booker or user(Role.CITIZEN)
    kw.setdefault("now", slot.starts_at - (timedelta(days=4) if booker.role == Role.TEACHER else timedelta(hours=1)))
    row = booked_visit(slot, booker, **kw)
    if booker.role == Role.TEACHER and row.status.value == "pending":
        manager = user(Role.VENUE_MANAGER, venue=slot.venue)
        booking_services.approve_booking(manager, row, now=kw["now"])  # decided when booked, before the start
        db.session.commit()
    return row


def partnership(venue: Venue, school_: School, *, starts: date | None = None, ends: date | None = None):
    """A cooperation agreement of ``venue`` with ``school_``, from 30 days ago to 300 days ahead unless told."""
    from app.bookings.models import Partnership
    from app.core.time import local_today

    agreement = Partnership(venue_id=venue.id, school_id=school_.id,
                            valid_from=starts or local_today() - timedelta(days=30),
                            valid_to=ends or local_today() + timedelta(days=300))
    db.session.add(agreement)
    db.session.commit()
    return agreement


def gate_token(venue: Venue, name: str | None = None) -> str:
    """The secret of a new gate-device token of ``venue`` (made by a manager of the venue), named
    "东门 1 号闸机" unless told, then "东门 2 号闸机"...: a venue's working devices each have a name
    of their own."""
    from app.accounts.tokens import issue_gate_token, working_gate_tokens
    from app.core.time import utcnow

    name = name or f"东门 {len(working_gate_tokens(venue.id, utcnow())) + 1} 号闸机"
    manager = user(Role.VENUE_MANAGER, venue=venue)
    secret, _token = issue_gate_token(manager, venue, name=name)
    db.session.commit()
    return secret


def user_token(person: User) -> str:
    """The secret of a new personal API token of ``person``."""
    from app.accounts.tokens import issue_user_token

    secret, _token = issue_user_token(person)
    db.session.commit()
    return secret


# --- statistics: visits admitted through the check-in services ----------------------------------

def gate_staff(venue: Venue) -> User:
    """A member of ``venue``'s gate staff (one per venue is enough: reuse it)."""
    from sqlalchemy import select

    found = db.session.scalar(select(User).where(User.venue_id == venue.id, User.role == Role.VENUE_STAFF).limit(1))
    return found or user(Role.VENUE_STAFF, venue=venue)


def admitted_visit(slot, booker: User | None = None, *, headcount=None, **kw):
    """A booking of ``slot`` (past or under way) admitted at the gate by ``record_check_in``, at the
    slot's start: the admitted ``CheckIn``. ``headcount`` (a ``Headcount``) admits fewer than booked."""
    from app.checkin import services as checkin_services

    booking = confirmed_visit(slot, booker, **kw)
    outcome = checkin_services.record_check_in(gate_staff(slot.venue), booking.reference, headcount=headcount,
                                               now=slot.starts_at + timedelta(minutes=5))
    assert outcome.result.value == "ok", outcome.result
    db.session.commit()
    return outcome.checkin


def walk_in(venue: Venue, *, persons: int = 2, audience_group: str = "adult", when=None):
    """A walk-in party counted by ``venue``'s staff at ``when`` (default now): the ``CheckIn``."""
    from app.checkin import walkins

    row, _new = walkins.record_walk_in(gate_staff(venue), venue, persons=persons, audience_group=audience_group,
                                       now=when)
    db.session.commit()
    return row


def stats_scenario():
    """Known visits at two venues on two past days, made through the booking and check-in services:

    Venue A (玄武区, comprehensive museum, government, theme astronomy), free slot 09:00–12:00 on ``day_a``:
    parties of 2 and 3 admitted, a party of 4 admitted as 3, a class of 30 students + 2 adults in grade 4,
    a kindergarten class of 12 + 2 (its school a partner of A), a party of 2 that never came (no-show),
    a party of 1 that cancelled; walk-ins: 3 seniors and 2 young people.
    Venue B (鼓楼区, university museum, university, theme geology), discounted slot on ``day_b``: a class
    of 25 + 2 in grade 8 admitted as 24 + 2, a party of 5; a walk-in of 4 adults.
    """
    from app.bookings import services as booking_services
    from app.bookings.models import Partnership
    from app.checkin import services as checkin_services
    from app.checkin.services import Headcount
    from app.core.time import local_today

    day_a, day_b = local_today() - timedelta(days=4), local_today() - timedelta(days=3)
    a = venue(district_code=XUANWU, venue_type=VenueType.COMPREHENSIVE_MUSEUM, operator_kind=OperatorKind.GOVERNMENT,
              themes=["astronomy"])
    b = venue(district_code=GULOU, venue_type=VenueType.UNIVERSITY_MUSEUM, operator_kind=OperatorKind.UNIVERSITY,
              themes=["geology"])
    slot_a = slot(a, day=day_a, start=time(9), end=time(12), audience="mixed", capacity=100, admission="free")
    slot_b = slot(b, day=day_b, start=time(14), end=time(16), audience="mixed", capacity=80, admission="discounted")
    kindergarten = school(kind=SchoolKind.KINDERGARTEN)
    db.session.add(Partnership(venue_id=a.id, school_id=kindergarten.id, valid_from=day_a - timedelta(days=30),
                               valid_to=day_a + timedelta(days=300)))
    db.session.commit()
    visits = [
        admitted_visit(slot_a, party_size=2), admitted_visit(slot_a, party_size=3),
        admitted_visit(slot_a, party_size=4, headcount=Headcount(persons=3)),
        admitted_visit(slot_a, user(Role.TEACHER), students=30, adults=2, grade=4),
        admitted_visit(slot_a, user(Role.TEACHER, school=kindergarten), students=12, adults=2, grade=0,
                       class_name="大班"),
        admitted_visit(slot_b, user(Role.TEACHER, school=school(district_code=GULOU)), students=25, adults=2, grade=8,
                       class_name="初二1班", headcount=Headcount(students=24, adults=2)),
        admitted_visit(slot_b, party_size=5),
    ]
    confirmed_visit(slot_a, party_size=2)  # never comes
    cancelling = user(Role.CITIZEN)
    booking = confirmed_visit(slot_a, cancelling, party_size=1, now=slot_a.starts_at - timedelta(days=3))
    booking_services.cancel_booking(cancelling, booking, now=slot_a.starts_at - timedelta(days=2))
    checkin_services.mark_no_shows(day_a, now=slot_a.ends_at + timedelta(hours=1))
    db.session.commit()
    visits += [walk_in(a, persons=3, audience_group="senior", when=slot_a.starts_at + timedelta(hours=1)),
               walk_in(a, persons=2, audience_group="youth", when=slot_a.starts_at + timedelta(hours=2)),
               walk_in(b, persons=4, audience_group="adult", when=slot_b.starts_at)]
    return {"a": a, "b": b, "slot_a": slot_a, "slot_b": slot_b, "day_a": day_a, "day_b": day_b,
            "checkins": visits, "kindergarten": kindergarten}


PUBLIC_SITE = "https://scivisit.example.gov.cn"
FORGED_HOST = "http://scivisit.attacker.example"


def signed_in_at_forged_host(app, person: User):
    """A client signed in as ``person`` through requests naming another site's Host, with the app's
    public address configured: what every link that leaves a request must ignore. Pass
    ``base_url=FORGED_HOST`` to its requests."""
    app.config["PUBLIC_BASE_URL"] = PUBLIC_SITE
    client = app.test_client()
    client.post("/login", data={"email": person.email, "password": PASSWORD}, base_url=FORGED_HOST)
    return client
