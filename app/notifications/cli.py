"""``flask --app wsgi notifications deliver``: send what is waiting in the outbox (for cron)."""
from __future__ import annotations

import click
from flask_babel import gettext as _
from flask_babel import ngettext

from app.core.cli import CliGroup
from app.notifications.services import MAX_ATTEMPTS, Delivery, deliver_pending

notifications_cli = CliGroup("notifications", help="The outbox of e-mail messages.")


@notifications_cli.command("deliver")
@click.option("--limit", default=1000, show_default=True, help="Try at most this many messages.")
def deliver_command(limit: int) -> None:
    """Send queued messages (by SMTP when MAIL_SERVER is set, else to the log in development).

    Exits with status 1 when messages failed and none went out, or when production has no
    MAIL_SERVER, so that whoever runs it hears of it."""
    total = Delivery()
    while total.tried < limit:
        batch = deliver_pending(limit=min(100, limit - total.tried))
        total += batch
        if not batch.tried:  # nothing left that may be tried now (a failed one waits for its retry)
            break
    click.echo(summary(total))
    if total.held or (total.failed + total.given_up and not total.sent):
        raise click.exceptions.Exit(1)


def summary(delivery: Delivery) -> str:
    if delivery.held:
        return ngettext("%(num)d message not sent: MAIL_SERVER is not set; it stays queued.",
                        "%(num)d messages not sent: MAIL_SERVER is not set; they stay queued.", delivery.held)
    if not delivery.failed and not delivery.given_up:
        return ngettext("%(num)d message sent.", "%(num)d messages sent.", delivery.sent)
    return _("%(sent)s; %(failed)s; %(given_up)s.",
             sent=ngettext("%(num)d message sent", "%(num)d messages sent", delivery.sent),
             failed=ngettext("%(num)d failed (will be tried again)", "%(num)d failed (will be tried again)",
                             delivery.failed),
             given_up=ngettext("%(num)d given up after %(tries)d attempts",
                               "%(num)d given up after %(tries)d attempts", delivery.given_up, tries=MAX_ATTEMPTS))
