"""Interface preferences: language and elder-friendly mode.

Chosen by ``?lang=`` / ``?mode=`` on any URL, then the account, then a cookie, then
(for language) the browser's Accept-Language. A choice made by URL is remembered in the
account (when signed in) and a cookie, so nothing lives in process memory.
"""
from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from flask_login import current_user

LANG_COOKIE = "lang"
MODE_COOKIE = "mode"
MODES = ("standard", "elder")
ONE_YEAR = 365 * 24 * 3600


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background work: the default, unless forced
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if getattr(g, "lang_choice", None):
        return g.lang_choice
    if _may_be_signed_in() and current_user and current_user.is_authenticated \
            and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _may_be_signed_in() -> bool:
    """False for a request that carries no cookie at all (an API client or gate with a bearer
    token): nobody is signed in on it, and asking ``current_user`` would still run Flask-Login's
    session checks (a hash of the client's address and agent) on every call."""
    return "_login_user" in g or bool(request.environ.get("HTTP_COOKIE"))


def elder_mode() -> bool:
    if getattr(g, "mode_choice", None):
        return g.mode_choice == "elder"
    if current_user and current_user.is_authenticated:
        return bool(current_user.elder_mode)
    return request.cookies.get(MODE_COOKIE) == "elder"


def carry_into_account(user) -> None:
    """At sign-in: the language and mode chosen on this device (by URL now, or earlier as a cookie)
    become the account's, so signing in never switches the page the visitor is reading (a
    grandparent who chose large text before logging in keeps it)."""
    from app.accounts.services import remember_preferences

    lang = getattr(g, "lang_choice", None) or request.cookies.get(LANG_COOKIE)
    mode = getattr(g, "mode_choice", None) or request.cookies.get(MODE_COOKIE)
    remember_preferences(user, locale=lang if lang in current_app.config["LANGUAGES"] else None,
                         mode=mode if mode in MODES else None)


def init_choices(app: Flask) -> None:
    """Read ``?lang=`` / ``?mode=``; called before the extensions are set up, whose own request hooks
    (CSRF, a rate limit on every route) run first and may refuse the request: the refusal is then
    answered in the language and mode it asked for. Only read here: the account remembers them once
    the request is let through (``init_app``)."""

    @app.before_request
    def read_choices():
        lang = request.args.get("lang")
        mode = request.args.get("mode")
        g.lang_choice = lang if lang in app.config["LANGUAGES"] else None
        g.mode_choice = mode if mode in MODES else None


def init_app(app: Flask) -> None:
    @app.before_request
    def remember_choices_in_account():
        if (g.lang_choice or g.mode_choice) and current_user.is_authenticated:
            from app.accounts.services import remember_preferences

            remember_preferences(current_user, locale=g.lang_choice, mode=g.mode_choice)

    @app.after_request
    def remember_choices(response):
        secure = app.config.get("SESSION_COOKIE_SECURE", False)
        if getattr(g, "lang_choice", None):
            response.set_cookie(LANG_COOKIE, g.lang_choice, max_age=ONE_YEAR, samesite="Lax",
                                secure=secure, httponly=True)
        if getattr(g, "mode_choice", None):
            response.set_cookie(MODE_COOKIE, g.mode_choice, max_age=ONE_YEAR, samesite="Lax",
                                secure=secure, httponly=True)
        return response

    @app.context_processor
    def inject_prefs():
        from flask_babel import get_locale

        return {"current_lang": str(get_locale()), "elder_mode": elder_mode()}
