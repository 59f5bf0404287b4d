"""Every iCalendar file SciVisit serves or attaches is built here, with the ``icalendar`` library.

Times are written in the ``Asia/Shanghai`` TZID with its VTIMEZONE, so calendar programs show
the venue's wall-clock time wherever the reader is. UIDs are stable (``booking-<reference>``,
``slot-<id>``), so a download, a feed refresh and an email attachment update one event.
Texts follow the current interface language (callers force the recipient's for email).
"""
from __future__ import annotations

import functools
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterable

from flask import Response
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, Timezone

from app.bookings.models import Booking, BookingKind, BookingStatus
from app.bookings.party import party_text
from app.checkin import tickets
from app.core.i18n import localized
from app.core.time import LOCAL_TZ, to_local, utcnow
from app.scheduling.models import Closure, Slot

PRODID = "-//SciVisit//Nanjing science venues//ZH"
UID_DOMAIN = "scivisit"
CONTENT_TYPE = "text/calendar; charset=utf-8"
TZID = "Asia/Shanghai"
REMINDER_BEFORE = timedelta(days=1)

_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.WAITLISTED: "TENTATIVE",
    BookingStatus.DECLINED: "CANCELLED",
    BookingStatus.CANCELLED: "CANCELLED",
}


def booking_uid(booking: Booking) -> str:
    return f"booking-{booking.reference}@{UID_DOMAIN}"


def slot_uid(slot: Slot) -> str:
    return f"slot-{slot.id}@{UID_DOMAIN}"


