"""The city admin records accreditations (认定) and sees those about to expire."""
from datetime import date, timedelta

from sqlalchemy import func, select

from app.core.time import local_today
from app.extensions import db
from app.venues.models import Accreditation
from app.venues.services import expiring_accreditations
from tests import factories


def _form(**kw) -> dict:
    today = local_today()
    data = {"level": "city_base", "certificate_no": "NJKP-2026-001",
            "valid_from": today.isoformat(), "valid_to": (today + timedelta(days=3 * 365)).isoformat()}
    data.update(kw)
    return data


def _count() -> int:
    return db.session.scalar(select(func.count(Accreditation.id)))


def test_city_admin_records_an_accreditation_shown_on_the_venue_page(client, auth, app):
    venue = factories.venue(name_zh="认定测试馆")
    admin = factories.user("city_admin")
    auth.login(admin.email)
    response = client.post(f"/admin/venues/{venue.id}/accreditations", data=_form(level="national_base"))
    assert response.status_code == 302
    row = db.session.scalar(select(Accreditation))
    assert (row.venue_id, row.certificate_no, row.recorded_by_id) == (venue.id, "NJKP-2026-001", admin.id)
    auth.logout()
    page = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    assert "NJKP-2026-001" in page


def test_district_admin_cannot_record_an_accreditation(client, auth, app):
    venue = factories.venue()
    auth.login(factories.user("district_admin").email)
    assert client.post(f"/admin/venues/{venue.id}/accreditations", data=_form()).status_code == 403
    assert _count() == 0


def test_valid_to_before_valid_from_is_refused(client, auth, app):
    venue = factories.venue()
    auth.login(factories.user("city_admin").email)
    response = client.post(f"/admin/venues/{venue.id}/accreditations",
                           data=_form(valid_from="2026-05-01", valid_to="2026-04-30"))
    assert response.status_code == 400
    assert 'id="valid_to-error"' in response.get_data(as_text=True)
    assert _count() == 0


def test_a_duplicate_certificate_number_of_the_same_level_is_refused(client, auth, app):
    first, second = factories.venue(), factories.venue()
    factories.accreditation(first, level="city_base", certificate_no="NJKP-7")
    auth.login(factories.user("city_admin").email)
    response = client.post(f"/admin/venues/{second.id}/accreditations",
                           data=_form(level="city_base", certificate_no="NJKP-7"))
    assert response.status_code == 400
    assert 'id="certificate_no-error"' in response.get_data(as_text=True)
    assert _count() == 1
    same_number_other_level = client.post(f"/admin/venues/{second.id}/accreditations",
                                          data=_form(level="study_base", certificate_no="NJKP-7"))
    assert same_number_other_level.status_code == 302


def test_bad_accreditation_input_gives_400(client, auth, app):
    venue = factories.venue()
    auth.login(factories.user("city_admin").email)
    for bad in (_form(level="galactic"), _form(certificate_no=""), _form(valid_from="2026-02-30"),
                _form(certificate_no="x" * 61), {}):
        assert client.post(f"/admin/venues/{venue.id}/accreditations", data=bad).status_code == 400, bad
    assert _count() == 0


def test_a_mistyped_accreditation_is_corrected_under_the_same_checks(client, auth, app):
    venue = factories.venue()
    factories.accreditation(venue, level="city_base", certificate_no="NJKP-8",  # an earlier certificate
                            valid_from=date(2020, 1, 1), valid_to=date(2024, 12, 31))
    typo = factories.accreditation(venue, level="city_base", certificate_no="NJKP-9",
                                   valid_from=date(1900, 1, 1), valid_to=date(1901, 1, 1))
    auth.login(factories.user("city_admin").email)
    review = client.get(f"/admin/venues/{venue.id}").get_data(as_text=True)
    assert f'href="/admin/accreditations/{typo.id}/edit"' in review
    form = client.get(f"/admin/accreditations/{typo.id}/edit").get_data(as_text=True)
    assert 'value="NJKP-9"' in form and 'value="1900-01-01"' in form
    # Another accreditation's number is still refused, next to the field, and nothing changes.
    taken = client.post(f"/admin/accreditations/{typo.id}/edit", data=_form(certificate_no="NJKP-8"))
    assert taken.status_code == 400 and 'id="certificate_no-error"' in taken.get_data(as_text=True)
    # Keeping its own number is no clash.
    fixed = client.post(f"/admin/accreditations/{typo.id}/edit",
                        data=_form(certificate_no="NJKP-9", valid_from="2025-01-01", valid_to="2028-12-31"))
    assert fixed.status_code == 302
    db.session.expire_all()
    row = db.session.get(Accreditation, typo.id)
    assert (row.certificate_no, row.valid_from, row.valid_to) == ("NJKP-9", date(2025, 1, 1), date(2028, 12, 31))


