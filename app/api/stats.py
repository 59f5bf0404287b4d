"""GET /api/v1/stats/summary: the public totals, the same figures as the dashboard."""
from __future__ import annotations

from flask import jsonify, request

from app.api import bp
from app.api.params import COMMON_PARAMETER_DOCS, UNKNOWN_PARAMETER_NOTE, refuse_unknown_parameters
from app.api.public import CONDITIONAL_GET_NOTE, IF_NONE_MATCH, NOT_MODIFIED, etag_headers, public_read
from app.stats import services
from app.stats.filters import FILTER_NAMES, parse_filters
from app.venues.models import OperatorKind, VenueType


@bp.get("/stats/summary")
@public_read
def stats_summary():
    # Unknown names first, all of them, as the other lists do; then each value (invalid_parameter).
    refuse_unknown_parameters(FILTER_NAMES)
    filters = parse_filters(request.args, strict=True)
    response = jsonify(services.summary(filters))
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response


def _parameter(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _count(description: str) -> dict:
    return {"type": "integer", "minimum": 0, "description": description}


def _rate(description: str) -> dict:
    return {"type": ["number", "null"], "minimum": 0, "description": description}


OPENAPI = {
    "tags": [{"name": "statistics", "description": "Open statistics of visits, derived from check-ins."}],
    "paths": {
        "/api/v1/stats/summary": {
            "get": {
                "tags": ["statistics"],
                "operationId": "getStatsSummary",
                "summary": "Totals of visits, bookings and supply for a period",
                "description": "Public, no token needed. Visits are persons admitted (check-ins and walk-ins) on "
                               "the visit's local day (Asia/Shanghai); nothing after today is counted. The period "
                               "is at most five years (`to` before the same date five years after `from`); this year "
                               "so far by default. A period that starts after today is answered with zeros and "
                               "`through` null. A value that is not valid is "
                               "refused (400 `invalid_parameter` naming the `field`). " + UNKNOWN_PARAMETER_NOTE
                               + " " + CONDITIONAL_GET_NOTE,
                "security": [],
                "parameters": [
                    _parameter("from", "First day, YYYY-MM-DD (default 1 January of `to`'s year or this year).",
                               {"type": "string", "format": "date"}),
                    _parameter("to", "Last day, YYYY-MM-DD (default today, or 31 December of `from`'s year).",
                               {"type": "string", "format": "date"}),
                    _parameter("district", "District code, e.g. 320102 (玄武区).", {"type": "string"}),
                    _parameter("venue", "Venue id.", {"type": "integer", "minimum": 1}),
                    _parameter("type", "Venue type.", {"type": "string", "enum": [t.value for t in VenueType]}),
                    _parameter("operator", "Operator kind.",
                               {"type": "string", "enum": [k.value for k in OperatorKind]}),
                    _parameter("theme", "A venue theme, as stored (`astronomy`) or by its Chinese or English name "
                               "(`天文`, `Astronomy`); one no venue has is refused (`invalid_parameter`).",
                               {"type": "string", "maxLength": 80}),
                    *COMMON_PARAMETER_DOCS,
                    IF_NONE_MATCH,
                ],
                "responses": {
                    "200": {"description": "The totals.", "headers": etag_headers(), "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/StatsSummary"}}}},
                    "304": NOT_MODIFIED,
                    "400": {"$ref": "#/components/responses/InvalidParameter"},
                },
            },
        },
    },
    "schemas": {
        "StatsSummary": {
            "type": "object",
            "required": ["from", "to", "visits", "bookings", "school_groups", "students", "walk_ins",
                         "individual_visits", "adults_with_groups", "venues", "open_days", "free_open_hours",
                         "capacity_offered", "utilisation", "no_show_rate"],
            "properties": {
                "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date"},
                "through": {"type": ["string", "null"], "format": "date",
                            "description": "The last day counted: `to`, or today if `to` is later; null when "
                                           "the period starts after today, as nothing in it is counted yet "
                                           "(every figure is then 0). Never a day before `from`."},
                "district": {"type": ["string", "null"]},
                "venue": {"type": ["integer", "null"]},
                "visits": _count("Persons admitted: individual visitors, students, accompanying adults, walk-ins."),
                # The dashboard's words for it (app.stats.definitions): the sum app.stats.services.derived makes.
                "bookings": _count("Bookings for visits in the period that were checked in, missed, or confirmed "
                                   "for a slot that has ended; cancelled, declined and pending ones are not counted."),
                "school_groups": _count("Class visits admitted."),
                "students": _count("Students admitted with their classes."),
                "adults_with_groups": _count("Adults accompanying classes."),
                "individual_visits": _count("Persons admitted on individual bookings."),
                "walk_ins": _count("Persons admitted without a booking."),
                "walk_ins_by_group": {"type": "object", "properties": {
                    "youth": {"type": "integer"}, "adult": {"type": "integer"}, "senior": {"type": "integer"}}},
                "free_visits": _count("Persons admitted on free-admission slots, and walk-ins at free venues."),
                "event_visits": _count("Persons admitted to themed-day events."),
                "venues": _count("Venues with a visit or a published slot in the period."),
                "open_days": _count("Venue-days with at least one published free-open slot."),
                "free_open_hours": {"type": "number", "minimum": 0,
                                    "description": "Hours covered by free-open slots (overlaps counted once)."},
                "capacity_offered": _count("Places on published (not cancelled) slots."),
                "utilisation": _rate("Persons checked in on bookings ÷ places offered; null without places."),
                "no_shows": _count("Bookings marked as not come."),
                "no_show_rate": _rate("No-shows ÷ (confirmed bookings whose slot has ended + checked in + "
                                      "no-shows); null without bookings."),
            },
        },
    },
}
