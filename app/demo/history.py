"""The demo's past year: bookings, check-ins and walk-ins at the demo venues, made through the same
services as real ones (``book_individual_visit``, ``book_class_visit``, ``approve_booking``,
``cancel_booking``, ``record_check_in``, ``record_walk_in``, ``mark_no_shows``, each with ``now=`` in
the past), so that the dashboard has something true to show.

The shape of the year: school classes on weekdays in term (1 March–early July, September–mid
January), families at weekends and in the holidays (winter and summer, Qingming, Labour Day,
National Day), peaks in Science and Technology Week (May) and in September, the science
popularisation month with 全国科普日; some bookings are cancelled and some people do not come.
Published slots, the demo's schools and people are bulk-inserted (they are not visits); one random
generator with a fixed seed makes the same year for the same day.

Units of work are months, for the progress bar; ``DEMO_HISTORY_DAYS`` (default 365; 0 when testing,
so the demo tests stay quick) sets the length. Nothing is loaded when the history is there already.
"""
from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.accounts.models import Role, User
from app.bookings import services as bookings
from app.bookings.models import Booking, BookingStatus
from app.bookings.rules import rules_for
from app.checkin import services as checkin
from app.checkin import walkins
from app.checkin.services import Headcount
from app.core.errors import DomainError
from app.core.time import from_local, local_today, utcnow
from app.events.models import ThemedDayDates
from app.events.themed_days import dates_in, themed_day_by_key
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.scheduling.models import Audience, Program, ProgramKind, Slot, SlotStatus
from app.scheduling.services import slot_booking_defaults
from app.schools.models import School, SchoolKind
from app.venues.models import Venue, VenueStatus, VenueType

SEED = 20220601  # the plan's year and month: any fixed number gives a repeatable year
EMAIL = "history-{kind}-{n:04d}@demo.scivisit.local"
MARKER = EMAIL.format(kind="citizen", n=1)
CITIZENS = 400
SCHOOLS_PER_DISTRICT = 10
WEIGHTS = {VenueType.COMPREHENSIVE_MUSEUM: 3.0, VenueType.SPECIALISED_MUSEUM: 1.6, VenueType.UNIVERSITY_MUSEUM: 1.0,
           VenueType.INSTITUTE_FACILITY: 0.8, VenueType.ENTERPRISE_HALL: 0.9, VenueType.COMMUNITY_HALL: 0.6,
           VenueType.OUTDOOR_SITE: 1.2, VenueType.GALLERY: 0.3}
FLAGSHIP = ("南京科技馆", 6.0)  # the city's science museum draws the most
MONTH_FACTOR = {1: 0.8, 2: 1.2, 3: 0.8, 4: 1.0, 5: 1.1, 6: 0.9, 7: 1.5, 8: 1.6, 9: 1.0, 10: 1.3, 11: 0.8, 12: 0.7}
PUBLIC_HOLIDAYS = ((1, 1, 1, 1), (4, 4, 4, 6), (5, 1, 5, 5), (10, 1, 10, 7))  # (month, day) to (month, day)
GRADES = {SchoolKind.KINDERGARTEN: (0, 0), SchoolKind.PRIMARY: (1, 6), SchoolKind.JUNIOR: (7, 9),
          SchoolKind.SENIOR: (10, 12), SchoolKind.NINE_YEAR: (1, 9), SchoolKind.VOCATIONAL: (10, 12)}
KINDS = (SchoolKind.PRIMARY, SchoolKind.PRIMARY, SchoolKind.JUNIOR, SchoolKind.KINDERGARTEN, SchoolKind.SENIOR)
THEMED = (("science_week", "科技活动周 · 动手实验日", "Science Week hands-on lab"),
          ("national_science_day", "全国科普日 · 科学之夜", "Science Popularization Day evening"))


def history_days() -> int:
    return int(current_app.config.get("DEMO_HISTORY_DAYS", 0 if current_app.testing else 365))


def has_history() -> bool:
    return db.session.scalar(select(User.id).where(User.email == MARKER)) is not None


def units() -> list:
    """The months of the past year (each ``(first, last)``), then the closing unit; none if loaded."""
    days = history_days()
    if days <= 0 or has_history():
        return []
    last = local_today() - timedelta(days=1)
    day, months = last - timedelta(days=days - 1), []
    while day <= last:
        following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        months.append((day, min(last, following - timedelta(days=1))))
        day = following
    return [("prepare", months[0][0], last), *months, ("finish",)]


def load(run, unit) -> None:
    if unit[0] == "prepare":
        run.history = History.prepare(unit[1], unit[2])
    elif unit[0] == "finish":
        run.created += run.history.finish()
    else:
        run.history.load_days(*unit)


# --- the calendar of a year -------------------------------------------------------------------------

