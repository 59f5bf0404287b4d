"""The district's view of museum–school cooperation agreements (馆校合作): read only."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.models import Role
from app.bookings import partnerships
from app.bookings.forms import AgreementFilterForm
from app.bookings.views import bp
from app.core.authz import role_required
from app.core.pagination import page_number, redirect_past_the_end
from app.core.time import local_today
from app.districts.services import district_choices, district_in_view

AGREEMENTS_PAGE_SIZE = 50


@bp.get("/admin/partnerships")
@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def admin_partnerships():
    """A district admin sees the agreements of their district's schools and venues; the city admin
    every district's, or one district's (``?district=``)."""
    filters = AgreementFilterForm(request.args)
    filters.district.choices = district_choices(blank_label=_l("All districts"))
    asked = filters.district.data if filters.district.data in {code for code, _ in filters.district.choices} else None
    district = district_in_view(current_user, asked or None)
    today = local_today()
    page = partnerships.district_agreements(district.code if district else None, today,
                                            page_number(request.args), AGREEMENTS_PAGE_SIZE)
    redirect_past_the_end(page)
    return render_template("bookings/admin_partnerships.html", filters=filters, district=district, page=page,
                           school_year=partnerships.school_year_of(today),
                           city_wide=current_user.role == Role.CITY_ADMIN)
