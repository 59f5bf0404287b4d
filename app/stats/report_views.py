"""Annual reports and the evaluation: /manage/reports/<year> (the venue's manager),
/admin/reports (district and city admins), /admin/evaluation (the city admin sets the weights; a
district admin reads their district's), /admin/evaluation/<year>/publish (the city admin publishes a year
that is over), /manage/evaluation/<year> (the venue's own score), /venues/<id>/reports/<year> (a filed report, public)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.accounts.models import Role
from app.core.authz import authorize, role_required
from app.core.errors import DomainError
from app.core.forms import apply_error
from app.core.i18n import localized
from app.core.time import local_today, to_local
from app.districts.services import district_choices, district_in_view
from app.extensions import db
from app.notifications.services import after_commit_delivery
from app.core.pagination import page_number, redirect_past_the_end
from app.stats import evaluation, publication, report_list, reports
from app.stats.export import csv_download, xlsx_chunks
from app.stats.filters import parse_year
from app.stats.forms import (PublishEvaluationForm, RemindReportsForm, ReportTextForm, ReturnReportForm,
                             SubmitReportForm, WeightsForm)
from app.venues.services import can_view_venue, find_venue, was_ever_registered

bp = Blueprint("reports", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year_or_404(year: int) -> int:
    if year not in reports.report_years():
        abort(404)
    return year


def _managed_venue():
    venue = current_user.venue
    if venue is None:
        abort(404)
    authorize(reports.can_edit_report(current_user, venue))
    return venue


def _render(venue, year: int, *, text_form=None, return_form=None, unsaved_text: str | None = None,
            status: int = 200, manage: bool = False):
    """The report page. ``unsaved_text`` is remarks that could not be saved, shown back to copy."""
    report = reports.annual_report(venue, year, compare=not manage)  # the admins are told what changed
    submission = report["submission"]
    text_form = text_form or ReportTextForm(data={"text": submission.text if submission else ""})
    if return_form is None and not manage and reports.can_return_report(current_user):
        return_form = ReturnReportForm(formdata=None)
    return render_template("stats/report.html", report=report, manage=manage, text_form=text_form,
                           submit_form=SubmitReportForm(), return_form=return_form, unsaved_text=unsaved_text,
                           years=reports.years_around(year)), status


# --- the venue's manager ----------------------------------------------------------------------------

@bp.get("/manage/reports")
@role_required(Role.VENUE_MANAGER)
def manage_latest():
    _managed_venue()
    return redirect(url_for("reports.manage_report", year=local_today().year - 1))


@bp.get("/manage/reports/<int:year>")
@role_required(Role.VENUE_MANAGER)
def manage_report(year: int):
    venue = _managed_venue()
    return _render(venue, _year_or_404(year), manage=True)


@bp.post("/manage/reports/<int:year>/text")
@role_required(Role.VENUE_MANAGER)
def save_text(year: int):
    venue = _managed_venue()
    _year_or_404(year)
    form = ReportTextForm()
    if form.validate_on_submit():
        try:
            reports.save_report_text(current_user, venue, year, form.text.data)
        except DomainError as exc:
            db.session.rollback()
            if exc.field is None:
                # Submitted meanwhile (another tab): say so, and show the typed text back to keep.
                flash(str(exc.message), "error")
                return _render(venue, year, unsaved_text=form.text.data, status=exc.status, manage=True)
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your remarks are saved. Submit the report when it is ready."), "success")
            return redirect(url_for("reports.manage_report", year=year))
    return _render(venue, year, text_form=form, status=400, manage=True)


@bp.post("/manage/reports/<int:year>/submit")
@role_required(Role.VENUE_MANAGER)
def submit(year: int):
    venue = _managed_venue()
    _year_or_404(year)
    if not SubmitReportForm().validate_on_submit():
        abort(400)
    try:
        reports.submit_report(current_user, venue, year)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("The report is submitted to the city."), "success")
    return redirect(url_for("reports.manage_report", year=year))


@bp.get("/manage/reports/<int:year>.xlsx")
@role_required(Role.VENUE_MANAGER)
def manage_xlsx(year: int):
    venue = _managed_venue()
    return _xlsx(venue, _year_or_404(year))


# --- the public -------------------------------------------------------------------------------------

@bp.get("/venues/<int:venue_id>/reports/<int:year>")
def public_report(venue_id: int, year: int):
    """A filed annual report, read only, as anyone may read it: its figures as filed and the remarks."""
    venue = find_venue(venue_id) or abort(404)
    venue_shown = can_view_venue(current_user, venue)
    if not (venue_shown or was_ever_registered(venue)):
        abort(404)  # a venue never on the register does not exist for the public
    # A venue once on the register (suspended, or back in review after a move) keeps what it filed
    # published, as its attendance stays in open data; only its own page is not shown now.
    report = reports.public_report(venue, _year_or_404(year)) or abort(404)
    return render_template("stats/report_public.html", report=report, venue_shown=venue_shown)


# --- admins -----------------------------------------------------------------------------------------

def _venue_for_admin(venue_id: int, year: int):
    """The venue of a report an admin asks for; a year without reports is not found (before the
    district check, which looks up where the venue was in that year)."""
    venue = find_venue(venue_id) or abort(404)
    _year_or_404(year)
    authorize(reports.can_view_report(current_user, venue, year))
    return venue


@bp.get("/admin/reports/<int:venue_id>/<int:year>")
@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def admin_report(venue_id: int, year: int):
    return _render(_venue_for_admin(venue_id, year), year)


@bp.post("/admin/reports/<int:venue_id>/<int:year>/return")
@role_required(Role.CITY_ADMIN)
def return_report(venue_id: int, year: int):
    venue = _venue_for_admin(venue_id, year)
    authorize(reports.can_return_report(current_user))
    form = ReturnReportForm()
    if form.validate_on_submit():
        try:
            reports.return_report(current_user, venue, year, form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            if exc.field is None:
                flash(str(exc.message), "error")  # returned already (another tab): nothing to correct here
                return redirect(url_for("reports.admin_report", venue_id=venue.id, year=year))
            apply_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()
            flash(_("The report is returned to the venue; its manager is told why."), "success")
            return redirect(url_for("reports.admin_report", venue_id=venue.id, year=year))
    return _render(venue, year, return_form=form, status=400)


@bp.get("/admin/reports/<int:venue_id>/<int:year>.xlsx")
@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def admin_xlsx(venue_id: int, year: int):
    return _xlsx(_venue_for_admin(venue_id, year), year)


def _query_year(default: int) -> int:
    raw = request.args.get("year")
    if raw is None or raw == "":
        return default
    try:
        year = parse_year(raw)
    except DomainError:
        abort(400)
    if year not in reports.report_years():
        abort(400)
    return year


REPORTS_PAGE_SIZE = 50


def _report_filters() -> tuple[report_list.ReportFilters, str | None]:
    """The list's filters from the query, and a note when the status asked for is none we know (then
    every status is shown). A district admin's district is theirs whatever ``?district=`` says."""
    note = None
    try:
        state = report_list.ReportState(request.args["status"]) if request.args.get("status") else None
    except ValueError:
        state, note = None, _("There is no such status; showing the reports of every status.")
    district = district_in_view(current_user, request.args.get("district") or None)
    q = " ".join(request.args.get("q", "").split())[:100]
    return report_list.ReportFilters(q=q, state=state, district_code=district.code if district else None), note


