"""Telling bookers what happened to their booking, and venues what happened to class visits, through
the outbox.

Each event becomes a plain-text email in the recipient's language (``templates/notifications/``).
The booker's carries the booking's .ics, so the visit lands in their calendar and later messages
update the same entry. Services call ``booking_event`` and ``tell_venue``; the view commits and then
delivers (``app.notifications.services.after_commit_delivery``).
"""
from __future__ import annotations

import re

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l

from app.bookings.models import BookingKind, BookingStatus
from app.bookings.party import class_party, party_text
from app.calendars.ics import booking_calendar, to_text
from app.checkin import tickets
from app.core.i18n import localized
from app.core.templating import slot_hours
from app.core.time import to_local, utcnow
from app.notifications.services import queue_message, recipient_locale, site_url

SUBJECTS = {
    "confirmed": _l("Booked: %(venue)s, %(date)s"),
    "requested": _l("Class visit request received: %(venue)s, %(date)s"),
    "approved": _l("Class visit approved: %(venue)s, %(date)s"),
    "declined": _l("Class visit request declined: %(venue)s, %(date)s"),
    "lapsed": _l("Class visit request not approved in time: %(venue)s, %(date)s"),
    "cancelled": _l("Booking cancelled: %(venue)s, %(date)s"),
    "changed": _l("Booking changed: %(venue)s, %(date)s"),
    "waitlisted": _l("On the waiting list: %(venue)s, %(date)s"),
    "promoted": _l("A place came free, you are booked: %(venue)s, %(date)s"),
    "closure": _l("Visit cancelled by the venue: %(venue)s, %(date)s"),
    "reminder": _l("Reminder: your visit to %(venue)s on %(date)s"),
}
EVENTS = tuple(SUBJECTS)
ICS_TYPE = "text/calendar"


def booking_url(booking) -> str:
    """The booking's page, as an absolute link for emails and calendar entries."""
    return site_url(f"/bookings/{booking.id}")


def ics_filename(booking) -> str:
    return f"scivisit-{booking.reference}.ics"


def _reason_text(booking, event: str, reason) -> str:
    if reason is not None:  # a Closure (bilingual reason) or plain text
        return localized(reason, "reason") if hasattr(reason, "reason_zh") else str(reason)
    if event == "declined":
        return booking.decline_reason or ""
    if event in ("cancelled", "closure"):
        return booking.cancel_reason_shown
    return ""


def _facts(booking, event: str, reason) -> dict:
    slot, venue = booking.slot, booking.venue
    program = booking.program or slot.program
    start = to_local(slot.starts_at)
    return {
        "name": booking.user.name,
        "venue": localized(venue, "name"),
        "address": localized(venue, "address"),
        "phone": venue.contact_phone,
        "program": localized(program, "title") if program is not None else "",
        "date": format_date(start.date(), "full"),
        "time": slot_hours(slot),
        "party": party_text(booking),
        # Under-14s of a citizen's party, and whether the booker confirmed coming as their guardian
        # (a class counts students instead).
        "children": (booking.children or 0) if booking.kind == BookingKind.INDIVIDUAL else 0,
        "guardian_confirmed": booking.guardian_confirmed,
        "reference": tickets.grouped(booking.reference),  # as the booking page and the ticket write it
        "status": str(booking.status_label(utcnow())),
        # Only a confirmed booking has a ticket to replace; a pending one is still waiting for the venue.
        "has_ticket": booking.status == BookingStatus.CONFIRMED,
        "reason": _reason_text(booking, event, reason),
        "url": booking_url(booking),
    }


def render_email(booking, event: str, reason=None) -> tuple[str, str, str]:
    """``(subject, body, ics)`` for an event, in the current language."""
    facts = _facts(booking, event, reason)
    calendar = booking_calendar(booking, facts["url"])
    # The body says what opening the attachment does: add the visit, or mark it cancelled.
    facts["calendar_cancelled"] = any(str(entry.get("status")) == "CANCELLED" for entry in calendar.walk("VEVENT"))
    short_date = format_date(to_local(booking.slot.starts_at).date(), "medium")
    subject = str(SUBJECTS[event]) % {"venue": facts["venue"], "date": short_date}
    # The Jinja environment directly: no request-bound context processors (cron has no request).
    body = current_app.jinja_env.get_template(f"notifications/booking_{event}.txt").render(**facts)
    body = re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"
    return subject, body, to_text(calendar)


