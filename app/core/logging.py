"""Logs that can be followed across machines: every request carries an id (``X-Request-ID``), and
every record is one JSON object per line in production (``LOG_FORMAT=json``), plain text otherwise.

Records name the signed-in user by id only; email addresses and phone numbers are masked in
messages and tracebacks, and secret tokens in URL paths are replaced, so logs hold no contact data.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import NoInspectionAvailable
from werkzeug.exceptions import HTTPException

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is a short plain token: it goes into logs and a response header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ENV_REQUEST_ID = "scivisit.request_id"
_ENV_STARTED = "scivisit.started"
# The request's URL secrets, left in the WSGI environ for gunicorn's access line (gunicorn.conf.py).
ENV_URL_SECRETS = "scivisit.url_secrets"
REDACTED = "[redacted]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")

access_log = logging.getLogger("scivisit.access")


def redact(text: str) -> str:
    """``text`` with email addresses and mainland mobile numbers masked."""
    return _MOBILE.sub("[phone]", _EMAIL.sub("[email]", text))


def request_id() -> str | None:
    """This request's id: the caller's ``X-Request-ID`` if it is sane, otherwise a new one."""
    if not has_request_context():
        return None
    environ = request.environ
    if _ENV_REQUEST_ID not in environ:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        environ[_ENV_REQUEST_ID] = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    return environ[_ENV_REQUEST_ID]


def url_secrets(view_args: dict | None = None) -> tuple[str, ...]:
    """The secret tokens in a URL (this request's, or the one ``view_args`` were matched from): the view
    arguments named like ``token`` (a password reset, a private calendar feed, a walk-in poster). They
    open an account or a person's bookings, so no log line may hold them."""
    if view_args is None:
        view_args = request.view_args or {}
    return tuple(value for name, value in view_args.items()
                 if "token" in name and isinstance(value, str) and value)


def without_secrets(text: str, secrets) -> str:
    """``text`` with each of ``secrets`` replaced by ``[redacted]``."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _safe_path() -> str:
    return without_secrets(request.path, url_secrets())


def _principal_fields() -> dict:
    # Only what is already loaded: logging must not cost a query.
    # Not ``is_authenticated``: on a person it reads ``is_disabled``, which a rollback (a refused
    # booking, say) has expired, and the access line would load the person again.
    principal = g.get("principal") or g.get("_login_user")
    if principal is None:
        return {}
    try:
        identity = sa_inspect(principal).identity  # readable even when the row is expired
    except NoInspectionAvailable:  # the anonymous user, or a gate device
        token_id = getattr(principal, "token_id", None)
        return {"gate_token_id": token_id} if token_id is not None else {}
    return {"user_id": identity[0]} if identity else {}


# The request line of werkzeug's development server (`flask run`): "GET /path?query HTTP/1.1".
_REQUEST_LINE = re.compile(r"(?P<method>[A-Z]+) (?P<target>/\S*) HTTP/\d")


class DevServerRequestLineFilter(logging.Filter):
    """The development server's request line, redacted as the app's access line and gunicorn's are.

    werkzeug writes it after the response, outside the request: the path is matched against the app's
    routes again to find the same secrets (``url_secrets``)."""

    def __init__(self, url_map):
        super().__init__()
        self.url_map = url_map

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        found = _REQUEST_LINE.search(message)
        if found:
            secrets = self._secrets(found["method"], found["target"].partition("?")[0])
            record.msg, record.args = redact(without_secrets(message, secrets)), ()
        return True

    def _secrets(self, method: str, path: str) -> tuple[str, ...]:
        try:
            _endpoint, view_args = self.url_map.bind("localhost").match(path, method=method)
        except HTTPException:  # no such page (or a redirect to one): no view arguments, as in the app's line
            return ()
        return url_secrets(view_args)


class RequestContextFilter(logging.Filter):
    """Adds the request's id, method, path and user to every record logged while it runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = request_id()
            record.method = request.method
            record.path = _safe_path()
            for key, value in _principal_fields().items():
                setattr(record, key, value)
        return True


_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id", "gate_token_id",
           "outbox_message_id", "message_kind", "attempt")  # the last three: mail delivery (app/notifications)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key in _FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)

    def formatException(self, exc_info) -> str:
        return redact(super().formatException(exc_info))


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        values = {**record.__dict__, "message": redact(record.message),
                  "request_id": getattr(record, "request_id", None) or "-"}
        return self._style._fmt % values

    def formatException(self, exc_info) -> str:
        return redact(super().formatException(exc_info))


def _install_handler(app: Flask) -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "scivisit", False)]:
        root.removeHandler(handler)  # create_app may run more than once in a process
    handler = logging.StreamHandler(sys.stderr)
    handler.scivisit = True
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter() if app.config.get("LOG_FORMAT") == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(str(app.config.get("LOG_LEVEL") or "INFO").upper())
    # Alembic announces each of its plugins at INFO whenever a command loads it: noise in every CLI run.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    app.logger.removeHandler(default_handler)  # records reach the root handler instead
    werkzeug_log = logging.getLogger("werkzeug")
    for old in [f for f in werkzeug_log.filters if isinstance(f, DevServerRequestLineFilter)]:
        werkzeug_log.removeFilter(old)
    werkzeug_log.addFilter(DevServerRequestLineFilter(app.url_map))
    # Alembic's fileConfig (migrations run in this process, as the tests do) disables every logger
    # that existed before it; ours must keep writing.
    app.logger.disabled = access_log.disabled = False


def init_app(app: Flask) -> None:
    _install_handler(app)

    def start_clock() -> None:
        request.environ[_ENV_STARTED] = time.perf_counter()
        request.environ[ENV_URL_SECRETS] = url_secrets()
        request_id()

    # First of all before-request functions, so that a request refused early (rate limit) is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, start_clock)

    @app.after_request
    def echo_request_id_and_log(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = request_id()
        if app.config.get("ACCESS_LOG", True) and access_log.isEnabledFor(logging.INFO):
            started = request.environ.get(_ENV_STARTED)
            duration = round((time.perf_counter() - started) * 1000, 1) if started else None
            access_log.info("%s %s %s", request.method, _safe_path(), response.status_code,
                            extra={"status": response.status_code, "duration_ms": duration})
        return response