def in_term(day: date) -> bool:
    """School term: 1 March to 5 July, 1 September to 15 January, weekdays."""
    if day.weekday() >= 5:
        return False
    md = (day.month, day.day)
    return (3, 1) <= md <= (7, 5) or md >= (9, 1) or md <= (1, 15)


def is_holiday(day: date) -> bool:
    md = (day.month, day.day)
    if any((m1, d1) <= md <= (m2, d2) for m1, d1, m2, d2 in PUBLIC_HOLIDAYS):
        return True
    return not in_term(day) and day.weekday() < 5 and not (9, 1) <= md <= (9, 5)


def themed_range(key: str, year: int) -> tuple[date, date]:
    """A themed day's dates in ``year``: as stored, else the usual ones (third week of May; September),
    which the demo then records as that year's dates, as the city admin would have announced them:
    the events page would otherwise call the dates its history's events were held on "not announced"."""
    themed_day = themed_day_by_key(key)
    found = dates_in(themed_day, year) if themed_day is not None else None
    if found is not None:
        return found.starts_on, found.ends_on
    if key == "science_week":
        first = date(year, 5, 15) + timedelta(days=(5 - date(year, 5, 15).weekday()) % 7)  # third Saturday or so
        starts, ends = first, first + timedelta(days=7)
    else:
        starts, ends = date(year, 9, 1), date(year, 9, 30)
    if themed_day is not None:
        themed_day.dates.append(ThemedDayDates(year=year, starts_on=starts, ends_on=ends))
        db.session.flush()
    return starts, ends


# --- the year --------------------------------------------------------------------------------------

@dataclass
class Site:
    venue: Venue
    weight: float
    staff: User
    manager: User
    events: dict[str, int] = field(default_factory=dict)  # themed day key -> program id