def booking_event(booking, event: str, *, reason=None):
    """Queue the email for ``event`` (one of ``EVENTS``) to the booker, in their language.

    ``reason`` overrides the booking's own decline or cancel reason; a ``Closure`` may be
    passed as it is (its reason is shown in the recipient's language).
    """
    if event not in SUBJECTS:
        raise ValueError(f"unknown booking event {event!r}")
    user = booking.user
    if user is None or not user.email:  # anonymised: nobody to tell
        return None
    with force_locale(recipient_locale(user)):
        subject, body, ics = render_email(booking, event, reason)
    return queue_message(kind=f"booking_{event}", recipient=user.email, subject=subject, body=body,
                         user=user, booking=booking, attachment=(ics_filename(booking), ICS_TYPE, ics))


VENUE_SUBJECTS = {
    "requested": _l("Class visit request to decide: %(school)s, %(date)s"),
    "reapproval": _l("Class visit changed, to approve again: %(school)s, %(date)s"),
    "withdrawn": _l("Class visit request withdrawn: %(school)s, %(date)s"),
    "cancelled": _l("Class visit cancelled: %(school)s, %(date)s"),
    "changed": _l("Class visit request changed: %(school)s, %(date)s"),
    "resized": _l("Class visit numbers changed: %(school)s, %(date)s"),
    "closed": _l("Class visit cancelled (teacher's account closed): %(school)s, %(date)s"),
}


def _venue_facts(booking, manager, was) -> dict:
    slot = booking.slot
    program = booking.program or slot.program
    return {
        "name": manager.name,
        "venue": localized(booking.venue, "name"),
        "school": localized(booking.school, "name"),
        "program": localized(program, "title") if program is not None else "",
        "date": format_date(to_local(slot.starts_at).date(), "full"),
        "time": slot_hours(slot),
        "party": party_text(booking),
        "reference": tickets.grouped(booking.reference),
        "reason": booking.cancel_reason or "",
        "url": booking_url(booking),
        "requests_url": site_url("/manage/bookings?show=requests"),
        "was": class_party(*was) if was is not None else "",
    }


def tell_venue(booking, event: str, *, was: tuple[int, int] | None = None) -> None:
    """Queue the email for ``event`` (one of ``VENUE_SUBJECTS``) about a class visit to each active
    manager of its venue, in their language: a request to decide (new, ``changed`` in its numbers,
    which were ``was`` (students, adults), or ``reapproval`` of a visit grown after it was approved),
    a confirmed visit ``resized`` (numbers that were ``was``), or the visit cancelled by the teacher
    (with their reason) or with the teacher's account (``closed``).
    The teacher is not named: the booking's page shows them to the venue."""
    from app.accounts.managers import active_venue_managers  # it imports the venues' services, which import ours

    if event not in VENUE_SUBJECTS:
        raise ValueError(f"unknown venue event {event!r}")
    for manager in active_venue_managers(booking.venue_id):
        subject, body = _venue_email(booking, event, manager, was)
        queue_message(kind=f"venue_class_{event}", recipient=manager.email, subject=subject, body=body,
                      user=manager, booking=booking)


def _venue_email(booking, event: str, manager, was=None) -> tuple[str, str]:
    """``(subject, body)`` of a venue's mail about a class visit, in ``manager``'s language."""
    with force_locale(recipient_locale(manager)):
        facts = _venue_facts(booking, manager, was)
        subject = str(VENUE_SUBJECTS[event]) % {
            "school": facts["school"], "date": format_date(to_local(booking.slot.starts_at).date(), "medium")}
        body = current_app.jinja_env.get_template(f"notifications/venue_class_{event}.txt").render(**facts)
    return subject, re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"


# A venue's mail that a class is not coming is still news once the booking is anonymised; one asking it
# to decide is not (the visit is cancelled with the account, and the venue told so, or it is past).
VENUE_NEWS_AFTER_ERASURE = ("withdrawn", "cancelled")


def write_again_for_venue(message, booking, manager) -> None:
    """Write an unsent mail to ``manager`` about ``booking`` again from the booking as it now stands
    (anonymised: no class name, no teacher's reason); its event is one of ``VENUE_NEWS_AFTER_ERASURE``."""
    event = message.kind.removeprefix("venue_class_")
    message.subject, message.body = _venue_email(booking, event, manager)
