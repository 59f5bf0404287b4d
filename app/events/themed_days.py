"""Themed days: loading ``themed_days.csv``, their dates in a given year, and the city admin's edits.

The CSV's ``rule`` is ``MM-DD`` or ``MM-DD..MM-DD`` for a fixed rule (the same days every year), else
the rule in English words; ``rule_zh`` words it in Chinese for every kind;
``known_dates`` lists the announced dates of a moving day as ``YYYY:MM-DD..MM-DD; YYYY:MM-DD``, and
``standing`` the dates a law fixed for every year from one on, as ``YYYY:MM-DD..MM-DD`` (optional).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from app.core.errors import DomainError, Forbidden
from app.events.models import ThemedDay, ThemedDayDates, ThemedDayRule
from app.events.services import can_manage_themed_days
from app.extensions import db

THEMED_DAYS_CSV = Path(__file__).resolve().parent.parent / "demo" / "data" / "themed_days.csv"
_DAY = r"(\d{2})-(\d{2})"
_RANGE = re.compile(rf"^{_DAY}(?:\.\.{_DAY})?$")
_YEARLY = re.compile(rf"^(\d{{4}}):{_DAY}(?:\.\.{_DAY})?$")


class ThemedDaysFileError(ValueError):
    """A line of the themed-days file cannot be read; says which line and why."""

    def __init__(self, line: int, problem) -> None:
        self.line = line
        super().__init__(_("line %(line)d: %(problem)s", line=line, problem=problem))


@dataclass(frozen=True)
class DateRange:
    starts_on: date
    ends_on: date


# --- reading the rules ---------------------------------------------------------------------------

def fixed_range(rule: str, year: int) -> DateRange | None:
    """The dates a fixed rule (``03-22..03-28``, ``05-12``) gives in ``year``; None if it cannot."""
    match = _RANGE.match((rule or "").strip())
    if not match:
        return None
    m1, d1, m2, d2 = match.groups()
    try:
        start = date(year, int(m1), int(d1))
        end = date(year, int(m2 or m1), int(d2 or d1))
        if end < start:  # a range across New Year ("12-28..01-03")
            end = date(year + 1, end.month, end.day)
    except ValueError:  # 02-29 in a common year
        return None
    return DateRange(start, end)


def parse_known_dates(text: str) -> dict[int, DateRange]:
    """``2022:09-15..09-21; 2023:09-17`` as {year: range}. Raises ValueError on a bad entry."""
    known: dict[int, DateRange] = {}
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        match = _YEARLY.match(part)
        if not match:
            raise ValueError(_("cannot read the dates “%(dates)s” (expected YYYY:MM-DD..MM-DD)", dates=part))
        year = int(match.group(1))
        found = fixed_range(part.split(":", 1)[1], year)
        if found is None:
            raise ValueError(_("“%(dates)s” is not a date", dates=part))
        known[year] = found
    return known


def standing_range(standing: str, year: int) -> DateRange | None:
    """The dates a standing rule (``2025:09-01..09-30``: from 2025 on) gives in ``year``; None before
    its first year, or if it cannot."""
    match = _YEARLY.match((standing or "").strip())
    if not match or year < int(match.group(1)):
        return None
    return fixed_range(standing.strip().split(":", 1)[1], year)


def dates_in(themed_day: ThemedDay, year: int) -> DateRange | None:
    """The themed day's dates in ``year``: a stored row first, else what a fixed rule gives, else what
    a standing rule gives from its first year on."""
    for row in themed_day.dates:
        if row.year == year:
            return DateRange(row.starts_on, row.ends_on)
    if themed_day.rule_kind == ThemedDayRule.FIXED:
        return fixed_range(themed_day.rule, year)
    return standing_range(themed_day.standing, year)


# --- loading ---------------------------------------------------------------------------------------

@dataclass
class LoadResult:
    themed_days_added: int = 0
    themed_days_updated: int = 0
    dates_added: int = 0

    @property
    def created(self) -> int:
        return self.themed_days_added + self.dates_added

    def __str__(self) -> str:
        return _(", ").join((
            ngettext("%(num)d themed day added", "%(num)d themed days added", self.themed_days_added),
            ngettext("%(num)d updated", "%(num)d updated", self.themed_days_updated),
            ngettext("%(num)d yearly date added", "%(num)d yearly dates added", self.dates_added)))


def read_themed_days(path: Path | str | None = None) -> list[dict[str, str]]:
    """The rows of the themed-days file, checked; raises ThemedDaysFileError naming the line."""
    rows = []
    with open(path or THEMED_DAYS_CSV, encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            if not row.get("key") or not row.get("name_zh"):
                raise ThemedDaysFileError(line, _("key and name_zh are required"))
            if row.get("rule_kind") not in {r.value for r in ThemedDayRule}:
                raise ThemedDaysFileError(line, _("rule_kind must be fixed or yearly_table"))
            if row["rule_kind"] == ThemedDayRule.FIXED.value and fixed_range(row.get("rule", ""), 2000) is None:
                raise ThemedDaysFileError(line, _("a fixed rule is MM-DD or MM-DD..MM-DD"))
            try:
                parse_known_dates(row.get("known_dates", ""))
            except ValueError as exc:
                raise ThemedDaysFileError(line, exc) from None
            if row.get("standing") and standing_range(row["standing"], 9999) is None:
                raise ThemedDaysFileError(line, _("standing dates are YYYY:MM-DD..MM-DD"))
            rows.append(row)
    return rows


def load_themed_day(row: dict[str, str], result: LoadResult | None = None) -> LoadResult:
    """Add or update one themed day from a file row; add the years it lists that are not stored.

    A year already stored is left as it is: the city admin may have corrected it.
    """
    result = result or LoadResult()
    themed_day = db.session.scalar(select(ThemedDay).where(ThemedDay.key == row["key"]))
    values = dict(name_zh=row["name_zh"], name_en=row.get("name_en", ""),
                  rule_kind=ThemedDayRule(row["rule_kind"]), rule=row.get("rule", ""),
                  rule_zh=row.get("rule_zh", ""), note=row.get("note", ""), note_zh=row.get("note_zh", ""),
                  standing=row.get("standing", ""))
    if themed_day is None:
        themed_day = ThemedDay(key=row["key"], **values)
        db.session.add(themed_day)
        result.themed_days_added += 1
    elif any(getattr(themed_day, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(themed_day, k, v)
        result.themed_days_updated += 1
    stored = {d.year for d in themed_day.dates}
    for year, found in sorted(parse_known_dates(row.get("known_dates", "")).items()):
        if year not in stored:
            themed_day.dates.append(ThemedDayDates(year=year, starts_on=found.starts_on, ends_on=found.ends_on))
            result.dates_added += 1
    db.session.flush()
    return result


def load_themed_days(path: Path | str | None = None) -> LoadResult:
    """Load the whole file (idempotent: a second run changes nothing). Flushes, does not commit."""
    result = LoadResult()
    for row in read_themed_days(path):
        load_themed_day(row, result)
    return result


# --- reading and editing ---------------------------------------------------------------------------

def all_themed_days() -> list[ThemedDay]:
    return list(db.session.scalars(select(ThemedDay).order_by(ThemedDay.id)))


def themed_day_by_key(key: str | None) -> ThemedDay | None:
    if not key:
        return None
    return db.session.scalar(select(ThemedDay).where(ThemedDay.key == key))


def themed_day_label(key: str | None) -> str | None:
    """A themed day named for visitors, as it is announced: its Chinese name with its English one
    ("全国科普日 · National Science Popularization Day"), in either interface language; None for a key
    not (or no longer) known."""
    themed_day = themed_day_by_key(key)
    if themed_day is None:
        return None
    names = [themed_day.name_zh, (themed_day.name_en or "").strip()]
    return " · ".join(n for n in names if n)


def next_dates(themed_day: ThemedDay, today: date) -> DateRange | None:
    """The themed day's coming (or current) dates: this year's until they are over, then next year's;
    None when those are not announced."""
    this_year = dates_in(themed_day, today.year)
    if this_year is not None and this_year.ends_on >= today:
        return this_year
    return dates_in(themed_day, today.year + 1)


def themed_day_choices(today: date, blank_label=None) -> list[tuple[str, str]]:
    """``(key, label)`` pairs for a select (a program's themed day), in calendar order of their coming
    dates: each named in the interface language with those dates, which tell two weeks apart."""
    from app.core.i18n import localized
    from app.core.templating import local_date_range

    choices = [(t.key, _("%(name)s (%(dates)s)", name=localized(t, "name"),
                         dates=local_date_range(found.starts_on, found.ends_on)) if found
                else _("%(name)s (dates not announced yet)", name=localized(t, "name")))
               for t, found in coming_themed_days(today)]
    if blank_label is not None:
        choices.insert(0, ("", blank_label))
    return choices


def coming_themed_days(today: date) -> list[tuple[ThemedDay, DateRange | None]]:
    """Every themed day with its coming (or current) dates (``next_dates``; None: not announced), in
    calendar order of those dates: late in a year, next spring's days rather than this year's, over."""
    pairs = [(t, next_dates(t, today)) for t in all_themed_days()]
    return sorted(pairs, key=lambda p: (p[1] is None, p[1].starts_on if p[1] else date.max, p[0].id))


MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_DAYS = 366


def set_themed_day_dates(admin, themed_day: ThemedDay, *, year: int, starts_on: date,
                         ends_on: date) -> ThemedDayDates:
    """Add or change the themed day's dates for one year (the city admin). The range starts in
    that year and may run into the next; it overrides a fixed rule for that year."""
    if not can_manage_themed_days(admin):
        raise Forbidden()
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DomainError("invalid_year", _l("Enter a year from %(min)d to %(max)d.", min=MIN_YEAR, max=MAX_YEAR),
                          field="year")
    if starts_on.year != year:
        raise DomainError("wrong_year", _l("The first day must be in %(year)d.", year=year), field="starts_on")
    if ends_on < starts_on:
        raise DomainError("date_order", _l("The last day cannot be before the first day."), field="ends_on")
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise DomainError("range_too_long", _l("A themed day lasts at most a year."), field="ends_on")
    row = next((d for d in themed_day.dates if d.year == year), None)
    if row is None:
        row = ThemedDayDates(year=year, starts_on=starts_on, ends_on=ends_on)
        themed_day.dates.append(row)
    else:
        row.starts_on, row.ends_on = starts_on, ends_on
    db.session.flush()
    return row
