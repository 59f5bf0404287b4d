"""Loading the demo: the real Nanjing venues, demo schools and the demo accounts of PRODUCT.md.

The demo is a list of ``Step``s run in order. A step names its units of work up front (so the
command can show progress) and loads one unit at a time, idempotently: a unit that is already
there is left as it is. Later features add steps (slots, bookings, a year of check-ins) by
appending to ``steps()``. Nothing here commits; the command commits once at the end.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Sequence

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.accounts.services import create_user, user_by_email
from app.bookings.models import Partnership
from app.bookings.partnerships import add_partnership, school_year_of
from app.core.time import local_today
from app.demo import history, upcoming
from app.districts.models import District
from app.events.themed_days import load_themed_day, read_themed_days
from app.extensions import db
from app.schools.models import School, SchoolKind
from app.schools.services import create_school
from app.venues.models import (Accreditation, AccreditationLevel, OperatorKind, Venue, VenueStatus,
                               VenueStatusChange, VenueTheme, VenueType)

DATA_DIR = Path(__file__).resolve().parent / "data"
VENUES_CSV = DATA_DIR / "nanjing_venues.csv"
DEMO_PASSWORD = "scivisit-demo"
ACCREDITATION_YEARS = 5  # demo certificates run five calendar years
APPROVAL_REASON = "演示数据：依据公开资料录入并批准"


class SeedError(Exception):
    """The demo data cannot be loaded as it stands (a bad row, a missing district)."""


@dataclass
class SeedRun:
    """What one run of the demo has done so far."""

    created: int = 0
    _district_codes: dict[str, str] = field(default_factory=dict)

    def add(self, *rows) -> None:
        db.session.add_all(rows)
        self.created += len(rows)

    def district_code(self, name_zh: str) -> str:
        if not self._district_codes:
            self._district_codes = dict(db.session.execute(select(District.name_zh, District.code)).all())
        try:
            return self._district_codes[name_zh]
        except KeyError:
            raise SeedError(f"unknown district {name_zh!r}") from None


@dataclass(frozen=True)
class Step:
    name: str
    units: Callable[[], Sequence[Any]]
    load: Callable[[SeedRun, Any], None]


# --- accounts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: Role
    venue_name: str | None = None
    school_name: str | None = None
    district_code: str | None = None
    verified_by: str | None = None  # email of the admin who vouches for a teacher


SCIENCE_MUSEUM = "南京科技馆"
DEMO_PRIMARY = ("320102", "南京市玄武区示范小学（演示）")

ADMIN_ACCOUNTS = (
    DemoAccount("admin@scivisit.local", "市科协管理员（演示）", Role.CITY_ADMIN),
    DemoAccount("district@scivisit.local", "玄武区科协管理员（演示）", Role.DISTRICT_ADMIN,
                district_code="320102"),
)
PEOPLE_ACCOUNTS = (
    DemoAccount("manager@scivisit.local", "南京科技馆管理员（演示）", Role.VENUE_MANAGER,
                venue_name=SCIENCE_MUSEUM),
    DemoAccount("staff@scivisit.local", "南京科技馆检票员（演示）", Role.VENUE_STAFF, venue_name=SCIENCE_MUSEUM),
    DemoAccount("teacher@scivisit.local", "李老师（演示）", Role.TEACHER, school_name=DEMO_PRIMARY[1],
                district_code=DEMO_PRIMARY[0], verified_by="district@scivisit.local"),
    DemoAccount("citizen@scivisit.local", "王市民（演示）", Role.CITIZEN),
)
DEMO_ACCOUNTS = ADMIN_ACCOUNTS + PEOPLE_ACCOUNTS


def load_account(run: SeedRun, spec: DemoAccount) -> None:
    if user_by_email(spec.email) is not None:
        return
    venue = school = None
    if spec.venue_name:
        venue = _venue_named(spec.venue_name)
    if spec.school_name:
        school = db.session.scalar(select(School).where(School.district_code == spec.district_code,
                                                        School.name_zh == spec.school_name))
        if school is None:
            raise SeedError(f"demo school {spec.school_name!r} is missing")
    verified_by = user_by_email(spec.verified_by) if spec.verified_by else None
    create_user(email=spec.email, password=DEMO_PASSWORD, name=spec.name, role=spec.role,
                venue=venue, school=school,
                district_code=spec.district_code if spec.role == Role.DISTRICT_ADMIN else None,
                verified_by=verified_by, consent=True)
    run.created += 1


def _venue_named(name_zh: str) -> Venue:
    venue = db.session.scalar(select(Venue).where(Venue.name_zh == name_zh))
    if venue is None:
        raise SeedError(f"demo venue {name_zh!r} is missing")
    return venue


def _city_admin() -> User | None:
    return user_by_email(ADMIN_ACCOUNTS[0].email)


# --- venues -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class NoteFacts:
    """What the free-text ``note`` column of the venues file says, taken apart."""

    address: str = ""
    closed_weekdays: str = ""
    accreditation_year: int | None = None
    remarks: str = ""


WEEKDAYS = {"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
            "sunday": 7}
# A Chinese street address: a road, street or lane name followed by a house number (珠江路700号).
STREET_ADDRESS = re.compile(r"^[\u4e00-\u9fff]{1,20}(?:大道|路|街|巷|道)\d+(?:-\d+)?号$")
CLOSED = re.compile(r"^closed\s+(.+)$", re.IGNORECASE)
BASE_YEAR = re.compile(r"^(?:city|provincial|national|study)\s+base\s+(\d{4})$", re.IGNORECASE)


def parse_note(note: str) -> NoteFacts:
    address, closed, year, remarks = "", "", None, []
    for part in (p.strip() for p in (note or "").split(";")):
        if not part:
            continue
        if not address and STREET_ADDRESS.match(part):
            address = part
        elif match := CLOSED.match(part):
            days = sorted({WEEKDAYS[w] for w in re.findall(r"[a-z]+", match.group(1).lower()) if w in WEEKDAYS})
            closed = ",".join(str(d) for d in days)
        elif match := BASE_YEAR.match(part):
            year = int(match.group(1))
        else:
            remarks.append(part)
    return NoteFacts(address=address, closed_weekdays=closed, accreditation_year=year,
                     remarks="; ".join(remarks))


# The words of the data's notes naming a fact that could not be confirmed ("district uncertain",
# "name and campus uncertain"), and the key of UNVERIFIED_FACTS each names.
UNCERTAIN_FACT_WORDS = {"district": "district", "type": "venue_type", "operator": "operator", "name": "name",
                        "campus": "campus", "existence": "existence"}


def unverified_facts(remarks: str) -> str:
    """What an uncertain row could not confirm, as ``Venue.unverified_note`` keeps it ("district;
    operator"): the facts its note calls uncertain or unverified; else, as the data's README says of
    such rows, its district or its type. The note's other remarks ("opened 2025") are not about it."""
    keys: list[str] = []
    for part in remarks.split(";"):
        if re.search(r"\b(uncertain|unverified)\b", part):
            named = sorted((found.start(), key) for word, key in UNCERTAIN_FACT_WORDS.items()
                           if (found := re.search(rf"\b{word}\b", part)))  # in the note's order
            keys += [key for _, key in named if key not in keys]
    return "; ".join(keys) or "district_or_type"


def venue_rows() -> list[dict[str, str]]:
    with VENUES_CSV.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, start=1):
        row["_number"] = number
    return rows


