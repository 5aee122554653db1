"""Components every resource uses: the error object and its two 409 shapes, people, licences,
vote tallies, the list envelope; the shared error responses and pagination parameters."""

from __future__ import annotations

from wiki.views.api.spec.builders import JSON, array, nullable, obj, ref

TIME = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC",
        "examples": ["2026-11-25T09:30:00Z"]}
ID = {"type": "integer", "minimum": 1}

_CONFLICT_CODES = ["edit_conflict", "merge_conflict", "regions_changed"]

SCHEMAS = {
    "Error": obj({
        "error": obj({
            "code": {"type": "string", "pattern": "^[a-z0-9]+(?:_[a-z0-9]+)*$",
                     "description": "Stable snake_case code, e.g. `not_found`, "
                                    "`invalid_json`, `invalid_field`."},
            "message": {"type": "string", "minLength": 1,
                        "description": "A human sentence, French or English by "
                                       "Accept-Language."},
            "details": {"type": "object",
                        "description": "Machine-readable context; `field` names the "
                                       "offending field of a 422."},
        }),
    }, description="Every error under /api/ (4xx and 5xx) has this shape."),
    "OtherConflictError": {
        "allOf": [ref("Error")],
        "description": "A 409 other than the two conflict shapes (e.g. `not_proposed`).",
        "properties": {"error": {"properties": {"code": {"not": {"enum": _CONFLICT_CODES}}}}},
    },
    "EditConflictError": {
        "allOf": [ref("Error")],
        "description": "409 `edit_conflict`: the head moved since `base` and the three-way "
                       "merge of your text with it does not apply cleanly. Sides are named "
                       "from the writer's point of view.",
        "properties": {"error": {"properties": {
            "code": {"const": "edit_conflict"},
            "details": obj({
                "base": {**ID, "description": "The revision you started from."},
                "theirs": {**ID, "description": "The head saved meanwhile."},
                "yours": {"type": "string", "description": "The text you sent, byte for byte."},
                "conflicts": array(obj({
                    "base": {"type": "string"}, "theirs": {"type": "string"},
                    "yours": {"type": "string"}}), minItems=1),
            }),
        }}},
    },
    "MergeConflictError": {
        "allOf": [ref("Error")],
        "description": "409 `merge_conflict`: the remix and the official line changed the "
                       "same passages. `ours` is the official line's text of a region, "
                       "`theirs` the remix's. The head is unchanged until a `resolution` "
                       "(or per-region choices) is sent.",
        "properties": {"error": {"properties": {
            "code": {"const": "merge_conflict"},
            "details": obj({
                "base_revision_id": {**ID, "description": "Lowest common ancestor."},
                "conflicts": array(obj({
                    "base": {"type": "string"}, "ours": {"type": "string"},
                    "theirs": {"type": "string"}}), minItems=1),
            }),
        }}},
    },
    "Person": obj({
        "username": nullable({"type": "string"}),
        "display_name": {"type": "string"},
    }, description="An author. `username` is null for external authors (the seed's)."),
    "License": obj({
        "code": {"type": "string", "description": "SPDX identifier where one exists.",
                 "examples": ["CC-BY-NC-SA-4.0"]},
        "name": {"type": "string"},
        "url": {"type": "string", "format": "uri",
                "description": "The deed on creativecommons.org."},
        "version": nullable({"type": "string"}),
        "noncommercial": {"type": "boolean"},
    }, required=["code", "name", "url", "version"]),
    "Tally": obj({
        "plebisciter": {"type": "integer", "minimum": 0},
        "rejeter": {"type": "integer", "minimum": 0},
    }, description="Vote counts on one revision."),
    "WordStats": obj({
        "inserted_words": {"type": "integer", "minimum": 0},
        "deleted_words": {"type": "integer", "minimum": 0},
    }),
    "Page": obj({
        "items": array({}),
        "next": nullable({"type": "string", "description": "Opaque cursor of the next page, "
                                                           "null on the last one."}),
    }, description="Every list: `{items, next}`; pass `next` back as `?cursor=`."),
}


def _error_response(description: str, example_code: str, message: str,
                    details: dict | None = None) -> dict:
    return {"description": description, "content": {JSON: {
        "schema": ref("Error"),
        "example": {"error": {"code": example_code, "message": message,
                              "details": details or {}}}}}}


RESPONSES = {
    "BadRequest": _error_response(
        "Malformed request: invalid JSON (`invalid_json`), a body that is not an object, "
        "a bad `limit` or `cursor`, invalid UTF-8 or control characters (`invalid_text`).",
        "invalid_json", "Le corps de la requête n’est pas du JSON valide."),
    "Unauthorized": _error_response(
        "No credentials, or a token that is unknown or revoked (`invalid_token`).",
        "unauthorized", "Connexion requise : envoyez un jeton (Authorization: Bearer …)."),
    "Forbidden": _error_response("Not allowed for your role.", "forbidden",
                                 "Vous n’avez pas la permission de faire cela."),
    "NotFound": _error_response("No such resource.", "not_found",
                                "La révision 999 n’existe pas."),
    "Conflict": {"description": "Conflict with the current state.", "content": {JSON: {
        "schema": ref("OtherConflictError"),
        "example": {"error": {"code": "not_proposed",
                              "message": "Seul un remix proposé peut être fusionné.",
                              "details": {"status": "draft"}}}}}},
    "TooLarge": _error_response("The request or a revision body is too large.", "too_large",
                                "Requête trop volumineuse."),
    "UnsupportedMediaType": _error_response(
        "A body that is not `application/json`.", "unsupported_media_type",
        "Envoyez le corps en JSON (Content-Type: application/json)."),
    "InvalidField": _error_response(
        "A field breaks a rule (empty, too long, unknown value); `details.field` names it.",
        "invalid_field", "Le résumé dépasse 300 caractères.", {"field": "summary"}),
    "RateLimited": {**_error_response("Too many requests.", "rate_limited",
                                      "Trop de requêtes : réessayez dans un moment."),
                    "headers": {"Retry-After": {"description": "Seconds to wait.",
                                                "schema": {"type": "integer"}}}},
}

PARAMETERS = {
    "cursor": {"name": "cursor", "in": "query", "required": False,
               "description": "The `next` of the previous page (opaque; a tampered cursor "
                              "answers 400 `invalid_cursor`).",
               "schema": {"type": "string"}},
    "limit": {"name": "limit", "in": "query", "required": False,
              "description": "Items per page, 1 to 100 (default 20); anything else answers "
                             "400 `invalid_limit`.",
              "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
              "example": 20},
}
