"""Flask extensions, created unbound and initialised in ``create_app``."""
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so that migrations can drop and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
# Flask-Login's own notices, in the visitor's language: str() renders the lazy text per request.
login_manager.login_message = _l("Please log in to access this page.")
login_manager.needs_refresh_message = _l("Please log in again to continue.")
login_manager.localize_callback = str
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)


def account_or_address() -> str:
    """Rate-limit key: signed-in callers count per account, others per address.

    A school network or a carrier's NAT puts hundreds of people behind one address; counting
    them per address would refuse real bookings on a busy morning.
    """
    from flask import g
    from flask_login import current_user

    principal = g.get("principal") or (current_user if current_user.is_authenticated else None)
    user_id = getattr(principal, "id", None)
    return f"user:{user_id}" if user_id is not None else get_remote_address()


def address_and_email() -> str:
    """Rate-limit key for login: guessing at one account is limited wherever it comes from."""
    from flask import request

    return f"{get_remote_address()}|{(request.form.get('email') or '').strip().lower()[:254]}"
