"""The city admin's undelivered email (/admin/mail): the list (filtered by kind of message), sending
messages again or dismissing them, one at a time or ticked together, and sending every given-up one
again after a confirmation. The rules are in ``undelivered.py``."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.accounts.services import mask_email
from app.core.authz import authorize
from app.core.errors import DomainError
from app.core.logging import redact
from app.core.pagination import page_number, paginate, redirect_past_the_end
from app.core.time import utcnow
from app.extensions import db
from app.notifications import undelivered
from app.notifications.forms import MailActionForm, MailSelectionForm, SendAllAgainForm
from app.notifications.models import OutboxMessage, kind_label
from app.notifications.services import after_commit_delivery
from app.privacy.services import AccessAction, record_access

bp = Blueprint("notifications", __name__)

PAGE_SIZE = 50


def _kind() -> str | None:
    """The kind of message the list is filtered by (``?kind=``), if any."""
    kind = request.args.get("kind", "").strip()
    return kind[:40] or None


def _list_args() -> dict:
    """The list's filter and page, for coming back to where the city admin was after an action."""
    number = page_number(request.args)
    return {"kind": _kind(), "page": number if number > 1 else None}


def _back_to_list():
    return redirect(url_for("notifications.undelivered_mail", **_list_args()))


@bp.get("/admin/mail")
@login_required
def undelivered_mail():
    authorize(undelivered.can_see_undelivered_mail(current_user))
    number, kind, now = page_number(request.args), _kind(), utcnow()
    page = paginate(undelivered.undelivered_messages(now, kind=kind), number, PAGE_SIZE)
    redirect_past_the_end(page)
    record_access(current_user, AccessAction.VIEW_UNDELIVERED_MAIL, detail=str(number))
    kinds = undelivered.undelivered_kinds(now)
    to_send_again = undelivered.count_to_send_again(now, kind=kind)
    sendable = undelivered.sendable_again(message.id for message in page.items)
    db.session.commit()
    return render_template("notifications/undelivered.html", page=page, form=MailActionForm(), now=now,
                           kind=kind, kinds=kinds, to_send_again=to_send_again, sendable=sendable,
                           select_all=request.args.get("select") == "page", list_args=_list_args(),
                           state_of=undelivered.state_of, MailState=undelivered.MailState,
                           mask_email=mask_email, redact=redact, kind_label=kind_label)


def _act(message_id: int, act) -> OutboxMessage | None:
    """Run ``act(admin, message)`` from a button on the list; None (and a flash) when it was refused."""
    authorize(undelivered.can_see_undelivered_mail(current_user))
    message = db.get_or_404(OutboxMessage, message_id)
    if not MailActionForm().validate_on_submit():
        abort(400)
    try:
        act(current_user, message)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")  # done meanwhile, in another tab
        return None
    db.session.commit()
    return message


@bp.post("/admin/mail/<int:message_id>/send-again")
@login_required
def send_again(message_id: int):
    message = _act(message_id, undelivered.send_again)
    if message is not None:
        after_commit_delivery()
        recipient = mask_email(message.recipient)
        if message.sent_at is not None:
            flash(_("The email to %(recipient)s has been sent.", recipient=recipient), "success")
        elif message.given_up_at is not None:
            flash(_("The email to %(recipient)s was refused again; the list says why.", recipient=recipient), "error")
        else:
            flash(_("The email to %(recipient)s is back in the queue: it goes out with the next delivery.",
                    recipient=recipient), "success")
    return _back_to_list()


@bp.post("/admin/mail/<int:message_id>/dismiss")
@login_required
def dismiss(message_id: int):
    message = _act(message_id, undelivered.dismiss)
    if message is not None:
        flash(_("The email to %(recipient)s is dismissed: it will not be sent.",
                recipient=mask_email(message.recipient)), "success")
    return _back_to_list()


def _flash_sent_again(result: undelivered.BulkResult) -> None:
    """After sending several messages again (and the delivery that follows): where they stand."""
    outcome = undelivered.outcome_of(result.done)
    if outcome.sent:
        flash(ngettext("%(num)d message has been sent.", "%(num)d messages have been sent.", outcome.sent), "success")
    if outcome.queued:
        flash(ngettext("%(num)d message is back in the queue: it goes out with the next delivery.",
                       "%(num)d messages are back in the queue: they go out with the next delivery.",
                       outcome.queued), "success")
    if outcome.refused:
        flash(ngettext("%(num)d message was refused again; the list says why.",
                       "%(num)d messages were refused again; the list says why.", outcome.refused), "error")


def _selection() -> list[int] | None:
    """The ticked messages of a bulk action; None (and a flash) when none is ticked."""
    authorize(undelivered.can_see_undelivered_mail(current_user))
    form = MailSelectionForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    if not form.selected:
        flash(_("Tick the messages to act on first."), "error")
        return None
    return form.selected


@bp.post("/admin/mail/selected/send-again")
@login_required
def send_selected_again():
    ids = _selection()
    if ids is not None:
        result = undelivered.send_selected_again(current_user, ids)
        db.session.commit()
        after_commit_delivery()
        _flash_sent_again(result)
        if result.left:
            flash(ngettext("%(num)d ticked message was left as it is: only a given-up message is sent again.",
                           "%(num)d ticked messages were left as they are: only a given-up message is sent again.",
                           result.left), "error")
    return _back_to_list()


@bp.post("/admin/mail/selected/dismiss")
@login_required
def dismiss_selected():
    ids = _selection()
    if ids is not None:
        result = undelivered.dismiss_selected(current_user, ids)
        db.session.commit()
        if result.done:
            flash(ngettext("%(num)d message is dismissed: it will not be sent.",
                           "%(num)d messages are dismissed: they will not be sent.", len(result.done)), "success")
        if result.left:
            flash(ngettext("%(num)d ticked message was sent or dismissed meanwhile.",
                           "%(num)d ticked messages were sent or dismissed meanwhile.", result.left), "error")
    return _back_to_list()


@bp.get("/admin/mail/send-again-all")
@login_required
def confirm_send_all_again():
    authorize(undelivered.can_see_undelivered_mail(current_user))
    now, kind = utcnow(), _kind()
    # Counts only, no address: nothing personal is shown, so nothing goes to the access log.
    count = undelivered.count_to_send_again(now, kind=kind)
    form = SendAllAgainForm(formdata=None, kind=kind or "", as_of=now.isoformat())
    return render_template("notifications/send_all_again.html", form=form, count=count, kind=kind,
                           kind_label=kind_label)


@bp.post("/admin/mail/send-again-all")
@login_required
def send_all_again():
    authorize(undelivered.can_see_undelivered_mail(current_user))
    form = SendAllAgainForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("That confirmation could not be read: confirm again."), "error")
        return redirect(url_for("notifications.confirm_send_all_again"))
    kind = (form.kind.data or "").strip() or None
    result = undelivered.send_all_again(current_user, given_up_by=form.given_up_by, kind=kind)
    db.session.commit()
    after_commit_delivery()
    if result.done:
        _flash_sent_again(result)
    else:
        flash(_("No message was sent again: none is given up any more."), "success")
    return redirect(url_for("notifications.undelivered_mail", kind=kind))