def load_venue(run: SeedRun, row: dict) -> None:
    name_zh = row["name_zh"].strip()
    if db.session.scalar(select(Venue.id).where(Venue.name_zh == name_zh)) is not None:
        return
    # The note's remarks are the data collector's, in English ("about 10k visitors a day is its
    # comfortable load"): never a description; of an uncertain row, they say what is unverified.
    facts = parse_note(row.get("note", ""))
    uncertain = row.get("verified", "").strip().lower() != "yes"
    try:
        venue = Venue(
            name_zh=name_zh, name_en=row["name_en"].strip(),
            venue_type=VenueType(row["venue_type"].strip()),
            operator_kind=OperatorKind(row["operator_kind"].strip()),
            district_code=run.district_code(row["district"].strip()),
            address_zh=facts.address, closed_weekdays=facts.closed_weekdays,
            unverified_note=unverified_facts(facts.remarks) if uncertain else "",
            status=VenueStatus.APPROVED,
        )
    except ValueError as exc:
        raise SeedError(f"venues file, row {row['_number']}: {exc}") from None
    themes = [VenueTheme(name=t.strip()) for t in row.get("theme", "").split(";") if t.strip()]
    approver = _city_admin()
    approval = VenueStatusChange(from_status=VenueStatus.SUBMITTED, to_status=VenueStatus.APPROVED,
                                 actor_id=approver.id if approver else None, reason=APPROVAL_REASON)
    venue.themes, venue.status_changes = themes, [approval]
    run.add(venue)
    run.created += len(themes) + 1
    level = row.get("accreditation", "").strip()
    if level:
        venue.accreditations = [_demo_accreditation(level, row["_number"], facts.accreditation_year, approver)]
        run.created += 1


