"""Guards every request gets before any view runs."""
from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

from app.core.errors import DomainError

# Ids are 32-bit integer columns: a larger number in a URL cannot name a row, and on SQLite it
# would overflow inside the driver. Refusing it in routing answers 404 like any unknown id.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_url_converters(app: Flask) -> None:
    """Must run before blueprints register their rules."""
    app.url_map.converters["int"] = IdConverter


# The bodies Werkzeug parses into ``request.form``; any other body leaves it empty.
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        # PostgreSQL cannot store NUL in text; no honest form or query contains one. Only what is
        # there is read: asking for ``request.form`` of a JSON body (every API call) or
        # ``request.args`` without a query string builds parsers for nothing.
        sources = []
        if request.query_string:
            sources.append(request.args)
        if request.mimetype in _FORM_TYPES:
            sources.append(request.form)
        for values in sources:
            for name, value in values.items(multi=True):
                if "\x00" in value:
                    raise DomainError("invalid_parameter",
                                      _l("This input contains a character that is not allowed."), field=name)


def contains_nul(value) -> bool:
    """Whether a parsed JSON value holds a NUL character anywhere (keys and strings)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False


def refuse_nul_in_json(data: dict, *, per_item: str | None = None) -> None:
    """The JSON body's answer to ``refuse_nul_characters``: a NUL in a member is refused, named by
    that member. ``per_item`` names a list whose items the view refuses one by one (an offline
    gate's batch: one bad scan must not hold back the others)."""
    for name, value in data.items():
        if name == per_item:
            continue
        if contains_nul(name) or contains_nul(value):
            raise DomainError("invalid_parameter", _l("This input contains a character that is not allowed."),
                              field=None if contains_nul(name) else name)
