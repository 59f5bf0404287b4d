from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, EmailField, PasswordField, RadioField, SearchField, SelectField,
                     StringField, SubmitField, TelField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, StopValidation, ValidationError

from app.accounts import services
from app.accounts.models import Role
from app.accounts.people import MAX_REASON_LENGTH
from app.core.errors import DomainError
from app.core.forms import Form
from app.core.text import width_folded

def _optional_int(value):
    """A select's value as an id, or None for the blank "choose…" option."""
    if value in (None, "", "None"):
        return None
    return int(value)


def _stripped(value):
    """A pasted address often brings a space with it."""
    return value.strip() if isinstance(value, str) else value


def plausible_email(form, field):
    """A loose check for forms that look an account up: the demo's ``@scivisit.local`` addresses
    are real accounts even though email_validator refuses special-use domains."""
    if not services.EMAIL_RE.match(services.normalize_email(field.data)):
        raise ValidationError(_l("Enter a valid email address."))


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Log in"))


def _long_enough(form, field) -> None:
    """The service's length rule, checked with the rest of the form so that every mistake is told at once."""
    try:
        services.validate_password(field.data or "")
    except DomainError as exc:
        raise ValidationError(str(exc.message)) from None


def _new_password_fields(name: str, label):
    """A new password and its confirmation; the length rule itself lives in the service."""
    password = PasswordField(label, validators=[DataRequired(), Length(max=200), _long_enough],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo(name, message=_l("The two passwords do not match."))],
                            render_kw={"autocomplete": "new-password"})
    return password, confirm


class ContactForm(Form):
    """Name, mobile number and email as a person gives them: at registration and when correcting them."""

    # Roles an administrator gives may have no mobile number; the forms that allow that say so.
    phone_required = True
    # The address the account has now: kept as it is, it is not checked again (the demo's
    # ``@scivisit.local`` addresses are real accounts although email_validator refuses them).
    known_email: str | None = None

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=services.MAX_NAME_LENGTH)],
                       render_kw={"autocomplete": "name"})
    phone = TelField(_l("Mobile number"), validators=[Length(max=20)],
                     render_kw={"autocomplete": "tel", "inputmode": "numeric"})
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                       filters=[_stripped], render_kw={"autocomplete": "email"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.phone.flags.required = self.phone_required

    def validate_phone(self, field):
        if not (field.data or "").strip():
            if self.phone_required:
                raise StopValidation(field.gettext("This field is required."))
            return
        if not services.is_mobile(field.data):
            raise ValidationError(_l("Enter an 11-digit mainland mobile number."))

    def validate_email(self, field):
        if self.known_email is None or services.normalize_email(field.data) != self.known_email:
            Email()(self, field)


class RegistrationForm(ContactForm):
    role = RadioField(
        _l("I am registering as"), default=Role.CITIZEN.value,
        choices=[SelectChoice(r.value, r.label) for r in services.SELF_REGISTERED_ROLES],
        invalid_choice_message=_l("Choose one of the listed roles."),
    )
    password, confirm = _new_password_fields("password", _l("Password"))
    school_id = SelectField(_l("Your school"), coerce=_optional_int, choices=[],
                            invalid_choice_message=_l("Choose a school from the list."))
    consent = BooleanField(_l("I have read the privacy notice and agree that SciVisit keeps my name, "
                              "mobile number and email to manage my bookings."))
    submit = SubmitField(_l("Create account"))

    def validate_consent(self, field):
        if not field.data:
            raise ValidationError(_l("Please agree to the privacy notice to register."))

    def validate_school_id(self, field):
        if self.role.data == Role.TEACHER.value and not field.data:
            raise ValidationError(_l("Choose your school."))


class PasswordChangeForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)],
                                     render_kw={"autocomplete": "current-password"})
    new_password, confirm = _new_password_fields("new_password", _l("New password"))
    submit = SubmitField(_l("Change password"))


class ProfileForm(ContactForm):
    """A person corrects their own details; changing the email (the login) takes the password."""

    current_password = PasswordField(_l("Current password"), validators=[Optional(), Length(max=200)],
                                     render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Save changes"))

    def __init__(self, *args, phone_required: bool = True, known_email: str | None = None, **kwargs):
        self.phone_required, self.known_email = phone_required, known_email
        super().__init__(*args, **kwargs)


class ForgotPasswordForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254), plausible_email],
                       render_kw={"autocomplete": "email"})
    submit = SubmitField(_l("Send reset link"))


class ResetPasswordForm(Form):
    password, confirm = _new_password_fields("password", _l("New password"))
    submit = SubmitField(_l("Set new password"))


class ConfirmForm(Form):
    """An action button: nothing but the CSRF token."""


class RejectTeacherForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Reject registration"))


class StaffForm(Form):
    """A venue manager adds someone to the gate staff; they choose their own password from an email."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=services.MAX_NAME_LENGTH)],
                       render_kw={"autocomplete": "off"})
    # A new account's address must receive the invitation: checked properly, unlike look-up forms.
    email = EmailField(_l("Work email"), validators=[DataRequired(), Length(max=254), Email()],
                       filters=[_stripped, width_folded], render_kw={"autocomplete": "off"})
    submit = SubmitField(_l("Add and send the invitation"))


class RemoveStaffForm(Form):
    submit = SubmitField(_l("Remove from staff"))


class ManagerForm(StaffForm):
    """An administrator adds a manager to a venue; a new account's owner chooses the password from an email."""

    submit = SubmitField(_l("Add the manager"))


class DistrictAdminForm(StaffForm):
    """The city admin invites a district's administrator, who chooses the password from an email."""

    district = SelectField(_l("District"), validators=[DataRequired()])
    submit = SubmitField(_l("Send the invitation"))


class PeopleFilterForm(Form):
    """The administrators' list of accounts, filtered from the query string (choices set by the view)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name or email"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), choices=[], validate_choice=False, validators=[Optional()])
    district = SelectField(_l("District"), choices=[], validate_choice=False, validators=[Optional()])
    status = SelectField(_l("Status"), choices=[], validate_choice=False, validators=[Optional()])


class AccountActionForm(Form):
    """Suspending, reinstating or closing an account: the reason is optional and told to the person."""

    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=MAX_REASON_LENGTH)],
                           render_kw={"maxlength": MAX_REASON_LENGTH, "rows": 3})


class SuspendAccountForm(AccountActionForm):
    submit = SubmitField(_l("Suspend the account"))


class ReinstateAccountForm(AccountActionForm):
    submit = SubmitField(_l("Reinstate the account"))


class CloseAccountForm(AccountActionForm):
    submit = SubmitField(_l("Close the account for good"))


class ChangeSchoolForm(Form):
    """A teacher who moved says which school they teach at now."""

    school_id = SelectField(_l("Your new school"), coerce=_optional_int, choices=[],
                            invalid_choice_message=_l("Choose a school from the list."))
    submit = SubmitField(_l("Change my school"))

    def validate_school_id(self, field):
        if not field.data:
            raise ValidationError(_l("Choose your school."))
