from __future__ import annotations

from datetime import datetime

from wtforms import HiddenField, SelectMultipleField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.core.forms import Form

# Ticked boxes come from one page of the list; anything beyond is not a person ticking boxes.
MAX_SELECTED = 1000


class MailActionForm(Form):
    """Send again, or dismiss, a message on the city admin's list: nothing but the CSRF token."""


class MailSelectionForm(MailActionForm):
    """The messages ticked on the list, sent again or dismissed together."""

    message = SelectMultipleField(coerce=int, validate_choice=False)

    @property
    def selected(self) -> list[int]:
        """The ticked messages' ids; none when the values are not ids (a tampered form)."""
        ids = set(self.message.data or ()) if not self.message.process_errors else set()
        if len(ids) > MAX_SELECTED or any(not 0 < i < 2**31 for i in ids):
            return []
        return sorted(ids)


class SendAllAgainForm(MailActionForm):
    """The confirmation of "send all again": the kind it was for, and when the number was shown."""

    kind = HiddenField(validators=[Optional(), Length(max=40)])
    as_of = HiddenField(validators=[DataRequired()])

    def validate_as_of(self, field) -> None:
        try:
            self.given_up_by = datetime.fromisoformat(field.data)
        except ValueError:
            raise ValidationError("as_of") from None
        if self.given_up_by.tzinfo is not None:
            raise ValidationError("as_of")
