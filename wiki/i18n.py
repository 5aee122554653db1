"""French first, English second: the reader's choice (a cookie set by the footer link), then
Accept-Language. Source strings are French, so French needs no catalogue."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, request

from wiki.extensions import babel

LANG_COOKIE = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the CLI and services outside a request speak French
        return languages[0]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def init_i18n(app: Flask) -> None:
    translations = Path(__file__).resolve().parent / "translations"
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(translations))
    babel.init_app(app, locale_selector=select_locale, default_timezone="UTC")
