"""Personal data services: the audit log, a person's own data (download, deletion), and the policy
questions for the privacy pages. The retention purge is in ``purge.py``."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import ApiToken, Role, SignIn, User
from app.accounts.sign_ins import active_sign_ins
from app.bookings.models import Booking, BookingKind, BookingStatus, Partnership
from app.calendars.models import CalendarFeed
from app.checkin.models import CheckIn, CheckInKind
from app.core.db import LabelledEnum
from app.core.errors import DomainError
from app.core.i18n import localized
from app.core.time import utcnow
from app.districts.models import District
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.privacy.models import PersonalDataAccess
from app.scheduling.models import Closure, Schedule, Slot
from app.venues.models import Accreditation, Venue, VenueStatusChange

# Only people whose account nobody else depends on may delete it themselves. A venue's staff or
# manager, or an administrator, holds a role that others rely on (gates, approvals, reviews):
# the city admin first hands the role to someone else and then closes the account.
SELF_DELETING_ROLES = (Role.CITIZEN, Role.TEACHER)
# Who did something for others (an official or a venue's manager), in columns that keep the record when
# the account goes; the other references to users are cleared above or by the database (SET NULL).
_DONE_BY = (Schedule.created_by_id, Closure.created_by_id, Partnership.created_by_id,
            Accreditation.recorded_by_id, VenueStatusChange.actor_id, User.verified_by_id)
# Bookings that still hold (or wait for) places: deleting the account gives them back.
_OPEN_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)


class AccessAction(LabelledEnum):
    VIEW_BOOKING = "view_booking", _l("Viewed a booking")
    VIEW_BOOKING_LIST = "view_booking_list", _l("Viewed a list of bookings")
    VIEW_TEACHER_QUEUE = "view_teacher_queue", _l("Viewed the teacher verification queue")
    EXPORT = "export", _l("Exported personal data")
    EXPORT_OWN_DATA = "export_own_data", _l("Downloaded their own data")
    DELETE_OWN_ACCOUNT = "delete_own_account", _l("Deleted their own account")
    CORRECT_OWN_DATA = "correct_own_data", _l("Corrected their own details")
    VIEW_STAFF_LIST = "view_staff_list", _l("Viewed a venue's staff list")
    ADD_VENUE_STAFF = "add_venue_staff", _l("Added a member of a venue's staff")
    REMOVE_VENUE_STAFF = "remove_venue_staff", _l("Removed a member of a venue's staff")
    VIEW_VENUE_MANAGERS = "view_venue_managers", _l("Viewed a venue's managers")
    ADD_VENUE_MANAGER = "add_venue_manager", _l("Added a manager to a venue")
    RESEND_INVITATION = "resend_invitation", _l("Sent an invitation to a venue again")
    WITHDRAW_INVITATION = "withdraw_invitation", _l("Withdrew an invitation to a venue")
    REJECT_TEACHER = "reject_teacher", _l("Rejected a teacher's registration and deleted the account")
    CHANGE_OWN_SCHOOL = "change_own_school", _l("Moved to another school")
    REFUSE_SCHOOL_MOVE = "refuse_school_move", _l("Refused a teacher's move to another school")
    VIEW_PEOPLE_LIST = "view_people_list", _l("Viewed the list of accounts")
    VIEW_ACCOUNT = "view_account", _l("Viewed a person's account")
    SUSPEND_ACCOUNT = "suspend_account", _l("Suspended an account")
    REINSTATE_ACCOUNT = "reinstate_account", _l("Reinstated an account")
    CLOSE_ACCOUNT = "close_account", _l("Closed an account")
    VIEW_UNDELIVERED_MAIL = "view_undelivered_mail", _l("Viewed undelivered email")
    SEND_MAIL_AGAIN = "send_mail_again", _l("Sent an undelivered email again")
    DISMISS_MAIL = "dismiss_mail", _l("Dismissed an undelivered email")
    INVITE_DISTRICT_ADMIN = "invite_district_admin", _l("Invited a district administrator")
    RESEND_DISTRICT_ADMIN_INVITATION = "resend_district_admin_invitation", _l(
        "Sent a district administrator's invitation again")
    WITHDRAW_DISTRICT_ADMIN_INVITATION = "withdraw_district_admin_invitation", _l(
        "Withdrew a district administrator's invitation")


# --- the audit log -------------------------------------------------------------------------------


def record_access(actor: User | None, action: AccessAction | str, subject=None, *, detail: str = "",
                  now: datetime | None = None) -> PersonalDataAccess:
    """Log that ``actor`` saw or exported personal data. ``subject`` is the person (a ``User``) or a
    ``Booking`` (its booker is logged too), or None for a list; ``detail`` says which, free of any
    language (a venue id, a page number: ``access_detail`` words it for the reader)."""
    action = AccessAction(action)
    row = PersonalDataAccess(at=now or utcnow(), actor_id=getattr(actor, "id", None), action=action.value,
                             detail=(detail or "")[:200])
    if isinstance(subject, Booking):
        row.booking_id, row.subject_user_id = subject.id, subject.user_id
    elif isinstance(subject, User):
        row.subject_user_id = subject.id
    db.session.add(row)
    db.session.flush()
    return row


def record_access_to_messages(actor: User, action: AccessAction | str, message_ids, *,
                              now: datetime | None = None) -> int:
    """Log that ``actor`` acted on these stored emails (sent them again, dismissed them): one row a
    message, its addressee as the subject and its id as the detail, written in one statement however
    many were ticked. Returns the rows written."""
    ids = list(message_ids)
    if not ids:
        return 0
    rows = select(sa.literal(now or utcnow(), sa.DateTime), sa.literal(actor.id, sa.Integer),
                  sa.literal(AccessAction(action).value, sa.String), OutboxMessage.user_id,
                  sa.cast(OutboxMessage.id, sa.String)).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    return db.session.execute(sa.insert(PersonalDataAccess).from_select(
        ["at", "actor_id", "action", "subject_user_id", "detail"], rows)).rowcount


def can_read_access_log(user) -> bool:
    return user.is_authenticated and user.role == Role.CITY_ADMIN


def access_log(*, actor_id: int | None = None, subject_id: int | None = None):
    """The log, newest first; ``subject_id`` matches the person whether logged directly or via a booking."""
    query = select(PersonalDataAccess).order_by(PersonalDataAccess.at.desc(), PersonalDataAccess.id.desc())
    if actor_id is not None:
        query = query.where(PersonalDataAccess.actor_id == actor_id)
    if subject_id is not None:
        query = query.where(PersonalDataAccess.subject_user_id == subject_id)
    return query


def action_label(value: str):
    try:
        return AccessAction(value).label
    except ValueError:
        return value


# A detail is recorded free of any language (a page or venue number, the names of the fields a
# person corrected) and worded in the reader's language when the log is read.
_DETAIL_WORDING = {
    AccessAction.VIEW_TEACHER_QUEUE.value: lambda number: _("page %(number)s", number=number),
    AccessAction.VIEW_PEOPLE_LIST.value: lambda number: _("page %(number)s", number=number),
    AccessAction.VIEW_UNDELIVERED_MAIL.value: lambda number: _("page %(number)s", number=number),
    AccessAction.VIEW_BOOKING_LIST.value: lambda venue_id: _("venue %(id)s", id=venue_id),
    AccessAction.VIEW_STAFF_LIST.value: lambda venue_id: _("venue %(id)s", id=venue_id),
    AccessAction.ADD_VENUE_STAFF.value: lambda venue_id: _("venue %(id)s", id=venue_id),
    AccessAction.REMOVE_VENUE_STAFF.value: lambda venue_id: _("venue %(id)s", id=venue_id),
    AccessAction.VIEW_VENUE_MANAGERS.value: lambda venue_id: _("venue %(id)s", id=venue_id),
    AccessAction.ADD_VENUE_MANAGER.value: lambda venue_id: _("venue %(id)s", id=venue_id),
    AccessAction.RESEND_INVITATION.value: lambda venue_id: _("venue %(id)s", id=venue_id),
    AccessAction.WITHDRAW_INVITATION.value: lambda venue_id: _("venue %(id)s", id=venue_id),
    AccessAction.SEND_MAIL_AGAIN.value: lambda message_id: _("message %(id)s", id=message_id),
    AccessAction.DISMISS_MAIL.value: lambda message_id: _("message %(id)s", id=message_id),
    AccessAction.CHANGE_OWN_SCHOOL.value: lambda school_id: _("from school %(id)s", id=school_id),
    AccessAction.REFUSE_SCHOOL_MOVE.value: lambda school_id: _("school %(id)s", id=school_id),
}
_CORRECTED_FIELDS = {"name": _l("Name"), "phone": _l("Mobile number"), "email": _l("Email")}


# Actions whose detail is a district's code: the reader is shown its name.
_DISTRICT_DETAIL = {AccessAction.INVITE_DISTRICT_ADMIN.value, AccessAction.RESEND_DISTRICT_ADMIN_INVITATION.value,
                    AccessAction.WITHDRAW_DISTRICT_ADMIN_INVITATION.value}


def access_detail(action: str, detail: str) -> str:
    """A log row's detail in the interface language; one in no known form, as it was recorded."""
    if action in _DETAIL_WORDING and detail.isdigit():
        return _DETAIL_WORDING[action](detail)
    if action in _DISTRICT_DETAIL and detail:
        district = db.session.get(District, detail)  # a dozen rows, kept in the session's identity map
        return localized(district, "name") if district is not None else detail
    if action == AccessAction.CLOSE_ACCOUNT.value and detail in {role.value for role in Role}:
        return str(Role(detail).label)
    if action == AccessAction.CORRECT_OWN_DATA.value and detail:
        fields = [field.strip() for field in detail.split(",")]
        if all(field in _CORRECTED_FIELDS for field in fields):
            return _(", ").join(str(_CORRECTED_FIELDS[field]) for field in fields)
    return detail


