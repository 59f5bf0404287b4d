from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SearchField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import Form
from app.schools.models import SchoolKind
from app.schools.services import ADDRESS_MAX, NAME_EN_MAX, NAME_ZH_MAX


def select_choices(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as the option objects WTForms expects (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


class SchoolForm(Form):
    """A school's registry entry. District choices are set by the view (a district admin sees one)."""

    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=NAME_ZH_MAX)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=NAME_EN_MAX)])
    kind = SelectField(_l("Kind of school"), choices=select_choices(SchoolKind.choices()), validators=[DataRequired()])
    district_code = SelectField(_l("District"), choices=[], validate_choice=False,
                                validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=ADDRESS_MAX)])
    is_active = BooleanField(_l("Open: teachers register with this school and book class visits for it. Untick "
                                "it when the school closes or merges into another."), default=True)
    submit = SubmitField(_l("Save"))


class SchoolFilterForm(Form):
    """The registry's filters, read from the query string."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search by name"), validators=[Optional(), Length(max=100)])
    district = SelectField(_l("District"), choices=[], validate_choice=False, validators=[Optional()])
    kind = SelectField(_l("Kind of school"), validators=[Optional()],
                       choices=select_choices([("", _l("All kinds")), *SchoolKind.choices()]),
                       validate_choice=False)
