"""Forms of the publishing pages. They check shapes; the services check the rules."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField, TimeField, URLField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import Form
from app.events.themed_days import themed_day_choices
from app.scheduling.models import Audience, ProgramKind, SlotStatus
from app.scheduling.booking_rules import RULE_LIMITS
from app.scheduling.programs import LANGUAGES
from app.scheduling.services import DEFAULT_SESSIONS, MAX_CAPACITY
from app.venues.forms import GRADES, WEEKDAYS
from app.venues.models import Admission

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def _choices(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as the option objects WTForms expects (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


def _strip(value):
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _capacity_field(label=_l("Capacity (people)")):
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=1, max=MAX_CAPACITY)])


def _program_field():
    return SelectField(_l("Program"), choices=[], validate_choice=False, validators=[Optional()])


def _themed_dates_fields():
    """The confirmation a themed event's dates outside its themed day's ask for (shown with the warning
    only), and the warning's token it confirms (``events.services.OutsideThemedDates``)."""
    from app.events.services import CONFIRM_THEMED_DATES

    return BooleanField(CONFIRM_THEMED_DATES), HiddenField()


def themed_dates_confirmed(form) -> str | None:
    """What the form confirms of a themed event's dates: the token of the warning the manager ticked."""
    return (form.themed_dates_seen.data or None) if form.themed_dates_ok.data else None


def program_choices(programs) -> list[tuple[str, str]]:
    from app.core.i18n import localized

    return _choices([("", _l("No particular program"))] + [(str(p.id), localized(p, "title")) for p in programs])


def themed_day_options(today) -> list[SelectChoice]:
    """The themed days a program can be tied to, with their coming dates; or none."""
    return _choices(themed_day_choices(today, _l("Not tied to a themed day")))


class ProgramForm(Form):
    kind = SelectField(_l("Kind of visit"), choices=_choices(ProgramKind.choices()), validators=[DataRequired()])
    # Choices are set by the view (the themed days the app knows); the service checks the key.
    themed_day_key = SelectField(_l("Themed day"), choices=[], validate_choice=False, validators=[Optional()])
    title_zh = StringField(_l("Title in Chinese"), validators=[DataRequired(), Length(max=120)], filters=[_strip])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200)], filters=[_strip])
    description_zh = TextAreaField(_l("Description in Chinese"), validators=[Optional(), Length(max=5000)],
                                   filters=[_strip])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=5000)],
                                   filters=[_strip])
    grade_min = SelectField(_l("From grade"), choices=_choices(GRADES), coerce=int, default=0)
    grade_max = SelectField(_l("To grade"), choices=_choices(GRADES), coerce=int, default=12)
    curriculum_link = URLField(_l("Curriculum link"), validators=[Optional(), Length(max=300)], filters=[_strip])
    language = RadioField(_l("Language of the visit"), choices=_choices(LANGUAGES.items()), default="zh",
                          validators=[InputRequired()])
    is_active = BooleanField(_l("Active: can be chosen for new slots"), default=True)
    themed_dates_ok, themed_dates_seen = _themed_dates_fields()
    submit = SubmitField(_l("Save program"))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "kind", "title_zh", "title_en", "description_zh", "description_en", "grade_min", "grade_max",
            "curriculum_link", "language", "is_active", "themed_day_key")}


class SlotTimesForm(Form):
    """What a new slot and a correction of one both ask: its day and times, audience, admission, program."""

    day = DateField(_l("Date"), validators=[InputRequired()])
    start = TimeField(_l("Starts at"), format=TIME_FORMATS, validators=[InputRequired()])
    end = TimeField(_l("Ends at"), format=TIME_FORMATS, validators=[InputRequired()])
    ends_next_day = BooleanField(_l("Ends the next day (after midnight)"))
    audience = RadioField(_l("Who can book"), choices=_choices(Audience.choices()), default=Audience.PUBLIC.value,
                          validators=[InputRequired()])
    admission = RadioField(_l("Admission"), choices=_choices(Admission.choices()), default=Admission.FREE.value,
                           validators=[InputRequired()])
    program_id = _program_field()
    special_opening = HiddenField()  # "yes" once the manager has confirmed opening a closed day
    themed_dates_ok, themed_dates_seen = _themed_dates_fields()


class SlotForm(SlotTimesForm):
    capacity = _capacity_field()
    # Shown with the warning only: the confirmation a time overlapping open slots for the same visitors
    # and program asks for, and the warning's token it confirms (``services.OverlappingSlots``).
    overlap_ok = BooleanField(_l("Yes, publish this time as well"))
    overlap_seen = HiddenField()
    submit = SubmitField(_l("Publish slot"))


def overlap_confirmed(form) -> str | None:
    """What the form confirms of overlapping slots: the token of the warning the manager ticked."""
    return (form.overlap_seen.data or None) if form.overlap_ok.data else None


class SlotCorrectionForm(SlotTimesForm):
    """A slot nobody has booked yet, corrected (its capacity has a form of its own)."""

    submit = SubmitField(_l("Save the corrections"))


