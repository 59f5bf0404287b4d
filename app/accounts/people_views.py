"""The administrators' people pages: the list of accounts, a person's account, suspending, reinstating
and closing it. Who may do what is in ``people.py``."""
from __future__ import annotations

import functools

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.accounts import district_admins, invitation_views, people
from app.accounts.forms import (CloseAccountForm, ConfirmForm, DistrictAdminForm, PeopleFilterForm,
                                ReinstateAccountForm, SuspendAccountForm)
from app.accounts.models import Role, User
from app.accounts.views import bp
from app.core.authz import authorize
from app.core.errors import DomainError
from app.core.forms import apply_error
from app.core.i18n import localized
from app.core.pagination import page_number, paginate, redirect_past_the_end
from app.core.time import utcnow
from app.districts.services import district_choices
from app.extensions import db, limiter
from app.notifications.services import after_commit_delivery
from app.privacy.services import AccessAction, access_detail, action_label, record_access
from app.schools.forms import select_choices

PAGE_SIZE = 50


def _account(user_id: int) -> User:
    # Asked before the look-up, so that nobody else learns which account ids exist.
    authorize(people.can_keep_accounts(current_user))
    person = db.get_or_404(User, user_id)
    authorize(people.can_see_account(current_user, person))
    return person


def _chosen(field) -> str | None:
    """A filter's value if it is one of its choices (an unknown value filters nothing)."""
    return field.data if field.data and field.data in {c.value for c in field.choices} else None


@bp.get("/admin/people")
@login_required
def people_list():
    authorize(people.can_keep_accounts(current_user))
    filters = PeopleFilterForm(request.args)
    filters.role.choices = select_choices(
        [("", _l("All roles")), *((role.value, role.label) for role in people.roles_kept_by(current_user))])
    filters.district.choices = select_choices(
        [(code, name) for code, name in district_choices(blank_label=_l("All districts"))
         if current_user.role == Role.CITY_ADMIN or code in ("", current_user.district_code)])
    filters.status.choices = select_choices([("", _l("Any status")), *people.AccountStatus.choices()])
    status = 200
    q = filters.q.data or ""
    if not filters.validate():
        status, q = 400, ""  # a search too long to be anyone's name: said next to the field
    number = page_number(request.args)
    page = paginate(people.accounts(current_user, role=_chosen(filters.role), district_code=_chosen(filters.district),
                                    status=_chosen(filters.status), q=q), number, PAGE_SIZE)
    redirect_past_the_end(page)
    record_access(current_user, AccessAction.VIEW_PEOPLE_LIST, detail=str(number))
    db.session.commit()
    return render_template("accounts/people.html", page=page, filters=filters,
                           can_close=people.can_close_accounts(current_user)), status


def _person_page(person: User, form=None, status: int = 200):
    """A person's account with what may be done to it; ``form`` is the action form sent back with its errors."""
    record_access(current_user, AccessAction.VIEW_ACCOUNT, person)
    db.session.commit()
    if form is None:
        form = (ReinstateAccountForm if person.is_disabled else SuspendAccountForm)(formdata=None)
    action = people.AccountAction.REINSTATE if isinstance(form, ReinstateAccountForm) else people.AccountAction.SUSPEND
    close_refused = people.refusal(current_user, person, people.AccountAction.CLOSE)
    locked = person.locked_until is not None and person.locked_until > utcnow()
    return render_template(
        "accounts/person.html", person=person, district=people.district_of(person), action=action, form=form,
        refused=people.refusal(current_user, person, action), close_refused=close_refused,
        can_close=people.can_close_accounts(current_user), locked_until=person.locked_until if locked else None,
        venue_left=people.venue_left_without_manager(person), history=people.account_history(person),
        action_label=action_label, access_detail=access_detail), status


@bp.get("/admin/people/<int:user_id>")
@login_required
def person(user_id: int):
    return _person_page(_account(user_id))


