"""How a booking's party is said ("四年级2班（学生 20 人，随行成人 1 人）", "Grade 4 Class 2 (20 students, 1 adult)").

One place for pages, e-mails, calendar entries and the gate, so the counts are always pluralised and
a class is named as the teacher typed it.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from app.bookings.models import BookingKind


def class_party(students: int, adults: int, class_name: str | None = None) -> str:
    """A class's headcount, after its name when given."""
    counts = _("%(students)s, %(adults)s",
               students=ngettext("%(num)d student", "%(num)d students", students),
               adults=ngettext("%(num)d adult", "%(num)d adults", adults))
    if not class_name:
        return counts
    return _("%(class_name)s (%(party)s)", class_name=class_name, party=counts)


def people(count: int) -> str:
    return ngettext("%(num)d person", "%(num)d people", count)


def party_text(booking) -> str:
    """Who a booking is for: the class and its headcount, or the number of people."""
    if booking.kind == BookingKind.GROUP:
        return class_party(booking.students, booking.adults, booking.class_name)
    return people(booking.party_size)
