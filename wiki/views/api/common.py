"""Request parsing and pagination shared by every API module.

Bad input answers the JSON error of API.md, never a 500. Before every API view
(``check_body``, whether or not the view reads the body), a write that sends a body must send
JSON (else 415), a JSON object (else 400 ``invalid_json``: malformed, NaN, nested too deep, an
array, a key named twice…) in UTF-8 (else 400 ``invalid_text``). ``limit`` outside 1–100 or not
a number → 400 ``invalid_limit``; a cursor that was tampered with or comes from another list → 400
``invalid_cursor``. Unknown query parameters and unknown body fields are ignored.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from wiki.errors import InvalidText, NotAuthenticated, WikiError
from wiki.models import User

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_LIMIT = re.compile(r"[0-9]{1,6}")


class BadRequest(WikiError):
    status = 400
    code = "bad_request"


class UnsupportedMediaType(WikiError):
    status = 415
    code = "unsupported_media_type"


def _has_body() -> bool:
    return bool(request.content_length) or \
        "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def check_body() -> None:
    """Before every API view: a write that sends a body sends a JSON object (form data → 415),
    whether or not the view reads it, so that every operation answers bad input alike."""
    if request.method in _WRITE_METHODS and _has_body():
        g.api_json_body = _parse_body()


def _refuse_constant(name: str) -> None:
    raise ValueError(name)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object that names a key twice is ambiguous (which ``body`` counts?): refused."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return data


def _parse_body() -> dict[str, Any]:
    if not request.is_json:
        raise UnsupportedMediaType(_("Envoyez le corps en JSON (Content-Type: "
                                     "application/json)."))
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidText(_("Le corps de la requête n’est pas de l’UTF-8 valide."),
                          code="invalid_text") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant,
                          object_pairs_hook=_object_without_duplicates)
    except _DuplicateKey as error:
        raise BadRequest(_("Le corps de la requête nomme deux fois la clé « %(key)s ».",
                           key=error.key[:100]), code="invalid_json",
                         details={"field": error.key[:100]}) from None
    except (ValueError, RecursionError):
        raise BadRequest(_("Le corps de la requête n’est pas du JSON valide."),
                         code="invalid_json") from None
    if not isinstance(data, dict):
        raise BadRequest(_("Le corps de la requête doit être un objet JSON."),
                         code="invalid_json")
    return data


def json_body() -> dict[str, Any]:
    """The request's JSON object (``{}`` when no body was sent); see the module docstring."""
    if "api_json_body" not in g:
        g.api_json_body = _parse_body() if _has_body() else {}
    return g.api_json_body


def require_user() -> User:
    if not current_user.is_authenticated:
        raise NotAuthenticated(_("Connexion requise : envoyez un jeton "
                                 "(Authorization: Bearer …)."))
    return current_user._get_current_object()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-cursor")


def _invalid_cursor() -> BadRequest:
    return BadRequest(_("Curseur de pagination invalide : reprenez la liste depuis le début."),
                      code="invalid_cursor", details={"field": "cursor"})


def page_params() -> tuple[Any, int]:
    """``(cursor position or None, limit)`` from ``?cursor=&limit=``; 400 on anything odd.

    A cursor is signed and names the list it belongs to: a cursor of another list, or one
    that was changed, answers 400 like a forged one.
    """
    raw_limit = request.args.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        if not _LIMIT.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise BadRequest(_("« limit » doit être un entier entre 1 et %(n)d.", n=MAX_LIMIT),
                             code="invalid_limit", details={"field": "limit"})
        limit = int(raw_limit)
    raw_cursor = request.args.get("cursor")
    if not raw_cursor:  # absent, or ``?cursor=`` from a client that sent an empty ``next``
        return None, limit
    try:
        payload = _serializer().loads(raw_cursor)
    except BadSignature:
        raise _invalid_cursor() from None
    if not isinstance(payload, list) or len(payload) != 2 or payload[0] != request.endpoint:
        raise _invalid_cursor()
    return payload[1], limit


def make_cursor(position: Any) -> str:
    return _serializer().dumps([request.endpoint, position])


def paginate(rows: list, limit: int, position_of) -> tuple[list, str | None]:
    """Rows were fetched with ``limit + 1``: the extra one tells whether a next page exists."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, make_cursor(position_of(rows[-1]))
    return rows, None
