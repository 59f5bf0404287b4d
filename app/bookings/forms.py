from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.bookings.models import CLASS_ADULTS_MAX, CLASS_NAME_MAX, REASON_MAX
from app.core.forms import Form

GRADE_LABELS = {0: _l("Kindergarten")}


def grade_choices(low: int = 0, high: int = 12) -> list[SelectChoice]:
    return [SelectChoice(g, GRADE_LABELS.get(g) or _l("Grade %(n)d", n=g)) for g in range(low, high + 1)]


def _grade_or_none(value):
    return None if value in ("", None) else int(value)


class IndividualBookingForm(Form):
    request_key = HiddenField()
    # No bounds here: the venue's party limit is a booking rule, said by ``services.check_party`` with
    # the venue's own figures ("1 to 5 people") for a party too small as for one too large.
    party_size = IntegerField(_l("Number of people"), validators=[InputRequired()], render_kw={"min": 1}, default=1)
    children = IntegerField(_l("Of them, children under 14"), validators=[Optional(), NumberRange(min=0)], default=0)
    guardian_confirmed = BooleanField(_l("I am the parent or guardian of the children in this party and will "
                                         "come with them."))
    join_waitlist = BooleanField(_l("If it is full, put me on the waiting list"))
    submit = SubmitField(_l("Book"))


class ClassBookingForm(Form):
    request_key = HiddenField()
    class_name = StringField(_l("Class"), validators=[DataRequired(), Length(max=CLASS_NAME_MAX)],
                             description=_l("For example Grade 4 Class 2. No student names are needed."))
    # No grade is preselected: kindergarten, first in the list, would silently set the adults a class needs.
    grade = SelectField(_l("Grade"), coerce=_grade_or_none,
                        choices=[SelectChoice("", _l("Choose the class's grade"))] + grade_choices(),
                        validators=[InputRequired(message=_l("Choose the class's grade."))])
    students = IntegerField(_l("Number of students"), validators=[InputRequired(), NumberRange(min=1, max=1000)])
    adults = IntegerField(_l("Accompanying adults (teachers, parents)"),
                          validators=[InputRequired(), NumberRange(min=0, max=CLASS_ADULTS_MAX)])
    program_id = SelectField(_l("Program"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Send booking request"))


class HeadcountForm(Form):
    students = IntegerField(_l("Number of students"), validators=[InputRequired(), NumberRange(min=1, max=1000)])
    adults = IntegerField(_l("Accompanying adults"),
                          validators=[InputRequired(), NumberRange(min=0, max=CLASS_ADULTS_MAX)])
    submit = SubmitField(_l("Save the new numbers"))


class CancelForm(Form):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=REASON_MAX)])
    submit = SubmitField(_l("Cancel this booking"))


class DeclineForm(Form):
    reason = TextAreaField(_l("Reason for the teacher"), validators=[DataRequired(), Length(max=REASON_MAX)])
    submit = SubmitField(_l("Decline"))


class ConfirmForm(Form):
    submit = SubmitField(_l("Approve"))


class PartnershipForm(Form):
    school_id = SelectField(_l("School"), coerce=int, validators=[InputRequired()])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
    valid_to = DateField(_l("Valid until"), validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Add partner school"))


class AgreementFilterForm(Form):
    """The city admin's choice of district on the agreements page, read from the query string."""

    class Meta:
        csrf = False

    district = SelectField(_l("District"), choices=[], validate_choice=False, validators=[Optional()])
