"""One place turns every error into the reader's French page or the API's JSON error."""

from __future__ import annotations

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from wiki.errors import WikiError
from wiki.extensions import db, login_manager

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid_field", 429: "rate_limited", 500: "internal_error",
}


def _http_messages() -> dict[int, str]:
    return {
        400: _("Requête invalide."),
        401: _("Connexion requise."),
        403: _("Vous n’avez pas la permission de faire cela."),
        404: _("Cette page n’existe pas."),
        405: _("Méthode non permise pour cette adresse."),
        413: _("Requête trop volumineuse."),
        415: _("Type de contenu non pris en charge : envoyez du JSON (application/json)."),
        429: _("Trop de requêtes : réessayez dans un moment."),
        500: _("Erreur interne : elle a été enregistrée. Réessayez plus tard."),
        503: _("Le service est momentanément indisponible. Réessayez dans un instant."),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, details: dict | None = None):
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message,
                                      "details": details or {}}})
        response.status_code = status
    else:
        response = render_template("error.html", status=status, message=message, code=code,
                                   details=details or {})
        response = (response, status)
    return response


def _wiki_error(error: WikiError):
    return error_response(error.status, error.code, error.message, error.details)


def _csrf_error(error: CSRFError):
    return error_response(400, "csrf_failed", _(
        "Le formulaire a expiré ou ne vient pas de ce site. Rechargez la page et recommencez."))


def _http_error(error: HTTPException):
    status = error.code or 500
    message = _http_messages().get(status) or error.description or error.name
    response = make_response(error_response(status, _HTTP_CODES.get(status, "http_error"),
                                            message))
    # Keep the exception's own headers (Allow on a 405, Retry-After…), not its content type.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _database_error(error: DBAPIError):
    current_app.logger.warning("database unavailable: %s", error.orig or error)
    try:
        db.session.rollback()
    except DBAPIError:  # the connection is gone: nothing to roll back
        pass
    # The page must not ask the database again: a logged-in reader's account would be loaded
    # (or reloaded, the rollback expired it) by the header, and this handler would fail in turn.
    g._login_user = login_manager.anonymous_user()
    response = make_response(error_response(503, "database_unavailable",
                                            _http_messages()[503]))
    response.headers["Retry-After"] = "5"
    return response


def _data_error(error: DataError):
    """The database refused a value the request carried (a number out of range, a byte it
    cannot store): the request was bad, not the server. Views validate first; this is the net
    under them."""
    db.session.rollback()
    return error_response(400, "invalid_value", _(
        "Une valeur de la requête est hors des limites acceptées (nombre trop grand, "
        "caractère interdit)."))


def init_error_handlers(app: Flask) -> None:
    app.register_error_handler(WikiError, _wiki_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_error)
    app.register_error_handler(DataError, _data_error)
