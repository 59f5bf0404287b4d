"""Registry steps sent twice at once (a double click) or by two reviewers at the same moment: each is
taken once, and the other gets the answer it would get a moment later, never an error page."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.venues import services
from app.venues.models import Accreditation, AccreditationLevel, Venue, VenueStatus, VenueStatusChange
from tests import factories
from tests.factories import XUANWU
from tests.races import race

PROFILE = {"name_zh": "双击科技馆", "address_zh": "北京东路1号", "venue_type": "specialised_museum",
           "operator_kind": "research_institute", "district_code": XUANWU, "themes": "天文"}


def _after_loading(parties: int):
    """A point every job reaches having loaded what its request would, before any of them acts: each
    then decides on what it read, as two requests arriving together do."""
    barrier = threading.Barrier(parties, timeout=60)
    return barrier.wait


def _steps(venue_id: int, to_status: VenueStatus) -> int:
    return db.session.scalar(select(func.count()).select_from(VenueStatusChange).where(
        VenueStatusChange.venue_id == venue_id, VenueStatusChange.to_status == to_status))


def _mails(*kinds: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind.in_(kinds))))


# --- registering ----------------------------------------------------------------------------------

def test_a_registration_saved_twice_at_once_makes_one_venue_the_managers(app):
    manager = factories.user("venue_manager", venue=None)
    loaded = _after_loading(3)

    def register():
        person = db.session.get(User, manager.id)
        assert person.venue_id is None
        loaded()
        return services.register_venue(person, PROFILE).id

    outcomes = race(app, [register] * 3)

    assert sorted(outcomes, key=str)[1:] == ["forbidden", "forbidden"]
    db.session.expire_all()
    assert db.session.scalars(select(Venue.id)).all() == [db.session.get(User, manager.id).venue_id]


def test_a_double_click_on_save_answers_the_second_click_as_a_manager_who_has_a_venue(app, monkeypatch):
    manager = factories.user("venue_manager", venue=None)
    clients = [app.test_client(), app.test_client()]
    for client in clients:
        assert client.post("/login", data={"email": manager.email, "password": factories.PASSWORD}).status_code == 302
    checked = _after_loading(2)
    clean = services._clean_profile

    def cleaned_together(data):
        profile = clean(data)
        checked()  # both requests found the manager without a venue
        return profile

    monkeypatch.setattr(services, "_clean_profile", cleaned_together)
    data = factories.venue_form_data()
    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(lambda client: client.post("/manage/venue?lang=en", data=data), clients))

    assert sorted(r.status_code for r in responses) == [302, 400]
    refused = next(r for r in responses if r.status_code == 400).get_data(as_text=True)
    assert "Only a venue manager without a venue can register one." in refused
    db.session.expire_all()
    assert db.session.scalars(select(Venue.id)).all() == [db.session.get(User, manager.id).venue_id]


# --- submitting and deciding ----------------------------------------------------------------------

def test_a_submission_sent_twice_at_once_is_made_and_told_once(app):
    venue = factories.venue(status=VenueStatus.DRAFT)
    manager = factories.user("venue_manager", venue=venue)
    factories.user("district_admin", district_code=XUANWU)
    loaded = _after_loading(2)

    def submit():
        person, draft = db.session.get(User, manager.id), db.session.get(Venue, venue.id)
        assert draft.status == VenueStatus.DRAFT
        loaded()
        services.submit_venue(person, draft)
        return "submitted"

    outcomes = race(app, [submit, submit])

    assert sorted(outcomes) == ["invalid_transition", "submitted"]
    assert _steps(venue.id, VenueStatus.SUBMITTED) == 1
    assert len(_mails("venue_submitted")) == 1


def test_two_reviewers_deciding_at_once_make_one_decision(app):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    factories.user("venue_manager", venue=venue)
    city = factories.user("city_admin")
    district = factories.user("district_admin", district_code=XUANWU)
    loaded = _after_loading(2)

    def decide(admin_id: int, action: str):
        def job():
            admin, waiting = db.session.get(User, admin_id), db.session.get(Venue, venue.id)
            assert waiting.status == VenueStatus.SUBMITTED
            loaded()
            if action == "approve":
                services.approve_venue(admin, waiting)
            else:
                services.reject_venue(admin, waiting, "地址不全")
            return action
        return job

    outcomes = race(app, [decide(city.id, "approve"), decide(district.id, "reject")])

    assert "already_decided" in outcomes
    decided = next(o for o in outcomes if o != "already_decided")
    db.session.expire_all()
    assert db.session.get(Venue, venue.id).status == {"approve": VenueStatus.APPROVED,
                                                      "reject": VenueStatus.REJECTED}[decided]
    assert _steps(venue.id, VenueStatus.APPROVED) + _steps(venue.id, VenueStatus.REJECTED) == 1
    assert len(_mails("venue_approved", "venue_rejected")) == 1


def test_a_decision_sent_twice_at_once_is_taken_once(app):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    factories.user("venue_manager", venue=venue)
    admin = factories.user("district_admin", district_code=XUANWU)
    loaded = _after_loading(2)

    def approve():
        waiting = db.session.get(Venue, venue.id)
        assert waiting.status == VenueStatus.SUBMITTED
        loaded()
        services.approve_venue(db.session.get(User, admin.id), waiting)
        return "approved"

    assert sorted(race(app, [approve, approve])) == ["already_decided", "approved"]
    assert _steps(venue.id, VenueStatus.APPROVED) == 1
    assert len(_mails("venue_approved")) == 1


# --- accreditation --------------------------------------------------------------------------------

def test_an_accreditation_recorded_twice_at_once_is_kept_once_and_the_other_told_its_a_duplicate(app, monkeypatch):
    venue = factories.venue(status=VenueStatus.APPROVED)
    admin = factories.user("city_admin")
    checked = _after_loading(2)
    check = services._checked_accreditation

    def checked_together(*args, **kw):
        values = check(*args, **kw)
        checked()  # both have found no such certificate yet
        return values

    monkeypatch.setattr(services, "_checked_accreditation", checked_together)

    def record():
        services.record_accreditation(db.session.get(User, admin.id), db.session.get(Venue, venue.id),
                                      level=AccreditationLevel.CITY_BASE, certificate_no="NJKP-2024-001",
                                      valid_from=date.today(), valid_to=date.today() + timedelta(days=365))
        return "recorded"

    assert sorted(race(app, [record, record])) == ["duplicate_certificate", "recorded"]
    assert db.session.scalar(select(func.count()).select_from(Accreditation)) == 1


def test_two_accreditations_corrected_to_one_number_at_once_keep_it_once_and_the_other_is_told(app, monkeypatch):
    admin = factories.user("city_admin")
    # Two venues: one venue holds one certificate of a level at a time.
    first, second = (services.record_accreditation(admin, factories.venue(status=VenueStatus.APPROVED),
                                                   level=AccreditationLevel.CITY_BASE,
                                                   certificate_no=number, valid_from=date.today(),
                                                   valid_to=date.today() + timedelta(days=365))
                     for number in ("NJKP-2024-001", "NJKP-2024-002"))
    db.session.commit()
    ids = (first.id, second.id)
    checked = _after_loading(2)
    check = services._checked_accreditation

    def checked_together(*args, **kw):
        values = check(*args, **kw)
        checked()  # both have found the number free
        return values

    monkeypatch.setattr(services, "_checked_accreditation", checked_together)

    def correct(accreditation_id):
        def job():
            services.correct_accreditation(db.session.get(User, admin.id), db.session.get(Accreditation,
                                                                                          accreditation_id),
                                           level=AccreditationLevel.CITY_BASE, certificate_no="NJKP-2024-009",
                                           valid_from=date.today(), valid_to=date.today() + timedelta(days=365))
            return "corrected"
        return job

    assert sorted(race(app, [correct(ids[0]), correct(ids[1])])) == ["corrected", "duplicate_certificate"]
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Accreditation.certificate_no))) in (
        ["NJKP-2024-001", "NJKP-2024-009"], ["NJKP-2024-002", "NJKP-2024-009"])
