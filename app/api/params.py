"""Query parameters as the API reads them: dates, paging, and refusing names it does not know."""
from __future__ import annotations

import re
from datetime import date

from flask import request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.core.errors import DomainError
from app.scheduling.availability import EARLIEST, LATEST

# Accepted by every route: the interface language and mode (app.core.prefs).
COMMON_PARAMETERS = ("lang", "mode")
NAME_MAX = 40  # of an unknown name echoed back
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"^[0-9]{1,9}$")  # ASCII digits: str.isdigit() takes "²", which int() refuses


class UnknownParameter(DomainError):
    """400 ``unknown_parameter``: a misspelt filter (``?distrct=``) would otherwise be ignored and the
    caller given everything. ``field`` is the first unknown name, ``parameters`` all of them."""

    def __init__(self, names: list[str]):
        names = [name[:NAME_MAX] for name in names]
        super().__init__("unknown_parameter", ngettext("Unknown parameter: %(names)s.",
                                                       "Unknown parameters: %(names)s.", len(names),
                                                       names=", ".join(names)), field=names[0])
        self.details = {"parameters": names}


def refuse_unknown_parameters(known: tuple[str, ...]) -> None:
    unknown = [name for name in request.args.keys() if name not in known and name not in COMMON_PARAMETERS]
    if unknown:
        raise UnknownParameter(unknown)


def date_arg(name: str, default: date | None) -> date | None:
    """The query's ``name`` as a local day (YYYY-MM-DD, years 2000 to 2100); ``default`` when absent."""
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
        if not EARLIEST <= day <= LATEST:
            raise ValueError(value)
        return day
    except ValueError:
        raise DomainError("invalid_parameter", _l("Give dates as YYYY-MM-DD, between 2000 and 2100."),
                          field=name) from None


def whole_arg(name: str, default: int, *, most: int) -> int:
    """The query's ``name`` as a whole number from 1 to ``most``; ``default`` when absent."""
    value = request.args.get(name)
    if value is None or value == "":
        return default
    if not _WHOLE.match(value) or not 1 <= int(value) <= most:
        raise DomainError("invalid_parameter", _l("%(name)s must be a whole number from 1 to %(most)d.",
                                                  name=name, most=most), field=name)
    return int(value)


# The OpenAPI parameters of ``COMMON_PARAMETERS``, for the routes that refuse unknown names.
COMMON_PARAMETER_DOCS = [
    {"name": "lang", "in": "query", "required": False, "description": "Language of `message` texts.",
     "schema": {"type": "string", "enum": ["zh", "en"]}},
    {"name": "mode", "in": "query", "required": False,
     "description": "The interface mode (elder-friendly or standard); accepted here as on every page.",
     "schema": {"type": "string", "enum": ["standard", "elder"]}},
]
UNKNOWN_PARAMETER_NOTE = ("A query parameter the route does not know (a misspelt filter) is refused: 400 "
                          "`unknown_parameter`, `field` the first unknown name and `parameters` all of them; "
                          "`lang` and `mode` are accepted everywhere.")
