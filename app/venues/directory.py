"""The public directory: which approved venues match a search. Shared by the page and the API."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from app.bookings.rules import Viewer
from app.core.errors import DomainError
from app.core.pagination import Page, paginate
from app.core.text import search_text
from app.core.time import to_local, utcnow
from app.districts.models import District
from app.extensions import db
from app.scheduling.availability import still_open
from app.scheduling.models import Slot
from app.venues.models import (AccreditationLevel, Admission, Venue, VenueStatus, VenueTheme, VenueType,
                               accredited_on)
from app.venues.themes import canonical_theme, stored_theme

MAX_QUERY_LENGTH = 100
MAX_PAGE = 10_000  # far beyond any real directory; keeps OFFSET inside every database's integer range
# The values the API documents (the page's checkbox sends 1); anything else is said to be wrong.
TRUE_WORDS = {"1", "true"}
FALSE_WORDS = {"0", "false", ""}
# How far ahead the day filter looks: beyond every booking window a venue sets in practice
# (classes 30 days, partner schools a week more), short of the two years slots may be published.
OPEN_ON_DAYS_AHEAD = 90
# The accreditation filter's value for a venue holding any current accreditation (else a level's value).
ANY_ACCREDITATION = "any"
# A day as typed where a browser has no date picker: 2026-12-05, 2026/12/5, 2026.12.5, 2026年12月5日.
_DAY = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?")


@dataclass
class DirectoryFilters:
    """A directory search. Query parameters: q, district, type, theme, grade, free, accreditation, open_on,
    page, per_page.

    ``q`` holds the words as typed (``search_text``: full width folded, invisible characters dropped),
    all of which a venue must match (a venue's names, addresses, themes or district). ``open_on`` keeps
    the venues with places left that day for whoever is looking.
    ``accreditation`` (``ANY_ACCREDITATION`` or an ``AccreditationLevel`` value) keeps the education
    bases: venues with such an accreditation current today (Nanjing's date).
    """

    q: str = ""
    district: str | None = None
    venue_type: VenueType | None = None
    theme: str = ""
    grade: int | None = None
    free_only: bool = False
    accreditation: str = ""
    open_on: date | None = None
    open_on_text: str = ""  # as typed, given back to correct when it could not be read
    page: int = 1
    per_page: int = 20

    def is_empty(self) -> bool:
        return not (self.q or self.district or self.venue_type or self.theme
                    or self.grade is not None or self.free_only or self.accreditation or self.open_on_text)

    @property
    def accreditation_level(self) -> AccreditationLevel | None:
        """The level the accreditation filter asks for; None for any level (or no filter)."""
        return None if self.accreditation in ("", ANY_ACCREDITATION) else AccreditationLevel(self.accreditation)


def _text(value: str) -> str:
    # NUL is refused by PostgreSQL text; collapse runs of spaces.
    return " ".join((value or "").replace("\x00", "").split())


def _whole(value: str) -> int | None:
    # ASCII digits only: str.isdigit() accepts "²", which int() refuses.
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else None


def _problem(field: str, message) -> DomainError:
    return DomainError("invalid_parameter", message, field=field)


def parse_day(text: str) -> date | None:
    """A day as typed (``_DAY``; full-width digits too), or None when it is not one."""
    match = _DAY.fullmatch(unicodedata.normalize("NFKC", text))
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:  # 2026-02-30
        return None


def quick_days(today: date) -> list[tuple[str, date]]:
    """The day filter's quick choices: today, tomorrow, and the coming Saturday and Sunday when they
    are neither (on a Saturday, that weekend is today and tomorrow; on a Sunday, the Saturday is
    next week's: ``next_saturday``)."""
    days = {"today": today, "tomorrow": today + timedelta(days=1),
            "next_saturday" if today.weekday() == 6 else "saturday": today + timedelta(days=(5 - today.weekday()) % 7),
            "sunday": today + timedelta(days=(6 - today.weekday()) % 7)}
    chosen: list[tuple[str, date]] = []
    for name, day in days.items():
        if all(day != seen for _, seen in chosen):
            chosen.append((name, day))
    return chosen


def _open_on(text: str, today: date) -> tuple[date | None, DomainError | None]:
    if len(text) > 20 or (day := parse_day(text)) is None:
        return None, _problem("open_on", _l("Enter a date as year-month-day, for example %(example)s.",
                                            example=(today + timedelta(days=1)).isoformat()))
    if day < today:
        return None, _problem("open_on", _l("That day has passed. Choose today or a later day."))
    if day > today + timedelta(days=OPEN_ON_DAYS_AHEAD):
        return None, _problem("open_on", _l("That day is too far ahead. Choose a day within the next "
                                            "%(n)d days.", n=OPEN_ON_DAYS_AHEAD))
    return day, None


def parse_directory_filters(args: Mapping[str, str], *, per_page: int, max_per_page: int | None = None,
                            today: date | None = None) -> tuple[DirectoryFilters, list[DomainError]]:
    """Read query parameters. A bad value is reported as a problem, and a search with problems is not
    run: the page says what is wrong and keeps the rest of the search; the API refuses the request.
    A keyword too long stays in ``q``, so that the page can give it back to correct.

    ``per_page`` is read from the parameters only when ``max_per_page`` is given (the API); ``open_on``
    only when ``today`` is (the page: from today to ``OPEN_ON_DAYS_AHEAD`` days on).
    """
    filters = DirectoryFilters(per_page=per_page)
    problems: list[DomainError] = []

    typed = _text(args.get("q", ""))
    filters.q = search_text(typed)
    # Counted as typed: NFKC may lengthen it (㍿ is 株式会社), past what the API documents.
    if len(typed) > MAX_QUERY_LENGTH:
        problems.append(_problem("q", _l("The search text can be at most %(n)d characters.", n=MAX_QUERY_LENGTH)))

    district = _text(args.get("district", ""))
    if district:
        if len(district) <= 8 and db.session.get(District, district) is not None:
            filters.district = district
        else:
            problems.append(_problem("district", _l("There is no such district.")))

    venue_type = _text(args.get("type", ""))
    if venue_type:
        try:
            filters.venue_type = VenueType(venue_type)
        except ValueError:
            problems.append(_problem("type", _l("There is no such venue type.")))

    theme = _text(args.get("theme", ""))
    if theme:
        known = stored_theme(theme) if len(theme) <= 80 else None
        if known is None:
            problems.append(_problem("theme", _l("There is no such theme.")))
        else:
            filters.theme = known

    grade = _text(args.get("grade", ""))
    if grade:
        number = _whole(grade)
        if number is not None and number <= 12:
            filters.grade = number
        else:
            problems.append(_problem("grade", _l("The grade must be 0 (kindergarten) to 12.")))

    free = _text(args.get("free", "")).lower()
    if free in TRUE_WORDS:
        filters.free_only = True
    elif free not in FALSE_WORDS:
        problems.append(_problem("free", _l("The free-admission filter takes 1 or 0.")))

    accreditation = _text(args.get("accreditation", "")).lower()
    if accreditation == ANY_ACCREDITATION or accreditation in {level.value for level in AccreditationLevel}:
        filters.accreditation = accreditation
    elif accreditation:
        problems.append(_problem("accreditation", _l("There is no such kind of education base.")))

    if today is not None:
        filters.open_on_text = _text(args.get("open_on", ""))[:40]
        if filters.open_on_text:
            filters.open_on, problem = _open_on(filters.open_on_text, today)
            if problem is not None:
                problems.append(problem)
            else:
                filters.open_on_text = filters.open_on.isoformat()

    page = _text(args.get("page", ""))
    if page:
        number = _whole(page)
        if number is not None and 1 <= number <= MAX_PAGE:
            filters.page = number
        else:
            problems.append(_problem("page", _l("The page number must be a whole number from 1 to %(n)d.",
                                                n=MAX_PAGE)))

    if max_per_page is not None:
        size = _text(args.get("per_page", ""))
        if size:
            number = _whole(size)
            if number is not None and 1 <= number <= max_per_page:
                filters.per_page = number
            else:
                problems.append(_problem("per_page", _l("Results per page must be a whole number from 1 to %(n)d.",
                                                        n=max_per_page)))
    return filters, problems


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches_word(word: str):
    """A venue whose names, addresses, themes (as stored or by their Chinese name) or district
    (玄武区, Xuanwu) contain the word. The district is an uncorrelated subquery: the same statement,
    looked up once rather than for each venue."""
    pattern = _like(word)
    theme = VenueTheme.name.ilike(pattern, escape="\\")
    known = canonical_theme(word)
    if known != word:  # "天文" finds the venues of the theme stored as "astronomy"
        theme = or_(theme, VenueTheme.name == known)
    districts = select(District.code).where(or_(District.name_zh.ilike(pattern, escape="\\"),
                                                District.name_en.ilike(pattern, escape="\\")))
    return or_(
        Venue.name_zh.ilike(pattern, escape="\\"), Venue.name_en.ilike(pattern, escape="\\"),
        Venue.address_zh.ilike(pattern, escape="\\"), Venue.address_en.ilike(pattern, escape="\\"),
        Venue.themes.any(theme), Venue.district_code.in_(districts),
    )


matches_word = _matches_word  # the reviewers' registration list searches as the directory does


def _bookable_on(day: date, viewer: Viewer, now: datetime) -> list:
    """A venue's slots of ``day`` its calendar totals for ``viewer``: open, not yet started, of an
    audience they may book (``Viewer.audiences``). ``Viewer.places_sql`` counts no places on those whose
    booking has closed for them (``Viewer.counts``)."""
    return [Slot.local_date == day, *still_open(now), Slot.audience.in_(viewer.audiences())]


def search_directory(filters: DirectoryFilters, *, viewer: Viewer | None = None,
                     now: datetime | None = None) -> Page:
    """Approved venues matching the filters, a page at a time, with what a result card shows loaded.
    Each word of the keyword must match ("科技 馆" finds what "科技馆" finds, and more). With
    ``open_on``, those with places left that day that ``viewer`` (someone looking at ``now``) could
    take, as their calendar counts them."""
    query = select(Venue).where(Venue.status == VenueStatus.APPROVED)
    if filters.open_on is not None:
        viewer, now = viewer or Viewer(None), now or utcnow()
        # Correlated: PostgreSQL probes ix_slots_venue_date once per venue it considers.
        query = query.where(exists().where(Slot.venue_id == Venue.id, *_bookable_on(filters.open_on, viewer, now),
                                           viewer.places_sql(filters.open_on, now) > 0))
    for word in dict.fromkeys(filters.q.split()):
        query = query.where(_matches_word(word))
    if filters.district:
        query = query.where(Venue.district_code == filters.district)
    if filters.venue_type:
        query = query.where(Venue.venue_type == filters.venue_type)
    if filters.theme:
        query = query.where(Venue.themes.any(func.lower(VenueTheme.name) == filters.theme.lower()))
    if filters.grade is not None:
        query = query.where(Venue.grade_min <= filters.grade, Venue.grade_max >= filters.grade)
    if filters.free_only:
        query = query.where(Venue.admission == Admission.FREE)
    if filters.accreditation:
        # Correlated EXISTS, in this one statement: current on Nanjing's date at ``now``.
        today = to_local(now or utcnow()).date()
        query = query.where(accredited_on(today, filters.accreditation_level))
    query = query.options(selectinload(Venue.themes), selectinload(Venue.accreditations),
                          selectinload(Venue.district)).order_by(Venue.name_zh, Venue.id)
    return paginate(query, filters.page, filters.per_page)


def places_on(venues: list[Venue], day: date, viewer: Viewer, now: datetime) -> dict[int, int]:
    """The places left on ``day`` at each of ``venues`` that ``viewer`` could take: the figure their
    calendar shows that day (``places_left_now``), summed in the database, one statement for a page."""
    if not venues:
        return {}
    rows = db.session.execute(
        select(Slot.venue_id, func.sum(viewer.places_sql(day, now)))
        .where(Slot.venue_id.in_([venue.id for venue in venues]), *_bookable_on(day, viewer, now))
        .group_by(Slot.venue_id))
    return {venue_id: int(places or 0) for venue_id, places in rows}


def directory_themes() -> list[str]:
    """Themes of approved venues, for the theme filter."""
    return list(db.session.scalars(
        select(VenueTheme.name).join(Venue).where(Venue.status == VenueStatus.APPROVED)
        .distinct().order_by(VenueTheme.name)))
