"""A teacher's page for moving to another school (the rules are in ``school_moves``)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import school_moves
from app.accounts.forms import ChangeSchoolForm
from app.accounts.views import _school_choices, bp
from app.core.authz import authorize
from app.core.errors import DomainError
from app.core.forms import apply_error, form_status
from app.core.i18n import localized
from app.extensions import db, limiter
from app.notifications.services import after_commit_delivery


@bp.route("/me/school", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])  # each move emails the districts
def change_school():
    authorize(school_moves.can_change_school(current_user))
    form = ChangeSchoolForm()
    form.school_id.choices = _school_choices()
    if form.validate_on_submit():
        try:
            school = school_moves.change_school(current_user, form.school_id.data)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()
            flash(_("Your school is now %(school)s. The science association of %(district)s will verify that you "
                    "teach there; you can book class visits again once they have.",
                    school=localized(school, "name"), district=localized(school.district, "name")), "success")
            return redirect(url_for("accounts.dashboard"))
    return render_template("accounts/change_school.html", form=form,
                           visits=school_moves.upcoming_class_visits(current_user)), form_status(form)