def _demo_accreditation(level: str, number: int, year: int | None, recorder: User | None) -> Accreditation:
    try:
        level = AccreditationLevel(level)
    except ValueError:
        raise SeedError(f"venues file, row {number}: unknown accreditation {level!r}") from None
    # The real certificates are not public: the number says DEMO, the period is typical.
    start = date(year or local_today().year - 1, 1, 1)
    return Accreditation(level=level, certificate_no=f"DEMO-{level.value}-{number:03d}", valid_from=start,
                         valid_to=date(start.year + ACCREDITATION_YEARS - 1, 12, 31),
                         recorded_by_id=recorder.id if recorder else None)


# --- schools ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoSchool:
    district_code: str
    name_zh: str
    name_en: str
    kind: SchoolKind


DEMO_SCHOOLS = (
    DemoSchool(*DEMO_PRIMARY, "Xuanwu Model Primary School (demo)", SchoolKind.PRIMARY),
    DemoSchool("320102", "南京市玄武区示范幼儿园（演示）", "Xuanwu Model Kindergarten (demo)", SchoolKind.KINDERGARTEN),
    DemoSchool("320104", "南京市秦淮区示范高级中学（演示）", "Qinhuai Model Senior High School (demo)",
               SchoolKind.SENIOR),
    DemoSchool("320105", "南京市建邺区示范九年制学校（演示）", "Jianye Model Nine-Year School (demo)",
               SchoolKind.NINE_YEAR),
    DemoSchool("320106", "南京市鼓楼区示范小学（演示）", "Gulou Model Primary School (demo)", SchoolKind.PRIMARY),
    DemoSchool("320106", "南京市鼓楼区示范初级中学（演示）", "Gulou Model Junior High School (demo)",
               SchoolKind.JUNIOR),
    DemoSchool("320111", "南京市浦口区示范小学（演示）", "Pukou Model Primary School (demo)", SchoolKind.PRIMARY),
    DemoSchool("320113", "南京市栖霞区示范职业学校（演示）", "Qixia Model Vocational School (demo)",
               SchoolKind.VOCATIONAL),
    DemoSchool("320114", "南京市雨花台区示范小学（演示）", "Yuhuatai Model Primary School (demo)",
               SchoolKind.PRIMARY),
    DemoSchool("320115", "南京市江宁区示范初级中学（演示）", "Jiangning Model Junior High School (demo)",
               SchoolKind.JUNIOR),
)


