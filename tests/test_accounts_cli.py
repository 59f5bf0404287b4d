from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.extensions import db
from tests import factories

HEADER = "email,password,role,name,phone,venue_id,school_id,district\n"


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_create_makes_a_verified_teacher(app):
    school = factories.school()
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "T@Example.com", "--password", "long-password", "--role", "teacher",
        "--name", "张老师", "--phone", "13912345678", "--school", str(school.id)])
    assert result.exit_code == 0, result.output
    teacher = db.session.scalar(select(User).where(User.email == "t@example.com"))
    assert teacher.role == Role.TEACHER and teacher.school_id == school.id
    assert teacher.is_verified_teacher and teacher.name == "张老师"


def test_create_accepts_a_district_by_code_or_chinese_name(app):
    runner = app.test_cli_runner()
    by_code = runner.invoke(args=["users", "create", "--email", "a@example.com", "--password", "long-password",
                                  "--role", "district_admin", "--district", factories.GULOU])
    by_name = runner.invoke(args=["users", "create", "--email", "b@example.com", "--password", "long-password",
                                  "--role", "district_admin", "--district", "鼓楼区"])
    assert by_code.exit_code == by_name.exit_code == 0, by_code.output + by_name.output
    codes = db.session.scalars(select(User.district_code).order_by(User.email)).all()
    assert codes == [factories.GULOU, factories.GULOU]


def test_create_reports_a_bad_value_and_creates_nothing(app):
    runner = app.test_cli_runner()
    missing_venue = runner.invoke(args=["users", "create", "--email", "s@example.com", "--password",
                                        "long-password", "--role", "venue_staff"])
    unknown_venue = runner.invoke(args=["users", "create", "--email", "s@example.com", "--password",
                                        "long-password", "--role", "venue_staff", "--venue", "424242"])
    bad_role = runner.invoke(args=["users", "create", "--email", "s@example.com", "--password",
                                   "long-password", "--role", "wizard"])
    assert missing_venue.exit_code == unknown_venue.exit_code == 1
    assert "venue_id" in missing_venue.output and "venue_id" in unknown_venue.output
    assert bad_role.exit_code != 0
    assert _users() == 0


def test_import_creates_every_row_and_summarises(app, tmp_path):
    venue = factories.venue()
    school = factories.school()
    rows = [f"t{i}@example.com,long-password,teacher,老师{i},1391234567{i},,{school.id}," for i in range(3)]
    rows += [f"s{i}@example.com,long-password,venue_staff,,,{venue.id},," for i in range(2)]
    rows += ["d@example.com,long-password,district_admin,区管理员,,,,玄武区"]
    path = tmp_path / "users.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8-sig")

    result = app.test_cli_runner().invoke(args=["users", "import", str(path)], env={"LC_ALL": "en_US.UTF-8"})

    assert result.exit_code == 0, result.output
    assert "Imported 6 users (" in result.output
    assert "3 teachers" in result.output and "2 venue staff members" in result.output
    assert _users() == 6
    teachers = db.session.scalars(select(User).where(User.role == Role.TEACHER)).all()
    assert all(t.is_verified_teacher for t in teachers)
    assert db.session.scalar(select(User.district_code).where(User.email == "d@example.com")) == factories.XUANWU


def test_failed_import_reports_bad_lines_and_applies_nothing(app, tmp_path):
    factories.user("citizen", email="taken@example.com")
    school = factories.school()
    path = tmp_path / "users.csv"
    path.write_text(HEADER + "\n".join([
        f"ok1@example.com,long-password,teacher,甲,,,{school.id},",      # line 2: fine
        "taken@example.com,long-password,citizen,乙,,,,",               # line 3: email taken
        "ok2@example.com,long-password,wizard,丙,,,,",                  # line 4: unknown role
        "ok3@example.com,long-password,teacher,丁,,,999999,",           # line 5: unknown school
        "ok1@example.com,long-password,citizen,戊,,,,",                 # line 6: duplicate in file
        "ok4@example.com,short,citizen,己,,,,",                         # line 7: short password
        "ok5@example.com,long-password,citizen,庚,12345,,,",            # line 8: bad phone
        "ok6@example.com,long-password,district_admin,辛,,,,火星区",     # line 9: unknown district
    ]) + "\n", encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["users", "import", str(path)], env={"LC_ALL": "zh_CN.UTF-8"})

    assert result.exit_code == 1
    for line, field in ((3, "email"), (4, "role"), (5, "school_id"), (6, "email"), (7, "password"),
                        (8, "phone"), (9, "district")):
        # The command speaks the operator's language, here Chinese: "第 3 行：email：…".
        assert f"第 {line} 行：{field}：" in result.output, (line, result.output)
    assert "\n第 2 行" not in result.output
    assert "第 6 行：email：已在本文件第 2 行出现。" in result.output  # not "already registered"
    assert _users() == 1


def test_import_reads_a_file_saved_by_excel_on_chinese_windows(app, tmp_path):
    school = factories.school()
    path = tmp_path / "users.csv"
    path.write_bytes((HEADER + f"gbk@example.com,long-password,teacher,王老师,,,{school.id},\n").encode("gbk"))
    result = app.test_cli_runner().invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.name).where(User.email == "gbk@example.com")) == "王老师"


def test_import_refuses_a_file_without_the_needed_columns(app, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("mail,pass\nx@example.com,long-password\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1
    assert "role" in result.output
    assert _users() == 0


def test_a_venue_school_or_district_the_role_does_not_take_is_refused_not_dropped(app):
    venue, school = factories.venue(), factories.school()
    runner = app.test_cli_runner()
    for role, option, value, column in (("citizen", "--venue", str(venue.id), "venue_id"),
                                        ("venue_manager", "--district", factories.GULOU, "district"),
                                        ("venue_staff", "--school", str(school.id), "school_id")):
        args = ["users", "create", "--email", f"{role}@example.com", "--password", "long-password", "--role", role,
                option, value]
        if role == "venue_staff":
            args += ["--venue", str(venue.id)]
        result = runner.invoke(args=args, env={"LC_ALL": "en_US.UTF-8"})
        assert result.exit_code == 1 and f"{column}: Only " in result.output, (role, result.output)
    assert _users() == 0
