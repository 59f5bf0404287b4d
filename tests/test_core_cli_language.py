"""Every command answers in the operator's language, taken from the locale environment (LC_ALL,
LC_MESSAGES, LANG; Chinese when none names a language the site speaks), errors included."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from tests import factories

LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture
def locale_env(monkeypatch):
    """Set the operator's locale variables; the machine's own are cleared first."""
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def set_locale(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
    return set_locale


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def create_teacher(app, email="t2@example.com"):
    school = factories.school()
    return run(app, "users", "create", "--email", email, "--password", "long-password", "--role", "teacher",
               "--school", str(school.id))


def test_users_create_answers_in_chinese_with_the_role_named_in_chinese(app, locale_env):
    locale_env(LANG="zh_CN.UTF-8")
    result = create_teacher(app)
    user_id = db.session.scalar(select(User.id).where(User.email == "t2@example.com"))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"已创建账号 t2@example.com（教师，编号 {user_id}）。"


def test_users_create_answers_in_english_under_an_english_locale(app, locale_env):
    locale_env(LANG="en_US.UTF-8")
    result = create_teacher(app)
    user_id = db.session.scalar(select(User.id).where(User.email == "t2@example.com"))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Created the account t2@example.com (Teacher, id {user_id})."


@pytest.mark.parametrize("variables", [{}, {"LANG": "C.UTF-8"}, {"LANG": "POSIX"}, {"LANG": "de_DE.UTF-8"},
                                       {"LC_ALL": "C", "LANG": "en_US.UTF-8"}])
def test_without_a_language_the_site_speaks_the_commands_answer_in_chinese(app, locale_env, variables):
    locale_env(**variables)
    result = run(app, "bookings", "close-day", "--date", "2026-01-05")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "已将 2026-01-05 的 0 条预约标记为爽约。"


def test_lc_messages_outranks_lang(app, locale_env):
    locale_env(LC_MESSAGES="en_GB.UTF-8", LANG="zh_CN.UTF-8")
    result = run(app, "bookings", "close-day", "--date", "2026-01-05")
    assert result.output.strip() == "0 bookings marked as no-shows for 2026-01-05."


@pytest.mark.parametrize("locale, expected, foreign", [
    ("zh_CN.UTF-8", "错误：venue_id：没有此编号的场馆。", "Error"),
    ("en_US.UTF-8", "Error: venue_id: No venue with this id.", "错误"),
])
def test_a_refusal_carries_the_error_prefix_of_the_operators_language(app, locale_env, locale, expected, foreign):
    locale_env(LANG=locale)
    result = run(app, "users", "create", "--email", "s@example.com", "--password", "long-password",
                 "--role", "venue_staff", "--venue", "424242")
    assert result.exit_code == 1
    assert result.output.strip() == expected
    assert foreign not in result.output


@pytest.mark.parametrize("locale, expected", [
    ("zh_CN.UTF-8", "错误：--older-than 的值无效：请填写保存期限，例如 18m、540d 或 2y。"),
    ("en_US.UTF-8", "Error: Invalid value for --older-than: Give an age such as 18m, 540d or 2y."),
])
def test_the_purge_refuses_a_bad_age_in_one_language(app, locale_env, locale, expected):
    locale_env(LANG=locale)
    result = run(app, "privacy", "purge", "--older-than", "soon")
    assert result.exit_code == 1
    assert result.output.strip() == expected


@pytest.mark.parametrize("locale, label, summary", [
    ("zh_CN.UTF-8", "正在重建统计数据", "统计数据已重建："),
    ("en_US.UTF-8", "Rebuilding statistics", "Statistics rebuilt: "),
])
def test_the_progress_bar_and_the_summary_speak_the_same_language(app, locale_env, locale, label, summary):
    factories.venue()
    locale_env(LANG=locale)
    result = run(app, "stats", "rebuild")
    assert result.exit_code == 0, result.output
    assert label in result.output
    assert result.output.strip().splitlines()[-1].startswith(summary)


def test_users_import_counts_each_role_in_chinese(app, locale_env, tmp_path):
    venue, school = factories.venue(), factories.school()
    path = tmp_path / "users.csv"
    path.write_text("email,password,role,name,phone,venue_id,school_id,district\n"
                    f"a@example.com,long-password,teacher,甲,,,{school.id},\n"
                    f"b@example.com,long-password,venue_staff,乙,,{venue.id},,\n"
                    f"c@example.com,long-password,venue_staff,丙,,{venue.id},,\n", encoding="utf-8")
    locale_env(LANG="zh_CN.UTF-8")
    result = run(app, "users", "import", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "已导入 3 个用户（教师 1 名、场馆工作人员 2 名）。"


def test_the_operators_locale_does_not_change_the_language_of_web_pages(app, client, locale_env):
    locale_env(LANG="en_US.UTF-8")
    run(app, "notifications", "deliver")
    assert '<html lang="zh-CN"' in client.get("/").get_data(as_text=True)
