"""Authorization plumbing. Each domain says *who may* in its own policy functions;
views ask exactly one such question before they act."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from app.extensions import login_manager


def role_required(*roles):
    """The view needs a signed-in user holding one of ``roles`` (403 for other roles)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def authorize(allowed: bool) -> None:
    """Stop with 403 unless the policy question was answered yes."""
    if not allowed:
        abort(403)
