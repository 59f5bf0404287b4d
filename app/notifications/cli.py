"""``flask --app wsgi notifications deliver``: send what is waiting in the outbox (for cron)."""
from __future__ import annotations

import click
from flask_babel import gettext as _
from flask_babel import ngettext

from app.core.cli import CliGroup
from app.core.time import to_local
from app.notifications.services import RECENT, Backlog, Delivery, deliver_pending, outbox_backlog

notifications_cli = CliGroup("notifications", help="The outbox of email messages.")


@notifications_cli.command("deliver")
@click.option("--limit", default=1000, show_default=True, help="Try at most this many messages.")
def deliver_command(limit: int) -> None:
    """Send queued messages (by SMTP when MAIL_SERVER is set, else to the log in development).

    The summary line also counts what is stuck: messages waiting for their retry, given up (and not
    dismissed by the city admin), or held because production has no MAIL_SERVER. Exits with status 1
    when none went out and something is stuck, so that whoever runs it hears of it on every run, not
    only on those that happen to try a message."""
    total = Delivery()
    while total.tried < limit:
        batch = deliver_pending(limit=min(100, limit - total.tried))
        total += batch
        if not batch.tried:  # nothing left that may be tried now (a failed one waits for its retry)
            break
    backlog = outbox_backlog()
    click.echo(summary(total, backlog))
    stuck = total.held or total.failed or total.given_up or backlog.waiting or backlog.given_up
    if stuck and not total.sent:
        raise click.exceptions.Exit(1)


def summary(delivery: Delivery, backlog: Backlog) -> str:
    given_up = ngettext("%(num)d given up and not dismissed (queued in the past %(days)d days)",
                        "%(num)d given up and not dismissed (queued in the past %(days)d days)",
                        backlog.given_up, days=RECENT.days)
    if delivery.held:
        return _("%(held)s; %(given_up)s.", given_up=given_up,
                 held=ngettext("%(num)d message held, not sent: MAIL_SERVER is not set",
                               "%(num)d messages held, not sent: MAIL_SERVER is not set", delivery.held))
    if not (delivery.failed or delivery.given_up or backlog.waiting or backlog.given_up):
        return ngettext("%(num)d message sent.", "%(num)d messages sent.", delivery.sent)
    if backlog.next_attempt_at is not None:
        waiting = ngettext("%(num)d waiting to be tried again, the next at %(when)s",
                           "%(num)d waiting to be tried again, the next at %(when)s", backlog.waiting,
                           when=to_local(backlog.next_attempt_at).isoformat(" ", timespec="minutes"))
    else:
        waiting = ngettext("%(num)d waiting to be tried again", "%(num)d waiting to be tried again", backlog.waiting)
    return _("%(sent)s, %(failed)s; %(waiting)s; %(given_up)s.",
             sent=ngettext("%(num)d message sent", "%(num)d messages sent", delivery.sent),
             failed=ngettext("%(num)d failed", "%(num)d failed", delivery.failed + delivery.given_up),
             waiting=waiting, given_up=given_up)
