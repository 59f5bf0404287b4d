"""The JSON API under /api/v1: thin handlers over the same services as the pages.

Each topic is a module that attaches its routes to ``bp`` and describes them in an ``OPENAPI``
dict, which ``openapi.py`` gathers into the published document.
"""
from flask import Blueprint

from app.core.errors import DomainError, json_error

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    # The app-wide handler already answers JSON under /api/; this one also names the field.
    extra = {"field": exc.field} if exc.field else {}
    reason = getattr(exc, "reason", None)  # a refused token's: token_expired, token_revoked, …
    if reason:
        extra["reason"] = reason
    extra.update(getattr(exc, "details", None) or {})  # e.g. the parameters not known, the slot duplicated
    response, status = json_error(exc.code, exc.message, exc.status, **extra)
    if status == 401:
        # Every 401 here, a refused token or a refused password, names how to authenticate.
        response.headers["WWW-Authenticate"] = auth.challenge(reason)
    return response, status


from app.api import openapi, venues  # noqa: E402,F401  (routes attach to bp)
from app.api import slots  # noqa: E402,F401
from app.api import auth, bookings  # noqa: E402,F401
from app.api import checkins  # noqa
from app.api import stats  # noqa
