"""Which figures open data withholds, so that no withheld figure can be worked out from the files.

The indicators file: "figures below 5 persons in a cell are suppressed in open data at the finest
grain where a cell could point at a person". Four relations tie the published cells together, and
each rule below closes one of them (a withheld cell is never the only unknown a reader could solve for):

* Within a venue's day: ``visits = individual_visits + school_students + school_adults + walk_ins``
  and ``walk_ins = walk_in_youth + walk_in_adults + walk_in_seniors``. When a sum has exactly one
  withheld cell, its smallest other non-zero cell is withheld too. (A district's month needs no rule
  of its own: its sums are its days' sums added up, which the next rule covers.)
* A district's month is the sum of its venues' days, column by column. A monthly cell is withheld
  whenever a daily cell of its column in that district and month is withheld: the unknown total then
  tells nothing about the days. Two totals are kept where they can be: ``free_visits`` (in no sum)
  when at least two of its daily cells are withheld, and ``visits`` when at least two daily ``visits``
  are withheld and no withheld monthly part would follow from it. When only one is, one more daily
  cell of the column is withheld (for ``visits``, only if that keeps the total). A single published
  total over two or more unknowns, each otherwise tied only within its own day, lets no day be
  solved for.
* A venue's themed events attend what its daily ``event_visits`` add up to over their days: an
  event alone in its dates attends the sum of its days, and events whose dates overlap attend
  together the sum of the days they span. In each such group of a venue's events, the withheld
  attendances and the withheld days of the span are never exactly one unknown.
* ``school_groups`` counts classes, not persons, and is never withheld; zeros are published.

Every rule is deterministic (ties go to the earlier row), so the CSV, JSON and XLSX files agree.
"""
from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Iterable, NamedTuple, Sequence

THRESHOLD = 5
PERSONS = ("visits", "individual_visits", "school_students", "school_adults", "walk_ins", "walk_in_youth",
           "walk_in_adults", "walk_in_seniors", "free_visits", "event_visits")
SUMS = (("visits", ("individual_visits", "school_students", "school_adults", "walk_ins")),
        ("walk_ins", ("walk_in_youth", "walk_in_adults", "walk_in_seniors")))
KEPT_TOTAL = "visits"  # the one monthly column of the sums kept published over withheld days (module note)
LONE_TOTALS = ("free_visits",)  # in no sum and no other relation: kept over two or more withheld days


def is_small(value) -> bool:
    return value is not None and 0 < value < THRESHOLD


def small_cells(values: dict) -> set[str]:
    """The person counts of ``values`` that could point at a person."""
    return {name for name in PERSONS if is_small(values.get(name))}


def close_sums(values: dict, hidden: set[str]) -> None:
    """Withhold more of ``values`` until no sum of the row has a single withheld cell."""
    changed = bool(hidden)
    while changed:
        changed = False
        for total, parts in SUMS:
            cells = (total, *parts)
            if sum(cell in hidden for cell in cells) == 1:
                shown = [cell for cell in cells if cell not in hidden]
                hidden.add(min(shown, key=lambda cell: (values[cell] == 0, values[cell])))
                changed = True


def withhold(values: dict, hidden: Iterable[str]) -> bool:
    """Empty the cells ``hidden`` of ``values``; whether anything was emptied."""
    emptied = False
    for name in hidden:
        values[name] = None
        emptied = True
    return emptied


def suppress(values: dict) -> bool:
    """One row on its own: empty its small counts and what their sums would give away."""
    hidden = small_cells(values)
    close_sums(values, hidden)
    return withhold(values, hidden)


def suppress_district_month(days: Sequence[dict]) -> tuple[list[set[str]], set[str]]:
    """The cells to withhold for one district and month: ``days`` are its venues' daily counts (in the
    order published). Returns the withheld columns of each day and those of the month's row."""
    hidden = [small_cells(day) for day in days]
    for day, cells in zip(days, hidden):
        close_sums(day, cells)
    total = sum(day[KEPT_TOTAL] for day in days)
    if len(_rows_withholding(hidden, KEPT_TOTAL)) == 1:
        # One more day's visits keeps the month's total, if that does not give a part away instead.
        shown = [i for i, day in enumerate(days) if KEPT_TOTAL not in hidden[i] and day[KEPT_TOTAL] > 0]
        if shown:
            pick = min(shown, key=lambda i: (days[i][KEPT_TOTAL], i))
            trial = [set(cells) for cells in hidden]
            trial[pick].add(KEPT_TOTAL)
            close_sums(days[pick], trial[pick])
            if _total_stays(trial, total):
                hidden = trial
    for name in LONE_TOTALS:
        _second_unknown(days, hidden, name)
    month = {name for name in PERSONS if _rows_withholding(hidden, name)}
    if KEPT_TOTAL in month and _total_stays(hidden, total):
        month.discard(KEPT_TOTAL)
    for name in LONE_TOTALS:
        if len(_rows_withholding(hidden, name)) >= 2 and sum(day[name] for day in days) >= THRESHOLD:
            month.discard(name)
    return hidden, month


