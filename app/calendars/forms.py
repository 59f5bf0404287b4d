from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField


class FeedForm(FlaskForm):
    """Create, or reset, the private calendar address: nothing but the button and the CSRF token."""

    submit = SubmitField(_l("Create my calendar address"))
