"""The demo's many schools of the past year read naturally in English: the district's English name,
"Kindergarten" where the Chinese says 幼儿园, and a number."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.schools.models import School


def test_history_schools_have_english_names_with_the_district_and_the_kind(app, client):
    app.config["DEMO_HISTORY_DAYS"] = 1
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output

    names = dict(db.session.execute(select(School.name_zh, School.name_en)
                                    .where(School.district_code == "320102")).all())
    assert names["玄武区第1学校（演示）"] == "Xuanwu District School No. 1 (demo)"
    assert names["玄武区第4幼儿园（演示）"] == "Xuanwu District Kindergarten No. 4 (demo)"
    page = client.get("/register?lang=en").get_data(as_text=True)
    assert ">Xuanwu District Kindergarten No. 4 (demo)</option>" in page
    assert "Demo school" not in page
