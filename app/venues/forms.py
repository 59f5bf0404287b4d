"""Forms of the venue registry. They parse and check formats; the services check the rules."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (DateField, DecimalField, EmailField, HiddenField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField, TimeField, URLField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import Form
from app.core.text import width_folded
from app.venues.models import WITHDRAWAL_REASON_MAX, AccreditationLevel, Admission, OperatorKind, Venue, VenueType
from app.venues.themes import theme_label

WEEKDAYS = [(1, _l("Monday")), (2, _l("Tuesday")), (3, _l("Wednesday")), (4, _l("Thursday")),
            (5, _l("Friday")), (6, _l("Saturday")), (7, _l("Sunday"))]
GRADES = [(0, _l("Kindergarten"))] + [(n, _l("Grade %(n)d", n=n)) for n in range(1, 13)]


def options(pairs) -> list[SelectChoice]:
    # WTForms 3.3 deprecates (value, label) tuples as choices.
    return [SelectChoice(value, label) for value, label in pairs]


def clean(value):
    """Trim text and drop NUL characters, which PostgreSQL refuses in text."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def finite_between(low: int, high: int):
    """A range check that also refuses NaN and Infinity (which NumberRange cannot compare)."""

    def check(form, field):
        value = field.data
        if value is None:
            return
        if not isinstance(value, Decimal) or not value.is_finite() or not low <= value <= high:
            raise ValidationError(_l("Enter a number between %(low)d and %(high)d.", low=low, high=high))

    return check


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def text(label, max_length: int, required: bool = False, area: bool = False, **kw):
    field_cls = TextAreaField if area else StringField
    validators = [DataRequired() if required else Optional(), Length(max=max_length)]
    return field_cls(label, validators=validators, filters=[clean], **kw)


class VenueForm(Form):
    name_zh = text(_l("Name in Chinese"), 120, required=True)
    name_en = text(_l("Name in English"), 200)
    venue_type = SelectField(_l("Venue type"), choices=options(VenueType.choices()), validators=[InputRequired()])
    operator_kind = SelectField(_l("Operated by"), choices=options(OperatorKind.choices()), validators=[InputRequired()])
    themes = text(_l("Themes"), 1000)
    district_code = SelectField(_l("District"), validators=[InputRequired()])
    address_zh = text(_l("Address in Chinese"), 200, required=True)
    address_en = text(_l("Address in English"), 300)
    latitude = DecimalField(_l("Latitude"), places=None, validators=[Optional(), finite_between(-90, 90)])
    longitude = DecimalField(_l("Longitude"), places=None, validators=[Optional(), finite_between(-180, 180)])
    description_zh = text(_l("Description in Chinese"), 5000, area=True)
    description_en = text(_l("Description in English"), 5000, area=True)
    opens_at = TimeField(_l("Opens at"), format=["%H:%M", "%H:%M:%S"], validators=[Optional()])
    closes_at = TimeField(_l("Closes at"), format=["%H:%M", "%H:%M:%S"], validators=[Optional()])
    closed_weekdays = MultiCheckboxField(_l("Usually closed on"), choices=options(WEEKDAYS), coerce=int,
                                         validators=[Optional()])
    admission = RadioField(_l("Admission"), choices=options(Admission.choices()), default=Admission.FREE.value,
                           validators=[InputRequired()])
    discount_zh = text(_l("Discount in Chinese"), 300, area=True)
    discount_en = text(_l("Discount in English"), 400, area=True)
    daily_capacity = IntegerField(_l("Visitors a day at most"),
                                  validators=[Optional(), NumberRange(min=1, max=1_000_000)])
    grade_min = SelectField(_l("From grade"), choices=options(GRADES), coerce=int, default=0)
    grade_max = SelectField(_l("To grade"), choices=options(GRADES), coerce=int, default=12)
    accessibility_zh = text(_l("Accessibility in Chinese"), 5000, area=True)
    accessibility_en = text(_l("Accessibility in English"), 5000, area=True)
    contact_phone = text(_l("Telephone"), 40, render_kw={"type": "tel", "autocomplete": "tel"})
    # Folded here as well as by the service: the form's own email check comes first.
    contact_email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)],
                               filters=[clean, width_folded])
    website = URLField(_l("Website"), validators=[Optional(), Length(max=300)], filters=[clean])
    # The district the manager confirmed moving an approved venue to (a checkbox shown with the warning).
    confirm_move = StringField(filters=[clean])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, district_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.district_code.choices = options([("", _l("Choose a district")), *district_choices])

    @classmethod
    def for_venue(cls, venue: Venue, **kwargs) -> "VenueForm":
        """The form filled from a stored venue (themes as one text, closed days as checkboxes)."""
        data = {name: getattr(venue, name) for name in (
            "name_zh", "name_en", "district_code", "address_zh", "address_en", "latitude", "longitude",
            "description_zh", "description_en", "opens_at", "closes_at", "discount_zh", "discount_en",
            "daily_capacity", "grade_min", "grade_max", "accessibility_zh", "accessibility_en",
            "contact_phone", "contact_email", "website")}
        data.update(venue_type=venue.venue_type.value, operator_kind=venue.operator_kind.value,
                    admission=venue.admission.value, themes="、".join(theme_label(name) for name in venue.theme_names),
                    closed_weekdays=sorted(venue.closed_weekday_set))
        return cls(data=data, **kwargs)

    def venue_data(self) -> dict:
        """What the services take: every profile field by its column name."""
        return {name: field.data for name, field in self._fields.items()
                if name not in ("submit", "csrf_token", "confirm_move")}


class ReasonForm(Form):
    reason = text(_l("Reason"), 2000, required=True, area=True)


class SuspendForm(ReasonForm):
    confirmed = HiddenField()  # "yes" once the reviewer has seen the visits it cancels


class ActionForm(Form):
    """A button with nothing to fill in (CSRF only)."""


class WithdrawAccreditationForm(Form):
    """Removing an accreditation recorded in error: what was wrong, if the city admin says, is told to
    the venue's managers (``services.withdraw_accreditation``)."""

    reason = text(_l("What was wrong (optional)"), WITHDRAWAL_REASON_MAX, area=True)


class AccreditationForm(Form):
    level = SelectField(_l("Level"), choices=options(AccreditationLevel.choices()), validators=[InputRequired()])
    certificate_no = text(_l("Certificate number"), 60, required=True)
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
    valid_to = DateField(_l("Valid to"), validators=[InputRequired()])
    submit = SubmitField(_l("Record accreditation"))

    def values(self) -> dict:
        """The answers, as ``services.record_accreditation`` and ``correct_accreditation`` take them."""
        return {"level": self.level.data, "certificate_no": self.certificate_no.data,
                "valid_from": self.valid_from.data, "valid_to": self.valid_to.data}
