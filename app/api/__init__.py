"""The JSON API under /api/v1: thin handlers over the same services as the pages."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
def openapi():
    return {}
