def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_districts_are_loaded_by_the_migrations(app):
    from app.districts.services import all_districts

    codes = [d.code for d in all_districts()]
    assert len(codes) == 12 and "JBXQ" in codes and "320102" in codes
