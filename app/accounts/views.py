from __future__ import annotations

from itertools import groupby
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from app.accounts import school_moves, services, sign_ins
from app.accounts.forms import (ConfirmForm, ForgotPasswordForm, LoginForm, PasswordChangeForm,
                                ProfileForm, RegistrationForm, RejectTeacherForm, ResetPasswordForm)
from app.accounts.models import Role, User
from app.bookings.partnerships import school_partnerships
from app.bookings.queries import count_venue_requests
from app.core.authz import authorize
from app.core.errors import DomainError
from app.core.forms import apply_error, form_status
from app.core.i18n import localized
from app.core.pagination import page_number, paginate, redirect_past_the_end
from app.core.prefs import carry_into_account
from app.core.time import local_today, utcnow
from app.extensions import account_or_address, address_and_email, db, limiter
from app.notifications.services import after_commit_delivery, count_overdue, site_url
from app.privacy.services import record_access
from app.schools.services import active_schools

bp = Blueprint("accounts", __name__)


@bp.app_context_processor
def inject_endpoints():
    # ``endpoints`` lets templates link to pages of other domains only once those exist.
    return {"endpoints": current_app.view_functions.keys(),
            "min_password_length": services.MIN_PASSWORD_LENGTH}


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths, so a login link cannot send people elsewhere."""
    if not target:
        return None
    # Browsers read "/\evil.example" as "//evil.example"; control characters hide such tricks.
    normalised = target.replace("\\", "/")
    if any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(normalised)
    if parts.scheme or parts.netloc or not normalised.startswith("/") or normalised.startswith("//"):
        return None
    return target


def _sign_in(user: User) -> None:
    """A fresh session at sign-in (no fixation), recorded as a sign-in of this browser."""
    session.clear()
    sign_ins.record_sign_in(user, user_agent=request.user_agent.string)
    login_user(user)


def signed_out_for_lock(exc: services.AccountLocked):
    """The answer to a check of the current password that found the account locked: the service ended
    this sign-in; the browser forgets it, and the login page says why."""
    logout_user()
    session.clear()
    flash(exc.message, "error")
    return redirect(url_for("accounts.login"))


def _end_this_sign_in() -> None:
    """Whoever is signed in in this browser: their sign-in ends here (the caller commits)."""
    if current_user.is_authenticated:
        sign_ins.end_this_sign_in(current_user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=address_and_email)
@limiter.limit("100 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as exc:
            form.form_errors.append(exc.message)
        else:
            _sign_in(user)
            carry_into_account(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.dashboard"))
    return render_template("accounts/login.html", form=form), form_status(form)


@bp.post("/logout")
def logout():
    _end_this_sign_in()
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "success")
    return redirect(url_for("main.home"))


def _school_choices() -> list[SelectChoice]:
    choices = [SelectChoice("", _("Choose your school"))]
    for _code, schools in groupby(active_schools(), key=lambda s: s.district_code):
        schools = list(schools)
        group = localized(schools[0].district, "name")
        choices += [SelectChoice(str(s.id), localized(s, "name"), optgroup=group) for s in schools]
    return choices


_NEXT_STEPS = {
    Role.CITIZEN: lambda user: _("Welcome to SciVisit. You can now find a venue and book a visit."),
    Role.TEACHER: lambda user: _(
        "Your account is created. The science association of %(district)s will verify that you teach at "
        "%(school)s; you can book class visits once they have. We will email you.",
        district=localized(user.school.district, "name"), school=localized(user.school, "name")),
    Role.VENUE_MANAGER: lambda user: _(
        "Your account is created. Next, register your venue; the district science association "
        "reviews it before it appears in the directory."),
}


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    # ``?role=teacher`` or ``venue_manager`` (the home page's links) preselects the role; a GET only.
    asked = request.args.get("role", "")
    form = RegistrationForm(role=asked) if asked in {r.value for r in services.SELF_REGISTERED_ROLES} \
        else RegistrationForm()
    form.school_id.choices = _school_choices()
    if form.validate_on_submit():
        try:
            user = services.register_account(
                email=form.email.data, password=form.password.data, name=form.name.data,
                phone=form.phone.data, role=form.role.data, school_id=form.school_id.data,
                consent=form.consent.data,
            )
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            _sign_in(user)
            db.session.commit()
            carry_into_account(user)
            after_commit_delivery()  # a teacher's registration is mailed to the district's admins
            flash(_NEXT_STEPS[user.role](user), "success")
            return redirect(url_for("accounts.dashboard"))
    return render_template("accounts/register.html", form=form), form_status(form)


@bp.get("/me")
@login_required
def dashboard():
    pending_teachers = pending_venues = None
    if services.can_review_teachers(current_user):
        pending_teachers = services.count_teachers_awaiting_verification(current_user)
    if current_user.role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
        # Registrations wait on the reviewer as teachers do: say how many, from the review queue itself.
        from app.venues.models import VenueStatus
        from app.venues.services import review_queue

        pending_venues = review_queue(current_user, VenueStatus.SUBMITTED, 1, 1).total
    # The city admin runs the site: email that is not going out must reach someone who reads a page.
    overdue_mail = count_overdue() if current_user.role == Role.CITY_ADMIN else None
    # A class request undecided when its visit starts lapses: the manager sees how many wait.
    pending_requests = reports_to_file = None
    if current_user.role == Role.VENUE_MANAGER and current_user.venue_id is not None:
        from app.stats.reports import reports_to_file as unfiled_reports

        pending_requests = count_venue_requests(current_user.venue_id, utcnow())
        reports_to_file = unfiled_reports(current_user.venue)  # every finished year owed and not filed
    move_refused = partner_venues = None
    if current_user.role == Role.TEACHER:
        move_refused = school_moves.move_refused(current_user)
        # A closed school's agreements give its teachers nothing, nor a school that did not confirm them.
        if current_user.school.is_active and not move_refused:
            partner_venues = school_partnerships(current_user.school_id, local_today())
    return render_template("accounts/dashboard.html", user=current_user, Role=Role, move_refused=move_refused,
                           partner_venues=partner_venues, today=local_today(),
                           pending_teachers=pending_teachers, pending_venues=pending_venues,
                           overdue_mail=overdue_mail, reports_to_file=reports_to_file,
                           pending_requests=pending_requests)


@bp.route("/me/profile", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])  # it checks the password when the email changes
def edit_profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user, phone_required=services.phone_required(user), known_email=user.email)
    if form.validate_on_submit():
        try:
            changed = services.correct_own_details(
                user, name=form.name.data, phone=form.phone.data, email=form.email.data,
                current_password=form.current_password.data)
        except services.AccountLocked as exc:
            return signed_out_for_lock(exc)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()
            if "email" in changed:
                # The session token rotated (this sign-in kept): put the new one in this session.
                login_user(user)
                flash(_("Your details are saved. Log in with %(email)s from now on; other devices have been "
                        "signed out.", email=user.email), "success")
            elif changed:
                flash(_("Your details are saved."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("accounts.dashboard"))
    return render_template("accounts/profile.html", form=form, user=user), form_status(form)


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"], key_func=account_or_address)  # it checks the password
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.new_password.data)
        except services.AccountLocked as exc:
            return signed_out_for_lock(exc)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            # The session token rotated (this sign-in kept): put the new one in this session.
            login_user(user)
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("accounts.dashboard"))
    return render_template("accounts/change_password.html", form=form), form_status(form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(
            form.email.data,
            lambda token: site_url(url_for("accounts.reset_password", token=token)),
        )
        db.session.commit()
        after_commit_delivery()
        # The same answer whether or not the account exists.
        flash(_("If an account uses this email address, we have sent it a link to reset the password. "
                "Check your inbox."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), form_status(form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(token: str):
    if services.user_for_reset_token(token) is None:
        return render_template("accounts/reset_password.html", form=None), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            _end_this_sign_in()  # anyone else signed in here; the person's own sign-ins all ended
            db.session.commit()
            logout_user()
            flash(_("Your password has been reset. Log in with the new password."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form), form_status(form)


# --- Teacher verification (district and city admins) --------------------------------------------

def _load_teacher(user_id: int) -> User:
    teacher = db.get_or_404(User, user_id)
    if teacher.role != Role.TEACHER:
        abort(404)
    return teacher


@bp.get("/admin/teachers")
@login_required
def teacher_queue():
    authorize(services.can_review_teachers(current_user))
    number = page_number(request.args)
    page = paginate(services.teachers_awaiting_verification(current_user), number, 50)
    redirect_past_the_end(page)
    record_access(current_user, "view_teacher_queue", detail=str(number))
    db.session.commit()
    return render_template("accounts/teacher_queue.html", page=page, form=ConfirmForm(),
                           moved_from=school_moves.moved_from(page.items))


@bp.post("/admin/teachers/<int:user_id>/verify")
@login_required
def verify_teacher(user_id: int):
    teacher = _load_teacher(user_id)
    authorize(services.can_verify_teacher(current_user, teacher))
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return redirect(url_for("accounts.teacher_queue"))
    try:
        services.verify_teacher(current_user, teacher)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        after_commit_delivery()
        flash(_("%(name)s is now a verified teacher.", name=teacher.name), "success")
    return redirect(url_for("accounts.teacher_queue"))


@bp.route("/admin/teachers/<int:user_id>/reject", methods=["GET", "POST"])
@login_required
def reject_teacher(user_id: int):
    teacher = _load_teacher(user_id)
    authorize(services.can_verify_teacher(current_user, teacher))
    form = RejectTeacherForm()
    # A move is refused, not a registration: the account stays.
    moving = school_moves.awaits_after_move(teacher) or school_moves.move_refused(teacher)
    if form.validate_on_submit():
        name = teacher.name  # the account is gone once rejected
        try:
            services.reject_teacher(current_user, teacher, form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            if exc.field is None:
                flash(exc.message, "error")
                return redirect(url_for("accounts.teacher_queue"))
            apply_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()
            flash(_("The move of %(name)s to %(school)s was refused: they have been told why, and keep their account.",
                    name=name, school=localized(teacher.school, "name")) if moving else
                  _("The registration of %(name)s was rejected: they have been told why, and their account and "
                    "details have been deleted.", name=name), "success")
            return redirect(url_for("accounts.teacher_queue"))
    record_access(current_user, "view_account", teacher)  # the page shows their name, school and phone
    db.session.commit()
    return render_template("accounts/reject_teacher.html", form=form, teacher=teacher, moving=moving,
                           moved_from=school_moves.moved_from([teacher]).get(teacher.id)), form_status(form)


from app.accounts import staff_views  # noqa: E402,F401  (the venue manager's staff pages on the same blueprint)
from app.accounts import sign_in_views  # noqa: E402,F401  (the person's signed-in devices, on the same blueprint)
from app.accounts import people_views  # noqa: E402,F401  (the administrators' people pages, on the same blueprint)
from app.accounts import school_move_views  # noqa: E402,F401  (a teacher moving to another school, on the same blueprint)