@bp.get("/admin/reports")
@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def admin_reports():
    authorize(reports.can_list_reports(current_user))
    year = _query_year(local_today().year - 1)
    filters, note = _report_filters()
    page = report_list.reports_page(current_user, year, filters, page_number(request.args), REPORTS_PAGE_SIZE)
    redirect_past_the_end(page)
    city = current_user.role == Role.CITY_ADMIN
    return render_template("stats/reports.html", year=year, page=page, filters=filters, note=note,
                           to_remind=report_list.venues_to_remind(current_user, year, filters),
                           counts=report_list.state_counts(current_user, year, filters),
                           due=reports.report_due(year), overdue=reports.is_overdue(year),
                           opens=reports.submission_opens(year),
                           year_over=local_today() >= reports.submission_opens(year), remind_form=RemindReportsForm(),
                           states=list(report_list.ReportState), districts=district_choices() if city else [],
                           years=list(reports.report_years())[-6:], can_view_evaluation=evaluation.can_view_evaluation(current_user))


@bp.post("/admin/reports/remind")
@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def remind_reports():
    """Remind the venues of the list as filtered (search, status, the city admin's district) whose
    report is not filed: the ones the button counted."""
    authorize(reports.can_list_reports(current_user))
    year = _query_year(local_today().year - 1)
    filters, _note = _report_filters()
    if not RemindReportsForm().validate_on_submit():
        abort(400)
    try:
        reminded = report_list.remind_unfiled(current_user, year, filters)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        after_commit_delivery()
        if reminded:
            flash(ngettext("The managers of %(num)d venue are reminded by email.",
                           "The managers of %(num)d venues are reminded by email.", reminded), "success")
        else:
            flash(_("No venue to remind: every report is submitted, or its managers were reminded in the last "
                    "seven days."), "info")
    return redirect(url_for("reports.admin_reports", year=year, q=filters.q or None,
                            status=filters.state.value if filters.state else None, district=filters.district_code))


