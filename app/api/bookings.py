"""Bookings over the API: the same services as the pages, answered in JSON."""
from __future__ import annotations

from functools import partial

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role
from app.api import bp
from app.api.auth import current_principal, json_body, principal_required
from app.api.params import (COMMON_PARAMETER_DOCS, UNKNOWN_PARAMETER_NOTE, date_arg, refuse_unknown_parameters,
                            whole_arg)
from app.bookings import queries, services
from app.bookings.models import CLASS_NAME_MAX, REASON_MAX, Booking, BookingKind
from app.checkin.services import can_view_ticket
from app.checkin.tickets import code_for_booking
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.pagination import MAX_PAGE
from app.core.requests import MAX_ID
from app.core.time import to_local, utcnow
from app.extensions import account_or_address, db, limiter
from app.notifications.services import after_commit_delivery
from app.privacy.services import record_access

# Before paging, the list held at most 100 bookings: a client that asks for no page still gets as many.
MAX_PER_PAGE = 100


def booking_json(booking: Booking, viewer) -> dict:
    """``booking`` as ``viewer`` may read it: its ticket's code only for those who may see the ticket
    (the booker, the venue's staff and manager), as on its page."""
    slot = booking.slot
    data = {
        "id": booking.id,
        "reference": booking.reference,
        # A request still pending when its visit started has lapsed, closed by ``bookings close-day`` or not yet.
        "status": "declined" if booking.lapsed(utcnow()) else booking.status.value,
        "kind": booking.kind.value,
        "slot": {"id": slot.id, "venue_id": slot.venue_id, "start": to_local(slot.starts_at).isoformat(),
                 "end": to_local(slot.ends_at).isoformat(), "audience": slot.audience.value},
        "seats": booking.seats,
        "code": ticket_code(booking) if can_view_ticket(viewer, booking) else None,
        "url": url_for("bookings.detail", booking_id=booking.id, _external=True),
    }
    if booking.kind == BookingKind.GROUP:
        data.update(students=booking.students, adults=booking.adults, grade=booking.grade,
                    class_name=booking.class_name, school_id=booking.school_id)
    else:
        data.update(party_size=booking.party_size, children=booking.children or 0,
                    guardian_confirmed=booking.guardian_confirmed)
    if booking.decline_reason:
        data["decline_reason"] = booking.decline_reason
    if booking.lapsed(utcnow()):
        data["lapsed"] = True
    return data


def ticket_code(booking: Booking) -> str | None:
    """The exact text inside the ticket's QR, for bookings that can be admitted."""
    return code_for_booking(booking) if booking.status.value == "confirmed" else None


def _int(data: dict, name: str, *, required: bool = True, default: int | None = None) -> int | None:
    value = data.get(name, default)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError("invalid_parameter", _l("%(name)s must be a whole number.", name=name), field=name)
    return value


def _flag(data: dict, name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):  # "yes" or 1 must not quietly mean "no"
        raise DomainError("invalid_parameter", _l("%(name)s must be true or false.", name=name), field=name)
    return value


def _user():
    principal = current_principal()
    if getattr(principal, "role", None) not in tuple(Role):
        raise Forbidden(_l("Gate devices cannot book."))
    return principal


def _visible_booking(booking_id: int) -> Booking:
    user = _user()
    booking = db.session.get(Booking, booking_id)
    if booking is None or not services.can_view_booking(user, booking):
        raise NotFound()
    if booking.user_id != user.id:  # staff or an admin reading someone's booking, logged as on its page
        record_access(user, "view_booking", booking)
        db.session.commit()
    return booking


