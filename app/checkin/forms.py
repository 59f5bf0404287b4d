from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.checkin.models import AudienceGroup
from app.checkin.tickets import MAX_INPUT
from app.checkin.walkins import MAX_PARTY, MAX_STAFF_GROUP
from app.core.forms import Form


class ScanForm(Form):
    code = StringField(_l("Ticket code or booking number"), validators=[DataRequired(), Length(max=MAX_INPUT)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                                  "autofocus": True, "enterkeyhint": "go"})
    gate = StringField(_l("Gate"), validators=[Optional(), Length(max=40)], render_kw={"autocomplete": "off"})
    nonce = HiddenField()
    submit = SubmitField(_l("Check in"))


class GroupHeadcountForm(Form):
    """A class's actual arrivals, confirmed by staff before admitting it."""

    code = HiddenField(validators=[DataRequired(), Length(max=MAX_INPUT)])
    gate = HiddenField(validators=[Optional(), Length(max=40)])
    nonce = HiddenField()
    students = IntegerField(_l("Students who arrived"), validators=[InputRequired(), NumberRange(min=0, max=1000)])
    adults = IntegerField(_l("Adults who arrived"), validators=[InputRequired(), NumberRange(min=0, max=200)])
    submit = SubmitField(_l("Admit the class"))


def _group_choices():
    return [SelectChoice("", _l("Choose who is visiting"))] + [
        SelectChoice(group.value, group.label) for group in AudienceGroup]


class WalkInForm(Form):
    persons = IntegerField(_l("How many people?"), validators=[InputRequired(), NumberRange(min=1, max=MAX_PARTY)],
                           default=1)
    # No group is preselected: youth, first in the list, would count anyone who just taps the button as a child.
    audience_group = SelectField(_l("Who is visiting?"), choices=_group_choices(),
                                 validators=[InputRequired(message=_l("Choose who is visiting."))])
    submit = SubmitField(_l("Count us in"))


class StaffWalkInForm(WalkInForm):
    persons = IntegerField(_l("How many people?"),
                           validators=[InputRequired(), NumberRange(min=1, max=MAX_STAFF_GROUP)], default=1)
    submit = SubmitField(_l("Add walk-ins"))


class GateDeviceForm(Form):
    name = StringField(_l("Device name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("Where it stands, for example East gate 2."))
    submit = SubmitField(_l("Create a device token"))


class RevokeForm(Form):
    submit = SubmitField(_l("Revoke"))
