"""What every template may call: licences, dates, the current locale."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import format_datetime, get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from wiki.domain import licensing, textdiff
from wiki.views.attribution import attribution_of


def _license(code: str) -> licensing.License:
    return licensing.get_license(code)


def _when(moment) -> str:
    return format_datetime(moment, "d MMM yyyy HH:mm") if moment else ""


def _word_diff(before: str, after: str) -> Markup:
    """A short passage's word diff, inline (``<ins>``/``<del>``, escaped text)."""
    return Markup(textdiff.render_inline(textdiff.diff_words(before, after)))


def init_template_helpers(app: Flask) -> None:
    @app.context_processor
    def _globals() -> dict:
        return {
            "license_of": _license,
            "attribution_of": attribution_of,
            "lang": str(get_locale() or "fr"),
            "csrf_token": generate_csrf,
            "current_path": request.full_path.rstrip("?") if request else "/",
        }

    app.jinja_env.globals["word_diff"] = _word_diff
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["iso"] = lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ") if m else ""
