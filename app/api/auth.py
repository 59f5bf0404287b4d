"""Who is calling the API: a bearer token (people and gate devices) or, for the site's own
pages, the signed-in session with its CSRF token. ``POST /api/v1/auth/token`` issues tokens."""
from __future__ import annotations

from functools import wraps

from flask import g, jsonify, make_response, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf

from app.accounts import tokens
from app.accounts.models import TokenKind
from app.accounts.services import authenticate
from app.api import bp
from app.core.errors import DomainError
from app.core.requests import refuse_nul_in_json, request_json
from app.core.time import to_local, utcnow
from app.extensions import csrf, db, limiter

# Bearer-token clients carry no cookies, so cross-site request forgery does not apply to them;
# session-cookie callers are checked by hand below.
csrf.exempt(bp)


class Unauthorized(DomainError):
    """401. With the ``Refusal`` of the bearer token sent, it says why (``reason``) and where a new
    token comes from: a client cannot otherwise tell an expired token from a revoked one or a typo."""

    status = 401

    def __init__(self, refusal: tokens.Refusal | None = None):
        super().__init__("unauthorized", _refusal_message(refusal))
        self.reason = refusal.reason if refusal is not None else None


def _refusal_message(refusal: tokens.Refusal | None):
    if refusal is None or refusal.reason == "token_unknown":
        return _l("Send a valid token: Authorization: Bearer <token>.")
    if refusal.reason == "account_inactive":
        return _l("The account this token belongs to is disabled.")
    when = to_local(refusal.at).strftime("%Y-%m-%d %H:%M")
    gate = refusal.kind == TokenKind.GATE
    if refusal.reason == "token_expired":
        if gate:
            return _l("This gate device's token expired on %(when)s (Beijing time). Ask the venue's manager for "
                      "a new one on the Gate devices page.", when=when)
        return _l("This token expired on %(when)s (Beijing time). Get a new one with POST /api/v1/auth/token.",
                  when=when)
    if gate:
        return _l("This gate device's token was revoked on %(when)s (Beijing time). Ask the venue's manager for "
                  "a new one on the Gate devices page.", when=when)
    return _l("This token was revoked on %(when)s (Beijing time): it was ended with DELETE /api/v1/auth/token, "
              "or the account's password or access changed. Get a new one with POST /api/v1/auth/token.", when=when)


def _bearer_secret() -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return (credentials.strip() or None) if scheme.lower() == "bearer" else None


def refused() -> Unauthorized:
    """The 401 of this request: why its bearer token was refused, when it sent one."""
    secret = _bearer_secret()
    return Unauthorized(tokens.refusal(secret) if secret else None)


# RFC 6750 §3: error_description is ASCII, for the developer; the body's message is in their language.
_CHALLENGE_DESCRIPTIONS = {"token_expired": "The access token expired",
                           "token_revoked": "The access token was revoked",
                           "account_inactive": "The account is disabled"}


def challenge(reason: str | None = None) -> str:
    """The ``WWW-Authenticate`` value of a 401 (RFC 9110 §11.6.1): the bearer scheme, and
    ``invalid_token`` when a bearer token came and was refused (RFC 6750 §3.1), not when none did,
    with an ``error_description`` when the token is known to have expired or been revoked."""
    if _bearer_secret() is None:
        return 'Bearer realm="SciVisit"'
    description = _CHALLENGE_DESCRIPTIONS.get(reason or "")
    if description:
        return f'Bearer realm="SciVisit", error="invalid_token", error_description="{description}"'
    return 'Bearer realm="SciVisit", error="invalid_token"'


def current_principal():
    """The ``User`` or ``GateDevice`` behind this request, or ``None``."""
    if "principal" in g:
        return g.principal
    principal = None
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":  # auth schemes are case-insensitive (RFC 9110 §11.1)
        principal = tokens.principal_for(credentials.strip())
    elif current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                validate_csrf(request.headers.get("X-CSRFToken"))
            except CSRFError:
                raise DomainError("csrf_failed", _l("The page expired. Reload it and try again."), status=400)
            except Exception as error:  # wtforms ValidationError: missing or wrong token
                raise DomainError("csrf_failed", _l("The page expired. Reload it and try again."),
                                  status=400) from error
        principal = current_user._get_current_object()
    g.principal = principal
    return principal


