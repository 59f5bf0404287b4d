"""The person's signed-in devices: where they are signed in (browsers, and apps holding an API token),
ending one, ending all but this one."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

from app.accounts import sign_ins, tokens
from app.accounts.forms import ConfirmForm
from app.accounts.views import bp
from app.extensions import db


@bp.get("/me/sessions")
@login_required
def my_sign_ins():
    user = current_user._get_current_object()
    devices = sign_ins.active_sign_ins(user)
    return render_template("accounts/sign_ins.html", devices=devices, apps=tokens.personal_tokens(user),
                           form=ConfirmForm(),
                           is_this=lambda device: sign_ins.is_this_sign_in(user, device),
                           lifetime_days=current_app.config["PERMANENT_SESSION_LIFETIME"].days)


@bp.post("/me/sessions/end-others")
@login_required
def end_other_sign_ins():
    if not ConfirmForm().validate():
        abort(400)
    devices, apps = sign_ins.end_other_sign_ins(current_user._get_current_object())
    db.session.commit()
    if devices:
        flash(ngettext("%(num)d other device has been signed out.", "%(num)d other devices have been signed out.",
                       devices), "success")
    if apps:
        flash(ngettext("%(num)d app using your account through the API has been signed out.",
                       "%(num)d apps using your account through the API have been signed out.", apps), "success")
    if not devices and not apps:
        flash(_("No other device was signed in."), "success")
    return redirect(url_for("accounts.my_sign_ins"))


@bp.post("/me/sessions/<int:sign_in_id>/end")
@login_required
def end_sign_in(sign_in_id: int):
    user = current_user._get_current_object()
    if not ConfirmForm().validate():
        abort(400)
    ended = sign_ins.end_sign_in(user, sign_in_id)
    if ended is None:
        abort(404)  # someone else's, or already ended
    this_one, device = sign_ins.is_this_sign_in(user, ended), str(ended.device)
    db.session.commit()
    if this_one:
        logout_user()
        session.clear()
        flash(_("You have logged out."), "success")
        return redirect(url_for("main.home"))
    flash(_("%(device)s has been signed out.", device=device), "success")
    return redirect(url_for("accounts.my_sign_ins"))


@bp.post("/me/api-tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    if not ConfirmForm().validate():
        abort(400)
    if not tokens.revoke_personal_tokens(current_user._get_current_object(), token_id=token_id):
        abort(404)  # someone else's, a gate device's, or already ended
    db.session.commit()
    flash(_("The app has been signed out: its API token no longer works."), "success")
    return redirect(url_for("accounts.my_sign_ins"))