def test_an_accreditation_recorded_in_error_is_removed_by_the_city_admin_only(client, auth, app):
    venue = factories.venue()
    wrong = factories.accreditation(venue)
    auth.login(factories.user("district_admin").email)
    assert client.post(f"/admin/accreditations/{wrong.id}/withdraw").status_code == 403
    auth.logout()
    auth.login(factories.user("city_admin").email)
    assert client.post(f"/admin/accreditations/{wrong.id}/withdraw").status_code == 302
    assert _count() == 0


def test_accreditations_expiring_within_the_warning_window_are_listed_first(client, auth, app):
    today = local_today()
    venue = factories.venue()
    soon = factories.accreditation(venue, certificate_no="SOON-1", valid_to=today + timedelta(days=30))
    factories.accreditation(venue, certificate_no="LATER-1", valid_to=today + timedelta(days=200))
    factories.accreditation(venue, certificate_no="GONE-1", valid_from=today - timedelta(days=400),
                            valid_to=today - timedelta(days=1))
    assert [a.id for a in expiring_accreditations(today, 90)] == [soon.id]
    auth.login(factories.user("city_admin").email)
    page = client.get("/admin/accreditations").get_data(as_text=True)
    expiring_section = page.split('id="expiring-heading"')[1].split('id="all-heading"')[0]
    assert "SOON-1" in expiring_section and "LATER-1" not in expiring_section and "GONE-1" not in expiring_section
    assert "LATER-1" in page and "GONE-1" in page  # everything is in the full list
    assert 'class="expiring"' in page


def test_expiring_accreditations_include_the_last_day_of_the_window(app):
    venue = factories.venue()
    today = date(2026, 1, 1)
    edge = factories.accreditation(venue, valid_from=date(2025, 1, 1), valid_to=date(2026, 4, 1))
    factories.accreditation(venue, valid_from=date(2025, 1, 1), valid_to=date(2026, 4, 2))
    assert [a.id for a in expiring_accreditations(today, 90)] == [edge.id]


def test_a_venue_never_on_the_register_is_not_offered_nor_given_an_accreditation(client, auth, app):
    from app.venues.models import VenueStatus

    applicant = factories.venue(status=VenueStatus.SUBMITTED)  # a first registration, still in review
    auth.login(factories.user("city_admin").email)
    page = client.get(f"/admin/venues/{applicant.id}?lang=en").get_data(as_text=True)
    assert f"/admin/venues/{applicant.id}/accreditations" not in page
    assert "Only a venue on the register is accredited" in page
    refused = client.post(f"/admin/venues/{applicant.id}/accreditations?lang=en", data=_form())
    assert refused.status_code == 400 and "Only a venue on the register is accredited" in refused.get_data(as_text=True)
    assert _count() == 0

    suspended = factories.venue(status=VenueStatus.SUSPENDED)  # was approved: keeps and may gain titles
    assert client.post(f"/admin/venues/{suspended.id}/accreditations", data=_form()).status_code == 302
    assert _count() == 1


def test_the_link_to_the_approved_venues_says_where_it_goes_in_chinese(client, auth, app):
    """It leads to the list of approved venues, not to a count (the equity table's "已登记场馆数")."""
    auth.login(factories.user("city_admin").email)
    page = client.get("/admin/accreditations?lang=zh").get_data(as_text=True)
    assert '<a href="/admin/venues?status=approved">查看已通过登记的场馆</a>' in page


def test_a_certificate_number_differing_only_in_width_or_case_is_the_same_number(client, auth, app):
    first, second = factories.venue(), factories.venue()
    auth.login(factories.user("city_admin").email)
    recorded = client.post(f"/admin/venues/{first.id}/accreditations",
                           data=_form(level="study_base", certificate_no="  ＹＸ－１ "))
    assert recorded.status_code == 302
    assert db.session.scalar(select(Accreditation.certificate_no)) == "YX-1"  # kept as NFKC, trimmed
    for same in ("YX-1", "yx-1", "ｙｘ－１"):
        for venue in (first, second):
            response = client.post(f"/admin/venues/{venue.id}/accreditations",
                                   data=_form(level="study_base", certificate_no=same))
            assert response.status_code == 400, (same, venue.id)
            assert 'id="certificate_no-error"' in response.get_data(as_text=True)
    assert _count() == 1


def test_a_number_recorded_before_it_was_normalised_still_counts_as_taken(client, auth, app):
    factories.accreditation(factories.venue(), level="study_base", certificate_no="Yx-１")
    other = factories.venue()
    typo = factories.accreditation(other, level="study_base", certificate_no="YX-2")
    auth.login(factories.user("city_admin").email)
    assert client.post(f"/admin/venues/{other.id}/accreditations",
                       data=_form(level="study_base", certificate_no="yx-1")).status_code == 400
    assert client.post(f"/admin/accreditations/{typo.id}/edit",
                       data=_form(level="study_base", certificate_no="YX-1")).status_code == 400
    assert _count() == 2