def principal_required(view):
    """The route needs a token (or session); 401 JSON otherwise."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_principal() is None:
            raise refused()
        return view(*args, **kwargs)

    return wrapped


def json_body(*, per_item: str | None = None, optional: bool = False) -> dict:
    """The request's JSON object, refused (400) when it is not one (unless ``optional``: then
    ``{}``) or holds a NUL character (``core.requests.refuse_nul_in_json``, which says what
    ``per_item`` is)."""
    data = request_json()
    if not isinstance(data, dict):
        if optional:
            return {}
        raise DomainError("invalid_json", _l("Send a JSON object with Content-Type: application/json."))
    refuse_nul_in_json(data, per_item=per_item)
    return data


@bp.post("/auth/token")
@limiter.limit("10 per minute")
def issue_token():
    data = json_body()
    email, password = data.get("email"), data.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise DomainError("invalid_parameter", _l("Send email and password."), field="email")
    user = authenticate(email, password)
    secret, token = tokens.issue_user_token(user, now=utcnow())
    db.session.commit()
    return jsonify(token=secret, expires_at=token.expires_at.isoformat() + "Z", token_type="Bearer"), 201


def _sent_token():
    """The valid token this request carries as its bearer credential; 401, saying why, otherwise
    (a signed-in session has no token to describe or end)."""
    secret = _bearer_secret()
    if secret is None or current_principal() is None:
        raise refused()
    return tokens.token_row(secret)


def _utc(value):
    return value.isoformat() + "Z" if value is not None else None


@bp.get("/auth/token")
def describe_token():
    token, principal = _sent_token(), current_principal()
    gate = token.kind == TokenKind.GATE
    return jsonify(token_type="Bearer", kind=token.kind.value, name=token.name if gate else None,
                   created_at=_utc(token.created_at), expires_at=_utc(token.expires_at),
                   role=getattr(principal.role, "value", principal.role),
                   user_id=None if gate else principal.id, venue_id=principal.venue_id,
                   school_id=None if gate else principal.school_id)


@bp.delete("/auth/token")
def end_token():
    tokens.revoke_token(_sent_token())
    db.session.commit()
    response = make_response("", 204)
    del response.headers["Content-Type"]  # no content, so no type
    return response


_NULLABLE_ID = {"type": ["integer", "null"]}

OPENAPI = {
    "tags": [{"name": "auth", "description": "Tokens for API clients: issue, describe, end."}],
    "schemas": {
        "Token": {"type": "object", "required": ["token", "expires_at"],
                  "properties": {"token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"},
                                 "token_type": {"type": "string", "enum": ["Bearer"]}}},
        "TokenInfo": {
            "type": "object", "required": ["token_type", "kind", "role", "created_at", "expires_at"],
            "properties": {
                "token_type": {"type": "string", "enum": ["Bearer"]},
                "kind": {"type": "string", "enum": ["user", "gate"],
                         "description": "`user`: a person's token; `gate`: a gate device's, for one venue."},
                "name": {"type": ["string", "null"], "description": "The gate device's name; null for a person."},
                "role": {"type": "string", "enum": ["citizen", "teacher", "venue_staff", "venue_manager",
                                                    "district_admin", "city_admin", "gate_device"]},
                "user_id": _NULLABLE_ID, "venue_id": _NULLABLE_ID, "school_id": _NULLABLE_ID,
                "created_at": {"type": "string", "format": "date-time"},
                "expires_at": {"type": "string", "format": "date-time",
                               "description": "UTC. Get a new token before then; a token is not extended."},
            },
        },
    },
    "paths": {
        "/api/v1/auth/token": {
            "get": {
                "tags": ["auth"], "operationId": "describeToken",
                "summary": "The token sent: whose, for which venue, until when",
                "description": "For a person's token and a gate device's alike: a device can check at start-up "
                               "that its token works and warn before `expires_at`. The secret itself is shown "
                               "only once, when issued.",
                "responses": {
                    "200": {"description": "The token.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenInfo"}}}},
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                },
            },
            "delete": {
                "tags": ["auth"], "operationId": "endToken", "summary": "End (revoke) the token sent",
                "description": "Signing out of a client, or the second half of rotating a token: issue a new one, "
                               "switch to it, then end the old one. Only the token sent is ended, not the "
                               "person's other tokens. Every server refuses it within `API_TOKEN_CACHE_SECONDS` "
                               "(5 s by default); then it answers 401 with `reason` `token_revoked`.",
                "responses": {
                    "204": {"description": "Ended."},
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                },
            },
            "post": {
                "tags": ["auth"], "operationId": "issueToken", "security": [],
                "summary": "Exchange email and password for a bearer token (30 days)",
                "description": "Each call issues a new token, valid 30 days and not extended: end the ones no "
                               "longer used (DELETE). At most 10 calls a minute from one address. Gate devices "
                               "do not sign in here: the venue's manager makes their tokens (365 days) on the "
                               "site's Gate devices page (/manage/gates).",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["email", "password"],
                    "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": {
                    "201": {"description": "Issued.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Token"}}}},
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "401": {"description": "Wrong email or password, or the account is locked for a while "
                                           "after repeated failures (error `invalid_credentials`; the message "
                                           "does not say which, nor whether the account exists).",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "429": {"$ref": "#/components/responses/TooManyRequests"},
                },
            },
        },
    },
}
