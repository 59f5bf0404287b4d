"""A teacher who moves to another school (调动).

Partner priority (馆校合作) follows the teacher's school, so a move is vouched for as a registration
is: the teacher books nothing until the new school's district verifies them. That district finds
them in its queue, marked with the school they left; the district they left is told they have gone.
A district that does not confirm a move refuses it (the account and its history stay). Where a move
stands is kept on the account (``User.moved_school_at``, ``moved_from_school_id``,
``school_move_refused_at``); the access log records each move and refusal, as an audit trail only
(it may be purged, so it decides nothing)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.district_admins import active_district_admins, tell_district_admins
from app.accounts.models import Role, User
from app.bookings.models import Booking, BookingKind, BookingStatus
from app.core.errors import DomainError, Forbidden
from app.core.i18n import localized
from app.core.time import utcnow
from app.extensions import db
from app.notifications.services import paragraphs, queue_message, recipient_locale, site_url
from app.privacy.services import AccessAction, record_access
from app.scheduling.models import Slot
from app.schools.models import School


def can_change_school(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role == Role.TEACHER


def change_school(teacher: User, school_id: int | None) -> School:
    """Move ``teacher`` to another open school of the registry. They are no longer verified: the new
    school's district is asked to vouch for them, and the district they left (when another one) is
    told, if it had vouched for them. Class visits already booked stay with the classes of the school
    they were booked for (``Booking.school_id``)."""
    if not can_change_school(teacher):
        raise Forbidden()
    school = db.session.get(School, school_id) if school_id else None
    if school is None or not school.is_active:
        raise DomainError("school_required", _l("Choose a school from the list."), field="school_id")
    if school.id == teacher.school_id:
        raise DomainError("same_school", _l("This is already your school."), field="school_id")
    previous, was_verified = teacher.school, teacher.verified_at is not None
    teacher.school = school
    teacher.verified_at, teacher.verified_by_id = None, None
    now = utcnow()
    # A move after a refused one is a new request: it waits in the new district's queue.
    teacher.moved_school_at, teacher.moved_from_school_id, teacher.school_move_refused_at = now, previous.id, None
    record_access(teacher, AccessAction.CHANGE_OWN_SCHOOL, teacher, detail=str(previous.id), now=now)
    _tell_new_district(teacher, previous, school)
    if was_verified and previous.district_code != school.district_code:
        _tell_district_left(teacher, previous, school)
    db.session.flush()
    return school


def _tell_new_district(teacher: User, previous: School, school: School) -> None:
    def write(locale: str) -> tuple:
        names = {"name": teacher.name, "school": localized(school, "name", locale),
                 "previous": localized(previous, "name", locale)}
        return (_l("A teacher who moved waits for verification: %(name)s, %(school)s", **names),
                _l("%(name)s has moved from %(previous)s to %(school)s and waits for you to verify that they "
                   "teach there. Until you do, they cannot book class visits.", **names))

    tell_district_admins(school.district_code, kind="teacher_moved", write=write, queue_path="/admin/teachers")


def _tell_district_left(teacher: User, previous: School, school: School) -> None:
    for admin in active_district_admins(previous.district_code):
        locale = recipient_locale(admin)
        names = {"name": teacher.name, "school": localized(school, "name", locale),
                 "previous": localized(previous, "name", locale),
                 "district": localized(school.district, "name", locale)}
        queue_message(kind="teacher_left", recipient=admin.email, user=admin,
                      subject=_l("A teacher has left %(previous)s: %(name)s", **names),
                      body=paragraphs(_l("Hello %(name)s,", name=admin.name),
                                      _l("%(name)s, whom your district verified as a teacher of %(previous)s, has "
                                         "moved to %(school)s (%(district)s). They no longer book class visits for "
                                         "%(previous)s; the science association of %(district)s verifies them "
                                         "there.", **names)))


def awaits_after_move(teacher: User) -> bool:
    """The teacher awaits verification at a school they moved to (not one they registered with)."""
    return (teacher.verified_at is None and teacher.moved_school_at is not None
            and teacher.school_move_refused_at is None)


def move_refused(teacher: User) -> bool:
    """The district of the teacher's school did not confirm their move there (and nothing since)."""
    return teacher.school_move_refused


def moved_from(teachers: list[User]) -> dict[int, School]:
    """The school each of these teachers left, for those awaiting verification after a move."""
    left = {t.id: t.moved_from_school_id for t in teachers
            if t.role == Role.TEACHER and awaits_after_move(t) and t.moved_from_school_id is not None}
    if not left:
        return {}
    schools = {s.id: s for s in db.session.scalars(select(School).where(School.id.in_(set(left.values()))))}
    return {subject: schools[school_id] for subject, school_id in left.items() if school_id in schools}


def refuse_move(admin: User, teacher: User, reason: str) -> None:
    """The new school's district does not confirm that a teacher who moved teaches there. Unlike a
    registration, the account stays, with its bookings and history: the teacher is told why, books
    nothing, and may choose their school again (which puts them back in a district's queue)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _l("Give the reason, so the person knows what to do."),
                          field="reason")
    now = utcnow()
    teacher.school_move_refused_at = now
    record_access(admin, AccessAction.REFUSE_SCHOOL_MOVE, teacher, detail=str(teacher.school_id), now=now)
    locale = recipient_locale(teacher)
    names = {"school": localized(teacher.school, "name", locale),
             "district": localized(teacher.school.district, "name", locale)}
    queue_message(
        kind="teacher_move_refused", recipient=teacher.email, user=teacher,
        subject=_l("Your move to %(school)s was not confirmed", **names),
        body=paragraphs(
            _l("Hello %(name)s,", name=teacher.name),
            _l("The science association of %(district)s did not confirm that you teach at %(school)s. "
               "Reason: %(reason)s", reason=reason, **names),
            _l("Your account, your bookings and their history stay as they were, but you cannot book class visits "
               "until a district verifies you. If you chose the wrong school, choose your school again:"),
            site_url("/me/school"),
        ),
    )
    db.session.flush()


def upcoming_class_visits(teacher: User, now: datetime | None = None) -> dict[School, int]:
    """The teacher's class visits still to come (requested or confirmed), counted by the school they
    were booked for: a move leaves them with those schools' classes."""
    rows = db.session.execute(
        select(Booking.school_id, sa.func.count(Booking.id)).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.user_id == teacher.id, Booking.kind == BookingKind.GROUP,
               Booking.status.in_([BookingStatus.PENDING, BookingStatus.CONFIRMED]), Slot.starts_at > (now or utcnow()))
        .group_by(Booking.school_id)).all()
    schools = {s.id: s for s in db.session.scalars(select(School).where(School.id.in_([r[0] for r in rows])))}
    return {schools[school_id]: int(count) for school_id, count in rows if school_id in schools}
