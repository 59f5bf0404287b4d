"""Guards every request gets before any view runs."""
from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, ValidationError

from app.core.errors import DomainError

# Ids are 32-bit integer columns: a larger number in a URL cannot name a row, and on SQLite it
# would overflow inside the driver. Refusing it in routing answers 404 like any unknown id.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        # Not Werkzeug's ValidationError: it turns that into "no match" with the methods of the
        # rules it passed over on the way, so POST /venues/<too large>/slots answered 405 for the
        # GET rule beside it. Whatever the method, such an id names nothing.
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


def init_url_converters(app: Flask) -> None:
    """Must run before blueprints register their rules."""
    app.url_map.converters["int"] = IdConverter


# The bodies Werkzeug parses into ``request.form``; any other body leaves it empty.
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        # PostgreSQL cannot store NUL in text, and no link contains one: a query with one is refused,
        # naming the parameter. Only what is there is read: asking for ``request.form`` of a JSON body
        # (every API call) or ``request.args`` without a query string builds parsers for nothing.
        if request.query_string:
            for name, value in request.args.items(multi=True):
                if "\x00" in value:
                    raise DomainError("invalid_parameter",
                                      _l("This input contains a character that is not allowed."), field=name)
        if request.mimetype in _FORM_TYPES:
            _drop_nul_characters_from_the_form()


def _drop_nul_characters_from_the_form() -> None:
    """A form's NUL characters are dropped, not refused: one pasted into a field is invisible, means
    nothing, and a refusal would answer with an error page instead of the form, losing what was
    typed. The views read the form without them."""
    form = request.form
    if any("\x00" in name or "\x00" in value for name, value in form.items(multi=True)):
        request.form = ImmutableMultiDict([(name.replace("\x00", ""), value.replace("\x00", ""))
                                           for name, value in form.items(multi=True)])


# An honest body nests four levels at most (a batch scan's headcount); a deeper one is refused
# before anything walks it, and the walks below use a stack, not recursion.
MAX_JSON_DEPTH = 32


def request_json():
    """The request's body parsed as JSON (None when it is not JSON); refused when nested deeper than
    ``MAX_JSON_DEPTH``. Past about 1,000 levels the parser itself raises RecursionError, not the
    ValueError that ``silent`` swallows: that is the same refusal, not a server error."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
        too_deep = True
    else:
        too_deep = _deeper_than(data, MAX_JSON_DEPTH)
    if too_deep:
        raise DomainError("invalid_json", _l("This JSON is nested too deeply."))
    return data


def _deeper_than(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                return True
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return False


def contains_nul(value) -> bool:
    """Whether a parsed JSON value holds a NUL character anywhere (keys and strings)."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
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