def _second_unknown(days: Sequence[dict], hidden: list[set[str]], name: str) -> None:
    """A column in no sum with a single withheld day: withhold its smallest other non-zero day, so
    that the month's total is over two unknowns."""
    if len(_rows_withholding(hidden, name)) == 1:
        shown = [i for i, day in enumerate(days) if name not in hidden[i] and day[name] > 0]
        if shown:
            hidden[min(shown, key=lambda i: (days[i][name], i))].add(name)


def _rows_withholding(hidden: list[set[str]], name: str) -> set[int]:
    return {index for index, cells in enumerate(hidden) if name in cells}


def _total_stays(hidden: list[set[str]], total: int) -> bool:
    """Whether the month's ``visits`` can be published over these withheld days: at least two unknown
    days under it, and no withheld monthly part that would follow from it."""
    days = _rows_withholding(hidden, KEPT_TOTAL)
    parts = {name for cells in hidden for name in cells} - {KEPT_TOTAL}
    return total >= THRESHOLD and len(days) >= 2 and not any(
        _rows_withholding(hidden, part) == days and _follows_from_visits([hidden[i] for i in days], part)
        for part in parts)


def _follows_from_visits(rows: list[set[str]], part: str) -> bool:
    """Whether, on days that withhold both ``visits`` and ``part`` (``rows``: their withheld cells),
    the sums within each day tie ``part`` to ``a`` times visits for one common ``a``: then the month's
    ``part`` is ``a`` times the month's unknown visits plus published cells, and follows from the total.

    Per day: ``part - a * visits`` must be ``alpha * (visits - individual - students - adults - walk_ins)
    + beta * (walk_ins - youth - adults - seniors)`` on the withheld cells, so ``alpha = -a`` and each
    other withheld cell x gives ``[x is part] = a * in_first_sum(x) + beta * second_sum_sign(x)``."""
    first, (_, second_parts) = set(SUMS[0][1]), SUMS[1]
    common: Fraction | None = None  # None: any a so far
    for cells in rows:
        equations = [(Fraction(x in first), Fraction(1 if x == "walk_ins" else -1 if x in second_parts else 0),
                      Fraction(x == part)) for x in cells - {KEPT_TOTAL}]
        allowed = _values_of_a(equations)
        if allowed is False:
            return False
        if allowed is not None:
            if common is not None and common != allowed:
                return False
            common = allowed
    return common != 0


def _values_of_a(equations: list[tuple[Fraction, Fraction, Fraction]]):
    """Solve ``p * a + q * beta = r`` for every (p, q, r): False when there is no solution, the one
    value of ``a`` when it is fixed, None when any ``a`` will do."""
    independent: list[tuple[Fraction, Fraction, Fraction]] = []
    for p, q, r in equations:
        for p0, q0, r0 in independent:  # eliminate along the rows kept so far
            lead_first = p0 != 0
            factor = (p / p0) if lead_first else (q / q0)
            p, q, r = p - factor * p0, q - factor * q0, r - factor * r0
        if p == 0 and q == 0:
            if r != 0:
                return False
            continue
        independent.append((p, q, r))
    if len(independent) == 2:
        (p0, q0, r0), (p1, q1, r1) = independent
        return (r0 * q1 - r1 * q0) / (p0 * q1 - p1 * q0)
    if len(independent) == 1:
        p0, q0, r0 = independent[0]
        return r0 / p0 if q0 == 0 else None
    return None


class Event(NamedTuple):
    id: int
    venue_id: int
    first_day: date
    last_day: date
    attendance: int


def withheld_events(events: Iterable[Event], withheld_days: dict[int, set[date]]) -> set[int]:
    """The themed events whose attendance is withheld. ``withheld_days``: per venue, the days whose
    daily ``event_visits`` is withheld (1–4 persons).

    A group of a venue's events with overlapping dates (``_overlapping``) gives one equation: their
    attendances add up to the ``event_visits`` of the days from the group's first to its last. With
    exactly one unknown in it (one small attendance, or one withheld day), the smallest other
    non-zero attendance of the group is withheld too."""
    withheld: set[int] = set()
    for group in _overlapping(events):
        hidden = {event.id for event in group if is_small(event.attendance)}
        first, last = min(event.first_day for event in group), max(event.last_day for event in group)
        unknown_days = sum(first <= day <= last for day in withheld_days.get(group[0].venue_id, ()))
        if len(hidden) + unknown_days == 1:
            shown = sorted((event.attendance, event.id) for event in group
                           if event.id not in hidden and event.attendance > 0)
            hidden.update(event_id for _attendance, event_id in shown[:1])
        withheld |= hidden
    return withheld


def _overlapping(events: Iterable[Event]) -> list[list[Event]]:
    """A venue's events in groups whose dates overlap: in order of their first days, an event joins
    the group before it when it starts by that group's last day."""
    groups: list[list[Event]] = []
    for event in sorted(events, key=lambda event: (event.venue_id, event.first_day, event.last_day, event.id)):
        group = groups[-1] if groups else None
        if group and group[0].venue_id == event.venue_id and event.first_day <= max(e.last_day for e in group):
            group.append(event)
        else:
            groups.append([event])
    return groups
