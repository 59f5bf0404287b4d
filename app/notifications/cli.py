"""``flask --app wsgi notifications deliver``: send what is waiting in the outbox (for cron)."""
from __future__ import annotations

import click
from flask_babel import ngettext

from app.core.cli import CliGroup
from app.notifications.services import deliver_pending

notifications_cli = CliGroup("notifications", help="The outbox of e-mail messages.")


@notifications_cli.command("deliver")
@click.option("--limit", default=1000, show_default=True, help="Send at most this many messages.")
def deliver_command(limit: int) -> None:
    """Send queued messages (by SMTP when MAIL_SERVER is set, else to the log)."""
    sent = 0
    while sent < limit:
        batch = deliver_pending(limit=min(100, limit - sent))
        if batch == 0:
            break
        sent += batch
    click.echo(ngettext("%(num)d message sent.", "%(num)d messages sent.", sent))