@bp.get("/admin/reports.csv")
@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def admin_reports_csv():
    """The list as filtered, every page of it: each venue's report state and the day it was filed, no
    names of people."""
    authorize(reports.can_list_reports(current_user))
    year = _query_year(local_today().year - 1)
    filters, _note = _report_filters()
    header = ["year", "venue_id", "venue", "venue_en", "district", "venue_status", "status", "submitted_on",
              "due_on", "overdue"]
    due = reports.report_due(year)
    rows = [[year, r.venue.id, r.venue.name_zh, r.venue.name_en, r.district.code, r.venue.status.value, r.state.value,
             to_local(r.submission.submitted_at).date() if r.state == report_list.ReportState.SUBMITTED else None,
             due, r.overdue]
            for r in report_list.reports_of_year(current_user, year, filters)]  # read now, inside the request
    return csv_download(header, rows, f"annual-reports-{year}-{filters.district_code or 'all'}.csv")


@bp.route("/admin/evaluation", methods=["GET", "POST"])
@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def admin_evaluation():
    """The city admin's table and weights; a district admin's read-only table of their district."""
    authorize(evaluation.can_view_evaluation(current_user))
    if request.method == "POST":
        authorize(evaluation.can_evaluate(current_user))
    year = _query_year(local_today().year - 1)
    if not evaluation.can_evaluate(current_user):
        district = district_in_view(current_user, None)
        return render_template("stats/evaluation.html", form=None,
                               table=publication.shown_evaluation(year, district.code),
                               due=None, year=year, district=district, years=list(reports.report_years())[-6:])
    status = 200
    if request.method == "POST":
        form = WeightsForm()
        if form.validate_on_submit():
            try:
                kept = evaluation.save_weights(current_user, year,
                                               {i.key: form[i.key].data for i in evaluation.INDICATORS},
                                               past_year_confirmed=form.confirm_past_year.data)
            except DomainError as exc:
                db.session.rollback()
                apply_error(form, exc)
            else:
                db.session.commit()
                flash(_("The weights of %(year)s are saved.", year=year), "success")
                if kept:
                    flash(_("%(kept)s is over and keeps the weights it was scored with: its scores do not change.",
                            kept=kept), "info")
                return redirect(url_for("reports.admin_evaluation", year=year))
        status = 400
    else:
        form = WeightsForm(data=evaluation.weights(year).values)
    review = publication.review(year)
    return render_template("stats/evaluation.html", form=form, table=review.table, review=review,
                           due=evaluation.accreditations_due(), year=year, district=None,
                           districts=district_choices(), years=list(reports.report_years())[-6:]), status


@bp.route("/admin/evaluation/<int:year>/publish", methods=["GET", "POST"])
@role_required(Role.CITY_ADMIN)
def publish_evaluation(year: int):
    """The city admin publishes a year's evaluation: the page shows what would be published, the form
    publishes it (a correction, when the year is published already)."""
    authorize(publication.can_publish(current_user))
    _year_or_404(year)
    back = url_for("reports.admin_evaluation", year=year)
    form = PublishEvaluationForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            published, told = publication.publish_evaluation(current_user, year, form.version.data)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return redirect(back)
        db.session.commit()
        after_commit_delivery()
        if published.version == 1:
            flash(ngettext("The evaluation of %(year)s is published; the managers of %(num)d venue are told their "
                           "result by email.",
                           "The evaluation of %(year)s is published; the managers of %(num)d venues are told their "
                           "results by email.", told, year=year), "success")
        else:
            flash(ngettext("The correction of %(year)s is published as version %(version)s; the managers of the "
                           "%(num)d venue whose result it changes are told by email.",
                           "The correction of %(year)s is published as version %(version)s; the managers of the "
                           "%(num)d venues whose results it changes are told by email.",
                           told, year=year, version=published.version), "success")
        return redirect(back)
    try:
        shown = publication.preview(year)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return redirect(back)
    form.version.data = shown.version
    return render_template("stats/publish_evaluation.html", form=form, preview=shown, year=year)


