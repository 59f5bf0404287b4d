from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import text

from app.extensions import db, limiter

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    from app.venues.services import directory_overview

    return render_template("main/home.html", overview=directory_overview())


@bp.get("/privacy")
def privacy():
    return render_template("main/privacy.html")


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Liveness and readiness: the database answers (and Redis, when configured)."""
    body = {"status": "ok", "database": "ok"}
    status = 200
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database is "not ready"
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        body.update(status="error", database="error")
        status = 503
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        from app.core.redis import redis_ok

        body["redis"] = "ok" if redis_ok(redis_url) else "error"
        if body["redis"] != "ok":
            body["status"], status = "error", 503
    return jsonify(body), status
