"""The OpenAPI 3.1 document for everything under /api/v1, built from each API module's ``OPENAPI``.

To document a new module: give it an ``OPENAPI`` dict with ``paths`` (full paths, ``/api/v1/...``)
and optionally ``schemas``, ``responses`` and ``tags``. Every ``app.api.*`` module that is loaded
(``app/api/__init__.py`` imports them so their routes attach to the blueprint) is gathered, in
name order. A test checks that every /api/v1 route appears here.
"""
from __future__ import annotations

import copy
import sys

from flask import jsonify

from app.api import bp
from app.api.public import IF_NONE_MATCH, NOT_MODIFIED, public_read
from app.core.errors import HTTP_ERROR_CODES

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "Stable machine code, e.g. not_found, invalid_parameter."},
        "message": {"type": "string", "description": "Human text in the interface language."},
        "field": {"type": "string", "description": "The parameter or field at fault, when there is one; a "
                                                   "field inside an object by its path, e.g. `headcount.students`."},
        "reason": {"type": "string", "description": "Finer detail of a 401: `token_expired`, `token_revoked`, "
                                                    "`account_inactive` or `token_unknown`; of a 409 "
                                                    "`invalid_slot`: `duplicate_slot`."},
        "parameters": {"type": "array", "items": {"type": "string"},
                       "description": "For `unknown_parameter`: every query parameter the route does not know."},
        "existing_slot_id": {"type": "integer",
                             "description": "For a duplicate slot (409 `invalid_slot`, `reason` "
                                            "`duplicate_slot`): the slot already published at that time."},
    },
}


def _general_codes() -> str:
    return ", ".join(f"`{code}` ({status})" for status, code in HTTP_ERROR_CODES.items())


def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _base() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SciVisit API",
            "version": "1.0.0",
            "summary": "Nanjing science venues: directory, slots, bookings, check-in and statistics.",
            "description": "Errors are JSON: {\"error\": <machine code>, \"message\": <human text>}; "
                           "program against `error` (and `field`, `reason`), show `message` to people. "
                           "Besides each route's own codes, any route may answer " + _general_codes() + ". "
                           "Send `Authorization: Bearer <token>` where a route needs a signed-in user "
                           "(see the bearerAuth scheme for where tokens come from).\n\n"
                           "Language: `message` texts are in Chinese unless the request asks for English with "
                           "`Accept-Language: en` or `?lang=en` (`?lang=zh` for Chinese); machine codes and "
                           "field names never change.\n\n"
                           "Times: every time sent out carries its offset, +08:00 (Asia/Shanghai) for a visit's "
                           "times, `Z` (UTC) for a token's; a time sent in without an offset is read as "
                           "Asia/Shanghai; dates (YYYY-MM-DD) are Nanjing's local days. A gate can set its clock "
                           "from any answer's `Date` header.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": "meta", "description": "This document."}],
        "paths": {
            "/api/v1/openapi.json": {
                "get": {
                    "tags": ["meta"], "operationId": "getOpenApi", "summary": "This OpenAPI document",
                    "security": [],
                    "parameters": [IF_NONE_MATCH],
                    "responses": {"200": {"description": "OpenAPI 3.1 document.",
                                          "content": {"application/json": {"schema": {"type": "object"}}}},
                                  "304": NOT_MODIFIED},
                },
            },
        },
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "responses": {
                "NotFound": _error_response("No such resource (error `not_found`)."),
                "InvalidParameter": _error_response("A parameter is invalid (error `invalid_parameter`, "
                                                    "with `field`), or unknown (`unknown_parameter`)."),
                "BadRequest": _error_response("The request body is missing or malformed."),
                "Unauthorized": {
                    **_error_response("A valid bearer token is needed (error `unauthorized`, with `reason` "
                                      "when a token was sent and refused)."),
                    "headers": {"WWW-Authenticate": {
                        "description": "`Bearer realm=\"SciVisit\"`, with `error=\"invalid_token\"` when the "
                                       "token sent was refused (RFC 6750).",
                        "schema": {"type": "string"}}},
                },
                "Forbidden": _error_response("The token's user may not do this (error `forbidden`)."),
                "Conflict": _error_response("The request conflicts with the current state (see `error`)."),
                "TooManyRequests": {
                    **_error_response("Rate limit reached (error `rate_limited`); retry after `Retry-After`."),
                    "headers": {"Retry-After": {"description": "Seconds to wait before trying again.",
                                                "schema": {"type": "integer", "minimum": 0}}},
                },
            },
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "A person's token comes from POST /api/v1/auth/token (email and password; 30 days). "
                               "A gate device's token (365 days, one venue, check-in only) is made by the venue's "
                               "manager on the site's Gate devices page (/manage/gates) and shown once. "
                               "GET /api/v1/auth/token says whose a token is and until when; DELETE ends it "
                               "(to rotate: get a new one, switch, end the old one); a password change ends all "
                               "of a person's tokens. A refused token is answered 401 with `reason` "
                               "(`token_expired`, `token_revoked`, …) and a message saying where to get a new one."}},
        },
    }


def _sections() -> list[dict]:
    modules = [module for name, module in sorted(sys.modules.items())
               if name.startswith("app.api.") and module is not None]
    return [module.OPENAPI for module in modules if hasattr(module, "OPENAPI")]


def build_document() -> dict:
    doc = _base()
    for section in _sections():
        section = copy.deepcopy(section)
        for path, operations in section.get("paths", {}).items():
            doc["paths"].setdefault(path, {}).update(operations)
        doc["components"]["schemas"].update(section.get("schemas", {}))
        doc["components"]["responses"].update(section.get("responses", {}))
        doc["tags"].extend(section.get("tags", []))
    return doc


@bp.get("/openapi.json")
@public_read
def openapi():
    return jsonify(build_document())