@bp.get("/admin/evaluation.csv")
@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def admin_evaluation_csv():
    """The evaluation table of a year: the city admin's of every district or the one asked, a district
    admin's of their own whatever is asked."""
    authorize(evaluation.can_view_evaluation(current_user))
    year = _query_year(local_today().year - 1)
    asked = request.args.get("district") or None
    district = district_in_view(current_user, asked)
    if asked and district is None:
        abort(400)
    code = district.code if district else None
    version = request.args.get("version")
    if version:
        if not version.isdigit() or len(version) > 6:
            abort(400)
        published = publication.version_of(year, int(version)) or abort(404)
        table = publication.published_table(published, district_code=code)
    else:
        table = publication.shown_evaluation(year, code)
    published = table["publication"]
    keys = [i.key for i in table["indicators"]]
    header = ["year", "year_over", "venue_id", "venue", "venue_en", "district",
              *(f"{key}{part}" for key in keys for part in ("", "_points", "_weight")), "score",
              "rank", "status", "version", "published_on"]
    status = ["published", published.version, to_local(published.published_at).date()] if published else \
        ["provisional", None, None]
    rows = [[year, table["over"], r["venue"].id, r["named"].name_zh, r["named"].name_en,
             r["district"].code if r["district"] else None,
             *(v for key in keys for v in (r["figures"][key], r["points"][key], table["weights"][key])), r["score"],
             r.get("rank"), *status]
            for r in table["rows"]]  # read now, inside the request
    return csv_download(header, rows, f"evaluation-{year}-{code or 'all'}.csv")


# --- the venue's own evaluation ---------------------------------------------------------------------

def _evaluated_venue():
    venue = current_user.venue
    if venue is None:
        abort(404)
    authorize(evaluation.can_view_venue_evaluation(current_user, venue))
    return venue


@bp.get("/manage/evaluation")
@role_required(Role.VENUE_MANAGER)
def manage_evaluation_latest():
    _evaluated_venue()
    return redirect(url_for("reports.manage_evaluation", year=local_today().year - 1))


@bp.get("/manage/evaluation/<int:year>")
@role_required(Role.VENUE_MANAGER)
def manage_evaluation(year: int):
    venue = _evaluated_venue()
    return render_template("stats/venue_evaluation.html",
                           table=publication.shown_venue_evaluation(venue, _year_or_404(year)),
                           year=year, years=list(reports.report_years())[-5:])


# --- the XLSX of a report -------------------------------------------------------------------------

def _xlsx(venue, year: int) -> Response:
    report = reports.annual_report(venue, year)
    t = report["totals"]
    # A finished year is whole: no "Figures through" row (as on the page).
    through = [] if report["year_over"] else [
        (_("Figures through"), report["through"].isoformat() if report["through"] else _("Nothing counted yet"))]
    submission = report["submission"]
    filed_on = to_local(submission.submitted_at).date().isoformat() if submission and submission.submitted_at else None
    if report["as_filed"]:
        through.append((_("As filed on"), filed_on))
    elif not report["figures_kept"]:
        through += [(_("Filed on"), filed_on),
                    (_("Figures"), _("Computed from the records today: the report was filed before the figures of a "
                                     "filed report were kept."))]
    summary = [
        (_("Venue"), localized(venue, "name")), (_("Year"), year), *through,
        *((str(f.label), report[f.part][f.key]) for f in reports.FIGURES),
        (str(reports.BOOKINGS.label), t["bookings"]), (str(reports.NO_SHOWS.label), t["no_shows"]),
        (_("No-show rate"), t["no_show_rate"]),
        (_("Themed event sessions"), report["event_sessions"]), (_("Themed event places offered"), report["event_places"]),
        (_("Themed event attendance"), report["event_attendance"]),
        (_("Remarks"), report["submission"].text if report["submission"] else ""),
    ]
    months = report["months"]
    events = report["events"]
    sheets = [
        (_("Summary"), [_("Figure"), _("Value")], summary),
        (_("Months"), [str(c.label) for c in months.columns], ([r[c.key] for c in months.columns] for r in months.rows)),
        (_("Themed events"), [_("Event"), _("Themed day"), _("First day"), _("Last day"), _("Sessions"),
                              _("Places offered"), _("Attendance")],
         ([e["title"], e["themed_day"], e["first_day"], e["last_day"], e["sessions"], e["places"], e["attendance"]]
          for e in events)),
    ]
    response = Response(xlsx_chunks(sheets), mimetype=XLSX)  # every figure is at hand: no database needed
    response.headers["Content-Disposition"] = f'attachment; filename="annual-report-{venue.id}-{year}.xlsx"'
    return response
