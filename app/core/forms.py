"""Form plumbing shared by every domain."""
from __future__ import annotations

from app.core.errors import DomainError


def apply_error(form, exc: DomainError) -> None:
    """Put a service's complaint next to the field it is about, or above the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def form_status(form) -> int:
    """400 when a submitted form is re-rendered with errors, else 200."""
    return 400 if form.errors else 200
