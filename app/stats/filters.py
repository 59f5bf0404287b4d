"""Reading the statistics filters from a query string: one place for every stats URL (pages,
data links, the API), so bad input gets the same clear 400 everywhere and no query is ever
unbounded.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.errors import DomainError
from app.core.time import local_today
from app.districts.models import District
from app.extensions import db
from app.venues.models import OperatorKind, Venue, VenueType
from app.venues.services import ever_registered
from app.venues.themes import stored_theme

MAX_YEARS = 5  # a period is at most five calendar years (``within_max_years``)
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
MAX_ID = 2**31 - 1
THEME_MAX = 80
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
FILTER_NAMES = ("from", "to", "district", "venue", "type", "operator", "theme")
# Accepted anywhere (interface language and mode, see app.core.prefs); everything else is refused
# by the API so that a misspelt filter is not silently ignored.
NEUTRAL_NAMES = ("lang", "mode")


def invalid(field: str, message) -> DomainError:
    return DomainError("invalid_parameter", message, field=field, status=400)


@dataclass(frozen=True)
class StatsFilters:
    first: date
    last: date
    district: str | None = None
    venue_id: int | None = None
    venue_type: VenueType | None = None
    operator_kind: OperatorKind | None = None
    theme: str | None = None

    @property
    def through(self) -> date:
        """The last day with figures: nothing is counted after today. Before ``first`` when the period
        has not started: the queries then count an empty range; what is shown says ``counted_through``."""
        return min(self.last, local_today())

    @property
    def counted_through(self) -> date | None:
        """The last day counted, as pages and the API state it: None for a period that starts after
        today (nothing in it can have been counted), never a day before the period's start."""
        through = self.through
        return through if through >= self.first else None

    @property
    def is_default_period(self) -> bool:
        today = local_today()
        return self.first == date(today.year, 1, 1) and self.last == today

    def args(self) -> dict[str, str]:
        """The filters as query arguments (for data links and the API)."""
        pairs = {"from": self.first.isoformat(), "to": self.last.isoformat(), "district": self.district,
                 "venue": str(self.venue_id) if self.venue_id else None,
                 "type": self.venue_type.value if self.venue_type else None,
                 "operator": self.operator_kind.value if self.operator_kind else None, "theme": self.theme}
        return {k: v for k, v in pairs.items() if v}

    def with_period(self, first: date, last: date) -> "StatsFilters":
        return replace(self, first=first, last=last)


def year_filters(year: int, **kw) -> StatsFilters:
    return StatsFilters(first=date(year, 1, 1), last=date(year, 12, 31), **kw)


def _date(args, name: str) -> date | None:
    # NFKC, as the app's forms read dates: a Chinese input method types ２０２６－０１－０１ in full width.
    value = unicodedata.normalize("NFKC", _single(args, name))
    if not value:
        return None
    if not _DATE.match(value):
        raise invalid(name, _l("Give the date as YYYY-MM-DD."))
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise invalid(name, _l("%(value)s is not a date.", value=value[:10])) from None
    if not EARLIEST <= day <= LATEST:
        raise invalid(name, _l("Give a date between 2000 and 2100."))
    return day


def _single(args, name: str) -> str:
    values = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]
    values = [v for v in values if v is not None]
    if len(values) > 1:
        raise invalid(name, _l("Give %(name)s only once.", name=name))
    value = (values[0] if values else "") or ""
    if len(value) > 100 or any(ord(ch) < 32 for ch in value):
        raise invalid(name, _l("This value is not valid."))
    return value.strip()


def _choice(args, name: str, enum_cls):
    value = _single(args, name)
    if not value:
        return None
    try:
        return enum_cls(value)
    except ValueError:
        raise invalid(name, _l("Unknown value %(value)s.", value=value[:40])) from None


def period(args, today: date | None = None) -> tuple[date, date]:
    """(first, last) from ``from``/``to``; this year so far by default."""
    today = today or local_today()
    first, last = _date(args, "from"), _date(args, "to")
    if first is None and last is None:
        return date(today.year, 1, 1), today
    if first is None:
        first = date(last.year, 1, 1)
    if last is None:
        last = date(first.year, 12, 31)
    if last < first:
        raise invalid("to", _l("The end of the period is before its start."))
    if not within_max_years(first, last):
        raise invalid("to", _l("Choose a period of at most five years."))
    return first, last


def within_max_years(first: date, last: date) -> bool:
    """Whether ``first``..``last`` is at most ``MAX_YEARS`` long: its last day is before the same date
    ``MAX_YEARS`` later (for 29 February, 1 March of a common year), whatever leap days lie between."""
    try:
        after = first.replace(year=first.year + MAX_YEARS)
    except ValueError:  # 29 February, and the year MAX_YEARS later is common
        after = date(first.year + MAX_YEARS, 3, 1)
    return last < after


def parse_filters(args, *, strict: bool = False) -> StatsFilters:
    """The filters in ``args`` (a MultiDict), or ``DomainError('invalid_parameter', field=...)``.

    ``strict`` (the API) also refuses parameters it does not know.
    """
    if strict:
        for name in args.keys():
            if name not in FILTER_NAMES and name not in NEUTRAL_NAMES:
                raise invalid(name[:40], _l("Unknown parameter %(name)s.", name=name[:40]))
    first, last = period(args)
    district = _single(args, "district") or None
    if district is not None and (len(district) > 8 or db.session.get(District, district) is None):
        raise invalid("district", _l("Unknown district %(code)s.", code=district[:20]))
    venue_id = None
    raw_venue = _single(args, "venue")
    if raw_venue:
        if not (raw_venue.isascii() and raw_venue.isdigit()) or not 0 < int(raw_venue) <= MAX_ID:
            raise invalid("venue", _l("The venue is given by its number: a whole number from 1."))
        venue_id = int(raw_venue)
        # Only a venue that has been on the register has public figures: a draft or an application
        # is as unknown here as on /venues/<id>, its name never shown.
        if db.session.scalar(select(Venue.id).where(Venue.id == venue_id, ever_registered())) is None:
            raise invalid("venue", _l("Unknown venue %(id)s.", id=venue_id))
    theme = _single(args, "theme") or None
    if theme is not None and len(theme) > THEME_MAX:
        raise invalid("theme", _l("The theme is too long."))
    if theme is not None:
        # "天文" and "Astronomy" are the stored "astronomy"; a theme no venue has is a mistake, not zero visits.
        known = stored_theme(theme)
        if known is None:
            raise invalid("theme", _l("There is no such theme."))
        theme = known
    return StatsFilters(first=first, last=last, district=district, venue_id=venue_id,
                        venue_type=_choice(args, "type", VenueType),
                        operator_kind=_choice(args, "operator", OperatorKind), theme=theme)


def parse_year(value, *, field: str = "year") -> int:
    """A report or evaluation year: 2000–2100."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4) or not 2000 <= int(text) <= 2100:
        raise invalid(field, _l("Give a year such as 2026."))
    return int(text)


def school_year_start(today: date) -> date:
    """The school year starts on 1 September."""
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)