# --- a person's own data -------------------------------------------------------------------------

def _iso(value) -> str | None:
    """ISO 8601; a time carries its UTC offset (stored naive in UTC), so no reader has to guess."""
    if isinstance(value, datetime):
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat() if value is not None else None


def export_own_data(user: User, *, now: datetime | None = None) -> dict:
    """Everything SciVisit keeps about ``user``, as plain JSON-ready data (the export is logged)."""
    bookings = db.session.scalars(
        select(Booking).where(Booking.user_id == user.id).order_by(Booking.created_at, Booking.id)).all()
    checkins = db.session.scalars(
        select(CheckIn).where(CheckIn.booking_id.in_([b.id for b in bookings]) if bookings else sa.false())
        .order_by(CheckIn.scanned_at, CheckIn.id)).all()
    walk_ins = db.session.execute(
        select(CheckIn, Venue).join(Venue, Venue.id == CheckIn.venue_id).where(_walk_ins_registered_by(user))
        .order_by(CheckIn.scanned_at, CheckIn.id)).all()
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == user.id).order_by(OutboxMessage.created_at)).all()
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    tokens = db.session.scalar(select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    sign_ins = active_sign_ins(user, now=now)
    viewed_by = _viewed_by(user)
    record_access(user, AccessAction.EXPORT_OWN_DATA, user, now=now)
    return {
        "exported_at": _iso(now or utcnow()),
        "timezone_note": _("Times are in UTC (+00:00); Beijing time is 8 hours ahead."),
        "account": {
            "name": user.name, "email": user.email, "phone": user.phone, "role": user.role.value,
            "school": localized(user.school, "name") if user.school else None,
            "venue": localized(user.venue, "name") if user.venue else None,
            "district": user.district_code, "consent_at": _iso(user.consent_at), "created_at": _iso(user.created_at),
            "teacher_verified_at": _iso(user.verified_at), "moved_school_at": _iso(user.moved_school_at),
            "moved_from_school": localized(user.moved_from_school, "name") if user.moved_from_school else None,
            "school_move_refused_at": _iso(user.school_move_refused_at), "last_login_at": _iso(user.last_login_at),
            "language": user.locale, "elder_mode": user.elder_mode,
        },
        "bookings": [_booking_data(b) for b in bookings],
        "visits": [{"booking_reference": c.booking.reference if c.booking else c.reference,
                    "venue": localized(c.booking.venue, "name") if c.booking else None,
                    "date": _iso(c.local_date), "scanned_at": _iso(c.scanned_at), "result": c.result.value,
                    "persons": c.persons, "students": c.students, "adults": c.adults} for c in checkins],
        "walk_ins": [{"venue": localized(venue, "name"), "date": _iso(w.local_date),
                      "registered_at": _iso(w.scanned_at), "persons": w.persons,
                      "visitors": w.audience_group.value if w.audience_group else None,
                      "booking_reference": w.reference} for w, venue in walk_ins],
        "messages": [{"kind": m.kind, "to": m.recipient, "subject": m.subject,
                      "body": _without_links_that_sign_in(m.body), "attachment": m.attachment_name,
                      "created_at": _iso(m.created_at), "sent_at": _iso(m.sent_at)} for m in messages],
        "viewed_by": viewed_by,
        "calendar_feed": {"exists": feed is not None, "created_at": _iso(feed.created_at) if feed else None},
        "active_api_tokens": tokens or 0,
        "signed_in_devices": [{"device": str(s.device), "signed_in_at": _iso(s.created_at),
                               "last_active_at": _iso(s.last_seen_at), "expires_at": _iso(s.expires_at)}
                              for s in sign_ins],
    }


def _viewed_by(user: User) -> list[dict]:
    """The access log about ``user``: when, what, and who by role and venue or district (an official's
    name or address is theirs, not the person's); a viewer whose account is gone has no role left."""
    rows = db.session.execute(
        select(PersonalDataAccess, User, Booking.reference)
        .outerjoin(User, User.id == PersonalDataAccess.actor_id)
        .outerjoin(Booking, Booking.id == PersonalDataAccess.booking_id)
        .where(PersonalDataAccess.subject_user_id == user.id)
        .order_by(PersonalDataAccess.at, PersonalDataAccess.id)).all()
    return [{"at": _iso(row.at), "action": row.action, "what": str(action_label(row.action)),
             "by_you": row.actor_id == user.id, "viewer_role": viewer.role.value if viewer else None,
             "viewer_organisation": _organisation(viewer), "booking_reference": reference}
            for row, viewer, reference in rows]


def _organisation(viewer: User | None) -> str | None:
    if viewer is None:
        return None
    if viewer.venue is not None:
        return localized(viewer.venue, "name")
    if viewer.role == Role.DISTRICT_ADMIN and viewer.district is not None:
        return localized(viewer.district, "name")
    return None


# A reset or invitation link still works until it expires: a file the person keeps or forwards must
# not carry a way into their account.
_SIGN_IN_LINK = re.compile(r"(/password/reset/)[^\s/]+")


def _without_links_that_sign_in(body: str) -> str:
    return _SIGN_IN_LINK.sub(r"\1[…]", body or "")


def _booking_data(b: Booking) -> dict:
    return {
        "reference": b.reference, "venue": localized(b.venue, "name"), "slot_start": _iso(b.slot.starts_at),
        "slot_end": _iso(b.slot.ends_at), "kind": b.kind.value, "status": b.status.value,
        "party_size": b.party_size, "children": b.children, "guardian_confirmed": b.guardian_confirmed,
        "students": b.students, "adults": b.adults, "grade": b.grade, "class_name": b.class_name,
        "school": localized(b.school, "name") if b.school else None, "created_at": _iso(b.created_at),
        "cancelled_at": _iso(b.cancelled_at), "cancel_reason": b.cancel_reason_shown or None,
        "decline_reason": b.decline_reason or None,
    }


def can_delete_own_account(user) -> bool:
    return user.is_authenticated and user.role in SELF_DELETING_ROLES


def delete_own_account(user: User, password: str, *, now: datetime | None = None) -> int:
    """Delete ``user``'s account after checking their password (``erase_account``); returns the
    future bookings cancelled. The deletion is logged, by an actor id that now leads to no one."""
    from app.accounts.services import check_current_password  # it imports this module

    now = now or utcnow()
    if not can_delete_own_account(user):
        raise DomainError("role_cannot_self_delete",
                          _l("Your account holds a role others depend on. Ask the city administrator to "
                             "close it."), status=403)
    check_current_password(user, password, field="password")
    record_access(user, AccessAction.DELETE_OWN_ACCOUNT, user, now=now)
    return erase_account(user, now=now)


# What a booking keeps of its booker once anonymised (account deleted, or purged when old): nothing.
# Its counts, statuses and dates stay, so every statistic stays the same.
ANONYMOUS_BOOKING = {"user_id": None, "class_name": None, "class_key": None, "request_key": None,
                     "cancel_reason": "", "cancel_reason_en": "", "decline_reason": ""}


def erase_account(user: User, *, now: datetime | None = None, keep_message: OutboxMessage | None = None) -> int:
    """Delete ``user``'s account and personal data: the one rule for a person's own request, a
    rejected registration and an account the city admin closes. Returns the future bookings cancelled.

    Future open bookings are ended (places return, the waitlist moves); every booking stays as an
    anonymous count (no user, no class name, no request key, no reasons), so statistics do not change.
    Tokens, calendar feed and messages go with the account, except ``keep_message`` (the one telling
    the person why, still to be sent); the email address is free again. Mails to others about their
    bookings keep no class name or reason (``forget_person_in_messages``). The access log keeps who
    viewed what kind of data when, but no longer whose, nor which of their bookings, nor why their
    account was suspended or reinstated. The venue of each class visit cancelled is told, naming no one
    (``notify.tell_venue``). What the person did for others (a schedule, a closure, a partnership, an
    accreditation, a venue's review, a teacher's verification) stays, no longer naming them."""
    from app.bookings import notify
    from app.bookings.services import end_booking

    now = now or utcnow()
    future = db.session.scalars(
        select(Booking).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.user_id == user.id, Booking.status.in_(_OPEN_STATUSES), Slot.starts_at > now)
        .order_by(Booking.id)).all()
    # A venue plans for the classes it approved or has to decide: it hears that they will not come.
    classes = [booking for booking in future if booking.kind == BookingKind.GROUP
               and booking.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED)]
    for booking in future:
        end_booking(booking, BookingStatus.CANCELLED, reason="", now=now)
    booking_ids = list(db.session.scalars(select(Booking.id).where(Booking.user_id == user.id)))
    forget_bookings_in_access_log(booking_ids)
    # An administrator's reason for suspending or reinstating is free text that often names the person.
    db.session.execute(
        sa.update(PersonalDataAccess)
        .where(PersonalDataAccess.subject_user_id == user.id,
               PersonalDataAccess.action.in_([AccessAction.SUSPEND_ACCOUNT.value,
                                              AccessAction.REINSTATE_ACCOUNT.value]))
        .values(detail=""), execution_options={"synchronize_session": False})
    db.session.execute(
        sa.update(PersonalDataAccess).where(PersonalDataAccess.subject_user_id == user.id)
        .values(subject_user_id=None), execution_options={"synchronize_session": False})
    db.session.execute(
        sa.update(Booking).where(Booking.user_id == user.id)
        .values(**ANONYMOUS_BOOKING), execution_options={"synchronize_session": False})
    forget_person_in_messages(booking_ids, user)  # before the mails below, which must go out as written
    for booking in classes:  # as anonymised just above: the mail names the school, not the class
        db.session.expire(booking)
        notify.tell_venue(booking, "closed")
    kept = []
    if keep_message is not None:
        db.session.flush()
        keep_message.user_id = None
        kept = [OutboxMessage.id != keep_message.id]
    db.session.execute(sa.delete(OutboxMessage).where(
        sa.or_(OutboxMessage.user_id == user.id, OutboxMessage.recipient == user.email), *kept))
    db.session.execute(sa.delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.execute(sa.delete(SignIn).where(SignIn.user_id == user.id))
    db.session.execute(sa.update(CheckIn).where(CheckIn.user_id == user.id).values(user_id=None))
    forget_walk_ins(_walk_ins_registered_by(user))
    for column in _DONE_BY:
        db.session.execute(sa.update(column.table).where(column == user.id).values({column.name: None}),
                           execution_options={"synchronize_session": False})
    user_id = user.id
    db.session.expunge(user)
    db.session.execute(sa.delete(User).where(User.id == user_id))
    db.session.flush()
    return len(future)


def _walk_ins_registered_by(user: User):
    """The walk-ins ``user`` registered at a venue's poster while signed in: they carry the account's
    actor key (``checkin.walkins``); those a venue's staff counted carry none."""
    from app.checkin.services import actor_key  # it imports the accounts package, which imports us

    return sa.and_(CheckIn.kind == CheckInKind.WALK_IN, CheckIn.actor_key == actor_key(user))


def forget_walk_ins(condition) -> int:
    """Walk-ins registered signed in that match ``condition`` lose the account (``user_id``, and the actor
    key and day's nonce that name it too); who counted, how many and when stay, so statistics do not change."""
    return db.session.execute(
        sa.update(CheckIn).where(CheckIn.kind == CheckInKind.WALK_IN, CheckIn.actor_key.isnot(None), condition)
        .values(user_id=None, actor_key=None, nonce=None), execution_options={"synchronize_session": False}).rowcount


# What a stored mail about a deleted person's booking says instead of its text: who was told, and
# when, stays (the venue's record); the class's name and the teacher's reason go.
_TEXT_REMOVED = _l("The text of this message was removed when the account of the person it was about "
                   "was deleted.")


def forget_person_in_messages(booking_ids: list[int], person: User) -> None:
    """The stored mails to others (a venue's managers) about ``person``'s bookings, just anonymised,
    lose what named the class or quoted the booker. One sent (or dismissed) keeps only a note; one still
    to go is written again from the anonymised booking if it still tells the venue something (a class
    not coming), else dropped (a request to decide: the visit is cancelled with the account, or past).
    Mails to ``person`` go with the account (``erase_account``)."""
    from app.bookings import notify
    from app.notifications.services import recipient_locale

    if not booking_ids:
        return
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.booking_id.in_(booking_ids), OutboxMessage.recipient != person.email,
        sa.or_(OutboxMessage.user_id.is_(None), OutboxMessage.user_id != person.id))).all()
    for message in messages:
        recipient = db.session.get(User, message.user_id) if message.user_id else None
        if message.sent_at is None and message.dismissed_at is None:
            if recipient is not None and message.kind in {
                    f"venue_class_{event}" for event in notify.VENUE_NEWS_AFTER_ERASURE}:
                booking = db.session.get(Booking, message.booking_id, populate_existing=True)
                notify.write_again_for_venue(message, booking, recipient)
            else:
                db.session.delete(message)
            continue
        with force_locale(recipient_locale(recipient)):
            message.body = str(_TEXT_REMOVED)
        message.attachment_name = message.attachment_type = message.attachment = None


def forget_bookings_in_access_log(booking_ids) -> int:
    """Bookings being anonymised (a list of ids, or a select of them): the log keeps that a booking
    was viewed, not which one; beside its booker, the id would lead back to the person."""
    return db.session.execute(
        sa.update(PersonalDataAccess).where(PersonalDataAccess.booking_id.in_(booking_ids))
        .values(booking_id=None), execution_options={"synchronize_session": False}).rowcount