@dataclass
class History:
    first: date
    last: date
    sites: list[Site]
    citizens: list[User]
    teachers: list[User]
    random: random.Random
    created: int = 0

    # -- preparing: the people, schools, programs and slots of the year (bulk: they are not visits)

    @classmethod
    def prepare(cls, first: date, last: date) -> "History":
        from app.demo.seed import venue_rows

        names = [row["name_zh"].strip() for row in venue_rows()]
        venues = list(db.session.scalars(select(Venue).where(Venue.name_zh.in_(names),
                                                             Venue.status == VenueStatus.APPROVED)
                                         .order_by(Venue.id)))
        rng = random.Random(SEED)
        history = cls(first, last, [], [], [], rng)
        schools = history._schools()
        history.citizens = history._users(Role.CITIZEN, CITIZENS)
        history.teachers = history._users(Role.TEACHER, len(schools), schools=schools)
        staff = history._users(Role.VENUE_STAFF, len(venues), venues=venues)
        managers = history._managers(venues)
        for venue, gate in zip(venues, staff):
            weight = FLAGSHIP[1] if venue.name_zh == FLAGSHIP[0] else WEIGHTS[venue.venue_type]
            history.sites.append(Site(venue, weight, gate, managers[venue.id]))
        history._programs()
        history._slots()
        return history

    def _schools(self) -> list[School]:
        from app.districts.models import District

        rows, now = [], utcnow()
        for code, name, name_en in db.session.execute(select(District.code, District.name_zh, District.name_en)
                                                      .order_by(District.code)):
            for n in range(1, SCHOOLS_PER_DISTRICT + 1):
                kind = KINDS[(n - 1) % len(KINDS)]
                kindergarten = kind == SchoolKind.KINDERGARTEN
                rows.append({"name_zh": f"{name}第{n}{'幼儿园' if kindergarten else '学校'}（演示）",
                             "name_en": f"{name_en} {'Kindergarten' if kindergarten else 'School'} No. {n} (demo)",
                             "kind": kind, "district_code": code,
                             "address": "", "is_active": True, "created_at": now})
        db.session.execute(sa.insert(School), rows)
        self.created += len(rows)
        return list(db.session.scalars(select(School).where(School.name_zh.like("%（演示）"))))

    def _users(self, role: Role, count: int, *, schools=None, venues=None) -> list[User]:
        # One unusable password for all: these people never log in, they only made the past year.
        password_hash = generate_password_hash(secrets.token_urlsafe(16), method="pbkdf2:sha256:1")
        now, kind = utcnow(), role.value.replace("_", "-")
        rows = [{"email": EMAIL.format(kind=kind, n=n + 1), "password_hash": password_hash,
                 "name": f"演示{role.label}{n + 1}", "phone": "", "role": role, "elder_mode": False,
                 "session_token": secrets.token_urlsafe(24), "failed_logins": 0, "is_disabled": False,
                 "consent_at": now, "created_at": now,
                 "school_id": schools[n].id if schools else None, "venue_id": venues[n].id if venues else None,
                 "verified_at": now if role == Role.TEACHER else None} for n in range(count)]
        db.session.execute(sa.insert(User), rows)
        self.created += len(rows)
        return list(db.session.scalars(select(User).where(User.email.like(f"history-{kind}-%"))
                                       .order_by(User.email)))

    def _managers(self, venues: list[Venue]) -> dict[int, User]:
        found = {u.venue_id: u for u in db.session.scalars(select(User).where(
            User.role == Role.VENUE_MANAGER, User.venue_id.in_([v.id for v in venues])))}
        missing = [v for v in venues if v.id not in found]
        if missing:
            for user in self._users(Role.VENUE_MANAGER, len(missing), venues=missing):
                found[user.venue_id] = user
        return found

    def _programs(self) -> None:
        for index, site in enumerate(self.sites):
            if index % 3 == 2:  # two venues in three hold themed events
                continue
            for key, title_zh, title_en in THEMED:
                program = Program(venue_id=site.venue.id, kind=ProgramKind.THEMED_ACTIVITY, title_zh=title_zh,
                                  title_en=title_en, themed_day_key=key)
                db.session.add(program)
                db.session.flush()
                site.events[key] = program.id
                self.created += 1

    def _slots(self) -> None:
        themed = {key: [themed_range(key, y) for y in range(self.first.year, self.last.year + 1)]
                  for key, _, _ in THEMED}
        rows, now = [], utcnow()
        for site in self.sites:
            rules, venue = rules_for(site.venue), site.venue
            public = max(20, int(25 * site.weight))
            school = max(100, int(60 * site.weight))
            day = self.first
            while day <= self.last:
                if day.isoweekday() not in venue.closed_weekday_set:
                    rows.append(self._slot(rules, venue, day, time(9), time(16, 30), Audience.PUBLIC, public, now))
                    if in_term(day):
                        rows.append(self._slot(rules, venue, day, time(9, 30), time(11, 30), Audience.SCHOOL,
                                               school, now))
                    for key, program_id in site.events.items():
                        if any(a <= day <= b for a, b in themed[key]) and day.weekday() >= 4:
                            rows.append(self._slot(rules, venue, day, time(14), time(16), Audience.MIXED,
                                                   public, now, program_id=program_id))
                day += timedelta(days=1)
        for start in range(0, len(rows), 2000):
            db.session.execute(sa.insert(Slot), rows[start:start + 2000])
        self.created += len(rows)

    @staticmethod
    def _slot(rules, venue, day, start, end, audience, capacity, now, program_id=None) -> dict:
        starts_at = from_local(datetime.combine(day, start))
        return {"venue_id": venue.id, "program_id": program_id, "starts_at": starts_at,
                "ends_at": from_local(datetime.combine(day, end)), "local_date": day, "audience": audience,
                "admission": venue.admission, "capacity": capacity, "taken": 0, "partner_taken": 0,
                "status": SlotStatus.OPEN, "note_zh": "", "note_en": "", "created_at": now,
                **slot_booking_defaults(rules, audience, capacity, starts_at)}

    # -- the days: bookings, check-ins, walk-ins, no-shows, through the services

    def load_days(self, first: date, last: date) -> None:
        day = first
        while day <= last:
            self._day(day)
            day += timedelta(days=1)
        db.session.flush()

    def _family_factor(self, day: date, themed: bool) -> float:
        factor = MONTH_FACTOR[day.month]
        if day.weekday() >= 5 or is_holiday(day):
            factor *= 2.4
        return factor * (1.8 if themed else 1.0)

    def _day(self, day: date) -> None:
        slots = list(db.session.scalars(select(Slot).where(Slot.local_date == day, Slot.status == SlotStatus.OPEN,
                                                           Slot.venue_id.in_([s.venue.id for s in self.sites]))
                                        .order_by(Slot.venue_id, Slot.starts_at)))
        by_venue: dict[int, list[Slot]] = {}
        for slot in slots:
            by_venue.setdefault(slot.venue_id, []).append(slot)
        admitted = []
        for site in self.sites:
            venue_slots = by_venue.get(site.venue.id, [])
            themed = any(s.program_id for s in venue_slots) or (day.month == 9 and day.weekday() >= 5)
            for slot in venue_slots:
                if slot.audience == Audience.SCHOOL:
                    admitted += self._classes(site, slot, themed)
                else:
                    admitted += self._families(site, slot, self._family_factor(day, themed)
                                               * (1.5 if slot.program_id else 1.0))
            if venue_slots:
                self._walk_ins(site, day, self._family_factor(day, themed))
        for site, slot, booking, headcount in admitted:
            self._check_in(site, slot, booking, headcount)
        checkin.mark_no_shows(day, now=from_local(datetime.combine(day + timedelta(days=1), time(1))))

    def _poisson(self, mean: float) -> int:
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self.random.random()
            if p <= limit:
                return k
            k += 1

    def _attempt(self, action, *args, savepoint: bool = True, **kwargs):
        """One service call; a refusal (full, blocked, duplicate) changes nothing. Services that refuse
        before writing, or keep their own savepoint (check-in, walk-in), need none here."""
        try:
            if not savepoint:
                return action(*args, **kwargs)
            with db.session.begin_nested():
                return action(*args, **kwargs)
        except DomainError:
            return None

    def _families(self, site: Site, slot: Slot, factor: float) -> list:
        admitted = []
        rng = self.random
        for _ in range(self._poisson(0.06 * site.weight * factor)):
            party = rng.choices((1, 2, 3, 4, 5), weights=(15, 35, 30, 15, 5))[0]
            children = rng.randint(0, party - 1) if party > 1 and rng.random() < 0.7 else 0
            booked_at = slot.starts_at - timedelta(hours=rng.uniform(1, 24 * 6.5))
            booking = self._attempt(bookings.book_individual_visit, rng.choice(self.citizens), slot,
                                    party_size=party, children=children, guardian_confirmed=children > 0,
                                    now=booked_at)
            if booking is None or booking.status != BookingStatus.CONFIRMED:
                continue
            fate = rng.random()
            if fate < 0.05 and booked_at < slot.starts_at - timedelta(hours=30):
                self._attempt(bookings.cancel_booking, booking.user, booking,
                              now=booked_at + (slot.starts_at - timedelta(hours=26) - booked_at) * rng.random())
            elif fate < 0.13:
                continue  # does not come: marked no-show at the day's close
            else:
                fewer = party > 1 and rng.random() < 0.1
                admitted.append((site, slot, booking, Headcount(persons=party - 1) if fewer else None))
        return admitted

    def _classes(self, site: Site, slot: Slot, themed: bool) -> list:
        rng, admitted = self.random, []
        chance = min(0.9, 0.07 * site.weight * (1.6 if themed else 1.0))
        for _ in range(2):
            if rng.random() >= chance:
                break
            teacher = rng.choice(self.teachers)
            low, high = GRADES[teacher.school.kind]
            grade = rng.randint(low, high)
            students = rng.randint(15, 28) if grade == 0 else rng.randint(28, 45)
            adults = math.ceil(students / (10 if grade == 0 else 20)) + rng.randint(0, 1)
            booked_at = slot.starts_at - timedelta(days=rng.uniform(4, 25))
            class_name = f"{grade}年级{rng.randint(1, 8)}班" if grade else f"大班{rng.randint(1, 4)}"
            booking = self._attempt(bookings.book_class_visit, teacher, slot, students=students, adults=adults,
                                    grade=grade, class_name=class_name, now=booked_at)
            if booking is None:
                continue
            decided = self._attempt(bookings.approve_booking, site.manager, booking, savepoint=False,
                                    now=booked_at + timedelta(hours=rng.uniform(2, 48)))
            if decided is None or rng.random() < 0.03:
                continue  # a class that did not come
            fewer = rng.random() < 0.2
            headcount = Headcount(students=students - rng.randint(1, 3), adults=adults) if fewer else None
            admitted.append((site, slot, booking, headcount))
        return admitted

    def _walk_ins(self, site: Site, day: date, factor: float) -> None:
        rng = self.random
        for _ in range(self._poisson(0.12 * site.weight * factor)):
            when = from_local(datetime.combine(day, time(9)) + timedelta(minutes=rng.randint(0, 420)))
            group = rng.choices(("youth", "adult", "senior"), weights=(30, 50, 20))[0]
            self._attempt(walkins.record_walk_in, site.staff, site.venue, persons=rng.choices(
                (1, 2, 3, 4), weights=(25, 40, 25, 10))[0], audience_group=group, now=when, savepoint=False)

    def _check_in(self, site: Site, slot: Slot, booking, headcount) -> None:
        when = slot.starts_at + timedelta(minutes=self.random.randint(-25, 60))
        self._attempt(checkin.record_check_in, site.staff, booking.reference, headcount=headcount,
                      gate="东门", now=min(when, slot.ends_at), savepoint=False)

    # -- closing: no emails about the past, and the statistics

    def finish(self) -> int:
        from app.stats.rebuild import rebuild_all

        people = select(User.id).where(User.email.like("history-%@demo.scivisit.local"))
        # The bookings' notices were queued as they would be, to the bookers and to the venues' managers;
        # nobody should get mail about last year.
        their_bookings = select(Booking.id).where(Booking.user_id.in_(people))
        db.session.execute(sa.delete(OutboxMessage).where(
            sa.or_(OutboxMessage.user_id.in_(people), OutboxMessage.booking_id.in_(their_bookings))))
        rebuild_all()
        return self.created
