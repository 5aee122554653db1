"""Accounts and API tokens."""

from __future__ import annotations

from wiki.views.api.spec.builders import (
    answer,
    errors,
    json_body,
    obj,
    operation,
    ref,
)
from wiki.views.api.spec.shared import TIME

TAG = {"name": "accounts", "description": "Registration and API tokens."}

SCHEMAS = {
    "User": obj({
        "username": {"type": "string"},
        "display_name": {"type": "string"},
        "role": {"enum": ["participant", "moderator", "admin"]},
        "created_at": TIME,
    }),
    "Credentials": obj({
        "username": {"type": "string", "minLength": 1, "maxLength": 40},
        "password": {"type": "string", "minLength": 1, "maxLength": 200},
    }),
}

PATHS = {
    "/api/v1/users": {
        "post": operation(
            "createUser", "Register", tag="accounts",
            description="Anyone, while registration is open (otherwise 403 "
                        "`registration_closed`). Then ask for a token.",
            body=json_body({
                "allOf": [ref("Credentials")], "type": "object",
                "properties": {"display_name": {"type": "string", "maxLength": 80}}},
                {"username": "camille", "password": "un-mot-de-passe-solide",
                 "display_name": "Camille"}),
            responses={"201": answer("The new account.", ref("User"), {
                "username": "camille", "display_name": "Camille", "role": "participant",
                "created_at": "2026-11-25T09:30:00Z"}),
                **errors(400, 401, 403, 413, 415, 422, 429)}),
    },
    "/api/v1/tokens": {
        "post": operation(
            "createToken", "Get an API token", tag="accounts",
            description="Send it as `Authorization: Bearer <token>`. It is shown once: only "
                        "its digest is stored. « Mon compte » lists and revokes tokens.",
            body=json_body({
                "allOf": [ref("Credentials")], "type": "object",
                "properties": {"name": {"type": "string", "maxLength": 80,
                                        "description": "A name to recognise it by."}}},
                {"username": "camille", "password": "un-mot-de-passe-solide",
                 "name": "mon script"}),
            responses={"201": answer("The token.", obj({"token": {"type": "string",
                                                                  "minLength": 32}}),
                                     {"token": "q3ZlS0dN8VxW1yYbR2m7a5kT0cE4hJ9uP6fLsBnQwXo"}),
                       **errors(400, 401, 413, 415, 429)}),
    },
    "/api/v1/tokens/current": {
        "delete": operation(
            "revokeToken", "Revoke the token of this request", tag="accounts", auth=True,
            description="From then on the token answers 401.",
            responses={"200": answer("Revoked.", obj({"revoked": {"const": True}}),
                                     {"revoked": True}),
                       **errors(400, 401, 413, 415)}),
    },
}
