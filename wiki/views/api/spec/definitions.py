"""Definitions and their official (canonical) line: list, create, read, history, save."""

from __future__ import annotations

from wiki.views.api.spec.builders import (
    PAGE_PARAMS,
    READ_ERRORS,
    WRITE_ERRORS,
    answer,
    errors,
    json_body,
    nullable,
    obj,
    operation,
    page_of,
    path_param,
    ref,
)
from wiki.views.api.spec.revisions import (
    LICENSE_EXAMPLE,
    REVISION_EXAMPLE,
    REVISION_SUMMARY_EXAMPLE,
)
from wiki.views.api.spec.shared import TIME

TAG = {"name": "definitions", "description": "Definitions and their official line."}

DEFINITION_EXAMPLE = {
    "slug": "strategie-numerique", "term": "stratégie numérique",
    "license": LICENSE_EXAMPLE, "head": REVISION_EXAMPLE, "created_at": "2026-11-25T09:00:00Z",
    "description": "Dans le cadre de nos travaux…",
}

SCHEMAS = {
    "Definition": obj({
        "slug": {"type": "string"},
        "term": {"type": "string"},
        "license": ref("License"),
        "head": nullable(ref("Revision")),
        "created_at": TIME,
        "description": nullable({"type": "string",
                                 "description": "« À propos », in Markdown."}),
    }, required=["slug", "term", "license", "head", "created_at"]),
    "SaveRevision": obj({
        "body": {"type": "string", "minLength": 1,
                 "description": "Markdown; over 200,000 UTF-8 bytes answers 413."},
        "summary": {"type": "string", "minLength": 1, "maxLength": 300},
        "base_revision_id": {"type": "integer", "minimum": 1,
                             "description": "The revision your text starts from."},
    }, description="Unknown fields are ignored."),
}

SLUG = path_param("slug", "A definition's slug.", "strategie-numerique", kind="string")

SAVE_RESPONSES = {
    "200": answer("The text equals the head's: no empty revision, the head is answered.",
                  ref("Revision"), {**REVISION_EXAMPLE, "merged": False}),
    "201": answer("Saved (`merged: true` when merged with a head saved meanwhile).",
                  ref("Revision"), {**REVISION_EXAMPLE, "merged": False}),
    "409": {"description": "`edit_conflict` (or another conflict).", "content": {
        "application/json": {
            "schema": {"oneOf": [ref("EditConflictError"), ref("OtherConflictError")]},
            "example": {"error": {
                "code": "edit_conflict",
                "message": "La définition a été modifiée pendant que vous écriviez, au même "
                           "endroit que vous.",
                "details": {"base": 1, "theirs": 2, "yours": "Mon texte…",
                            "conflicts": [{"base": "processus", "theirs": "chemin",
                                           "yours": "parcours"}]}}}}}},
}

SAVE_EXAMPLE = {"body": "« Une stratégie numérique est un processus de transformation… »",
                "summary": "Précise le public visé", "base_revision_id": 1}

PATHS = {
    "/api/v1/definitions": {
        "get": operation(
            "listDefinitions", "Every definition", tag="definitions", parameters=PAGE_PARAMS,
            description="Oldest first.",
            responses={"200": answer("A page of definitions.", page_of(ref("Definition")),
                                     {"items": [DEFINITION_EXAMPLE], "next": None}),
                       **errors(*READ_ERRORS)}),
        "post": operation(
            "createDefinition", "Create a definition", tag="definitions", auth=True,
            description="Moderators. `license` is a licence code (default CC-BY-NC-SA-4.0).",
            body=json_body(obj({
                "term": {"type": "string", "minLength": 1, "maxLength": 200},
                "body": {"type": "string", "minLength": 1},
                "summary": {"type": "string", "minLength": 1, "maxLength": 300},
                "license": {"type": "string", "examples": ["CC-BY-NC-SA-4.0"]},
            }, required=["term", "body", "summary"]), {
                "term": "intelligence collective", "body": "La capacité d’un groupe…",
                "summary": "Première version", "license": "CC-BY-NC-SA-4.0"}),
            responses={"201": answer("Created, with its first revision as head.",
                                     ref("Definition"), {
                                         **DEFINITION_EXAMPLE, "slug": "intelligence-collective",
                                         "term": "intelligence collective"}),
                       **errors(*WRITE_ERRORS, 403, 422)}),
    },
    "/api/v1/definitions/{slug}": {
        "get": operation(
            "getDefinition", "A definition with its head", tag="definitions",
            parameters=[SLUG],
            responses={"200": answer("The definition.", ref("Definition"),
                                     DEFINITION_EXAMPLE),
                       **errors(*READ_ERRORS, 404)}),
    },
    "/api/v1/definitions/{slug}/revisions": {
        "get": operation(
            "listRevisions", "The official line's history", tag="definitions",
            description="Newest first.", parameters=[SLUG, *PAGE_PARAMS],
            responses={"200": answer("A page of history rows.",
                                     page_of(ref("RevisionSummary")),
                                     {"items": [REVISION_SUMMARY_EXAMPLE], "next": None}),
                       **errors(*READ_ERRORS, 404)}),
        "post": operation(
            "saveRevision", "Save a revision on the official line", tag="definitions",
            auth=True,
            description="Moderators (any participant when open editing is on). When the head "
                        "moved since `base_revision_id`, a clean three-way merge is saved "
                        "(201, `merged: true`); otherwise 409 `edit_conflict`.",
            parameters=[SLUG], body=json_body(ref("SaveRevision"), SAVE_EXAMPLE),
            responses={**SAVE_RESPONSES, **errors(*WRITE_ERRORS, 403, 404, 422)}),
    },
}
