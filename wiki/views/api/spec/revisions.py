"""Revisions: one revision, its attribution, and the word diff between two revisions."""

from __future__ import annotations

from wiki.views.api.spec.builders import (
    READ_ERRORS,
    answer,
    array,
    errors,
    nullable,
    obj,
    operation,
    path_param,
    query_param,
    ref,
)
from wiki.views.api.spec.shared import ID, TIME

TAG = {"name": "revisions", "description": "Revisions, attribution, compare."}

PERSON_EXAMPLE = {"username": "moderatrice", "display_name": "Marie Modératrice"}
LICENSE_EXAMPLE = {
    "code": "CC-BY-NC-SA-4.0",
    "name": "Creative Commons Attribution – Pas d'Utilisation Commerciale – Partage dans les "
            "Mêmes Conditions 4.0 International",
    "url": "https://creativecommons.org/licenses/by-nc-sa/4.0/", "version": "4.0",
    "noncommercial": True,
}
ATTRIBUTION_EXAMPLE = {
    "text": "« stratégie numérique », par Marie Modératrice, sous licence CC BY-NC-SA 4.0. "
            "Modifié à partir de : 1.",
    "html": "<p class=\"attribution\">« <span property=\"dct:title\">stratégie numérique"
            "</span> », par …</p>",
    "markdown": "« stratégie numérique », par [Marie Modératrice](https://wiki.example.org/"
                "users/moderatrice), sous licence [CC BY-NC-SA 4.0](https://creativecommons."
                "org/licenses/by-nc-sa/4.0/).",
    "contributors": [PERSON_EXAMPLE],
}
REVISION_EXAMPLE = {
    "id": 2, "definition": "strategie-numerique", "remix_id": None, "parent_ids": [1],
    "author": PERSON_EXAMPLE, "summary": "Précise le public visé",
    "body": "« Une stratégie numérique est un processus de transformation… »",
    "html": "<p>« Une stratégie numérique est un processus de transformation… »</p>",
    "created_at": "2026-11-25T09:30:00Z", "word_count": 9,
    "stats": {"inserted_words": 3, "deleted_words": 1},
    "license": LICENSE_EXAMPLE, "attribution": ATTRIBUTION_EXAMPLE,
    "votes": {"plebisciter": 4, "rejeter": 1},
}
REVISION_SUMMARY_EXAMPLE = {key: REVISION_EXAMPLE[key] for key in (
    "id", "definition", "remix_id", "parent_ids", "author", "summary", "created_at",
    "word_count", "stats", "license", "votes")}

_REVISION_FIELDS = {
    "id": ID,
    "definition": {"type": "string", "description": "The definition's slug."},
    "remix_id": nullable({**ID, "description": "Null on the official (canonical) line."}),
    "parent_ids": array(ID, description="One parent, two for a merge, none for the first."),
    "author": ref("Person"),
    "summary": {"type": "string"},
    "created_at": TIME,
    "word_count": {"type": "integer", "minimum": 0},
    "stats": ref("WordStats"),
    "license": ref("License"),
    "votes": ref("Tally"),
}

SCHEMAS = {
    "Revision": obj({
        **_REVISION_FIELDS,
        "body": {"type": "string", "description": "Markdown."},
        "html": {"type": "string", "description": "The body rendered and sanitised."},
        "attribution": obj({
            "text": {"type": "string"}, "html": {"type": "string"},
            "markdown": {"type": "string"}, "contributors": array(ref("Person")),
        }),
        "merged": {"type": "boolean", "description": "On a save: true when the text was "
                                                    "three-way merged with a newer head."},
        "taken_regions": array({"type": "integer", "minimum": 0},
                               description="On a merge revision: the regions taken from "
                                           "the remix."),
    }, required=[*_REVISION_FIELDS, "body", "html", "attribution"]),
    "RevisionSummary": obj(_REVISION_FIELDS,
                           description="A history row: a revision without body, html "
                                       "and attribution (fetch the revision for those)."),
    "Attribution": obj({
        "text": {"type": "string"}, "html": {"type": "string"}, "markdown": {"type": "string"},
        "contributors": array(ref("Person")), "license": ref("License"),
    }, description="Title, author, source and licence (TASL) of a revision."),
    "Comparison": obj({
        "from": ID, "to": ID,
        "ops": array(obj({"op": {"enum": ["equal", "insert", "delete"]},
                          "text": {"type": "string"}})),
        "stats": ref("WordStats"),
    }, description="Joining the `equal` and `delete` texts gives `from`'s body, `equal` and "
                   "`insert` gives `to`'s."),
}

_REVISION_ID = path_param("revision_id", "A revision id.", 1)

PATHS = {
    "/api/v1/revisions/{revision_id}": {
        "get": operation(
            "getRevision", "A revision", tag="revisions", parameters=[_REVISION_ID],
            description="Carries live vote counts: `Cache-Control: no-cache` with an ETag "
                        "(304 on `If-None-Match`).",
            responses={"200": answer("The revision.", ref("Revision"), REVISION_EXAMPLE),
                       **errors(*READ_ERRORS, 404)}),
    },
    "/api/v1/revisions/{revision_id}/attribution": {
        "get": operation(
            "getAttribution", "How to credit a revision", tag="revisions",
            parameters=[_REVISION_ID],
            responses={"200": answer("Its attribution.", ref("Attribution"),
                                     {**ATTRIBUTION_EXAMPLE, "license": LICENSE_EXAMPLE}),
                       **errors(*READ_ERRORS, 404)}),
    },
    "/api/v1/compare": {
        "get": operation(
            "compare", "Word diff between two revisions", tag="revisions",
            description="Any two revisions of one definition, also across remixes and "
                        "backwards. Immutable: cached for a year.",
            parameters=[
                query_param("from", "The older side.", {"type": "integer", "minimum": 1},
                            required=True, example=1),
                query_param("to", "The newer side.", {"type": "integer", "minimum": 1},
                            required=True, example=1),
            ],
            responses={"200": answer("The diff.", ref("Comparison"), {
                "from": 1, "to": 2,
                "ops": [{"op": "equal", "text": "Une stratégie numérique est un "},
                        {"op": "delete", "text": "processus"},
                        {"op": "insert", "text": "chemin"}],
                "stats": {"inserted_words": 1, "deleted_words": 1}}),
                **errors(*READ_ERRORS, 404, 422)}),
    },
}
