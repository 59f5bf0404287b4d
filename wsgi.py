"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi …``."""
import sys

from app import create_app
from config import CannotStart

try:
    app = create_app()
except CannotStart as refused:
    lines = [f"SciVisit cannot start: {line}" for line in str(refused).splitlines()]
    # The reason, not a traceback. Under gunicorn, as its AppImportError: the master then stops
    # ("App failed to load") instead of starting worker after worker that fail alike.
    if "gunicorn.arbiter" in sys.modules:
        from gunicorn.errors import AppImportError

        raise AppImportError("\n".join(lines)) from None
    sys.exit("\n".join(lines))
