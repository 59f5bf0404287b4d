from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories
from tests.conftest import Auth


def _pending_teacher(district_code=factories.XUANWU, **kw):
    return factories.user("teacher", verified=False, school=factories.school(district_code=district_code),
                          phone="13812345678", **kw)


def test_district_admin_sees_only_their_districts_unverified_teachers(client, auth, app):
    ours = _pending_teacher(factories.XUANWU, name="玄武老师")
    _pending_teacher(factories.GULOU, name="鼓楼老师")
    factories.user("teacher", name="已验证老师")
    admin = factories.user("district_admin", district_code=factories.XUANWU)
    auth.login(admin.email)
    page = client.get("/admin/teachers")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "玄武老师" in html and "鼓楼老师" not in html and "已验证老师" not in html
    assert ours.masked_phone in html and "13812345678" not in html


def test_city_admin_sees_unverified_teachers_of_every_district(client, auth, app):
    _pending_teacher(factories.XUANWU, name="玄武老师")
    _pending_teacher(factories.GULOU, name="鼓楼老师")
    auth.login(factories.user("city_admin").email)
    html = client.get("/admin/teachers").get_data(as_text=True)
    assert "玄武老师" in html and "鼓楼老师" in html


def test_district_admin_verifies_a_teacher_of_their_district(client, auth, app):
    teacher = _pending_teacher(factories.XUANWU)
    admin = factories.user("district_admin", district_code=factories.XUANWU)
    auth.login(admin.email)
    response = client.post(f"/admin/teachers/{teacher.id}/verify")
    assert response.status_code == 302
    teacher = db.session.get(User, teacher.id)
    assert teacher.verified_at is not None and teacher.verified_by_id == admin.id
    assert teacher.is_verified_teacher
    assert db.session.scalar(select(OutboxMessage.kind).where(OutboxMessage.recipient == teacher.email)) \
        == "teacher_verified"


def test_city_admin_verifies_a_teacher_anywhere(client, auth, app):
    teacher = _pending_teacher(factories.JIANGNING)
    auth.login(factories.user("city_admin").email)
    assert client.post(f"/admin/teachers/{teacher.id}/verify").status_code == 302
    assert db.session.get(User, teacher.id).verified_at is not None


def test_district_admin_of_another_district_cannot_verify_or_reject(client, auth, app):
    teacher = _pending_teacher(factories.GULOU)
    auth.login(factories.user("district_admin", district_code=factories.XUANWU).email)
    assert client.post(f"/admin/teachers/{teacher.id}/verify").status_code == 403
    assert client.post(f"/admin/teachers/{teacher.id}/reject", data={"reason": "no"}).status_code == 403
    assert client.get(f"/admin/teachers/{teacher.id}/reject").status_code == 403
    teacher = db.session.get(User, teacher.id)
    assert teacher.verified_at is None and not teacher.is_disabled


def test_other_roles_get_403_on_teacher_verification(app):
    teacher = _pending_teacher()
    for role in ("citizen", "teacher", "venue_staff", "venue_manager"):
        client = app.test_client()
        Auth(client).login(factories.user(role).email)
        assert client.get("/admin/teachers").status_code == 403, role
        assert client.post(f"/admin/teachers/{teacher.id}/verify").status_code == 403, role
        assert client.post(f"/admin/teachers/{teacher.id}/reject", data={"reason": "x"}).status_code == 403
    assert db.session.get(User, teacher.id).verified_at is None


def test_anonymous_visitors_are_sent_to_log_in(client, app):
    teacher = _pending_teacher()
    for method, url in (("get", "/admin/teachers"), ("post", f"/admin/teachers/{teacher.id}/verify"),
                        ("post", f"/admin/teachers/{teacher.id}/reject")):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_unknown_or_non_teacher_ids_are_404(client, auth, app):
    admin = factories.user("city_admin")
    citizen = factories.user("citizen")
    auth.login(admin.email)
    assert client.post("/admin/teachers/999999/verify").status_code == 404
    assert client.post(f"/admin/teachers/{citizen.id}/verify").status_code == 404


def test_rejecting_a_teacher_deletes_the_account_and_tells_them_why(app, client, auth):
    teacher = _pending_teacher(name="赵老师", email="zhao@example.com")
    teacher_id = teacher.id
    teacher_device = app.test_client()
    Auth(teacher_device).login(teacher.email)
    auth.login(factories.user("district_admin").email)

    response = client.post(f"/admin/teachers/{teacher.id}/reject?lang=en", data={"reason": "不在该校任教"},
                           follow_redirects=True)

    assert response.status_code == 200
    assert "their account and details have been deleted" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, teacher_id) is None
    assert db.session.scalar(select(User).where(User.email == "zhao@example.com")) is None
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "teacher_rejected"))
    assert message.recipient == "zhao@example.com" and "不在该校任教" in message.body
    assert "已删除" in message.body and "重新注册" in message.body  # written in the teacher's language
    assert message.user_id is None
    assert teacher_device.get("/me").status_code == 302
    login = teacher_device.post("/login", data={"email": "zhao@example.com", "password": "password123"})
    assert login.status_code == 400
    assert "赵老师" not in client.get("/admin/teachers").get_data(as_text=True)


def test_a_rejected_teacher_can_register_again_with_the_same_address(app, client, auth):
    teacher = _pending_teacher(email="zhao@example.com")
    auth.login(factories.user("district_admin").email)
    client.post(f"/admin/teachers/{teacher.id}/reject", data={"reason": "学校选错了"})
    auth.logout()

    again = client.post("/register", data={
        "role": "citizen", "name": "赵老师", "phone": "13711112222", "email": "zhao@example.com",
        "password": "correct-horse", "confirm": "correct-horse", "school_id": "", "consent": "y"})

    assert again.status_code in (302, 303)
    assert db.session.scalar(select(User).where(User.email == "zhao@example.com")) is not None


def test_the_reject_page_says_the_account_will_be_deleted(client, auth, app):
    teacher = _pending_teacher()
    auth.login(factories.user("district_admin").email)
    page = client.get(f"/admin/teachers/{teacher.id}/reject?lang=en").get_data(as_text=True)
    assert "account and the details they gave will be deleted" in page


def test_rejection_needs_a_reason(client, auth, app):
    teacher = _pending_teacher()
    auth.login(factories.user("district_admin").email)
    response = client.post(f"/admin/teachers/{teacher.id}/reject", data={"reason": "  "})
    assert response.status_code == 400
    assert 'id="reason-error"' in response.get_data(as_text=True)
    assert not db.session.get(User, teacher.id).is_disabled


def test_verifying_twice_changes_nothing(client, auth, app):
    teacher = _pending_teacher()
    first_admin = factories.user("district_admin")
    auth.login(first_admin.email)
    client.post(f"/admin/teachers/{teacher.id}/verify")
    assert client.post(f"/admin/teachers/{teacher.id}/verify").status_code == 302
    assert db.session.get(User, teacher.id).verified_by_id == first_admin.id


def test_teacher_sees_their_verification_status_on_their_page(client, auth, app):
    teacher = _pending_teacher()
    auth.login(teacher.email)
    html = client.get("/me").get_data(as_text=True)
    assert 'class="badge warn"' in html
    assert "13812345678" in html
