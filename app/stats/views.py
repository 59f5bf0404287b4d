"""The public dashboard (/stats), the data behind each chart, and district equity
(/stats/equity for everyone, /admin/equity for district and city admins)."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.core.authz import authorize, role_required
from app.core.errors import DomainError, json_error
from app.core.i18n import localized
from app.districts.services import district_choices
from app.extensions import db
from app.stats import charts, definitions, equity, reports, services
from app.stats.export import csv_download
from app.stats.filters import parse_filters
from app.stats.forms import StatsFilterForm
from app.venues.directory import directory_themes
from app.venues.models import Venue

bp = Blueprint("stats", __name__)


@bp.app_template_filter("figure")
def figure_filter(value, kind: str = "int", key: str | None = None) -> str:
    return charts.figure(value, kind, key)


@bp.record_once
def _template_globals(state) -> None:
    # Globals, not a context processor: imported macros (templates/stats/_charts.html) see globals only.
    state.app.jinja_env.globals.update(
        chart_bars=charts.bars, chart_columns=charts.columns, chart_highest=charts.highest,
        chart_column_width=charts.column_width, chart_label_every=charts.label_every,
        CHART_ROW_HEIGHT=charts.ROW_HEIGHT, CHART_COLUMN_HEIGHT=charts.COLUMN_HEIGHT,
        REPORT_FIGURES=reports.FIGURES, REPORT_NO_SHOWS=reports.NO_SHOWS)


def _filter_form() -> StatsFilterForm:
    form = StatsFilterForm(request.args)
    form.set_choices(district_choices(), directory_themes())
    return form


def _fixed_filters(filters) -> list[dict]:
    """The filters the form has no field for (a venue, as a venue page links here; an operator kind):
    named on the page with a link that drops each, and kept as hidden fields when the form is sent."""
    fixed = []
    if filters.venue_id:
        venue = db.session.get(Venue, filters.venue_id)
        fixed.append({"name": "venue", "value": venue.id, "text": _("Only this venue: %(name)s",
                                                                    name=localized(venue, "name"))})
    if filters.operator_kind:
        fixed.append({"name": "operator", "value": filters.operator_kind.value,
                      "text": _("Only this operator kind: %(name)s", name=filters.operator_kind.label)})
    for item in fixed:
        item["clear_url"] = url_for("stats.dashboard", **{k: v for k, v in filters.args().items() if k != item["name"]})
    return fixed


@bp.get("/stats")
def dashboard():
    form = _filter_form()
    try:
        filters = parse_filters(request.args)
    except DomainError as exc:
        form.show_error(exc)
        return render_template("stats/dashboard.html", form=form, filters=None, fixed_filters=[]), 400
    form.from_.data, form.to.data = filters.first.isoformat(), filters.last.isoformat()  # the period shown
    venue = db.session.get(Venue, filters.venue_id) if filters.venue_id else None
    return render_template("stats/dashboard.html", form=form, filters=filters, fixed_filters=_fixed_filters(filters),
                           venue_name=localized(venue, "name") if venue else None,
                           figure_meanings=definitions.dashboard_meanings(), figure_notes=definitions.NOTES,
                           **services.dashboard(filters))


@bp.get("/stats/data/<key>.<fmt>")
def chart_data(key: str, fmt: str):
    build = services.BREAKDOWNS.get(key)
    if build is None or fmt not in ("csv", "json"):
        abort(404)
    try:
        filters = parse_filters(request.args)
    except DomainError as exc:  # a data client asked: it gets JSON, as from /api/v1/stats/summary
        return json_error(exc.code, exc.message, exc.status, field=exc.field)
    breakdown = build(filters)
    rows = breakdown.rows
    keys = list(rows[0].keys()) if rows else [c.key for c in breakdown.columns]
    if fmt == "json":
        through = filters.counted_through
        return jsonify(chart=breakdown.key, title=str(breakdown.title), filters=filters.args(),
                       through=through.isoformat() if through else None,
                       columns=[{"key": c.key, "label": str(c.label), "type": c.kind} for c in breakdown.columns],
                       rows=rows)
    return csv_download(keys, ([r[k] for k in keys] for r in rows), f"scivisit-{breakdown.key}.csv")


def _equity_page(*, admin: bool, **context):
    """District equity for the period the query names; the public and the admin page differ only in
    what ``admin`` shows."""
    try:
        filters = parse_filters(request.args)
    except DomainError as exc:
        return render_template("stats/equity.html", error=exc, figures=None, admin=admin), 400
    period = equity.period_for(filters)
    return render_template("stats/equity.html", figures=equity.district_equity(period), filters=filters, admin=admin,
                           error=None, district_rule=services.DISTRICT_OF_A_MONTH,
                           figure_meanings=definitions.equity_meanings(admin), figure_notes=definitions.NOTES,
                           **context)


@bp.get("/stats/equity")
def public_equity():
    return _equity_page(admin=False)


@bp.get("/stats/equity.<fmt>")
def public_equity_data(fmt: str):
    """The public equity figures of a period as a file, the same as the page: CSV one row per district
    (Jiangbei New Area last), JSON with the totals and groups too."""
    if fmt not in ("csv", "json"):
        abort(404)
    try:
        period = equity.period_for(parse_filters(request.args))
    except DomainError as exc:  # a data client asked: it gets JSON, as from /api/v1/stats/summary
        return json_error(exc.code, exc.message, exc.status, field=exc.field)
    found = equity.district_equity(period)
    if fmt == "json":
        return jsonify(equity.data_document(found))
    header = [key for key, _ in equity.DATA_COLUMNS + equity.PERIOD_COLUMNS]
    through = period.filters.counted_through or period.filters.first
    return csv_download(header, equity.data_rows(found), f"scivisit-equity-{period.filters.first.isoformat()}-"
                                                         f"{through.isoformat()}.csv")


@bp.get("/admin/equity")
@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def admin_equity():
    authorize(equity.can_view_admin_equity(current_user))
    district = equity.schools_district_for(current_user, request.args.get("district"))
    schools = None
    if district is not None:
        try:
            schools = equity.school_visits(equity.period_for(parse_filters(request.args)), district.code)
        except DomainError:
            pass  # the page says what is wrong with the period
    return _equity_page(admin=True, own_district=current_user.district_code, schools=schools,
                        schools_district=district)


@bp.get("/admin/equity/schools.csv")
@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def admin_school_visits():
    """The schools of the admin's district (the city admin's: of the district asked, else all), each
    with its class visits this school year: the equity page's table, for the district's own follow-up."""
    authorize(equity.can_view_admin_equity(current_user))
    try:
        period = equity.period_for(parse_filters(request.args))
    except DomainError as exc:
        return json_error(exc.code, exc.message, exc.status, field=exc.field)
    district = equity.schools_district_for(current_user, request.args.get("district"))
    rows = equity.school_visits(period, district.code if district else None)
    header = ["school_id", "school", "school_en", "kind", "district", "class_visits", "students", "last_visit",
              "school_year_from", "school_year_through"]
    return csv_download(header, (
        [r["school"].id, r["school"].name_zh, r["school"].name_en, r["school"].kind.value, r["district"],
         r["class_visits"], r["students"], r["last_visit"], period.school_year_from, period.school_year_through]
        for r in rows), f"school-visits-{district.code if district else 'all'}-{period.school_year_through.isoformat()}.csv")
