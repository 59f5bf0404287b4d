"""Form plumbing shared by every domain."""
from __future__ import annotations

import unicodedata

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateTimeField, DecimalField, FloatField, IntegerField, SelectField, SelectMultipleField

from app.core.errors import DomainError


def apply_error(form, exc: DomainError) -> None:
    """Put a service's complaints (one, or each of a ``FieldErrors``) next to the fields they are
    about, or above the form. A field the form's own checks already marked keeps just that message:
    the service's about the same value would say it twice ("required", then "enter the address")."""
    for error in getattr(exc, "errors", None) or [exc]:
        field = getattr(form, error.field, None) if error.field else None
        if field is not None and hasattr(field, "errors"):
            if not field.errors:
                field.errors = [error.message]
        else:
            form.form_errors.append(error.message)


def form_status(form) -> int:
    """400 when a submitted form is re-rendered with errors, else 200."""
    return 400 if form.errors else 200


# WTForms' built-in messages, translated by SciVisit's own catalog. WTForms' bundled Chinese has
# gaps and slips (an empty entry, "无效的 Email 地址", "数值必须大于" for "at least"); listing the
# messages here puts them in `make extract-messages`, and ``Form`` looks them up in our catalog.
WTFORMS_MESSAGES = (
    _l("Invalid field name '%s'."),
    _l("Field must be equal to %(other_name)s."),
    lazy_ngettext("Field must be at least %(min)d character long.",
                  "Field must be at least %(min)d characters long.", 1),
    lazy_ngettext("Field cannot be longer than %(max)d character.",
                  "Field cannot be longer than %(max)d characters.", 1),
    lazy_ngettext("Field must be exactly %(max)d character long.",
                  "Field must be exactly %(max)d characters long.", 1),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Date must be at least %(min)s."),
    _l("Date must be at most %(max)s."),
    _l("Date must be between %(min)s and %(max)s."),
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid IP address."),
    _l("Invalid Mac address."),
    _l("Invalid URL."),
    _l("Invalid UUID."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("This field cannot be edited."),
    _l("This field is disabled and cannot have a value."),
    _l("Invalid CSRF Token."),
    _l("CSRF token missing."),
    _l("CSRF failed."),
    _l("CSRF token expired."),
    _l("Invalid Choice: could not coerce."),
    _l("Choices cannot be None."),
    _l("Not a valid choice."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    lazy_ngettext("'%(value)s' is not a valid choice for this field.",
                  "'%(value)s' are not valid choices for this field.", 1),
    _l("Not a valid datetime value."),
    _l("Not a valid date value."),
    _l("Not a valid time value."),
    _l("Not a valid week value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
)


class _CatalogTranslations:
    """WTForms' translations interface over the request's catalog. WTForms fills the placeholders
    itself, so the texts come back unformatted."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


# Fields whose text is read as digits: a Chinese input method types them in full width (１８：００).
_READ_AS_DIGITS = (DateTimeField, IntegerField, DecimalField, FloatField)


def _as_typed(value: str, *, digits: bool) -> str:
    """A submitted value as the person meant it. Browsers send a textarea's line break as CRLF but
    count it as one character against ``maxlength``, so every line break becomes one LF."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFKC", value) if digits else value


def _has_input(field) -> bool:
    return any(not isinstance(v, str) or v.strip() for v in field.raw_data or ())


def _unreadable(field) -> list[str]:
    """What to say about a value that could not be read at all."""
    if isinstance(field, SelectField) and not isinstance(field, SelectMultipleField):
        # A choice that is not even of the right type ("abc" for a grade) is as wrong as one not offered.
        return [field.invalid_choice_message or field.gettext("Not a valid choice.")]
    return list(field.process_errors)


class Form(FlaskForm):
    """Every SciVisit form: Flask-WTF's, with WTForms' own messages in the interface language."""

    class Meta:
        def get_translations(self, form):
            return _CatalogTranslations()

        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            digits = {field.name for field in form if isinstance(field, _READ_AS_DIGITS)}
            typed = MultiDict()
            for name, value in formdata.items(multi=True):
                typed.add(name, _as_typed(value, digits=name in digits) if isinstance(value, str) else value)
            return typed

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            _one_message(field)
        return valid


def validate_field(form: Form, field) -> bool:
    """One field's checks (a step of a step-by-step form), with its messages as ``Form.validate`` gives them."""
    valid = field.validate(form)
    _one_message(field)
    return valid


def _one_message(field) -> None:
    """What a field's errors say about a value that could not be read, or was not typed."""
    if not (field.process_errors and field.errors):
        # Read fine, or left empty where that is allowed (``Optional`` has cleared the errors).
        return
    if _has_input(field):
        # "abc" for a number: say that, not also the range the missing number is outside.
        field.errors = _unreadable(field)
    else:
        # Nothing typed: "required" says it; "not a valid date" would be about nothing.
        field.errors = [e for e in field.errors if e not in field.process_errors] or field.errors
