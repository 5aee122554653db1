"""Comments on a revision: the thread, posting (with an optional anchor), hiding."""

from __future__ import annotations

from wiki.views.api.spec.builders import (
    PAGE_PARAMS,
    READ_ERRORS,
    WRITE_ERRORS,
    answer,
    array,
    errors,
    json_body,
    nullable,
    obj,
    operation,
    page_of,
    path_param,
    query_param,
    ref,
)
from wiki.views.api.spec.revisions import PERSON_EXAMPLE
from wiki.views.api.spec.shared import ID, TIME

TAG = {"name": "comments", "description": "Threads on a revision."}

COMMENT_EXAMPLE = {
    "id": 1, "revision_id": 1, "parent_id": None, "author": PERSON_EXAMPLE,
    "body": "Pourquoi « nouvelle économie » ?", "html": "<p>Pourquoi « nouvelle économie » ?</p>",
    "anchor": {"quote": "nouvelle économie", "prefix": "amenés par la ", "suffix": ". »",
               "start": 170, "end": 187},
    "created_at": "2026-11-25T09:30:00Z", "hidden": False, "hidden_reason": None,
    "replies": [],
}

SCHEMAS = {
    "Anchor": obj({
        "quote": {"type": "string"}, "prefix": {"type": "string"},
        "suffix": {"type": "string"},
        "start": nullable({"type": "integer", "minimum": 0}),
        "end": nullable({"type": "integer", "minimum": 0}),
        "status": {"enum": ["found", "changed", "removed"],
                   "description": "With `include=earlier` only."},
        "current": nullable(obj({"quote": {"type": "string"},
                                 "start": {"type": "integer", "minimum": 0},
                                 "end": {"type": "integer", "minimum": 0}})),
    }, required=["quote", "prefix", "suffix"],
        description="Substrings of the revision's Markdown body; `start`/`end` are code-point "
                    "offsets, end exclusive."),
    "Comment": obj({
        "id": ID,
        "revision_id": ID,
        "parent_id": nullable(ID),
        "author": ref("Person"),
        "body": nullable({"type": "string", "description": "Null when hidden, except for "
                                                           "moderators and its author."}),
        "html": nullable({"type": "string"}),
        "anchor": nullable(ref("Anchor")),
        "created_at": TIME,
        "hidden": {"type": "boolean"},
        "hidden_reason": nullable({"type": "string"}),
        "replies": array(ref("Comment")),
    }, required=["id", "revision_id", "parent_id", "author", "body", "html", "anchor",
                 "created_at", "hidden", "replies"]),
}

_REVISION_ID = path_param("revision_id", "A revision id.", 1)
_COMMENT_ID = path_param("comment_id", "A comment id.", 1)

PATHS = {
    "/api/v1/revisions/{revision_id}/comments": {
        "get": operation(
            "listComments", "A revision's thread", tag="comments",
            description="Top-level comments, oldest first, each with its nested replies. "
                        "`include=earlier` adds the comments on the earlier revisions of the "
                        "same line, each anchor relocated on this revision.",
            parameters=[_REVISION_ID,
                        query_param("include", "`earlier`: also the line's earlier comments.",
                                    {"enum": ["earlier"]}),
                        *PAGE_PARAMS],
            responses={"200": answer("A page of top-level comments.", page_of(ref("Comment")),
                                     {"items": [COMMENT_EXAMPLE], "next": None}),
                       **errors(*READ_ERRORS, 404)}),
        "post": operation(
            "postComment", "Comment on a revision", tag="comments", auth=True,
            description="An anchor whose quote is not in the revision answers 422.",
            parameters=[_REVISION_ID],
            body=json_body(obj({
                "body": {"type": "string", "minLength": 1, "maxLength": 5000},
                "parent_id": nullable({**ID, "description": "Reply to this comment."}),
                "anchor": nullable(obj({"quote": {"type": "string", "minLength": 1},
                                        "prefix": {"type": "string"},
                                        "suffix": {"type": "string"}},
                                       required=["quote"])),
            }, required=["body"]), {"body": "Pourquoi « nouvelle économie » ?",
                                    "anchor": {"quote": "nouvelle économie",
                                               "prefix": "amenés par la ", "suffix": ". »"}}),
            responses={"201": answer("The comment.", ref("Comment"), COMMENT_EXAMPLE),
                       **errors(*WRITE_ERRORS, 403, 404, 422)}),
    },
    "/api/v1/comments/{comment_id}/hide": {
        "post": operation(
            "hideComment", "Hide a comment", tag="comments", auth=True,
            description="Moderators. Hides without deleting; written to the audit log.",
            parameters=[_COMMENT_ID],
            body=json_body(obj({"reason": {"type": "string", "maxLength": 500}},
                               required=[]), {"reason": "Propos injurieux."}, required=False),
            responses={"200": answer("The comment, hidden.", ref("Comment"), {
                **COMMENT_EXAMPLE, "hidden": True, "hidden_reason": "Propos injurieux."}),
                **errors(*WRITE_ERRORS, 403, 404, 422)}),
    },
    "/api/v1/comments/{comment_id}/unhide": {
        "post": operation(
            "unhideComment", "Show a hidden comment again", tag="comments", auth=True,
            description="Moderators; written to the audit log.", parameters=[_COMMENT_ID],
            responses={"200": answer("The comment, visible.", ref("Comment"), COMMENT_EXAMPLE),
                       **errors(*WRITE_ERRORS, 403, 404, 422)}),
    },
}
