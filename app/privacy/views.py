"""The person's own data (download, deletion) and the city admin's access log."""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

from app.accounts.services import AccountLocked
from app.accounts.views import signed_out_for_lock
from app.core.authz import authorize
from app.core.errors import DomainError
from app.core.forms import form_status
from app.core.pagination import page_number, paginate, redirect_past_the_end
from app.extensions import account_or_address, db, limiter
from app.notifications.services import after_commit_delivery
from app.privacy import services
from app.privacy.forms import DeleteAccountForm, DownloadForm

bp = Blueprint("privacy", __name__)


@bp.route("/me/data", methods=["GET", "POST"])
@login_required
def my_data():
    form = DownloadForm()
    if form.validate_on_submit():
        data = services.export_own_data(current_user._get_current_object())
        db.session.commit()
        body = json.dumps(data, ensure_ascii=False, indent=2)
        response = Response(body, mimetype="application/json")
        response.headers["Content-Disposition"] = 'attachment; filename="scivisit-my-data.json"'
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("privacy/my_data.html", form=form), form_status(form)


@bp.route("/me/delete", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"], key_func=account_or_address)  # it checks the password
def delete_account():
    allowed = services.can_delete_own_account(current_user)
    form = DeleteAccountForm()
    if allowed and form.validate_on_submit():
        try:
            cancelled = services.delete_own_account(current_user._get_current_object(), form.password.data)
        except AccountLocked as exc:
            return signed_out_for_lock(exc)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "password").errors.append(exc.message)
        else:
            db.session.commit()
            after_commit_delivery()  # the venues of cancelled class visits, anyone promoted from a waiting list
            logout_user()
            session.clear()
            flash(ngettext("Your account has been deleted. %(num)d upcoming booking was cancelled.",
                           "Your account has been deleted. %(num)d upcoming bookings were cancelled.", cancelled)
                  if cancelled else _("Your account has been deleted."), "success")
            return redirect(url_for("main.home"))
    elif not allowed and request.method == "POST":
        return render_template("privacy/delete_account.html", form=form, allowed=False), 403
    return render_template("privacy/delete_account.html", form=form, allowed=allowed), form_status(form)


def _optional_id(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value < 2**31 else None


@bp.get("/admin/privacy/access-log")
@login_required
def access_log():
    authorize(services.can_read_access_log(current_user))
    actor_id, subject_id = _optional_id("actor"), _optional_id("subject")
    page = paginate(services.access_log(actor_id=actor_id, subject_id=subject_id), page_number(request.args), 50)
    redirect_past_the_end(page)
    return render_template("privacy/access_log.html", page=page, actor_id=actor_id, subject_id=subject_id,
                           action_label=services.action_label, access_detail=services.access_detail)
