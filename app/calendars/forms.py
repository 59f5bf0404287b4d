from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField

from app.core.forms import Form


class FeedForm(Form):
    """Create, or reset, the private calendar address: nothing but the button and the CSRF token."""

    submit = SubmitField(_l("Create my calendar address"))
