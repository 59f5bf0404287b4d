"""Domain errors and the HTTP error pages / JSON errors they become."""
from __future__ import annotations

import math
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, SecurityError


# SQLite's words for a schema older than the code (`flask db upgrade` not run): a fault to fix, not
# an outage to wait out, so not "try again in a moment". PostgreSQL raises ProgrammingError for it.
_SCHEMA_BEHIND = re.compile(r"no such (table|column)|has no column named")


class DomainError(Exception):
    """A rule of the domain said no.

    ``code`` is the stable machine code the API returns (``slot_full``);
    ``message`` is shown to people (a lazy translation, rendered in the user's language);
    ``field`` names the form field the message belongs next to, when there is one.
    """

    status = 400

    def __init__(self, code: str, message, field: str | None = None, status: int | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def __str__(self) -> str:  # pragma: no cover - debugging aid
        return f"{self.code}: {self.message}"


class FieldErrors(DomainError):
    """Several field errors found in one pass, so a form can mark every fault at once.

    It reads as its first error (``code``, ``message``, ``field``): whatever reports one error,
    such as a JSON answer or an error page, reports that one.
    """

    def __init__(self, errors: list[DomainError]):
        first = errors[0]
        super().__init__(first.code, first.message, field=first.field, status=first.status)
        self.errors = list(errors)


class NotFound(DomainError):
    status = 404

    def __init__(self, message=None):
        super().__init__("not_found", message or _l("Not found."))


class Forbidden(DomainError):
    status = 403

    def __init__(self, message=None):
        super().__init__("forbidden", message or _l("You are not allowed to do this."))


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def json_error(code: str, message, status: int, **extra):
    payload = {"error": code, "message": str(message), **extra}
    return jsonify(payload), status


_TITLES = {
    400: _l("Bad request"),
    401: _l("Please log in"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("Request too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
}
# The machine code of each HTTP error, in JSON answers (the OpenAPI text lists them).
HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def _same_site_referrer() -> str | None:
    """The path of the page the request came from, when it is one of ours; else None (the home page)."""
    referrer = urlsplit(request.referrer or "")
    if referrer.scheme not in ("http", "https") or referrer.netloc != request.host or not referrer.path.startswith("/"):
        return None
    back = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return back if not back.startswith("//") else None


def rate_limited_message() -> str | None:
    """What a 429 says: how long the limit that was hit still refuses (limits run per minute or per
    hour, so "wait a minute" can be wrong); ``None`` when the count cannot be read."""
    from app.core.templating import local_datetime
    from app.core.time import utcnow
    from app.extensions import limiter

    try:
        hit = limiter.current_limit
        seconds = max(1, math.ceil(hit.reset_at - time.time())) if hit is not None else None
    except Exception:  # the limits' store is unreachable: the general words will do
        return None
    if seconds is None:
        return None
    # A moving window's reset falls a second or so past its period: "61 seconds", not "2 minutes".
    if seconds < 120:
        return ngettext("You have tried this too often in a short time. Please wait %(num)d second and try again.",
                        "You have tried this too often in a short time. Please wait %(num)d seconds and try again.",
                        seconds)
    if seconds < 3600:
        return ngettext("You have tried this too often in a short time. Please wait %(num)d minute and try again.",
                        "You have tried this too often in a short time. Please wait %(num)d minutes and try again.",
                        math.ceil(seconds / 60))
    return gettext("You have tried this too often. Please try again after %(time)s.",
                   time=local_datetime(utcnow() + timedelta(seconds=seconds), "HH:mm"))


def register_error_handlers(app: Flask) -> None:
    def render_error(status: int, message=None, back_url: str | None = None):
        if wants_json():
            return json_error(HTTP_ERROR_CODES.get(status, "error"), message or _TITLES.get(status, ""), status)
        return (
            render_template("errors/error.html", status=status,
                            title=_TITLES.get(status, _TITLES[500]), message=message, back_url=back_url),
            status,
        )

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        if exc.code == 429:
            # Refused for trying too often: once the wait is over, back to the form they were filling in.
            response = make_response(render_error(429, rate_limited_message(), _same_site_referrer()))
        else:
            response = make_response(render_error(exc.code or 500))
        # Our own body, the exception's headers: Allow on a 405 (RFC 9110 §15.5.6), Retry-After, …
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers.add(name, value)
        return response

    @app.errorhandler(CSRFError)
    def handle_expired_form(exc: CSRFError):
        # A form's CSRF token is missing or no longer matches the session (the page was open while its
        # person signed out or in elsewhere): nothing was done, and they are told so and sent back.
        if wants_json():  # as the API says it (app/api/auth.py)
            return json_error("csrf_failed", _l("The page expired. Reload it and try again."), 400)
        return render_template(
            "errors/error.html", status=400, title=_l("The form has expired"),
            message=_l("The page was open for a long time, or you signed in or out in another tab or window, so "
                       "this form could no longer be sent. Nothing was saved: go back to the page, fill in the "
                       "form again and send it."),
            back_url=_same_site_referrer()), 400

    @app.errorhandler(SecurityError)
    def handle_untrusted_host(exc: SecurityError):
        # A Host header outside TRUSTED_HOSTS (app/core/security.py): Flask then has no URL adapter,
        # so the error page, whose links are built with url_for, cannot be rendered; plain text.
        if wants_json():
            return json_error(HTTP_ERROR_CODES[400], _TITLES[400], 400)
        return str(_TITLES[400]), 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(DomainError)
    def handle_domain(exc: DomainError):
        if wants_json():
            return json_error(exc.code, exc.message, exc.status)
        return render_error(exc.status, exc.message)

    @app.errorhandler(OperationalError)
    def handle_database_unavailable(exc: OperationalError):
        # The database went away (restart, failover, network): the transaction was rolled back
        # whole, so nothing is half-written and the same request can simply be sent again.
        from app.extensions import db

        if _SCHEMA_BEHIND.search(str(exc.orig)):
            return handle_unexpected(exc)
        db.session.rollback()
        app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exc.orig)
        response = make_response(render_error(503, _l("The service is briefly unavailable. Nothing was "
                                                      "saved; please try again in a moment.")))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        from app.extensions import db

        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)