class SlotFilterForm(Form):
    """The slot list's filters, read from the query string."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    audience = SelectField(_l("Who can book"), choices=_choices([("", _l("Everyone")), *Audience.choices()]),
                           validators=[Optional()], validate_choice=False)
    status = SelectField(_l("Status"), choices=_choices([("", _l("Open and cancelled")), *SlotStatus.choices()]),
                         default=SlotStatus.OPEN.value, validators=[Optional()], validate_choice=False)


class CapacityForm(Form):
    capacity = _capacity_field(_l("New capacity (people)"))
    submit = SubmitField(_l("Change capacity"))


class CapacityBetweenForm(Form):
    """One capacity for every open slot of some days (a holiday's larger crowds)."""

    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])
    audience = SelectField(_l("Who can book"), choices=_choices([("", _l("Everyone")), *Audience.choices()]),
                           validators=[Optional()], validate_choice=False)
    capacity = _capacity_field(_l("New capacity of each slot (people)"))
    submit = SubmitField(_l("Change the capacity of these slots"))


class CancelSlotForm(Form):
    reason = TextAreaField(_l("Reason, sent to everyone who booked"), validators=[DataRequired(), Length(max=300)],
                           filters=[_strip])
    submit = SubmitField(_l("Cancel this slot and its bookings"))


class ScheduleForm(Form):
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])
    weekdays = MultiCheckboxField(_l("Weekdays"), choices=_choices(WEEKDAYS), coerce=int, validators=[Optional()])
    sessions = StringField(_l("Times each day"), default=DEFAULT_SESSIONS,
                           validators=[DataRequired(), Length(max=200)], filters=[_strip])
    audience = RadioField(_l("Who can book"), choices=_choices(Audience.choices()), default=Audience.PUBLIC.value,
                          validators=[InputRequired()])
    capacity = _capacity_field(_l("Capacity of each slot (people)"))
    admission = RadioField(_l("Admission"), choices=_choices(Admission.choices()), default=Admission.FREE.value,
                           validators=[InputRequired()])
    program_id = _program_field()
    themed_dates_ok, themed_dates_seen = _themed_dates_fields()
    submit = SubmitField(_l("Publish schedule"))


class WithdrawScheduleForm(Form):
    from_day = DateField(_l("Withdraw from"), validators=[Optional()])
    reason = TextAreaField(_l("Reason, sent to everyone whose booking is cancelled"),
                           validators=[Optional(), Length(max=300)], filters=[_strip])
    confirmed = HiddenField()  # "yes" once the manager has seen the bookings it cancels
    submit = SubmitField(_l("Withdraw the schedule"))


class ClosureForm(Form):
    starts_on = DateField(_l("First closed day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last closed day"), validators=[Optional()])
    reason_zh = StringField(_l("Reason in Chinese"), validators=[DataRequired(), Length(max=300)], filters=[_strip])
    reason_en = StringField(_l("Reason in English"), validators=[Optional(), Length(max=400)], filters=[_strip])
    confirmed = HiddenField()  # "yes" once the manager has seen the bookings it cancels
    submit = SubmitField(_l("Close the venue on these days"))


class RemoveClosureForm(Form):
    """The button that takes a closure back: nothing but the CSRF token."""

    submit = SubmitField(_l("Yes, remove this closure"))


def _rule(label, name: str) -> IntegerField:
    low, high = RULE_LIMITS[name]
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=low, max=high)])


class RulesForm(Form):
    public_window_days = _rule(_l("Individual bookings open (days before)"), "public_window_days")
    public_cutoff_hours = _rule(_l("Individual bookings close (hours before)"), "public_cutoff_hours")
    party_limit = _rule(_l("People per individual booking, at most"), "party_limit")
    school_window_days = _rule(_l("Group bookings open (days before)"), "school_window_days")
    school_cutoff_hours = _rule(_l("Group bookings close (hours before)"), "school_cutoff_hours")
    group_min = _rule(_l("Students in a group, at least"), "group_min")
    group_max = _rule(_l("Students in a group, at most"), "group_max")
    students_per_adult = _rule(_l("Students per accompanying adult"), "students_per_adult")
    kindergarten_students_per_adult = _rule(_l("Kindergarten children per accompanying adult"),
                                            "kindergarten_students_per_adult")
    auto_confirm_groups = BooleanField(_l("Confirm group bookings automatically"))
    partner_early_days = _rule(_l("Partner schools book earlier by (days)"), "partner_early_days")
    partner_reserved_pct = _rule(_l("Share of group places reserved for partner schools (%)"), "partner_reserved_pct")
    cancel_cutoff_hours = _rule(_l("Free cancellation until (hours before)"), "cancel_cutoff_hours")
    noshow_limit = _rule(_l("Missed visits that pause booking"), "noshow_limit")
    noshow_window_days = _rule(_l("Missed visits counted over (days)"), "noshow_window_days")
    noshow_block_days = _rule(_l("Booking paused for (days)"), "noshow_block_days")
    submit = SubmitField(_l("Save booking rules"))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (*RULE_LIMITS, "auto_confirm_groups")}
