"""Public read-only data, as apps, gates and other sites poll it: conditional GET and CORS.

A view marked ``@public_read`` answers everyone alike (it reads no cookie, session or token):

- its 200 gets an ``ETag`` (the body's SHA-1) and a matching ``If-None-Match`` is answered 304
  with no body. The tag is derived from the answer only, so every gunicorn worker gives the same
  one; nothing is kept in the process. A streamed answer (an open-data file) gets none: a tag of
  its rows would read the whole dataset a second time before the first byte;
- a GET (or HEAD) of it may be read by any web page (``Access-Control-Allow-Origin: *``, never
  with credentials), and a browser's preflight asking for GET is answered. A preflight asking for
  another method of the same URL (``POST /api/v1/venues/<id>/slots``, which needs a token) gets
  no CORS headers, and nothing that is not marked gets any.

Cache-Control stays each view's own. One app-wide hook (``after_app_request``) does it all, so
the pages outside /api/v1 (``/open-data/``) share it. A read of /api/v1 not so marked answers for
its caller (their bookings, a ticket's code) and, unless its view says otherwise, is not stored.
"""
from __future__ import annotations

from flask import Response, current_app, request

from app.api import bp
from app.core.security import PERSONAL_PAGE_CACHE_CONTROL

PUBLIC_READ = "scivisit_public_read"
READ_METHODS = ("GET", "HEAD")
# The request headers a cross-site script may send (beyond the CORS-safelisted ones): a
# conditional GET's, and the language of `message` texts.
CORS_REQUEST_HEADERS = "Accept, Accept-Language, Content-Language, If-None-Match, If-Modified-Since"
# The response headers such a script may read besides the safelisted ones.
CORS_EXPOSED_HEADERS = "ETag, Content-Disposition, Date, Retry-After"
PREFLIGHT_MAX_AGE = "86400"


def public_read(view):
    """Mark ``view`` (a GET route the same for everyone) for ETags and CORS (see the module)."""
    setattr(view, PUBLIC_READ, True)
    return view


def _is_public_read() -> bool:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, PUBLIC_READ, False))


@bp.after_app_request
def public_read_headers(response: Response) -> Response:
    if request.method not in (*READ_METHODS, "OPTIONS") or not _is_public_read():
        return response
    headers = response.headers
    if request.method == "OPTIONS":
        # Only a preflight for reading: the same URL may take a POST with a token, which stays same-origin.
        if request.headers.get("Access-Control-Request-Method") not in READ_METHODS:
            return response
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Allow-Methods"] = ", ".join(READ_METHODS)
        headers["Access-Control-Allow-Headers"] = CORS_REQUEST_HEADERS
        headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response
    headers["Access-Control-Allow-Origin"] = "*"  # errors too, so the page can read what was wrong
    headers["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
    if response.status_code == 200:
        if not response.is_streamed and not response.get_etag()[0]:
            response.add_etag()  # strong: the SHA-1 of these very bytes
        if response.get_etag()[0]:
            response.make_conditional(request)  # If-None-Match matching: 304, body dropped
    return response


@bp.after_request
def personal_reads_are_not_stored(response: Response) -> Response:
    # As the signed-in pages (``core.security``): no shared cache, no copy on the device's disk.
    if request.method in READ_METHODS and "Cache-Control" not in response.headers and not _is_public_read():
        response.headers["Cache-Control"] = PERSONAL_PAGE_CACHE_CONTROL
    return response


# OpenAPI pieces for the routes marked ``public_read``.
CONDITIONAL_GET_NOTE = ("Conditional GET: the 200 carries an `ETag`; sent back in `If-None-Match`, an unchanged "
                        "answer is 304 with no body. Readable from any web page (CORS "
                        "`Access-Control-Allow-Origin: *`, without credentials).")
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False,
                 "description": "The `ETag` of an earlier answer: 304 if the answer is unchanged.",
                 "schema": {"type": "string"}}
NOT_MODIFIED = {"description": "Not modified: the answer is unchanged since the `ETag` sent in `If-None-Match`. "
                               "No body.",
                "headers": {"ETag": {"description": "The answer's tag.", "schema": {"type": "string"}}}}


def etag_headers() -> dict:
    return {"ETag": {"description": "The answer's tag, for `If-None-Match`.", "schema": {"type": "string"}}}
