"""What each public figure means, in one place: the dashboard and the equity page explain their figures
with these words, and the equity data describes its columns with them (the open-data dictionaries
and the OpenAPI document say the same for their own readers)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

MEANING = {
    "visits": _l("Persons admitted at the gate: on individual bookings, students and adults with their classes, "
                 "and walk-ins. Each admission counts, so a person who comes twice counts twice."),
    "individual_visits": _l("Persons admitted on individual (not class) bookings."),
    "school_groups": _l("Class visits admitted: a class booked by its teacher and checked in at the gate, "
                        "whatever its size."),
    "students": _l("Students admitted with their classes, as counted at the gate."),
    "school_adults": _l("Teachers and other adults admitted with classes."),
    "walk_ins": _l("Persons admitted without a booking, recorded at the gate."),
    "venues": _l("Approved venues, each counted once, in the district it counted for in the period’s last month."),
    "open_days": _l("Free-open days: the days on which a venue published at least one free slot, added up over "
                    "venues."),
    "free_open_hours": _l("Hours covered by the free slots a venue published, added up over venues; a venue’s "
                          "slots at the same time count once."),
    "capacity_offered": _l("Places on the slots published for the period (cancelled slots not counted)."),
    "bookings": _l("Bookings for visits in the period that were checked in, missed, or confirmed for a slot that "
                   "has ended; cancelled, declined and pending ones are not counted."),
    "utilisation": _l("Persons checked in on bookings ÷ places offered."),
    "no_show_rate": _l("Bookings whose visitors did not come ÷ bookings."),
    "per_10k": _l("Visits per 10,000 residents (Nanjing Bureau of Statistics, 2019)."),
    "schools_visited": _l("Schools of the district that made at least one class visit, to a venue in any "
                          "district, in the school year that began on 1 September."),
}

# The period, time zone and open data, as the pages with figures say it.
DAYS = _l("Days are Beijing time (Asia/Shanghai): a booked visit counts on the day of its time slot, even when its "
          "visitors are admitted just before or after midnight; a walk-in counts on the day it arrives. Nothing after "
          "today is counted.")
EXACT = _l("The figures on this site’s statistics pages are exact. The open data files leave counts of 1 to 4 "
           "people empty (and some others, so that none can be worked out), so adding up their rows can give "
           "less than the totals here.")
NOTES = (DAYS, EXACT)


def _listed(*pairs) -> list[tuple]:
    """(label, meaning) pairs as a page lists them: the label as the page heads the figure."""
    return [(label, MEANING[key]) for label, key in pairs]


def dashboard_meanings() -> list[tuple]:
    """The dashboard's figures and what they mean (venues that opened and free-open days are
    explained beside the figures at a glance)."""
    return _listed((_l("Visits"), "visits"), (_l("Individual visitors"), "individual_visits"),
                   (_l("School groups"), "school_groups"), (_l("Students"), "students"),
                   (_l("Accompanying adults"), "school_adults"), (_l("Walk-ins"), "walk_ins"),
                   (_l("Visits per 10,000 residents"), "per_10k"), (_l("Approved venues"), "venues"),
                   (_l("Free-open hours"), "free_open_hours"), (_l("Places offered"), "capacity_offered"),
                   (_l("Bookings"), "bookings"), (_l("Utilisation"), "utilisation"),
                   (_l("No-show rate"), "no_show_rate"))


def equity_meanings(admin: bool) -> list[tuple]:
    """The equity page's figures and what they mean; ``admin``: with the columns only admins see."""
    pairs = [(_l("Visits"), "visits"), (_l("Visits per 10,000 residents"), "per_10k"),
             (_l("Approved venues"), "venues"), (_l("Free-open hours"), "free_open_hours"),
             (_l("Schools that visited"), "schools_visited")]
    if admin:
        pairs += [(_l("Free-open days"), "open_days"), (_l("Places offered"), "capacity_offered"),
                  (_l("School groups"), "school_groups"), (_l("Students"), "students")]
    return _listed(*pairs)
