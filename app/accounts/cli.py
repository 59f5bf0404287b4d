"""``flask --app wsgi users …``: how administrators create accounts and enrol many at once."""
from __future__ import annotations

import csv
import io
import sys
from collections import Counter

import click
from flask_babel import gettext as _
from flask_babel import ngettext

from app.accounts import services
from app.accounts.models import Role
from app.core.cli import CliError, CliGroup
from app.core.errors import DomainError
from app.extensions import db
from app.schools.models import School
from app.venues.models import Venue

users_cli = CliGroup("users", help="Manage user accounts.")

ROLE_NAMES = [r.value for r in Role]
IMPORT_COLUMNS = ("email", "password", "role", "name", "phone", "venue_id", "school_id", "district")
REQUIRED_COLUMNS = ("email", "password", "role")


def _lookup(model, raw: str | None, field: str, message):
    """The row an id column names, None when blank, or a DomainError on that column."""
    raw = (raw or "").strip()
    if not raw:
        return None
    # Ids only: ASCII digits short enough for an integer column on every database.
    row = db.session.get(model, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None
    if row is None:
        raise DomainError("not_found", message, field=field)
    return row


def _create(record: dict[str, str | None]):
    """Create one account from the values of a row (or of the ``create`` options)."""
    role_name = (record.get("role") or "").strip()
    if role_name not in ROLE_NAMES:
        raise DomainError("invalid_role", _("Unknown role; use one of: %(roles)s.", roles=", ".join(ROLE_NAMES)),
                          field="role")
    district_code = None
    if (record.get("district") or "").strip():
        district = services.find_district(record["district"])
        if district is None:
            raise DomainError("unknown_district", _("No district with this code or name."), field="district")
        district_code = district.code
    email = (record.get("email") or "").strip()
    return services.create_user(
        email=email, password=record.get("password") or "",
        name=(record.get("name") or "").strip() or email.partition("@")[0],
        role=Role(role_name), phone=record.get("phone") or "",
        school=_lookup(School, record.get("school_id"), "school_id", _("No school with this id.")),
        venue=_lookup(Venue, record.get("venue_id"), "venue_id", _("No venue with this id.")),
        district_code=district_code,
        # Accounts made by an administrator are vouched for by that administrator.
        verified=True,
    )


def _describe(exc: DomainError) -> str:
    return _("%(column)s: %(problem)s", column=exc.field, problem=exc.message) if exc.field else str(exc.message)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(ROLE_NAMES))
@click.option("--name", default="", help="Defaults to the part of the email before @.")
@click.option("--phone", default="")
@click.option("--venue", "venue_id", default="", help="Venue id (venue staff and managers).")
@click.option("--school", "school_id", default="", help="School id (teachers).")
@click.option("--district", default="", help="District code or Chinese name (district admins).")
def create_command(email, password, role, name, phone, venue_id, school_id, district):
    """Create one account. Teachers created here are verified."""
    try:
        user = _create({"email": email, "password": password, "role": role, "name": name, "phone": phone,
                        "venue_id": venue_id, "school_id": school_id, "district": district})
    except DomainError as exc:
        db.session.rollback()
        raise CliError(_describe(exc)) from None
    db.session.commit()
    click.echo(_("Created the account %(email)s (%(role)s, id %(id)d).", email=user.email, role=user.role.label,
                 id=user.id))


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # GBK's superset: what Excel writes for Chinese Windows
    except UnicodeDecodeError:
        raise CliError(_("The file is neither UTF-8 nor GBK text. Save it as “CSV UTF-8”.")) from None


def _role_count(role: Role, n: int) -> str:
    """"3 teachers", in the operator's language."""
    return {
        Role.CITIZEN: lambda: ngettext("%(num)d citizen", "%(num)d citizens", n),
        Role.TEACHER: lambda: ngettext("%(num)d teacher", "%(num)d teachers", n),
        Role.VENUE_STAFF: lambda: ngettext("%(num)d venue staff member", "%(num)d venue staff members", n),
        Role.VENUE_MANAGER: lambda: ngettext("%(num)d venue manager", "%(num)d venue managers", n),
        Role.DISTRICT_ADMIN: lambda: ngettext("%(num)d district administrator", "%(num)d district administrators",
                                              n),
        Role.CITY_ADMIN: lambda: ngettext("%(num)d city administrator", "%(num)d city administrators", n),
    }[role]()


@users_cli.command("import")
@click.argument("csv_file", type=click.File("rb"))
def import_command(csv_file):
    """Create the accounts listed in a CSV file, all or none.

    Columns: email,password,role,name,phone,venue_id,school_id,district. Every row is checked
    first; if any is bad, the bad rows are listed by line number and nothing is created. The file
    is UTF-8 (with or without a byte-order mark) or, as Excel saves "CSV" on a Chinese Windows, GBK.
    """
    reader = csv.DictReader(io.StringIO(_decoded(csv_file.read()), newline=""))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CliError(_("The file lacks the columns: %(columns)s. Expected: %(expected)s.",
                                     columns=", ".join(missing), expected=",".join(IMPORT_COLUMNS)))
    rows = []
    for record in reader:
        rows.append((reader.line_num, record))

    errors: list[str] = []
    created: Counter[Role] = Counter()
    first_line_of: dict[str, int] = {}  # each email's first line in the file
    # Each row is created in the one open transaction; a single bad row rolls the whole file back.
    # An email repeated in the file is named as such, not as an account that already exists.
    with click.progressbar(rows, label=_("Checking and importing"), file=sys.stderr) as bar:
        for line, record in bar:
            if None in record:
                errors.append(_("line %(line)d: the row has more values than the header.", line=line))
                continue
            email = services.normalize_email(record.get("email"))
            if email and email in first_line_of:
                repeated = DomainError("email_repeated", _("Already on line %(first)d of this file.",
                                                           first=first_line_of[email]), field="email")
                errors.append(_("line %(line)d: %(problem)s", line=line, problem=_describe(repeated)))
                continue
            first_line_of.setdefault(email, line)
            try:
                user = _create(record)
            except DomainError as exc:
                errors.append(_("line %(line)d: %(problem)s", line=line, problem=_describe(exc)))
            else:
                created[user.role] += 1

    if errors:
        db.session.rollback()
        for error in errors:
            click.echo(error, err=True)
        click.echo(ngettext("Nothing was imported: %(n)d of %(num)d row has problems.",
                            "Nothing was imported: %(n)d of %(num)d rows have problems.",
                            len(rows), n=len(errors)), err=True)
        raise click.exceptions.Exit(1)
    db.session.commit()
    details = _(", ").join(_role_count(role, n) for role, n in sorted(created.items()))
    click.echo(ngettext("Imported %(num)d user (%(details)s).", "Imported %(num)d users (%(details)s).",
                        sum(created.values()), details=details or "-"))