@bp.post("/bookings")
@principal_required
@limiter.limit("30 per minute", key_func=account_or_address)
def create_booking():
    user = _user()
    data = json_body()
    slot_id = _int(data, "slot_id")
    slot = queries.slot_to_book(slot_id) if 0 < slot_id <= MAX_ID else None
    if slot is None:
        raise NotFound(_l("No such slot."))
    request_key = request.headers.get("Idempotency-Key")
    if request_key is not None and len(request_key) > 64:
        raise DomainError("invalid_parameter", _l("The idempotency key is at most 64 characters."),
                          field="Idempotency-Key")
    if user.role == Role.TEACHER:
        class_name = data.get("class_name")
        if not isinstance(class_name, str):
            raise DomainError("invalid_parameter", _l("class_name is required."), field="class_name")
        book = partial(services.book_class_visit, user, slot, students=_int(data, "students"),
                       adults=_int(data, "adults"), grade=_int(data, "grade"), class_name=class_name,
                       program_id=_int(data, "program_id", required=False), request_key=request_key)
    else:
        book = partial(services.book_individual_visit, user, slot, party_size=_int(data, "party_size"),
                       children=_int(data, "children", default=0), guardian_confirmed=_flag(data, "guardian_confirmed"),
                       join_waitlist=_flag(data, "waitlist"), request_key=request_key)
    try:
        booking = services.book_once(book, request_key)
        db.session.commit()
        after_commit_delivery()
    except DomainError as exc:
        db.session.rollback()
        if exc.code == "idempotency_key_reused":  # the API's request key travels in this header
            exc.field = "Idempotency-Key"
        raise
    return jsonify(booking_json(booking, user)), 201


@bp.get("/bookings")
@principal_required
def my_bookings():
    user = _user()
    refuse_unknown_parameters(("when", "from", "to", "page", "per_page"))
    when = request.args.get("when", "upcoming")
    if when not in ("upcoming", "past"):
        raise DomainError("invalid_parameter", _l("when must be upcoming or past."), field="when")
    first, last = date_arg("from", None), date_arg("to", None)
    if first is not None and last is not None and last < first:
        raise DomainError("invalid_parameter", _l("'to' cannot be before 'from'."), field="to")
    # A range of days alone lists every booking of those days, past or to come.
    upcoming = None if "when" not in request.args and (first or last) else when == "upcoming"
    page = queries.booking_page_of(user.id, now=utcnow(), upcoming=upcoming, first=first, last=last,
                                   page=whole_arg("page", 1, most=MAX_PAGE),
                                   per_page=whole_arg("per_page", MAX_PER_PAGE, most=MAX_PER_PAGE))
    return jsonify(items=[booking_json(b, user) for b in page.items], page=page.page, per_page=page.per_page,
                   total=page.total)


@bp.get("/bookings/<int:booking_id>")
@principal_required
def get_booking(booking_id: int):
    return jsonify(booking_json(_visible_booking(booking_id), _user()))


@bp.post("/bookings/<int:booking_id>/cancel")
@principal_required
def cancel_booking(booking_id: int):
    booking = _visible_booking(booking_id)
    # A cancellation needs no reason, so no body; a body that is sent must be a JSON object.
    data = json_body() if request.get_data() else {}
    reason = data.get("reason")
    if reason is None:
        reason = ""
    elif not isinstance(reason, str) or len(reason) > REASON_MAX:
        raise DomainError("invalid_parameter", _l("%(name)s must be text of at most %(limit)d characters.",
                                                  name="reason", limit=REASON_MAX), field="reason")
    try:
        services.cancel_booking(_user(), booking, reason=reason)
        db.session.commit()
        after_commit_delivery()
    except DomainError:
        db.session.rollback()
        raise
    return jsonify(booking_json(booking, _user()))


