"""Who is calling the API: a bearer token (people and gate devices) or, for the site's own
pages, the signed-in session with its CSRF token. ``POST /api/v1/auth/token`` issues tokens."""
from __future__ import annotations

from functools import wraps

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf

from app.accounts import tokens
from app.accounts.services import authenticate
from app.api import bp
from app.core.errors import DomainError
from app.core.requests import refuse_nul_in_json, request_json
from app.core.time import utcnow
from app.extensions import csrf, db, limiter

# Bearer-token clients carry no cookies, so cross-site request forgery does not apply to them;
# session-cookie callers are checked by hand below.
csrf.exempt(bp)


class Unauthorized(DomainError):
    status = 401

    def __init__(self):
        super().__init__("unauthorized", _l("Send a valid token: Authorization: Bearer <token>."))


def challenge() -> str:
    """The ``WWW-Authenticate`` value of a 401 (RFC 9110 §11.6.1): the bearer scheme, and
    ``invalid_token`` when a bearer token came and was refused (RFC 6750 §3.1), not when none did."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return 'Bearer realm="SciVisit", error="invalid_token"'
    return 'Bearer realm="SciVisit"'


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
            raise Unauthorized()
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


OPENAPI = {
    "tags": [{"name": "auth", "description": "Tokens for API clients."}],
    "schemas": {
        "Token": {"type": "object", "required": ["token", "expires_at"],
                  "properties": {"token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"},
                                 "token_type": {"type": "string", "enum": ["Bearer"]}}},
    },
    "paths": {
        "/api/v1/auth/token": {
            "post": {
                "tags": ["auth"], "operationId": "issueToken", "security": [],
                "summary": "Exchange email and password for a bearer token (30 days)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["email", "password"],
                    "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": {
                    "201": {"description": "Issued.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Token"}}}},
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "429": {"$ref": "#/components/responses/TooManyRequests"},
                },
            },
        },
    },
}
