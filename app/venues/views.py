from flask import Blueprint

bp = Blueprint("venues", __name__)


@bp.get("/venues")
def directory():
    return "venues"
