"""The schools registry pages for district and city administrators."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.accounts.models import Role
from app.core.authz import authorize
from app.core.errors import DomainError
from app.core.forms import apply_error, form_status
from app.core.i18n import localized
from app.core.pagination import page_number, redirect_past_the_end
from app.districts.services import district_choices
from app.extensions import db
from app.schools import services
from app.schools.forms import SchoolFilterForm, SchoolForm, select_choices
from app.schools.models import School, SchoolKind

bp = Blueprint("schools", __name__, url_prefix="/admin/schools")


@bp.get("")
@login_required
def index():
    authorize(services.can_manage_schools(current_user))
    filters = SchoolFilterForm(request.args)
    filters.district.choices = _district_choices_for(current_user, blank=_l("All districts"))
    district = filters.district.data if filters.district.data in {c.value for c in filters.district.choices} else None
    kind = filters.kind.data if filters.kind.data in {k.value for k in SchoolKind} else None
    q = (filters.q.data or "")[:100]
    page = services.schools_page(current_user, page_number(request.args),
                                 current_app.config.get("DIRECTORY_PAGE_SIZE", 20), district_code=district,
                                 kind=kind, q=q)
    redirect_past_the_end(page)
    return render_template("schools/list.html", page=page, filters=filters)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    authorize(services.can_manage_schools(current_user))
    form = SchoolForm()
    form.district_code.choices = _district_choices_for(current_user)
    if request.method == "GET" and current_user.role == Role.DISTRICT_ADMIN:
        form.district_code.data = current_user.district_code
    if form.validate_on_submit():
        try:
            school = services.create_school(current_user, **_values(form))
        except DomainError as exc:
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("School %(name)s added.", name=localized(school, "name")), "success")
            return redirect(url_for("schools.index"))
    return _render_form(form, school=None)


@bp.route("/<int:school_id>/edit", methods=["GET", "POST"])
@login_required
def edit(school_id: int):
    school = db.session.get(School, school_id) or abort(404)
    authorize(services.can_manage_school(current_user, school))
    form = SchoolForm(obj=school)
    form.district_code.choices = _district_choices_for(current_user)
    if request.method == "GET":
        form.kind.data = school.kind.value
    if form.validate_on_submit():
        try:
            services.update_school(current_user, school, **_values(form))
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("School %(name)s saved.", name=localized(school, "name")), "success")
            return redirect(url_for("schools.index"))
    return _render_form(form, school=school)


def _district_choices_for(user, blank=None) -> list:
    choices = district_choices(blank_label=blank)
    if user.role != Role.CITY_ADMIN:
        # A district admin works in their own district only.
        choices = [(code, label) for code, label in choices if code == user.district_code]
    return select_choices(choices)


def _values(form: SchoolForm) -> dict:
    return {"name_zh": form.name_zh.data, "name_en": form.name_en.data, "kind": form.kind.data,
            "district_code": form.district_code.data, "address": form.address.data,
            "is_active": form.is_active.data}


def _render_form(form: SchoolForm, school: School | None):
    return render_template("schools/form.html", form=form, school=school), form_status(form)
