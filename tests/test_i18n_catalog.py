"""The Chinese catalog covers every string in the sources, and each language shows only itself."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
ZH_PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
# The same keywords as `make extract-messages`.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2),
            "lazy_pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _outside_hidden_dirs(dirpath: str) -> bool:
    # As `make extract-messages` (--ignore-dirs): Babel's default would also skip templates/_macros/.
    name = os.path.basename(dirpath)
    return not (name.startswith(".") or name == "__pycache__")


def _source_msgids() -> set[tuple[str, str | None]]:
    """(msgid, context) of every string the sources translate."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=_outside_hidden_dirs):
        found.add((message if isinstance(message, str) else message[0], context))
    return found


@pytest.fixture(scope="module")
def zh_catalog():
    with open(ZH_PO, "rb") as f:
        return read_po(f, locale="zh")


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogs():
    """`make test` compiles the catalogs; a bare `pytest` should not silently show English."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(po, "rb") as src:
                catalog = read_po(src)
            with open(mo, "wb") as out:
                write_mo(out, catalog)


def _translation(message) -> tuple[str, ...]:
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def test_every_string_in_the_sources_has_a_chinese_translation(zh_catalog):
    missing = []
    for msgid, context in sorted(_source_msgids(), key=lambda m: (m[0], m[1] or "")):
        message = zh_catalog.get(msgid, context=context)
        if message is None or message.fuzzy or not all(s.strip() for s in _translation(message)):
            missing.append(f"{context}: {msgid}" if context else msgid)
    assert not missing, "Run `make extract-messages` and translate:\n" + "\n".join(missing)


def test_chinese_translations_keep_the_placeholders_of_their_msgid(zh_catalog):
    wrong = []
    for message in zh_catalog:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else message.id
        expected = sorted(PLACEHOLDER.findall(ids[0]))
        for text in _translation(message):
            if text and sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append(f"{ids[0]!r} -> {text!r}")
    assert not wrong, "\n".join(wrong)


def test_chinese_catalog_has_no_fuzzy_entries(zh_catalog):
    assert [m.id for m in zh_catalog if m.id and m.fuzzy] == []


def _text_outside_chinese_elements(html: str) -> str:
    """The page's visible text without the elements marked lang="zh-CN" (the language switch)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<(\w+)[^>]*\blang="zh-CN"[^>]*>.*?</\1>', " ", html, flags=re.S)
    return html.replace('lang="zh-CN"', "")


PAGES_WITHOUT_DATA = ["/login", "/register", "/privacy", "/password/forgot", "/open-data/", "/stats", "/events",
                      "/no-such-page"]


@pytest.mark.parametrize("path", PAGES_WITHOUT_DATA)
def test_english_pages_show_no_chinese_outside_the_language_switch(client, path):
    response = client.get(path, query_string={"lang": "en"})
    assert response.status_code in (200, 404)
    text = _text_outside_chinese_elements(response.get_data(as_text=True))
    assert CJK.findall(text) == [], CJK.search(text) and text[max(0, CJK.search(text).start() - 120):][:240]


ENGLISH_UI_WORDS = [">Log in<", ">Venues<", ">Register<", ">Statistics<", ">Open data<", "Skip to main content",
                    ">Email<", ">Password<"]


@pytest.mark.parametrize("path", PAGES_WITHOUT_DATA)
def test_chinese_pages_show_no_english_interface_words(client, path):
    html = client.get(path, query_string={"lang": "zh"}).get_data(as_text=True)
    assert '<html lang="zh-CN"' in html or "<html lang=\"zh" in html
    assert [w for w in ENGLISH_UI_WORDS if w in html] == []


def test_the_login_page_is_chinese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html and ">Log in<" not in html


def test_form_validation_messages_follow_the_language(client):
    zh = client.post("/register?lang=zh", data={}).get_data(as_text=True)
    en = client.post("/register?lang=en", data={}).get_data(as_text=True)
    assert "This field is required." not in zh and "必填" in zh
    assert "This field is required." in en


@pytest.mark.parametrize("locale, expected, unexpected", [("en", "password", "密码"), ("zh", "密码", "password")])
def test_emails_are_written_in_the_recipients_language(client, locale, expected, unexpected):
    user = factories.user("citizen")
    user.locale = locale
    db.session.commit()
    client.post("/password/forgot", data={"email": user.email})
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "password_reset")).one()
    assert expected in (message.subject + message.body).lower()
    body_without_link = re.sub(r"https?://\S+", "", message.subject + message.body).lower()
    assert unexpected not in body_without_link
    assert (CJK.search(body_without_link) is None) == (locale == "en")
