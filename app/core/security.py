"""Security headers on every response, pages with personal data kept out of caches, the host names
the site answers to, and the real client address behind a reverse proxy."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline scripts or styles anywhere: pages load /static files only. The gate scanner reads the
# camera through getUserMedia, which needs no CSP source, only the Permissions-Policy below;
# its video stream is a blob: URL.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
))

PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Cross-Origin-Opener-Policy": "same-origin",
}

# A page made for a signed-in person may show their phone number, bookings or ticket: no shared
# proxy may keep it, and no browser may store it for the back button of the next person at a
# shared computer. Pages for anonymous visitors stay cacheable.
PERSONAL_PAGE_CACHE_CONTROL = "private, no-store"

# The machine's own names: health checks and `curl` on the machine itself (docs/deploy/README.md).
# No IPv6 literal: werkzeug (3.1) cannot match one in TRUSTED_HOSTS.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


def init_app(app: Flask) -> None:
    headers = dict(HEADERS)
    if app.config.get("HSTS_ENABLED"):
        hsts = f"max-age={int(app.config.get('HSTS_MAX_AGE', 31536000))}"
        if app.config.get("HSTS_INCLUDE_SUBDOMAINS", True):
            hsts += "; includeSubDomains"
        headers["Strict-Transport-Security"] = hsts

    wanted = [(name.lower(), name, value) for name, value in headers.items()]

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        # Only those the view has not set: a view with a special need (an embeddable widget, say)
        # may set its own. One pass over the response's headers, not a lookup per header:
        # ``Headers.setdefault`` scans them all and raises and catches a KeyError for each of the
        # seven, which cost more than the rest of /healthz's own work.
        present = {name.lower() for name in response.headers.keys()}
        for lower, name, value in wanted:
            if lower not in present:
                response.headers.add(name, value)
        # HTML only: current_user may cost a query, which static files and /healthz need not pay.
        if ("cache-control" not in present and response.mimetype == "text/html"
                and current_user.is_authenticated):
            response.headers["Cache-Control"] = PERSONAL_PAGE_CACHE_CONTROL
        return response

    _trust_hosts(app)
    _trust_proxies(app)


def _trust_hosts(app: Flask) -> None:
    """With ``RESTRICT_HOSTS`` (production), answer a request for any other host with 400.

    Links that leave the request are built from ``PUBLIC_BASE_URL`` whatever the Host header says;
    this keeps a forged Host from reaching the app at all (Flask's ``TRUSTED_HOSTS``, Flask >= 3.1).
    """
    if not app.config.get("RESTRICT_HOSTS") or app.config.get("TRUSTED_HOSTS") is not None:
        return
    public_host = urlsplit(app.config["PUBLIC_BASE_URL"]).hostname
    app.config["TRUSTED_HOSTS"] = [public_host, *LOOPBACK_HOSTS, *app.config.get("EXTRA_TRUSTED_HOSTS", ())]


def _trust_proxies(app: Flask) -> None:
    """Take the client address and scheme from ``X-Forwarded-*`` set by our own proxies.

    Only as many hops as ``TRUSTED_PROXY_COUNT`` are believed (0, the default, believes none):
    anyone can send the header, so trusting it without a proxy in front would let a client pick
    the address that rate limits count against.
    """
    hops = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

