from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, SubmitField
from wtforms.fields import DateField
from wtforms.validators import InputRequired, NumberRange, Optional

from app.core.forms import Form
from app.events.themed_days import MAX_YEAR, MIN_YEAR


class EventFilterForm(Form):
    """The events page's filters, read from the query string. Choices are set by the view."""

    class Meta:
        csrf = False

    theme = SelectField(_l("Themed day"), choices=[], validate_choice=False, validators=[Optional()])
    district = SelectField(_l("District"), choices=[], validate_choice=False, validators=[Optional()])


class ThemedDayDatesForm(Form):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=MIN_YEAR, max=MAX_YEAR)])
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])
    submit = SubmitField(_l("Save the dates"))
