from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from app.core.forms import Form
from app.stats.evaluation import INDICATORS
from app.venues.models import VenueType
from app.venues.themes import theme_label

REPORT_TEXT_MAX = 4000


class StatsFilterForm(Form):
    """The dashboard's filters, read from the query string (a GET form that works without JS).

    Values are checked by ``app.stats.filters.parse_filters``, the same rules as the API; the form
    only renders the fields and carries the messages back to them.
    """

    class Meta:
        csrf = False

    from_ = StringField(_l("From"), name="from", render_kw={"type": "date"})
    to = StringField(_l("To"), render_kw={"type": "date"})
    district = SelectField(_l("District"), choices=[], validate_choice=False)
    type = SelectField(_l("Venue type"), choices=[], validate_choice=False)
    theme = SelectField(_l("Theme"), choices=[], validate_choice=False)

    FIELDS = {"from": "from_", "to": "to", "district": "district", "type": "type", "theme": "theme"}

    def set_choices(self, districts, themes) -> None:
        self.district.choices = [("", _l("All districts")), *districts]
        self.type.choices = [("", _l("All venue types")), *VenueType.choices()]
        self.theme.choices = [("", _l("All themes")), *((t, theme_label(t)) for t in themes)]

    def show_error(self, exc) -> None:
        field = getattr(self, self.FIELDS.get(exc.field or "", ""), None)
        if field is None:
            self.form_errors.append(exc.message)
        else:
            field.errors = [*field.errors, exc.message]


class ReportTextForm(Form):
    # The length is the service's to check (``save_report_text``): its message says the limit in words.
    text = TextAreaField(_l("Your remarks on the year"), validators=[Optional()],
                         render_kw={"maxlength": REPORT_TEXT_MAX})
    save = SubmitField(_l("Save the remarks"))


class SubmitReportForm(Form):
    submit = SubmitField(_l("Submit the report to the city"))


class RemindReportsForm(Form):
    """A district or city admin reminds the venues of the list whose report of the year is not filed;
    the page's button says how many (``report_list.venues_to_remind``)."""


class ReturnReportForm(Form):
    """The city admin hands a submitted report back to the venue, saying why."""

    reason = TextAreaField(_l("What the venue should correct"), validators=[InputRequired(), Length(max=2000)])
    submit = SubmitField(_l("Return the report to the venue"))


class WeightsForm(Form):
    """The city admin's weights of one year, one field per ``INDICATORS`` key; for a year that is over,
    the admin confirms that its scores change (the page shows that box only then)."""

    confirm_past_year = BooleanField(_l("Yes, change the scores of a year that is over"))
    save = SubmitField(_l("Save the weights"))


for _indicator in INDICATORS:
    setattr(WeightsForm, _indicator.key, DecimalField(_indicator.label, places=1, validators=[
        InputRequired(), NumberRange(min=0, max=100)]))


class PublishEvaluationForm(Form):
    """The city admin's confirmation that a year's evaluation is published: ``version`` is the one the page
    showed, so a second click, or a version published since by someone else, publishes nothing more."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1)])
    publish = SubmitField(_l("Publish"))