_BOOKING_REF = {"$ref": "#/components/schemas/Booking"}
_ERRORS = {
    "400": {"$ref": "#/components/responses/InvalidParameter"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "404": {"$ref": "#/components/responses/NotFound"},
}

OPENAPI = {
    "tags": [{"name": "bookings", "description": "Book, list and cancel visits."}],
    "schemas": {
        "Booking": {
            "type": "object", "required": ["id", "reference", "status", "kind", "slot", "seats", "code"],
            "properties": {
                "id": {"type": "integer"}, "reference": {"type": "string"},
                "status": {"type": "string", "enum": ["pending", "confirmed", "waitlisted", "declined", "cancelled",
                                                      "checked_in", "no_show"]},
                "kind": {"type": "string", "enum": ["individual", "group"]},
                "slot": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "venue_id": {"type": "integer"},
                    "start": {"type": "string", "format": "date-time"}, "end": {"type": "string", "format": "date-time"},
                    "audience": {"type": "string", "enum": ["public", "school", "mixed"]}}},
                "seats": {"type": "integer"},
                "code": {"type": ["string", "null"], "description": "The exact text inside the ticket's QR."},
                "url": {"type": "string"},
                "party_size": {"type": "integer"},
                "children": {"type": "integer", "description": "Of a citizen's party, the children under 14."},
                "guardian_confirmed": {"type": "boolean", "description": "The booker confirmed being the "
                                       "guardian of the children in the party (false when there are none)."},
                "students": {"type": "integer"}, "adults": {"type": "integer"}, "grade": {"type": "integer"},
                "class_name": {"type": "string"}, "school_id": {"type": ["integer", "null"]},
                "decline_reason": {"type": "string"},
                "lapsed": {"type": "boolean", "description": "Present (true) on a class visit request that was "
                           "declined because the venue did not decide on it before the visit started."},
            },
        },
    },
    "paths": {
        "/api/v1/bookings": {
            "post": {
                "tags": ["bookings"], "operationId": "createBooking",
                "summary": "Book a slot: a citizen's party or a teacher's class",
                "description": (
                    "Refusals name their reason in `error`, among them: `outside_booking_window` (a class "
                    "follows the group window and cutoff on any slot, earlier for a partner school), "
                    "`slot_full` (a citizen's party that does not fit is told how many places are left and "
                    "may ask for the waiting list with `waitlist`; for a school that is not a partner, places "
                    "held for partner schools count "
                    "until their release; `message` says how many and until when), `duplicate_booking` (the "
                    "caller, or for a class the same class of the school, already holds a booking of the "
                    "slot; class names are compared with full-width characters and spaces folded), "
                    "`class_time_clash` (409: the same class of the school holds a booking of another slot, at "
                    "this venue or another, whose time overlaps this one), "
                    "`invalid_children`, `guardian_not_counted` and `guardian_required` (a citizen's "
                    "children under 14, the same rule as the booking pages: `field` names `children` or "
                    "`guardian_confirmed`), "
                    "`program_grade` (the program is not made for the class's grade), `invalid_program` (not "
                    "the slot's own program, or not one of the venue's active programs), "
                    "`idempotency_key_reused` (409: the `Idempotency-Key` came before with another slot, "
                    "party or class; nothing is booked), `slot_corrected` (409: the venue changed the slot's "
                    "time, audience, admission or program while the booking was made; nothing is booked: "
                    "read the slot again)."),
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 64},
                                "description": "Repeat a request with the same key to get the same booking "
                                               "(201) instead of a second one. The key stands for one request: "
                                               "sent again with another slot, party or class it is refused "
                                               "with 409 `idempotency_key_reused`. Use a new key for each new "
                                               "booking."}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                    {"type": "object", "title": "Citizen", "required": ["slot_id", "party_size"],
                     "properties": {"slot_id": {"type": "integer"}, "party_size": {"type": "integer", "minimum": 1},
                                    "children": {
                                        "type": "integer", "minimum": 0, "default": 0,
                                        "description": "How many of the party are children under 14, at "
                                                       "most `party_size` - 1: the guardian comes too "
                                                       "(else `guardian_not_counted`). Left out, the party "
                                                       "has no children, as for clients older than the "
                                                       "field."},
                                    "guardian_confirmed": {
                                        "type": "boolean", "default": False,
                                        "description": "The booker confirms being the parent or guardian "
                                                       "of the children in the party. Needed (true) when "
                                                       "`children` is more than 0, else 400 "
                                                       "`guardian_required`; with no children it records "
                                                       "nothing."},
                                    "waitlist": {"type": "boolean"}}},
                    {"type": "object", "title": "Teacher",
                     "required": ["slot_id", "students", "adults", "grade", "class_name"],
                     "properties": {"slot_id": {"type": "integer"}, "students": {"type": "integer"},
                                    "adults": {"type": "integer"},
                                    "grade": {"type": "integer", "minimum": 0, "maximum": 12},
                                    "class_name": {"type": "string", "maxLength": CLASS_NAME_MAX},
                                    "program_id": {
                                        "type": ["integer", "null"],
                                        "description": "On a slot that runs a program, the class books that "
                                                       "program: give its id or leave this out; another id is "
                                                       "refused with `invalid_program`. On a slot without one, "
                                                       "one of the venue's active programs for the class's "
                                                       "grade, or null (or left out) for a general visit."}}},
                ]}}}},
                "responses": {
                    "201": {"description": "Booked (confirmed, pending approval, or waitlisted).",
                            "content": {"application/json": {"schema": _BOOKING_REF}}},
                    **_ERRORS,
                    "409": {"$ref": "#/components/responses/Conflict"},
                    "429": {"$ref": "#/components/responses/TooManyRequests"},
                },
            },
            "get": {
                "tags": ["bookings"], "operationId": "listMyBookings", "summary": "The caller's bookings",
                "description": "Upcoming bookings (the visit not over) soonest first, or past ones latest first. "
                               "`from`/`to` keep the bookings whose slot is on those local days (Asia/Shanghai), "
                               "inclusive; given without `when`, they list those days' bookings, past and to come, "
                               "soonest first. Paged like GET /api/v1/venues: a page past the last one has no "
                               "`items`. A bad value is refused (400 `invalid_parameter` naming the `field`). "
                               + UNKNOWN_PARAMETER_NOTE,
                "parameters": [
                    {"name": "when", "in": "query", "schema": {"type": "string", "default": "upcoming",
                                                               "enum": ["upcoming", "past"]}},
                    {"name": "from", "in": "query", "description": "First day of the slot, YYYY-MM-DD.",
                     "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "description": "Last day of the slot, YYYY-MM-DD; not before `from`.",
                     "schema": {"type": "string", "format": "date"}},
                    {"name": "page", "in": "query", "description": "Page number, from 1.",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
                    {"name": "per_page", "in": "query", "description": "Bookings per page.",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": MAX_PER_PAGE}},
                    *COMMON_PARAMETER_DOCS,
                ],
                "responses": {"200": {"description": "A page of bookings.", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["items", "page", "per_page", "total"],
                    "properties": {"items": {"type": "array", "items": _BOOKING_REF},
                                   "page": {"type": "integer"}, "per_page": {"type": "integer"},
                                   "total": {"type": "integer", "description": "Bookings matching, on all pages."}}}}}},
                    "400": _ERRORS["400"], "401": _ERRORS["401"], "403": _ERRORS["403"]},
            },
        },
        "/api/v1/bookings/{booking_id}": {
            "get": {
                "tags": ["bookings"], "operationId": "getBooking", "summary": "One booking",
                "parameters": [{"name": "booking_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "The booking.",
                                      "content": {"application/json": {"schema": _BOOKING_REF}}}, **_ERRORS},
            },
        },
        "/api/v1/bookings/{booking_id}/cancel": {
            "post": {
                "tags": ["bookings"], "operationId": "cancelBooking", "summary": "Cancel until the cutoff",
                "parameters": [{"name": "booking_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "description": "No body is needed; a body sent must be a JSON object (else 400 `invalid_json`).",
                "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"reason": {"type": ["string", "null"], "maxLength": REASON_MAX}}}}}},
                "responses": {"200": {"description": "Cancelled.",
                                      "content": {"application/json": {"schema": _BOOKING_REF}}},
                              **_ERRORS, "409": {"$ref": "#/components/responses/Conflict"}},
            },
        },
    },
}
