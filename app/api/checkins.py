"""Check-in over the API: gates scan tickets (one by one or an offline queue), the public keys that
let a gate verify codes offline, and the ticket's QR as PNG and SVG."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import jsonify, make_response, request
from flask_babel import lazy_gettext as _l

from app.api import bp
from app.api.auth import current_principal, json_body, principal_required
from app.api.public import CONDITIONAL_GET_NOTE, IF_NONE_MATCH, NOT_MODIFIED, etag_headers, public_read
from app.bookings.models import Booking, BookingStatus
from app.checkin import keys, present, services, tickets
from app.checkin.services import Headcount, Scan
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.time import from_local, parse_moment, to_local, utcnow
from app.extensions import db

BATCH_MAX = 500
HEADCOUNT_MAX = 100_000
# An offline gate's clock and queue: scans from the future or from long ago are not believed.
SCAN_CLOCK_SKEW = timedelta(minutes=5)
SCAN_MAX_AGE = timedelta(days=7)


def _invalid(message, field: str) -> DomainError:
    return DomainError("invalid_parameter", message, field=field)


def _gate_actor():
    actor = current_principal()
    if not services.can_check_in(actor):
        raise Forbidden(_l("Only the venue's staff and gate devices can check tickets in."))
    return actor


def _text(data: dict, name: str, limit: int, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if value is None or (required and isinstance(value, str) and not value.strip()):
        raise _invalid(_l("%(name)s is required.", name=name), name)
    if not isinstance(value, str) or len(value) > limit:
        raise _invalid(_l("%(name)s must be text of at most %(limit)d characters.", name=name, limit=limit), name)
    if "\x00" in value:  # a batch's scans are read here, one by one (``json_body(per_item="scans")``)
        raise _invalid(_l("This input contains a character that is not allowed."), name)
    return value


def _count(value, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(_l("headcount must be a number of people, or {students, adults}."), field)
    if not 0 <= value <= HEADCOUNT_MAX:
        # A number, but of no one who could have come: said as the other wrong headcounts are, so that
        # the scanner keeps its headcount form open for staff to correct it.
        raise DomainError("invalid_headcount", _l("Give the number of people who arrived: 0 or more.") if value < 0
                          else _l("No ticket is for that many people: give the number who arrived."),
                          field=field)
    return value


def _headcount(value) -> Headcount | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return Headcount(persons=_count(value.get("persons"), "headcount.persons"),
                         students=_count(value.get("students"), "headcount.students"),
                         adults=_count(value.get("adults"), "headcount.adults"))
    return Headcount(persons=_count(value, "headcount"))


def _field_as_sent(refused: DomainError, headcount) -> None:
    """Name the number a refusal of the headcount is about as the request put it: the service's
    ``students`` is ``headcount.students`` in an object, and a headcount sent as one number is
    ``headcount`` (as is a party's ``persons`` sent as students and adults)."""
    if refused.field in ("persons", "students", "adults"):
        inside = isinstance(headcount, dict) and (refused.field in headcount or refused.field != "persons")
        refused.field = f"headcount.{refused.field}" if inside else "headcount"


def _scanned_at(value, now: datetime) -> datetime:
    if not isinstance(value, str):
        raise _invalid(_l("scanned_at must be an ISO 8601 time."), "scanned_at")
    try:
        moment = from_local(parse_moment(value))
    except ValueError:
        raise _invalid(_l("scanned_at must be an ISO 8601 time."), "scanned_at") from None
    if moment > now + SCAN_CLOCK_SKEW:
        # The device's clock runs ahead: its vendor needs to hear that, and the time to set it by.
        raise _invalid(_l("scanned_at is later than the server's clock (now %(now)s, Beijing time): the device's "
                          "clock is ahead. Set it right; this scan was not recorded.",
                          now=to_local(now).strftime("%Y-%m-%d %H:%M")), "scanned_at")
    if moment < now - SCAN_MAX_AGE:
        raise _invalid(_l("scanned_at must be within the last 7 days."), "scanned_at")
    return moment


@bp.post("/checkins")
@principal_required
def check_in():
    actor = _gate_actor()
    data = json_body()
    code = _text(data, "code", tickets.MAX_INPUT, required=True)
    nonce = _text(data, "nonce", services.NONCE_MAX)
    gate = _text(data, "gate", 200)
    headcount = _headcount(data.get("headcount"))
    if data.get("preview") is True:
        return jsonify(present.outcome_json(services.check_ticket(actor, code), preview=True))
    try:
        outcome = services.record_check_in(actor, code, gate=gate, nonce=nonce, headcount=headcount)
        db.session.commit()
    except DomainError as refused:
        db.session.rollback()
        _field_as_sent(refused, data.get("headcount"))
        raise
    return jsonify(present.outcome_json(outcome))


def _scan(entry, now: datetime) -> Scan:
    if not isinstance(entry, dict):
        raise _invalid(_l("Each scan is an object with code, nonce and scanned_at."), "scans")
    return Scan(code=_text(entry, "code", tickets.MAX_INPUT, required=True),
                nonce=_text(entry, "nonce", services.NONCE_MAX, required=True),
                scanned_at=_scanned_at(entry.get("scanned_at"), now), gate=_text(entry, "gate", 200),
                headcount=_headcount(entry.get("headcount")))


@bp.post("/checkins/batch")
@principal_required
def check_in_batch():
    actor = _gate_actor()
    scans = json_body(per_item="scans").get("scans")
    if not isinstance(scans, list) or not 1 <= len(scans) <= BATCH_MAX:
        raise _invalid(_l("scans must be a list of 1 to %(max)d scans.", max=BATCH_MAX), "scans")
    now = utcnow()
    parsed: list[Scan | DomainError] = []
    for entry in scans:
        try:
            parsed.append(_scan(entry, now))
        except DomainError as refused:
            parsed.append(refused)
    valid = [scan for scan in parsed if isinstance(scan, Scan)]
    answers = iter(services.record_scans(actor, valid))
    db.session.commit()
    results = []
    for index, scan in enumerate(parsed):
        answer = scan if isinstance(scan, DomainError) else next(answers)
        entry = {"index": index, "nonce": scans[index].get("nonce") if isinstance(scans[index], dict) else None}
        if isinstance(answer, DomainError):
            _field_as_sent(answer, scans[index].get("headcount") if isinstance(scans[index], dict) else None)
            entry.update(error=answer.code, message=str(answer.message), field=answer.field)
        else:
            entry.update(present.outcome_json(answer))
        results.append(entry)
    return jsonify(results=results)


@bp.get("/checkin-keys")
@public_read
def checkin_keys():
    listed = []
    for key in sorted(keys.rows(fresh=True).values(), key=lambda k: k.created_at):
        listed.append({
            "kid": key.kid, "algorithm": keys.ALGORITHM, "public_key": key.public_key,
            "public_key_pem": keys.public_pem(key.public_key).decode(), "status": key.status,
            "created_at": _utc(key.created_at), "retired_at": _utc(key.retired_at),
            "not_after": _utc(key.not_after), "revoked_at": _utc(key.revoked_at),
        })
    response = jsonify(algorithm=keys.ALGORITHM, format=CODE_FORMAT, keys=listed)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _utc(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


CODE_FORMAT = {
    "prefix": tickets.PREFIX,
    "encoding": "base32 (RFC 4648 alphabet, upper case, no padding, the last character's unused bits zero) "
                "after the prefix",
    "bytes": tickets.CODE_BYTES,
    "layout": [
        {"offset": 0, "size": 1, "field": "format", "value": tickets.FORMAT},
        {"offset": 1, "size": 4, "field": "kid", "description": "key id: the kid's 8 hex digits as bytes"},
        {"offset": 5, "size": 8, "field": "reference", "description": "booking reference, 16 hex digits as bytes"},
        {"offset": 13, "size": 4, "field": "venue_id", "description": "unsigned big-endian"},
        {"offset": 17, "size": 2, "field": "date", "description": "slot's local date, days since 2020-01-01"},
        {"offset": 19, "size": 2, "field": "seats", "description": "party size"},
        {"offset": 21, "size": 2, "field": "version", "description": "ticket version"},
        {"offset": 23, "size": 64, "field": "signature", "description": "Ed25519 over bytes 0-22"},
    ],
    "valid": "at the venue, from 30 minutes before the slot starts until it ends (Asia/Shanghai), while the "
             "booking is confirmed; a ticket admits once. The key must be usable when the code is scanned: "
             "active, or retired (it signs no new tickets) and not past its not_after, and not revoked at or "
             "before the scan (revoked_at). A retired key's codes stay valid until its not_after",
    "offline": "An offline gate can check the signature (with a key listed here, refreshed when it can), the "
               "key's validity at the scan (not past not_after, not revoked at or before revoked_at), the "
               "venue (venue_id) and the date (the slot's local date, Asia/Shanghai). The code does not carry "
               "the slot's times or the booking's state: the time window (30 minutes before the start until "
               "the end), a cancellation or change of the booking and a ticket already used at another gate "
               "are judged when the scans are uploaded to /api/v1/checkins/batch, each at its scanned_at",
}


# --- the ticket's QR --------------------------------------------------------------------------------

def _ticket_code(booking_id: int) -> str:
    booking = db.session.get(Booking, booking_id)
    # Someone else's ticket is "not found": its existence is not theirs to know.
    if booking is None or not services.can_view_ticket(current_principal(), booking):
        raise NotFound()
    if booking.status != BookingStatus.CONFIRMED:
        raise NotFound(_l("This booking has no ticket to show: it is not confirmed."))
    return tickets.code_for_booking(booking)


def _image(body: bytes, mimetype: str, code: str):
    response = make_response(body)
    response.mimetype = mimetype
    # The code changes with the booking: revalidate every time, cheaply.
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(hashlib.sha256(code.encode()).hexdigest()[:32])
    return response.make_conditional(request)


@bp.get("/bookings/<int:booking_id>/ticket.png")
@principal_required
def ticket_png(booking_id: int):
    code = _ticket_code(booking_id)
    return _image(tickets.png(code), "image/png", code)


@bp.get("/bookings/<int:booking_id>/ticket.svg")
@principal_required
def ticket_svg(booking_id: int):
    code = _ticket_code(booking_id)
    return _image(tickets.svg(code), "image/svg+xml", code)


_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_RESULTS = ["ok", "already_checked_in", "invalid_code", "unknown_booking", "wrong_venue", "wrong_date",
            "too_early", "too_late", "cancelled", "not_confirmed", "revoked_key"]
_HEADCOUNT = {"oneOf": [
    {"type": "integer", "minimum": 1, "description": "People in a party (individual booking)."},
    {"type": "object", "properties": {"students": {"type": "integer", "minimum": 0},
                                      "adults": {"type": "integer", "minimum": 0},
                                      "persons": {"type": "integer", "minimum": 1}}},
], "description": "Who actually came; never more than booked. A class needs students and adults. "
                  "Default: as booked."}
_HEADCOUNT_FIELD = ("A refused headcount's `field` names the number at fault by its path in the request: "
                    "`headcount.students`, `headcount.adults` or `headcount.persons` inside the object, "
                    "`headcount` for a headcount sent as one number and for a class of nobody (0 students "
                    "and 0 adults), which neither number alone is wrong about.")
_BOOKING_ID = {"name": "booking_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_IMAGE_RESPONSES = {"401": {"$ref": "#/components/responses/Unauthorized"},
                    "404": {"$ref": "#/components/responses/NotFound"}}

OPENAPI = {
    "tags": [{"name": "check-in", "description": "Tickets and the gate (签到/核验)."}],
    "schemas": {
        "CheckInOutcome": {
            "type": "object", "required": ["result", "message", "admitted"],
            "properties": {
                "result": {"type": "string", "enum": _RESULTS, "description": (
                    "A ticket admits from 30 minutes before its slot starts until it ends (`ok`). Outside that "
                    "window: `too_early` / `too_late` on the slot's date (Asia/Shanghai) or, for a slot that ends "
                    "after midnight, the date it ends; `wrong_date` on another day, also at 01:30 for a visit "
                    "of the evening before that ended at 21:00 (its `message` then names when it ended).")},
                "message": {"type": "string", "description": "The reason in plain words, in the interface language."},
                "admitted": {"type": "boolean"},
                "replayed": {"type": "boolean", "description": "A retry with a known nonce: the first answer."},
                "reason": {"type": "string", "description": "Finer detail, e.g. bad_signature, superseded."},
                "preview": {"type": "boolean"},
                "tone": {"type": "string", "enum": ["ok", "warn", "bad"]},
                "party": {"type": "string"},
                "visit_title": {"type": "string", "description": (
                    "What the visit is called, for the gate to show: the slot's program (e.g. 导览 / Guided "
                    "tour), else the venue's name; in the interface language (Chinese where a program or "
                    "venue has no English name). With `booking`, so not for another venue's ticket.")},
                "booking": {"type": "object", "description": "The booking (not for another venue's ticket)."},
                "headcount": {"type": "object", "properties": {"persons": {"type": "integer"},
                                                               "students": {"type": ["integer", "null"]},
                                                               "adults": {"type": ["integer", "null"]}}},
                "checkin": {"type": "object", "description": "This attempt: id, at, gate."},
                "replaced_walk_in": {"type": "object", "description": (
                    "The booker registered at the venue's walk-in poster earlier that day, signed in: this "
                    "many of those people are now counted on the ticket instead, so they count once."),
                    "properties": {"persons": {"type": "integer"}}},
                "previous": {"type": "object", "description": "For already_checked_in: when and at which gate."},
            },
        },
    },
    "paths": {
        "/api/v1/checkins": {"post": {
            "tags": ["check-in"], "operationId": "checkIn", "summary": "Scan a ticket at the gate",
            "description": "For the venue's staff and manager (user token or signed-in session with X-CSRFToken) "
                           "and the venue's gate devices. Any decided result is HTTP 200. `code` is the QR text "
                           "or, online, the booking reference. A repeated `nonce` answers the first result. "
                           "`preview: true` answers without recording (to ask a class's headcount first): "
                           "`admitted` is false, and `title` and `message` say what a scan would do (\"Valid "
                           "ticket\", \"Valid: would admit 3 people. Not checked in yet.\").",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["code"],
                "properties": {"code": {"type": "string", "maxLength": tickets.MAX_INPUT},
                               "nonce": {"type": "string", "maxLength": services.NONCE_MAX},
                               "gate": {"type": "string"}, "headcount": _HEADCOUNT,
                               "preview": {"type": "boolean"}}}}}},
            "responses": {
                "200": {"description": "Decided.", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/CheckInOutcome"}}}},
                "400": {"description": "Malformed request (`invalid_parameter`), or a headcount that lacks a "
                                       "number it needs (a class gives students and adults), negative, of nobody "
                                       "or over 100,000 (`invalid_headcount`): nothing recorded. With no "
                                       "headcount at all, the booking is admitted as booked. "
                                       "If nobody of the booking came, do not admit it; close of day marks it "
                                       "no_show. " + _HEADCOUNT_FIELD,
                        "content": _ERR},
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "403": {"$ref": "#/components/responses/Forbidden"},
                "409": {"description": "The nonce was used before for another ticket (`nonce_reused`): nothing "
                                       "recorded. A retry sends the same code with the same nonce.",
                        "content": _ERR},
                "422": {"description": "Headcount above the booking (`headcount_above_booking`): nothing counted. "
                                       "`field` names the number that is too high: `headcount.students` for "
                                       "more students than the class booked, `headcount.adults` for more "
                                       "people in all than it booked, `headcount.persons` for a party "
                                       "(`headcount` when sent as a number, or without `persons`).",
                        "content": _ERR},
            },
        }},
        "/api/v1/checkins/batch": {"post": {
            "tags": ["check-in"], "operationId": "checkInBatch", "summary": "Upload an offline gate's scans",
            "description": f"Up to {BATCH_MAX} scans, each with its own nonce and scan time (within 7 days). They "
                           "are decided in the order scanned: the first scan of a ticket wins, later ones answer "
                           "already_checked_in. Each is judged as at its `scanned_at`: the visit's time window, "
                           "and the key (a scan made before the key was revoked, or before a retired key's "
                           "`not_after`, counts). Re-uploading the same batch answers the same results "
                           "(`replayed` true). A nonce is remembered for good per gate device token (per person "
                           "for staff), so make each a fresh random one (a UUID), not a counter that restarts. "
                           "`scanned_at` without an offset is Asia/Shanghai; one more than "
                           f"{int(SCAN_CLOCK_SKEW.total_seconds() // 60)} minutes after the server's clock is refused "
                           "(`invalid_parameter` on `scanned_at`, saying the device's clock is ahead): set the "
                           "device's clock from the `Date` header of any answer. A malformed scan is answered "
                           "in its place (`index`, `nonce`, `error`, `field`, `message`) and holds back no other; "
                           "so is a refused headcount, its `field` as for POST /api/v1/checkins (e.g. "
                           "`headcount.students`).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["scans"],
                "properties": {"scans": {"type": "array", "maxItems": BATCH_MAX, "items": {
                    "type": "object", "required": ["code", "nonce", "scanned_at"],
                    "properties": {"code": {"type": "string"}, "nonce": {"type": "string"},
                                   "scanned_at": {"type": "string", "format": "date-time"},
                                   "gate": {"type": "string"}, "headcount": _HEADCOUNT}}}}}}}},
            "responses": {
                "200": {"description": "One answer per scan, in the order sent: an outcome, or an error for a "
                                       "malformed scan.",
                        "content": {"application/json": {"schema": {"type": "object", "properties": {
                            "results": {"type": "array", "items": {
                                "type": "object", "required": ["index"],
                                "description": "The scan's outcome (the fields of CheckInOutcome), or, for a "
                                               "malformed scan, `error`, `field` and `message`.",
                                "properties": {"index": {"type": "integer", "minimum": 0,
                                                         "description": "The scan's place in `scans`, from 0."},
                                               "nonce": {"description": "The scan's nonce, as sent."},
                                               "error": {"type": "string"},
                                               "field": {"type": ["string", "null"]},
                                               "message": {"type": "string"}}}}}}}}},
                "400": {"$ref": "#/components/responses/InvalidParameter"},
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "403": {"$ref": "#/components/responses/Forbidden"},
            },
        }},
        "/api/v1/checkin-keys": {"get": {
            "tags": ["check-in"], "operationId": "listCheckinKeys", "security": [], "parameters": [IF_NONE_MATCH],
            "summary": "Public keys for verifying ticket codes offline",
            "description": "Every key with its id, Ed25519 public key (raw, base64url; and PEM), status "
                           "(active, retired, revoked) and validity, and the layout of a code. A retired key's "
                           "codes stay valid until its `not_after`; a revoked key's, for scans made before its "
                           "`revoked_at`. `format.offline` says what an offline gate can check (signature, key "
                           "validity, venue, date) and what is checked when its scans are uploaded to "
                           "/api/v1/checkins/batch (the time window, the booking's state, a ticket used once). "
                           + CONDITIONAL_GET_NOTE,
            "responses": {"304": NOT_MODIFIED, "200": {"description": "The keys.", "headers": etag_headers(), "content": {"application/json": {
                "schema": {"type": "object"}}}}},
        }},
        "/api/v1/bookings/{booking_id}/ticket.png": {"get": {
            "tags": ["check-in"], "operationId": "ticketPng", "summary": "The ticket's QR code as PNG",
            "description": "For the booker and the venue's staff, while the booking is confirmed.",
            "parameters": [_BOOKING_ID],
            "responses": {"200": {"description": "PNG.", "content": {"image/png": {}}}, **_IMAGE_RESPONSES},
        }},
        "/api/v1/bookings/{booking_id}/ticket.svg": {"get": {
            "tags": ["check-in"], "operationId": "ticketSvg", "summary": "The ticket's QR code as SVG",
            "description": "For the booker and the venue's staff, while the booking is confirmed.",
            "parameters": [_BOOKING_ID],
            "responses": {"200": {"description": "SVG.", "content": {"image/svg+xml": {}}}, **_IMAGE_RESPONSES},
        }},
    },
}

