"""GET /api/v1/venues and /api/v1/venues/<id>: the public directory as JSON."""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for

from app.api import bp
from app.api.params import COMMON_PARAMETER_DOCS, UNKNOWN_PARAMETER_NOTE, refuse_unknown_parameters
from app.api.public import CONDITIONAL_GET_NOTE, IF_NONE_MATCH, NOT_MODIFIED, etag_headers, public_read
from app.core.errors import NotFound
from app.core.time import local_today
from app.venues.services import find_venue
from app.venues.directory import ANY_ACCREDITATION, MAX_PAGE, parse_directory_filters, search_directory
from app.venues.models import AccreditationLevel, Admission, OperatorKind, Venue, VenueStatus, VenueType

MAX_PER_PAGE = 100
# What GET /venues reads (``parse_directory_filters`` without the page's ``open_on``).
DIRECTORY_PARAMETERS = ("q", "district", "type", "theme", "grade", "free", "accreditation", "page", "per_page")


def _pair(obj, field: str) -> dict:
    return {"zh": getattr(obj, f"{field}_zh") or "", "en": getattr(obj, f"{field}_en") or ""}


def _number(value):
    return float(value) if value is not None else None


def _clock(value):
    return value.strftime("%H:%M") if value is not None else None


def venue_json(venue: Venue) -> dict:
    """A venue as the API publishes it (see the ``Venue`` schema in ``OPENAPI`` below)."""
    today = local_today()
    return {
        "id": venue.id,
        "name_zh": venue.name_zh,
        "name_en": venue.name_en or "",
        "type": venue.venue_type.value,
        "operator_kind": venue.operator_kind.value,
        "district": {"code": venue.district.code, "name_zh": venue.district.name_zh,
                     "name_en": venue.district.name_en},
        "address_zh": venue.address_zh or "",
        "address_en": venue.address_en or "",
        "latitude": _number(venue.latitude),
        "longitude": _number(venue.longitude),
        "description": _pair(venue, "description"),
        "themes": venue.theme_names,
        "admission": venue.admission.value,
        "discount": _pair(venue, "discount") if venue.admission == Admission.DISCOUNTED else None,
        "opening_hours": {"opens_at": _clock(venue.opens_at), "closes_at": _clock(venue.closes_at)},
        "closed_weekdays": sorted(venue.closed_weekday_set),
        "daily_capacity": venue.daily_capacity,
        "grade_min": venue.grade_min,
        "grade_max": venue.grade_max,
        "accessibility": _pair(venue, "accessibility"),
        "contact": {"phone": venue.contact_phone or None, "email": venue.contact_email or None,
                    "website": venue.website or None},
        "accreditations": [
            {"level": a.level.value, "certificate_no": a.certificate_no,
             "valid_from": a.valid_from.isoformat(), "valid_to": a.valid_to.isoformat()}
            for a in venue.current_accreditations(today)
        ],
        "unverified_note": venue.unverified_note or None,
        "url": url_for("venues.detail", venue_id=venue.id, _external=True),
    }


@bp.get("/venues")
@public_read
def list_venues():
    refuse_unknown_parameters(DIRECTORY_PARAMETERS)
    filters, problems = parse_directory_filters(
        request.args, per_page=current_app.config["DIRECTORY_PAGE_SIZE"], max_per_page=MAX_PER_PAGE)
    if problems:
        raise problems[0]
    page = search_directory(filters)
    return jsonify(items=[venue_json(v) for v in page.items], page=page.page, per_page=page.per_page,
                   total=page.total)


@bp.get("/venues/<int:venue_id>")
@public_read
def get_venue(venue_id: int):
    venue = find_venue(venue_id)
    if venue is None or venue.status != VenueStatus.APPROVED:
        raise NotFound()
    return jsonify(venue_json(venue))


