"""The OpenAPI document (``/api/v1/openapi.json``) and Swagger UI to browse it (``/api/docs``).

Swagger UI's files come from the ``flask-swagger-ui`` package (Swagger UI 5, which reads
OpenAPI 3.1), served by the app: no CDN. The initializer is ``static/swagger-init.js``, since
the CSP forbids inline scripts.
"""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, jsonify, render_template, send_from_directory
from werkzeug.exceptions import NotFound

from wiki.views.api import bp as api_bp
from wiki.views.api.spec import build_document

SWAGGER_UI_DIR = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
#: Only the files the page loads (not the package's whole folder).
ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js"}

bp = Blueprint("api_docs", __name__, url_prefix="/api/docs")


@api_bp.get("/openapi.json")
def openapi_document():
    return jsonify(build_document())


@bp.get("")
def page():
    # The app's CSP as it is: Swagger UI 5 injects no inline script or style (it sets styles
    # through the DOM, which ``style-src 'self'`` allows); tests/web/test_api_docs_browser.py
    # fails on any violation.
    return render_template("api/docs.html")


@bp.get("/assets/<path:filename>")
def asset(filename: str):
    if filename not in ASSETS:
        raise NotFound()
    return send_from_directory(SWAGGER_UI_DIR, filename, max_age=86400)