def _act(user_id: int, form, act, done) -> object:
    """Run ``act(admin, person, reason)`` from the person page's form, then say ``done(person)``."""
    person = _account(user_id)
    if form.validate_on_submit():
        try:
            act(current_user, person, form.reason.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
            return _person_page(person, form, exc.status)
        after_commit_delivery()
        flash(done(person), "success")
        return redirect(url_for("accounts.person", user_id=person.id))
    return _person_page(person, form, 400)


@bp.post("/admin/people/<int:user_id>/suspend")
@login_required
def suspend_account(user_id: int):
    def done(person: User) -> str:
        message = _("%(name)s's account is suspended: they have been signed out everywhere and told by email.",
                    name=person.name)
        venue = people.venue_left_without_manager(person)
        if venue is not None:
            message += " " + _("%(venue)s has no active manager now.", venue=localized(venue, "name"))
        return message

    return _act(user_id, SuspendAccountForm(), people.suspend_account, done)


@bp.post("/admin/people/<int:user_id>/reinstate")
@login_required
def reinstate_account(user_id: int):
    def done(person: User) -> str:
        if person.is_disabled:  # a venue's former staff member: the venue adds them again
            return _("%(name)s's suspension is lifted. A venue removed them from its staff, so the account stays "
                     "closed until a venue manager adds them again.", name=person.name)
        return _("%(name)s's account is active again. They have been told by email.", name=person.name)

    return _act(user_id, ReinstateAccountForm(), people.reinstate_account, done)


@bp.route("/admin/people/<int:user_id>/close", methods=["GET", "POST"])
@login_required
def close_account(user_id: int):
    person = _account(user_id)
    authorize(people.can_close_accounts(current_user))
    form = CloseAccountForm()
    venue_left = people.venue_left_without_manager(person)
    status = 200
    if form.validate_on_submit():
        name = person.name  # the account is gone once closed
        venue_name = localized(venue_left, "name") if venue_left is not None else None
        try:
            cancelled = people.close_account(current_user, person, form.reason.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            person = db.get_or_404(User, user_id)  # erasing may have begun: as the rollback left it
            apply_error(form, exc)
            status = exc.status
        else:
            after_commit_delivery()
            message = ngettext("The account of %(name)s is closed and its personal data deleted; %(num)d upcoming "
                               "booking was cancelled.",
                               "The account of %(name)s is closed and its personal data deleted; %(num)d upcoming "
                               "bookings were cancelled.", cancelled, name=name) if cancelled else \
                _("The account of %(name)s is closed and its personal data deleted.", name=name)
            if venue_name:
                message += " " + _("%(venue)s has no manager left.", venue=venue_name)
            flash(message, "success")
            return redirect(url_for("accounts.people_list"))
    elif form.is_submitted():
        status = 400
    record_access(current_user, AccessAction.VIEW_ACCOUNT, person)
    db.session.commit()
    return render_template("accounts/close_account.html", person=person, form=form,
                           district=people.district_of(person), venue_left=venue_left,
                           refused=people.refusal(current_user, person, people.AccountAction.CLOSE)), status


# --- district administrators (the city admin invites them) --------------------------------------

def _district_admins_page(form=None, status: int = 200):
    if form is None:
        form = DistrictAdminForm(formdata=None)
    form.district.choices = select_choices(district_choices(blank_label=_l("Choose the district")))
    admins = district_admins.district_admins()
    record_access(current_user, AccessAction.VIEW_PEOPLE_LIST, detail="district_admins")
    db.session.commit()
    return render_template("accounts/district_admins.html", form=form, admins=admins,
                           invitation_form=ConfirmForm(formdata=None)), status


@bp.route("/admin/district-admins", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", methods=["POST"])  # each accepted form sends an email
def district_admin_list():
    authorize(district_admins.can_invite_district_admins(current_user))
    if request.method == "GET":
        return _district_admins_page()
    form = DistrictAdminForm()
    form.district.choices = select_choices(district_choices(blank_label=_l("Choose the district")))
    if form.validate_on_submit():
        try:
            person = district_admins.invite_district_admin(
                current_user, email=form.email.data, name=form.name.data, district_code=form.district.data,
                link_for=invitation_views.password_link)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            after_commit_delivery()
            flash(_("We have invited %(name)s to administer %(district)s: they can sign in once they have chosen "
                    "a password from the link we emailed to %(email)s.", name=person.name,
                    district=localized(person.district, "name"), email=person.email), "success")
            return redirect(url_for("accounts.district_admin_list"))
    return _district_admins_page(form, 400)


def _district_admin_invitation(user_id: int, act, *, withdraw: bool):
    """``act(admin, person)`` on an invited district admin's invitation (``invitation_views.settle``)."""
    authorize(district_admins.can_invite_district_admins(current_user))
    person = db.session.get(User, user_id)
    if person is None or person.role != Role.DISTRICT_ADMIN:
        abort(404)
    return invitation_views.settle(person, functools.partial(act, current_user, person), withdraw=withdraw,
                                   back=url_for("accounts.district_admin_list"))


@bp.post("/admin/district-admins/<int:user_id>/invitation")
@login_required
@limiter.limit("30 per hour")  # each one sends an email
def resend_district_admin_invitation(user_id: int):
    return _district_admin_invitation(user_id, functools.partial(
        district_admins.resend_district_admin_invitation, link_for=invitation_views.password_link), withdraw=False)


@bp.post("/admin/district-admins/<int:user_id>/invitation/withdraw")
@login_required
def withdraw_district_admin_invitation(user_id: int):
    return _district_admin_invitation(user_id, district_admins.withdraw_district_admin_invitation, withdraw=True)