def load_school(run: SeedRun, spec: DemoSchool) -> None:
    exists = db.session.scalar(select(School.id).where(School.district_code == spec.district_code,
                                                       School.name_zh == spec.name_zh))
    if exists is not None:
        return
    admin = _city_admin()
    if admin is None:
        raise SeedError("the demo city admin is missing")
    create_school(admin, name_zh=spec.name_zh, name_en=spec.name_en, kind=spec.kind.value,
                  district_code=spec.district_code)
    run.created += 1


# --- cooperation agreements (馆校合作) ----------------------------------------------------------

# The science museum's partner schools for this school year. Not the demo teacher's school: the
# demo teacher books as any school does, and the manager's partner list and the annual report's
# cooperation figures have something to show.
DEMO_PARTNER_SCHOOLS = (("320106", "南京市鼓楼区示范小学（演示）"), ("320105", "南京市建邺区示范九年制学校（演示）"))


def load_partnership(run: SeedRun, school_key: tuple[str, str]) -> None:
    venue = _venue_named(SCIENCE_MUSEUM)
    school = db.session.scalar(select(School).where(School.district_code == school_key[0],
                                                    School.name_zh == school_key[1]))
    if school is None:
        raise SeedError(f"demo school {school_key[1]!r} is missing")
    today = local_today()
    valid_from, valid_to = school_year_of(today)
    if db.session.scalar(select(Partnership.id).where(Partnership.venue_id == venue.id,
                                                      Partnership.school_id == school.id,
                                                      Partnership.valid_to >= today)) is not None:
        return
    manager = user_by_email("manager@scivisit.local")  # the museum's, from PEOPLE_ACCOUNTS
    add_partnership(manager, venue, school, valid_from=valid_from,
                    valid_to=valid_to, note="演示协议 / demo agreement", today=today)
    run.created += 1


# --- the whole demo ---------------------------------------------------------------------------

def steps() -> list[Step]:
    """The demo's steps in the order they must run (each may use what earlier ones loaded)."""
    return [
        Step("administrators", lambda: ADMIN_ACCOUNTS, load_account),
        Step("venues", venue_rows, load_venue),
        Step("schools", lambda: DEMO_SCHOOLS, load_school),
        Step("accounts", lambda: PEOPLE_ACCOUNTS, load_account),
        Step("cooperation agreements", lambda: DEMO_PARTNER_SCHOOLS, load_partnership),
        Step("themed days", read_themed_days, lambda run, row: load_themed_day(row)),
        Step("next 30 days of slots", lambda: [row["name_zh"].strip() for row in venue_rows()],
             lambda run, name: upcoming.publish_month(run, name, demo_password=DEMO_PASSWORD)),
        Step("themed events", upcoming.themed_event_units,
             lambda run, event: upcoming.announce_event(run, event, demo_password=DEMO_PASSWORD)),
        Step("past year of visits", history.units, history.load),
    ]


def plan() -> list[tuple[Step, Any]]:
    """Every unit of work of every step, in order: what the progress bar counts."""
    return [(step, unit) for step in steps() for unit in step.units()]


def has_venues() -> bool:
    return db.session.scalar(select(Venue.id).limit(1)) is not None


def summary(run: SeedRun) -> str:
    venue_names = [row["name_zh"].strip() for row in venue_rows()]
    venues = db.session.scalar(select(func.count(Venue.id)).where(Venue.name_zh.in_(venue_names)))
    schools = sum(
        1 for s in DEMO_SCHOOLS
        if db.session.scalar(select(School.id).where(School.district_code == s.district_code,
                                                     School.name_zh == s.name_zh)) is not None
    )
    accounts = db.session.scalar(
        select(func.count(User.id)).where(User.email.in_([a.email for a in DEMO_ACCOUNTS]))
    )
    return _("Demo ready: %(venues)s, %(schools)s, %(accounts)s (created %(rows)s).",
             venues=ngettext("%(num)d venue", "%(num)d venues", venues),
             schools=ngettext("%(num)d school", "%(num)d schools", schools),
             accounts=ngettext("%(num)d account", "%(num)d accounts", accounts),
             rows=ngettext("%(num)d row", "%(num)d rows", run.created))
