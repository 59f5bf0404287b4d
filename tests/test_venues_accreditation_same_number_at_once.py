"""One certificate per level however its number is typed: a number differing from a recorded one only in
case or width ("YX-7", "ｙｘ－７") is refused by the database itself, so that two requests saving such
numbers at the same moment keep one, and the other is told, beside the field, that it is recorded."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.time import local_today
from app.extensions import db
from app.venues import services
from app.venues.models import Accreditation
from tests import factories

LEVEL = "study_base"
RECORDED = "A Study and practice base with certificate number {} is already recorded."


def _form(number: str) -> dict:
    today = local_today()
    return {"level": LEVEL, "certificate_no": number, "valid_from": today.isoformat(),
            "valid_to": (today + timedelta(days=3 * 365)).isoformat()}


def _city_admin_clients(app, parties: int) -> list:
    """Browsers of the city admin, each signed in on its own."""
    admin = factories.user("city_admin")
    clients = [app.test_client() for _ in range(parties)]
    for client in clients:
        assert client.post("/login", data={"email": admin.email, "password": factories.PASSWORD}).status_code == 302
    return clients


def _checked_together(monkeypatch, parties: int) -> None:
    """Every request passes the services' check for the number before any of them saves: the moment
    two requests arriving together share, which only the database can decide."""
    barrier = threading.Barrier(parties, timeout=60)
    check = services._checked_accreditation

    def checked_together(*args, **kw):
        values = check(*args, **kw)
        barrier.wait()  # each has found the number free
        return values

    monkeypatch.setattr(services, "_checked_accreditation", checked_together)


def _at_once(posts: list[tuple]) -> list:
    """POST each (client, path, form) at the same moment; the responses, in order."""
    with ThreadPoolExecutor(max_workers=len(posts)) as pool:
        return list(pool.map(lambda post: post[0].post(post[1], data=post[2]), posts))


def _numbers() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Accreditation.certificate_no).order_by(Accreditation.id)))


def test_yx7_and_a_full_width_lower_case_yx7_recorded_at_once_keep_one_and_the_other_is_told(app, monkeypatch):
    first, second = factories.venue(), factories.venue()
    clients = _city_admin_clients(app, 2)
    _checked_together(monkeypatch, 2)

    responses = _at_once([(clients[0], f"/admin/venues/{first.id}/accreditations?lang=en", _form("YX-7")),
                          (clients[1], f"/admin/venues/{second.id}/accreditations?lang=en", _form("ｙｘ－７"))])

    assert sorted(r.status_code for r in responses) == [302, 400]
    kept = _numbers()
    assert kept in (["YX-7"], ["yx-7"])
    refused = next(r for r in responses if r.status_code == 400).get_data(as_text=True)
    assert 'id="certificate_no-error"' in refused
    assert RECORDED.format(kept[0]) in refused


def test_two_accreditations_corrected_at_once_to_one_number_in_two_cases_keep_it_once(app, monkeypatch):
    typos = [factories.accreditation(factories.venue(), level=LEVEL, certificate_no=n) for n in ("YX-8", "YX-9")]
    clients = _city_admin_clients(app, 2)
    _checked_together(monkeypatch, 2)

    responses = _at_once([(clients[0], f"/admin/accreditations/{typos[0].id}/edit?lang=en", _form("YX-10")),
                          (clients[1], f"/admin/accreditations/{typos[1].id}/edit?lang=en", _form("Yx-１０"))])

    assert sorted(r.status_code for r in responses) == [302, 400]
    assert _numbers() in (["YX-10", "YX-9"], ["YX-8", "Yx-10"])
    refused = next(r for r in responses if r.status_code == 400).get_data(as_text=True)
    assert 'id="certificate_no-error"' in refused
    assert RECORDED.format(next(n for n in _numbers() if n.casefold() == "yx-10")) in refused


def test_a_corrected_number_frees_the_old_one_and_takes_the_new_in_every_case_and_width(client, auth, app):
    first, second = factories.venue(), factories.venue()
    typo = factories.accreditation(first, level=LEVEL, certificate_no="YX-1")
    auth.login(factories.user("city_admin").email)

    assert client.post(f"/admin/accreditations/{typo.id}/edit", data=_form("YX-2")).status_code == 302
    assert client.post(f"/admin/venues/{second.id}/accreditations", data=_form("yx-1")).status_code == 302
    taken = client.post(f"/admin/venues/{second.id}/accreditations?lang=en", data=_form("ｙｘ－２"))
    assert taken.status_code == 400
    assert RECORDED.format("YX-2") in taken.get_data(as_text=True)
    assert _numbers() == ["YX-2", "yx-1"]


def test_the_database_refuses_a_number_of_the_same_level_in_another_case_or_width(app):
    venue = factories.venue()
    factories.accreditation(venue, level=LEVEL, certificate_no="YX-7")
    for same in ("yx-7", "ＹＸ－７", " yX-7 "):
        with pytest.raises(IntegrityError):
            factories.accreditation(venue, level=LEVEL, certificate_no=same)
        db.session.rollback()
    factories.accreditation(venue, level="city_base", certificate_no="yx-7")  # another level's certificate
    assert _numbers() == ["YX-7", "yx-7"]
