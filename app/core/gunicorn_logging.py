"""gunicorn's access line with the app's redaction: the secret tokens the app found in the URL
(``app/core/logging.py``, ``url_secrets``) and contact data become ``[redacted]``, ``[email]`` and
``[phone]``, as in the app's own access line. The one rule stays in the app: it leaves the request's
secrets in the WSGI environ, which gunicorn hands to its logger after the response.

Imported only by the logger in gunicorn.conf.py, inside a worker that has already loaded the app.
"""
from __future__ import annotations

from app.core.logging import ENV_URL_SECRETS, redact, without_secrets

# The atoms that carry the request's URL (or, as the Referer, often the same URL): the path, the
# request line, the query string, and their copies among the environ and header atoms.
URL_ATOMS = ("r", "U", "q", "f", "{raw_uri}e", "{path_info}e", "{query_string}e", "{request_uri}e",
             "{http_referer}e", "{referer}i")


def redact_atoms(atoms: dict, environ: dict) -> dict:
    """gunicorn's log atoms for this request with its URL secrets and contact data masked."""
    secrets = environ.get(ENV_URL_SECRETS, ())
    atoms.pop("{%s}e" % ENV_URL_SECRETS, None)  # gunicorn makes an atom of every environ entry
    for key in URL_ATOMS:
        value = atoms.get(key)
        if isinstance(value, str) and value:
            atoms[key] = redact(without_secrets(value, secrets))
    return atoms
