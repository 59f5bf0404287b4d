"""``flask --app wsgi privacy purge --older-than 18m``: anonymise bookings past the retention period and
delete accounts closed for longer."""
from __future__ import annotations

import click
from flask_babel import gettext as _
from flask_babel import ngettext

from app.accounts.sign_ins import remove_expired_sign_ins
from app.core.cli import CliError, CliGroup
from app.core.errors import DomainError
from app.core.time import utcnow
from app.extensions import db
from app.privacy import purge as purging

privacy_cli = CliGroup("privacy", help="Personal data: retention purge.")
BATCH = 500


@privacy_cli.command("purge")
@click.option("--older-than", "older_than", default="18m", show_default=True,
              help="Retention period: bookings whose visit ended before it are anonymised (18m, 540d, 2y).")
def purge_command(older_than: str) -> None:
    """Anonymise old bookings and walk-ins (the counts stay), delete old messages, accounts closed before
    the retention period and expired sign-ins."""
    try:
        cutoff = purging.cutoff_for(older_than, utcnow())
    except DomainError as exc:
        raise CliError(_("Invalid value for %(option)s: %(problem)s", option="--older-than",
                         problem=exc.message)) from None
    ids = purging.bookings_to_purge(cutoff)
    batches = [ids[i:i + BATCH] for i in range(0, len(ids), BATCH)]
    anonymised = 0
    with click.progressbar(batches, label=_("Anonymising old bookings")) as bar:
        for chunk in bar:
            anonymised += purging.anonymise_bookings(chunk)
            db.session.commit()  # batch by batch: short transactions while the site is in use
    accounts = 0
    with click.progressbar(purging.closed_accounts_to_delete(cutoff), label=_("Deleting closed accounts")) as bar:
        for user_id in bar:
            accounts += purging.delete_closed_account(user_id)
            db.session.commit()
    walk_ins = purging.unlink_old_walk_ins(cutoff)
    messages = purging.delete_old_messages(cutoff)
    # Expired whatever the retention period: nobody can use them, and they say when someone was active.
    expired = remove_expired_sign_ins(utcnow())
    db.session.commit()
    click.echo(_("Privacy purge: %(bookings)s and %(messages)s (visits ended before %(cutoff)s UTC); "
                 "%(accounts)s (closed before then); %(walk_ins)s; %(sign_ins)s; every statistic is unchanged.",
                 bookings=ngettext("%(num)d booking anonymised", "%(num)d bookings anonymised", anonymised),
                 accounts=ngettext("%(num)d closed account deleted", "%(num)d closed accounts deleted", accounts),
                 walk_ins=ngettext("%(num)d walk-in unlinked from its account",
                                   "%(num)d walk-ins unlinked from their accounts", walk_ins),
                 messages=ngettext("%(num)d message deleted", "%(num)d messages deleted", messages),
                 sign_ins=ngettext("%(num)d expired sign-in removed", "%(num)d expired sign-ins removed", expired),
                 cutoff=f"{cutoff:%Y-%m-%d %H:%M}"))
