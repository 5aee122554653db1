"""Search: definitions and revisions whose text holds every word of a query."""

from __future__ import annotations

from wiki.views.api.spec.builders import (
    PAGE_PARAMS,
    READ_ERRORS,
    answer,
    errors,
    nullable,
    obj,
    operation,
    page_of,
    query_param,
    ref,
)
from wiki.views.api.spec.shared import ID, TIME

TAG = {"name": "search", "description": "Full-text search, accents and case ignored."}

SEARCH_HIT_EXAMPLE = {
    "definition": "strategie-numerique", "term": "stratégie numérique", "revision_id": 1,
    "remix_id": None, "current": True,
    "summary": "Import de la définition collaborative publiée sous CC BY-NC-SA",
    "created_at": "2026-11-25T09:30:00Z",
    "excerpt": "« Une <mark>stratégie</mark> numérique est un processus de "
               "<mark>transformation</mark> et de développement … »",
}

SCHEMAS = {
    "SearchHit": obj({
        "definition": {"type": "string", "description": "The definition's slug."},
        "term": {"type": "string", "description": "The term it defines."},
        "revision_id": ID,
        "remix_id": nullable({**ID, "description": "Null on the official line."}),
        "current": {"type": "boolean",
                    "description": "True when this revision is its definition's official "
                                   "head (a current text)."},
        "summary": {"type": "string"},
        "created_at": TIME,
        "excerpt": {"type": "string",
                    "description": "HTML: a passage of the text around the matched words, "
                                   "escaped, each matched word in `<mark>`; « … » where the "
                                   "text was cut."},
    }, description="A revision whose text (or its definition's term) holds every word of "
                   "the query."),
}

PATHS = {
    "/api/v1/search": {
        "get": operation(
            "search", "Search the definitions and their history", tag="search",
            description=(
                "Every word of `q` must be found; case and accents are ignored, and French "
                "word forms meet (« transformations » finds « transformation »). `q` is "
                "plain text: quotes, `*`, `AND`, `NEAR`, `-`, parentheses or `:` are not "
                "operators, and a query with no word left (empty, punctuation, only very "
                "common words) answers an empty list. By default the current texts (each "
                "definition's official head); `history=1` also searches older revisions "
                "and remixes. Newest revision first."),
            parameters=[
                query_param("q", "The words to find (plain text).", {"type": "string"},
                            example="stratégie numérique"),
                query_param("history", "1: also older revisions and remixes; 0 (default): "
                            "current texts only. Anything else answers 400 "
                            "`invalid_history`.",
                            {"type": "string", "enum": ["0", "1"], "default": "0"},
                            example="0"),
                *PAGE_PARAMS,
            ],
            responses={"200": answer("A page of matching revisions, newest first.",
                                     page_of(ref("SearchHit")),
                                     {"items": [SEARCH_HIT_EXAMPLE], "next": None}),
                       **errors(*READ_ERRORS)}),
    },
}