def new_calendar(name: str) -> Calendar:
    """An empty calendar with SciVisit's product id, a display name and the Asia/Shanghai VTIMEZONE."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TZID)
    cal.add_component(Timezone.from_ical(_vtimezone()))
    return cal


@functools.cache
def _vtimezone() -> bytes:
    """The VTIMEZONE block, worked out once per process: deriving it from the tz database takes
    ~10 ms, which every booking email (and the demo's year of bookings) would pay again.
    China has kept +08:00 without daylight saving since 1992: one STANDARD part says it all."""
    zone = Timezone.from_tzinfo(LOCAL_TZ, tzid=TZID, first_date=date(1992, 1, 1))
    zone.pop("COMMENT", None)
    return zone.to_ical()


def _place(event: Event, venue) -> None:
    address = localized(venue, "address")
    name = localized(venue, "name")
    event.add("location", f"{name}, {address}" if address else name)
    if venue.latitude is not None and venue.longitude is not None:
        event.add("geo", (float(venue.latitude), float(venue.longitude)))


def _title(venue, program) -> str:
    name = localized(venue, "name")
    return f"{name} · {localized(program, 'title')}" if program is not None else name


def _booking_title(booking: Booking) -> str:
    """A booking's entry title: the venue (and program), and for a class its name, so two classes'
    visits on one day tell apart at a glance ("南京科技馆 · 四年级2班"); the headcount is in the description."""
    title = _title(booking.venue, booking.program or booking.slot.program)
    if booking.kind == BookingKind.GROUP and booking.class_name:
        return f"{title} · {booking.class_name}"
    return title


def _event_status(booking: Booking, now: datetime) -> str:
    """The VEVENT STATUS: a request that lapsed unapproved (closed by ``close-day`` or not yet) is off."""
    return "CANCELLED" if booking.lapsed(now) else _STATUS.get(booking.status, "CONFIRMED")


def booking_description(booking: Booking, now: datetime) -> str:
    """The facts of a booking in plain lines: reference, party, status, and what to do next."""
    lines = [_("Booking number: %(number)s", number=tickets.grouped(booking.reference)),
             _("Party: %(party)s", party=party_text(booking)),
             _("Status: %(status)s", status=booking.status_label(now))]
    status = _event_status(booking, now)
    if status == "CANCELLED":
        pass  # no visit to come to: no arrival instructions
    elif booking.status == BookingStatus.WAITLISTED:
        lines.append(_("You are on the waiting list: there is no ticket yet. If a place comes free, the booking "
                       "is confirmed and you are told."))
    elif booking.status == BookingStatus.PENDING:
        lines.append(_("Awaiting the venue's approval: you are told of its decision."))
    else:
        lines.append(_("Show the ticket QR code on your booking page at the entrance. "
                       "Check-in opens 30 minutes before the start."))
    return "\n".join(lines)


def booking_event(booking: Booking, url: str) -> Event:
    """One booking as a VEVENT. SEQUENCE follows the ticket version, so a changed booking
    replaces the old entry; cancelled and declined bookings stay, as STATUS:CANCELLED."""
    slot, venue = booking.slot, booking.venue
    event = Event()
    event.add("uid", booking_uid(booking))
    _stamp(event, booking.created_at, booking.updated_at)
    event.add("dtstart", to_local(slot.starts_at))
    event.add("dtend", to_local(slot.ends_at))
    event.add("summary", _booking_title(booking))
    _place(event, venue)
    now = utcnow()
    event.add("description", f"{booking_description(booking, now)}\n{url}")
    event.add("url", url)
    event.add("status", _event_status(booking, now))
    event.add("sequence", booking.ticket_version)
    event.add("class", "PRIVATE")
    event.add("transp", "OPAQUE")
    if event["status"] == "CONFIRMED":  # a reminder of a visit to come, not of a hope or a request
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _("Tomorrow: your visit to %(venue)s", venue=localized(venue, "name")))
        alarm.add("trigger", -REMINDER_BEFORE)
        event.add_component(alarm)
    return event


def slot_event(slot: Slot, url: str, *, category: str | None = None) -> Event:
    """An open slot (or a themed event's slot) as a VEVENT for a public feed. It does not block
    the subscriber's time (TRANSP:TRANSPARENT): it is an offer, not an appointment."""
    venue, program = slot.venue, slot.program
    event = Event()
    event.add("uid", slot_uid(slot))
    _stamp(event, slot.created_at, None)
    event.add("dtstart", to_local(slot.starts_at))
    event.add("dtend", to_local(slot.ends_at))
    event.add("summary", _title(venue, program))
    _place(event, venue)
    lines = [str(slot.audience.label), str(slot.admission.label),
             _("Places left when this calendar was made: %(count)d", count=slot.available)]
    if program is not None and localized(program, "description"):
        lines.append(localized(program, "description"))
    note = localized(slot, "note")
    if note:
        lines.append(note)
    event.add("description", "\n".join([*lines, url]))
    event.add("url", url)
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    if category:
        event.add("categories", [category])
    return event


def closure_event(closure: Closure) -> Event:
    """Days a venue is closed, as an all-day VEVENT of its public feed, with the reason visitors read."""
    event = Event()
    event.add("uid", f"closure-{closure.id}@{UID_DOMAIN}")
    _stamp(event, closure.created_at, None)
    event.add("dtstart", closure.starts_on)
    # All-day events end the day after. 9999-12-31 has none: such a row (saved before closures had a
    # horizon) ends a day short, which no visitor will notice, rather than fail the whole feed.
    event.add("dtend", closure.ends_on + timedelta(days=1) if closure.ends_on < date.max else date.max)
    event.add("summary", _("%(venue)s closed: %(reason)s", venue=localized(closure.venue, "name"),
                           reason=localized(closure, "reason")))
    event.add("transp", "TRANSPARENT")
    return event


def _stamp(event: Event, created: datetime, modified: datetime | None) -> None:
    event.add("dtstamp", _utc(utcnow()))
    event.add("created", _utc(created))
    event.add("last-modified", _utc(modified or created))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc)  # stored naive UTC, written with a Z


def booking_calendar(booking: Booking, url: str) -> Calendar:
    cal = new_calendar(_("SciVisit booking %(reference)s", reference=booking.reference))
    cal.add_component(booking_event(booking, url))
    return cal


def bookings_feed(name: str, bookings: Iterable[Booking], url_for: Callable[[Booking], str]) -> Calendar:
    cal = new_calendar(name)
    for booking in bookings:
        cal.add_component(booking_event(booking, url_for(booking)))
    return cal


def slots_feed(name: str, slots: Iterable[Slot], url_for: Callable[[Slot], str],
               category_for: Callable[[Slot], str | None] = lambda slot: None) -> Calendar:
    cal = new_calendar(name)
    for slot in slots:
        cal.add_component(slot_event(slot, url_for(slot), category=category_for(slot)))
    return cal


def to_text(cal: Calendar) -> str:
    return cal.to_ical().decode("utf-8")


def ics_response(cal: Calendar, filename: str, *, private: bool = False) -> Response:
    """The calendar as a download named ``filename``; private feeds are never cached by proxies."""
    response = Response(cal.to_ical(), content_type=CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    if not private:  # the texts follow the interface language
        response.vary.update(("Accept-Language", "Cookie"))
    return response