def _parameter(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_TEXT_PAIR = {"type": "object", "required": ["zh", "en"],
              "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}}

OPENAPI = {
    "tags": [{"name": "venues", "description": "The public directory of approved science venues."}],
    "paths": {
        "/api/v1/venues": {
            "get": {
                "tags": ["venues"],
                "operationId": "listVenues",
                "summary": "Search approved venues",
                "description": "Public, no token needed. Sorted by Chinese name. Every filter is optional. "
                               + UNKNOWN_PARAMETER_NOTE + " " + CONDITIONAL_GET_NOTE,
                "security": [],
                "parameters": [
                    _parameter("q", "Keyword matched against names (zh/en), addresses (zh/en), themes and "
                               "district names (zh/en, e.g. 玄武 or Xuanwu). Words separated by spaces must "
                               "each match: `科技 馆` finds the venues matching both. Case aside; full-width "
                               "letters and digits count as their ASCII (NFKC: `ＮＡＮＪＩＮＧ` is `NANJING`) and "
                               "invisible format characters (a zero-width space) are ignored.",
                               {"type": "string", "maxLength": 100}),
                    _parameter("district", "District code, e.g. 320102 (玄武区).", {"type": "string"}),
                    _parameter("type", "Venue type.", {"$ref": "#/components/schemas/VenueType"}),
                    _parameter("theme", "A theme, as stored (`astronomy`) or by its Chinese or English name (`天文`, "
                               "`Astronomy`), case aside; one no venue has is refused (`invalid_parameter`).",
                               {"type": "string", "maxLength": 80}),
                    _parameter("grade", "A grade the venue suits: 0 = kindergarten, 1-12.",
                               {"type": "integer", "minimum": 0, "maximum": 12}),
                    _parameter("free", "1 (or true) for free-admission venues only; 0 (or false) or absent for all. "
                               "Any other value is refused (400).",
                               {"type": "string", "enum": ["1", "0", "true", "false"]}),
                    _parameter("accreditation", "Education bases (科普教育基地) only: `any` for venues holding any "
                               "accreditation current today (Nanjing's date), or a level for those holding that "
                               "one. Any other value is refused (400 `invalid_parameter`).",
                               {"type": "string",
                                "enum": [ANY_ACCREDITATION, *(level.value for level in AccreditationLevel)]}),
                    _parameter("page", "Page number, from 1. A page past the last one is answered with no `items` "
                               "(`total` still counts every match), so a client may page until `items` is empty.",
                               {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
                    _parameter("per_page", "Venues per page.",
                               {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20}),
                    *COMMON_PARAMETER_DOCS,
                    IF_NONE_MATCH,
                ],
                "responses": {
                    "304": NOT_MODIFIED,
                    "200": {"description": "A page of venues.", "headers": etag_headers(), "content": {"application/json": {"schema": {
                        "type": "object", "required": ["items", "page", "per_page", "total"],
                        "properties": {
                            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Venue"}},
                            "page": {"type": "integer"}, "per_page": {"type": "integer"},
                            "total": {"type": "integer", "description": "Venues matching, on all pages."},
                        }}}}},
                    "400": {"$ref": "#/components/responses/InvalidParameter"},
                },
            },
        },
        "/api/v1/venues/{venue_id}": {
            "get": {
                "tags": ["venues"],
                "operationId": "getVenue",
                "summary": "One approved venue",
                "description": "Public, no token needed. " + CONDITIONAL_GET_NOTE,
                "security": [],
                "parameters": [{"name": "venue_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                               IF_NONE_MATCH],
                "responses": {
                    "304": NOT_MODIFIED,
                    "200": {"description": "The venue.", "headers": etag_headers(),
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Venue"}}}},
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            },
        },
    },
    "schemas": {
        "VenueType": {"type": "string", "enum": [t.value for t in VenueType]},
        "TextPair": _TEXT_PAIR,
        "Venue": {
            "type": "object",
            "required": ["id", "name_zh", "name_en", "type", "operator_kind", "district", "themes",
                         "admission", "closed_weekdays", "grade_min", "grade_max", "accreditations", "url"],
            "properties": {
                "id": {"type": "integer"},
                "name_zh": {"type": "string"},
                "name_en": {"type": "string"},
                "type": {"$ref": "#/components/schemas/VenueType"},
                "operator_kind": {"type": "string", "enum": [k.value for k in OperatorKind]},
                "district": {"type": "object", "required": ["code", "name_zh", "name_en"], "properties": {
                    "code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"}}},
                "address_zh": {"type": "string"},
                "address_en": {"type": "string"},
                "latitude": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
                "longitude": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
                "description": {"$ref": "#/components/schemas/TextPair"},
                "themes": {"type": "array", "items": {"type": "string"}},
                "admission": {"type": "string", "enum": [a.value for a in Admission]},
                "discount": {"oneOf": [{"$ref": "#/components/schemas/TextPair"}, {"type": "null"}],
                             "description": "Who pays what; null for free admission."},
                "opening_hours": {"type": "object", "description": "Usual hours, local time (Asia/Shanghai), HH:MM.",
                                  "properties": {"opens_at": {"type": ["string", "null"]},
                                                 "closes_at": {"type": ["string", "null"]}}},
                "closed_weekdays": {"type": "array", "description": "ISO weekdays usually closed: 1 = Monday.",
                                    "items": {"type": "integer", "minimum": 1, "maximum": 7}},
                "daily_capacity": {"type": ["integer", "null"]},
                "grade_min": {"type": "integer", "minimum": 0, "maximum": 12,
                              "description": "0 = kindergarten"},
                "grade_max": {"type": "integer", "minimum": 0, "maximum": 12},
                "accessibility": {"$ref": "#/components/schemas/TextPair"},
                "contact": {"type": "object", "properties": {
                    "phone": {"type": ["string", "null"]}, "email": {"type": ["string", "null"]},
                    "website": {"type": ["string", "null"]}}},
                "accreditations": {"type": "array", "description": "Accreditations valid today.", "items": {
                    "type": "object", "required": ["level", "certificate_no", "valid_from", "valid_to"],
                    "properties": {
                        "level": {"type": "string", "enum": [level.value for level in AccreditationLevel]},
                        "certificate_no": {"type": "string"},
                        "valid_from": {"type": "string", "format": "date"},
                        "valid_to": {"type": "string", "format": "date"}}}},
                "unverified_note": {"type": ["string", "null"], "description": (
                    "Facts not yet verified, separated by semicolons: district, district_or_type, venue_type, "
                    "operator, name, campus or existence (whether it is open); null when all is verified.")},
                "url": {"type": "string", "format": "uri", "description": "The venue's public page."},
            },
        },
    },
}
