from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.extensions import db
from tests import factories


def _form(**overrides):
    data = {"role": "citizen", "name": "李华", "phone": "13912345678", "email": "lihua@example.com",
            "password": "correct-horse", "confirm": "correct-horse", "school_id": "", "consent": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_registration_page_lists_active_schools_grouped_by_district(client, app):
    factories.school(name_zh="玄武实验小学", district_code=factories.XUANWU)
    factories.school(name_zh="已停办小学", is_active=False)
    html = client.get("/register").get_data(as_text=True)
    assert "玄武实验小学" in html
    assert "已停办小学" not in html
    assert '<optgroup label="玄武区">' in html
    assert 'type="radio"' in html and "/privacy" in html


def test_citizen_registers_is_signed_in_and_lands_on_their_page(client, app):
    response = client.post("/register", data=_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me")
    user = db.session.scalar(select(User).where(User.email == "lihua@example.com"))
    assert user.role == Role.CITIZEN
    assert user.phone == "13912345678"
    assert user.consent_at is not None
    page = client.get("/me")
    assert page.status_code == 200
    assert "李华" in page.get_data(as_text=True)


def test_teacher_registers_against_a_school_and_stays_unverified(client, app):
    school = factories.school(district_code=factories.GULOU)
    client.set_cookie("lang", "en")
    response = client.post("/register", data=_form(role="teacher", school_id=str(school.id)),
                           follow_redirects=True)
    assert response.status_code == 200
    assert "verify" in response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "lihua@example.com"))
    assert user.role == Role.TEACHER and user.school_id == school.id
    assert user.verified_at is None


def test_teacher_must_choose_a_school(client, app):
    factories.school()
    response = client.post("/register", data=_form(role="teacher", school_id=""))
    assert response.status_code == 400
    assert 'id="school_id-error"' in response.get_data(as_text=True)
    assert _users() == 0


def test_teacher_cannot_choose_an_inactive_school(client, app):
    closed = factories.school(is_active=False)
    response = client.post("/register", data=_form(role="teacher", school_id=str(closed.id)))
    assert response.status_code == 400
    assert _users() == 0


def test_venue_manager_registers_without_a_venue_yet(client, app):
    response = client.post("/register", data=_form(role="venue_manager"))
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "lihua@example.com"))
    assert user.role == Role.VENUE_MANAGER and user.venue_id is None


def test_administrative_roles_cannot_be_chosen_when_registering(client, app):
    for role in ("city_admin", "district_admin", "venue_staff"):
        response = client.post("/register", data=_form(role=role))
        assert response.status_code == 400
    assert _users() == 0


def test_consent_to_the_privacy_notice_is_required(client, app):
    response = client.post("/register", data=_form(consent=None))
    assert response.status_code == 400
    assert 'id="consent-error"' in response.get_data(as_text=True)
    assert _users() == 0


def test_mobile_number_must_be_a_mainland_mobile(client, app):
    for phone in ("12345678901", "1391234567", "02584561234", "abc"):
        response = client.post("/register", data=_form(phone=phone))
        assert response.status_code == 400, phone
        assert 'id="phone-error"' in response.get_data(as_text=True)
    assert _users() == 0


def test_mobile_number_may_be_written_with_spaces_and_country_code(client, app):
    assert client.post("/register", data=_form(phone="+86 139-1234-5678")).status_code == 302
    assert db.session.scalar(select(User.phone)) == "13912345678"


def test_passwords_must_match_and_be_long_enough(client, app):
    mismatch = client.post("/register", data=_form(confirm="something-else"))
    short = client.post("/register", data=_form(password="short", confirm="short"))
    assert mismatch.status_code == short.status_code == 400
    assert 'id="confirm-error"' in mismatch.get_data(as_text=True)
    assert 'id="password-error"' in short.get_data(as_text=True)
    assert _users() == 0


def test_every_mistake_is_told_on_the_first_submit(client, app):
    page = client.post("/register?lang=en", data=_form(password="short", confirm="short", consent=None))
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and 'id="consent-error"' in html and 'id="password-error"' in html
    assert "Use at least 8 characters." in html


def test_a_name_of_invisible_characters_is_no_name(client, app):
    response = client.post("/register", data=_form(name="\u200b\ufeff "))
    assert response.status_code == 400 and 'id="name-error"' in response.get_data(as_text=True)
    assert _users() == 0
    assert client.post("/register", data=_form(name="\u200b李华\u200e")).status_code == 302
    user = db.session.scalar(select(User))
    assert user.name == "李华"
    assert user.last_login_at is not None  # registering signs the person in


def test_duplicate_email_is_refused_next_to_the_email_field(client, app):
    factories.user("citizen", email="lihua@example.com")
    response = client.post("/register", data=_form(email="LiHua@Example.com"))
    assert response.status_code == 400
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert _users() == 1


def test_missing_fields_are_reported_and_nothing_saved(client, app):
    response = client.post("/register", data={})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for field in ("name", "phone", "email", "password"):
        assert f'id="{field}-error"' in html
    assert _users() == 0


def test_signed_in_person_is_sent_from_registration_to_their_page(client, auth, app):
    citizen = factories.user("citizen")
    auth.login(citizen.email)
    assert client.get("/register").headers["Location"].endswith("/me")


def test_registration_posts_are_rate_limited(app, database_url):
    from app import create_app
    from tests.conftest import make_config

    limited = create_app(make_config(database_url, RATELIMIT_ENABLED=True))
    client = limited.test_client()
    codes = [client.post("/register", data={}).status_code for _ in range(6)]
    assert codes == [400] * 5 + [429]
    assert client.get("/register").status_code == 200
    with limited.app_context():
        db.engine.dispose()


def test_full_width_digits_and_a_pasted_space_are_what_the_person_meant(client, app):
    response = client.post("/register", data=_form(phone="１３９ １２３４ ５６７８", email=" lihua@example.com "))
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "lihua@example.com"))
    assert user.phone == "13912345678"


def test_schools_are_listed_as_people_count_them(client, app):
    factories.school(name_zh="玄武区第10中学", district_code=factories.XUANWU)
    factories.school(name_zh="玄武区第2中学", district_code=factories.XUANWU)
    html = client.get("/register").get_data(as_text=True)
    assert html.index("玄武区第2中学") < html.index("玄武区第10中学")


def test_an_address_typed_in_full_width_or_with_a_decomposed_accent_is_the_address_it_looks_like(client, app):
    """A Chinese input method in full-width mode types ａｌｉｃｅ@ｅｘａｍｐｌｅ.com: the same mailbox, so
    no second account for it, and it signs in to the first."""
    assert client.post("/register", data=_form(email="alice@example.com")).status_code == 302
    client.post("/logout")
    for typed in ("ａｌｉｃｅ@ｅｘａｍｐｌｅ.com", "ALICE@example.ｃｏｍ"):
        response = client.post("/register?lang=en", data=_form(email=typed, phone="13912345679"))
        assert response.status_code == 400
        assert "An account with this email already exists." in response.get_data(as_text=True)
    assert client.post("/register", data=_form(email="jose\u0301@example.com", phone="13912345670")).status_code == 302
    client.post("/logout")
    assert client.post("/register", data=_form(email="jos\u00e9@example.com", phone="13912345671")).status_code == 400
    assert _users() == 2
    assert db.session.scalar(select(User.email).where(User.email.like("jos%"))) == "jos\u00e9@example.com"

    response = client.post("/login", data={"email": "ａｌｉｃｅ@ｅｘａｍｐｌｅ.com", "password": "correct-horse"})
    assert response.status_code == 302 and client.get("/me").status_code == 200
