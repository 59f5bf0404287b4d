"""What the pages that send an invitation again or withdraw it share (a venue's managers, its staff,
the district administrators): each page finds the invited person by its own rule, then ``settle``
confirms, commits and tells the admin what happened."""
from __future__ import annotations

from typing import Callable

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _

from app.accounts.models import User
from app.core.errors import DomainError
from app.accounts.forms import ConfirmForm
from app.extensions import db
from app.notifications.services import after_commit_delivery, site_url


def password_link(token: str) -> str:
    """The address an invitation's email sends the person to, to choose their password."""
    return site_url(url_for("accounts.reset_password", token=token))


def settle(person: User, act: Callable[[], None], *, withdraw: bool, back: str):
    """Run ``act`` (sending ``person``'s invitation again, or withdrawing it) once the form is confirmed,
    then go ``back`` saying what was done, or why not."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name, email = person.name, person.email  # a withdrawn account is gone afterwards
    try:
        act()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        after_commit_delivery()
        flash(_("The invitation of %(name)s is withdrawn: the link we emailed no longer works.", name=name)
              if withdraw else _("We have emailed %(email)s a new link to choose a password.", email=email),
              "success")
    return redirect(back)
