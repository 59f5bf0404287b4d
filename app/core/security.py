"""Security headers on every response, and the real client address behind a reverse proxy."""
from __future__ import annotations

from flask import Flask, Response
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
        return response

    _trust_proxies(app)


def _trust_proxies(app: Flask) -> None:
    """Take the client address and scheme from ``X-Forwarded-*`` set by our own proxies.

    Only as many hops as ``TRUSTED_PROXY_COUNT`` are believed (0, the default, believes none):
    anyone can send the header, so trusting it without a proxy in front would let a client pick
    the address that rate limits count against.
    """
    hops = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

