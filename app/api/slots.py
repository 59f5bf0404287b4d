"""GET and POST /api/v1/venues/<id>/slots: a venue's slots, and publishing one from its own system.

Times go out as ISO 8601 with the +08:00 offset; they come in as ISO 8601 local times (naive
means Asia/Shanghai; an offset is honoured).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import jsonify, url_for
from flask_babel import lazy_gettext as _l

from app.api import bp
from app.api.auth import current_principal, refused
from app.api.params import COMMON_PARAMETER_DOCS, UNKNOWN_PARAMETER_NOTE, date_arg, refuse_unknown_parameters
from app.api.public import CONDITIONAL_GET_NOTE, IF_NONE_MATCH, NOT_MODIFIED, etag_headers, public_read
from app.bookings.capacity import held_for_partners
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.requests import refuse_nul_in_json, request_json
from app.core.time import local_today, parse_moment, to_local, utcnow
from app.extensions import db
from app.scheduling import services
from app.scheduling.availability import slots_between
from app.scheduling.models import Slot, SlotStatus
from app.venues.models import Venue, VenueStatus

DEFAULT_DAYS = 30
MAX_DAYS = 92


def api_user():
    """Who the request acts for: a bearer token's holder, or the site's own session (with its
    X-CSRFToken header, as ``app.api.auth`` checks); 401 when neither."""
    principal = current_principal()
    if principal is None:
        raise refused()
    return principal


def slot_json(slot: Slot, now: datetime) -> dict:
    program = slot.program
    # A cancelled slot has no place anyone can take, whatever its capacity was.
    available = slot.available if slot.status == SlotStatus.OPEN else 0
    return {
        "id": slot.id,
        "start": to_local(slot.starts_at).isoformat(),
        "end": to_local(slot.ends_at).isoformat(),
        "capacity": slot.capacity,
        "available": available,
        "held_for_partner_schools": min(available, held_for_partners(slot, now)),
        "audience": slot.audience.value,
        "admission": slot.admission.value,
        "program": ({"id": program.id, "title_zh": program.title_zh, "title_en": program.title_en or ""}
                    if program is not None else None),
        "status": slot.status.value,
    }


@bp.get("/venues/<int:venue_id>/slots")
@public_read
def list_slots(venue_id: int):
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.status != VenueStatus.APPROVED:
        raise NotFound()
    refuse_unknown_parameters(("from", "to"))
    first = date_arg("from", local_today())
    last = date_arg("to", first + timedelta(days=DEFAULT_DAYS))
    if last < first:
        raise DomainError("invalid_parameter", _l("'to' cannot be before 'from'."), field="to")
    if (last - first).days + 1 > MAX_DAYS:
        raise DomainError("invalid_parameter", _l("Ask for at most %(days)d days at once.", days=MAX_DAYS),
                          field="to")
    now = utcnow()
    items = [slot_json(s, now) for s in slots_between(venue, first, last)]
    return jsonify(venue_id=venue.id, **{"from": first.isoformat(), "to": last.isoformat()}, items=items)


def _invalid(message, field: str | None = None) -> DomainError:
    return DomainError("invalid_slot", message, field=field)


def _duplicate(exc) -> DomainError:
    """409: the slot is published already. The code stays ``invalid_slot`` (what clients have read
    for it); ``reason`` and ``existing_slot_id`` say which slot it repeats."""
    conflict = DomainError("invalid_slot", exc.message, field=exc.field, status=409)
    conflict.reason = "duplicate_slot"
    conflict.details = {"existing_slot_id": exc.slot_id}
    return conflict


def _datetime_field(body: dict, name: str) -> datetime:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _invalid(_l("Give %(field)s as an ISO 8601 time, e.g. 2026-12-01T09:00.", field=name), name)
    try:
        return parse_moment(value)
    except ValueError:
        raise _invalid(_l("Give %(field)s as an ISO 8601 time, e.g. 2026-12-01T09:00.", field=name),
                       name) from None


REQUIRED_FIELDS = ("start", "end", "capacity", "audience")


@bp.post("/venues/<int:venue_id>/slots")
def create_slot(venue_id: int):
    user = api_user()
    venue = db.session.get(Venue, venue_id)
    if venue is None:
        raise NotFound()
    if not services.can_manage_schedule(user, venue):
        raise Forbidden()
    body = request_json()
    if not isinstance(body, dict):
        raise _invalid(_l("Send a JSON object with start, end, capacity and audience."))
    refuse_nul_in_json(body)
    missing = [name for name in REQUIRED_FIELDS if body.get(name) in (None, "")]
    if missing:  # all of them at once, before any is read
        raise _invalid(_l("Missing: %(fields)s. A slot needs start, end, capacity and audience.",
                          fields=", ".join(missing)), missing[0])
    capacity = body.get("capacity")
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise _invalid(_l("capacity must be a whole number."), "capacity")
    program_id = body.get("program_id")
    # The service reads the page's choices, where "" and 0 mean none: false would pass as 0.
    if program_id is not None and (isinstance(program_id, bool) or not isinstance(program_id, int)):
        raise _invalid(_l("%(name)s must be a whole number.", name="program_id"), "program_id")
    try:
        slot = services.create_slot(
            user, venue, start=_datetime_field(body, "start"), end=_datetime_field(body, "end"), capacity=capacity,
            audience=body.get("audience"), admission=body.get("admission"), program_id=program_id,
            # The venue's own scheduling system states its intent by publishing: the contract is
            # {start, end, capacity, audience}, and a slot may be published on any day (PRODUCT.md),
            # also a themed event's around its themed day's dates, or alongside its other slots.
            special_opening=True, themed_dates_confirmed=True, overlap_confirmed=True)
    except services.DuplicateSlot as exc:
        db.session.rollback()
        raise _duplicate(exc) from None
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 400:
            raise _invalid(exc.message, exc.field) from None
        raise
    db.session.commit()
    response = jsonify(slot_json(slot, utcnow()))
    response.status_code = 201
    response.headers["Location"] = url_for("api.list_slots", venue_id=venue.id,
                                           **{"from": slot.local_date.isoformat(), "to": slot.local_date.isoformat()})
    return response


_SLOT_SCHEMA = {
    "type": "object",
    "required": ["id", "start", "end", "capacity", "available", "held_for_partner_schools", "audience", "admission",
                 "program", "status"],
    "properties": {
        "id": {"type": "integer"},
        "start": {"type": "string", "format": "date-time", "description": "Local time with offset, +08:00."},
        "end": {"type": "string", "format": "date-time"},
        "capacity": {"type": "integer", "minimum": 1},
        "available": {"type": "integer", "minimum": 0,
                      "description": "Places left now, including those held for partner schools; 0 for a "
                                     "cancelled slot."},
        "held_for_partner_schools": {
            "type": "integer", "minimum": 0,
            "description": "Of the places left, how many only the classes of the venue's partner schools may take "
                           "now (馆校合作 reserve); released to everyone when the venue's release time passes. "
                           "Anyone else may take at most available − held_for_partner_schools."},
        "audience": {"type": "string", "enum": ["public", "school", "mixed"]},
        "admission": {"type": "string", "enum": ["free", "discounted"]},
        "program": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["id", "title_zh", "title_en"],
                                                 "properties": {"id": {"type": "integer"},
                                                                "title_zh": {"type": "string"},
                                                                "title_en": {"type": "string"}}}]},
        "status": {"type": "string", "enum": ["open", "cancelled"]},
    },
}
_VENUE_ID = {"name": "venue_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

OPENAPI = {
    "tags": [{"name": "slots", "description": "A venue's bookable times (场次)."}],
    "paths": {
        "/api/v1/venues/{venue_id}/slots": {
            "get": {
                "tags": ["slots"], "operationId": "listVenueSlots", "summary": "An approved venue's slots",
                "description": "Public. Slots whose local day (Asia/Shanghai) is within from..to, open and "
                               "cancelled, by start time. " + UNKNOWN_PARAMETER_NOTE + " " + CONDITIONAL_GET_NOTE,
                "security": [],
                "parameters": [
                    _VENUE_ID,
                    {"name": "from", "in": "query", "required": False, "description": "First day; default today.",
                     "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "required": False,
                     "description": f"Last day; default from + {DEFAULT_DAYS} days; at most {MAX_DAYS} days in all.",
                     "schema": {"type": "string", "format": "date"}},
                    *COMMON_PARAMETER_DOCS,
                    IF_NONE_MATCH,
                ],
                "responses": {
                    "304": NOT_MODIFIED,
                    "200": {"description": "The slots.", "headers": etag_headers(), "content": {"application/json": {"schema": {
                        "type": "object", "required": ["venue_id", "from", "to", "items"],
                        "properties": {"venue_id": {"type": "integer"},
                                       "from": {"type": "string", "format": "date"},
                                       "to": {"type": "string", "format": "date"},
                                       "items": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}}},
                    }}}},
                    "400": {"$ref": "#/components/responses/InvalidParameter"},
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            },
            "post": {
                "tags": ["slots"], "operationId": "createVenueSlot", "summary": "Publish a slot",
                "description": "For the manager of the venue. Times are ISO 8601 local times: naive means "
                               "Asia/Shanghai, an offset is honoured; whole minutes only. The booking window and partner reserve "
                               "follow the venue's booking rules. A slot on a day the venue is closed (a closure) is "
                               "published as a special opening, and shown to visitors as one.",
                "parameters": [_VENUE_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["start", "end", "capacity", "audience"],
                    "properties": {
                        "start": {"type": "string", "examples": ["2026-12-01T09:00"]},
                        "end": {"type": "string", "examples": ["2026-12-01T12:00"]},
                        "capacity": {"type": "integer", "minimum": 1, "maximum": services.MAX_CAPACITY},
                        "audience": {"type": "string", "enum": ["public", "school", "mixed"]},
                        "admission": {"type": "string", "enum": ["free", "discounted"],
                                      "description": "Default: the venue's admission."},
                        "program_id": {"type": ["integer", "null"]},
                    }}}}},
                "responses": {
                    "201": {"description": "The new slot.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Slot"}}}},
                    "400": {"description": "Invalid slot (error `invalid_slot`, with `field`).", "content": _ERROR},
                    "409": {"description": "The same start, end and audience is already published as an open "
                                           "slot: error `invalid_slot` with `reason` `duplicate_slot`, `field` "
                                           "`start` and `existing_slot_id`, the slot published. Nothing is "
                                           "created.",
                            "content": _ERROR},
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"},
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            },
        },
    },
    "schemas": {"Slot": _SLOT_SCHEMA},
}
