"""The city admin's undelivered e-mail (/admin/mail): the list, sending a message again, dismissing it.
The rules are in ``undelivered.py``."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts.services import mask_email
from app.core.authz import authorize
from app.core.errors import DomainError
from app.core.logging import redact
from app.core.pagination import page_number, paginate, redirect_past_the_end
from app.core.time import utcnow
from app.extensions import db
from app.notifications import undelivered
from app.notifications.forms import MailActionForm
from app.notifications.models import OutboxMessage
from app.notifications.services import after_commit_delivery
from app.privacy.services import AccessAction, record_access

bp = Blueprint("notifications", __name__)

PAGE_SIZE = 50


@bp.get("/admin/mail")
@login_required
def undelivered_mail():
    authorize(undelivered.can_see_undelivered_mail(current_user))
    number = page_number(request.args)
    page = paginate(undelivered.undelivered_messages(), number, PAGE_SIZE)
    redirect_past_the_end(page)
    record_access(current_user, AccessAction.VIEW_UNDELIVERED_MAIL, detail=str(number))
    db.session.commit()
    return render_template("notifications/undelivered.html", page=page, form=MailActionForm(), now=utcnow(),
                           state_of=undelivered.state_of, can_send_again=undelivered.can_send_again,
                           MailState=undelivered.MailState, mask_email=mask_email, redact=redact)


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
            flash(_("The e-mail to %(recipient)s has been sent.", recipient=recipient), "success")
        elif message.given_up_at is not None:
            flash(_("The e-mail to %(recipient)s was refused again; the list says why.", recipient=recipient), "error")
        else:
            flash(_("The e-mail to %(recipient)s is back in the queue: it goes out with the next delivery.",
                    recipient=recipient), "success")
    return redirect(url_for("notifications.undelivered_mail"))


@bp.post("/admin/mail/<int:message_id>/dismiss")
@login_required
def dismiss(message_id: int):
    message = _act(message_id, undelivered.dismiss)
    if message is not None:
        flash(_("The e-mail to %(recipient)s is dismissed: it will not be sent.",
                recipient=mask_email(message.recipient)), "success")
    return redirect(url_for("notifications.undelivered_mail"))
