"""Remixes: fork, their own line, propose / withdraw, merge preview, merge, decline."""

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
from wiki.views.api.spec.definitions import SAVE_EXAMPLE, SAVE_RESPONSES, SLUG
from wiki.views.api.spec.revisions import (
    LICENSE_EXAMPLE,
    PERSON_EXAMPLE,
    REVISION_EXAMPLE,
    REVISION_SUMMARY_EXAMPLE,
)
from wiki.views.api.spec.shared import ID, TIME

TAG = {"name": "remixes", "description": "Forks of a definition, proposed back and merged "
                                         "by moderators."}

STATUSES = ["draft", "proposed", "merged", "declined", "withdrawn"]

REMIX_EXAMPLE = {
    "id": 1, "definition": "strategie-numerique", "title": "Une version plus courte",
    "description": "", "owner": PERSON_EXAMPLE, "forked_from_revision_id": 1,
    "head_revision_id": 3, "status": "proposed", "license": LICENSE_EXAMPLE,
    "session_id": None, "decline_reason": None, "created_at": "2026-11-25T09:30:00Z",
    "updated_at": "2026-11-25T10:00:00Z",
    "votes": {"current": {"plebisciter": 2, "rejeter": 0},
              "earlier": {"plebisciter": 1, "rejeter": 0}},
}
PREVIEW_EXAMPLE = {
    "base_revision_id": 1, "fingerprint": "3f1c…",
    "regions": [{"index": 0, "kind": "clean", "base": "processus", "ours": "processus",
                 "theirs": "chemin"}],
    "merged_text": "« Une stratégie numérique est un chemin de transformation… »",
}
MERGE_REVISION_EXAMPLE = {**REVISION_EXAMPLE, "id": 4, "parent_ids": [2, 3],
                          "summary": "Fusion du remix « Une version plus courte »",
                          "taken_regions": [0]}

SCHEMAS = {
    "Remix": obj({
        "id": ID,
        "definition": {"type": "string", "description": "The definition's slug."},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "owner": ref("Person"),
        "forked_from_revision_id": ID,
        "head_revision_id": ID,
        "status": {"enum": STATUSES},
        "license": ref("License"),
        "session_id": nullable(ID),
        "decline_reason": nullable({"type": "string"}),
        "created_at": TIME,
        "updated_at": TIME,
        "votes": obj({"current": ref("Tally"), "earlier": ref("Tally")},
                     description="Votes on its head, and votes on its earlier revisions "
                                 "not carried forward."),
    }, required=["id", "definition", "title", "owner", "forked_from_revision_id",
                 "head_revision_id", "status", "created_at"]),
    "MergePreview": obj({
        "base_revision_id": ID,
        "fingerprint": {"type": "string"},
        "regions": array(obj({
            "index": {"type": "integer", "minimum": 0},
            "kind": {"enum": ["clean", "conflict"]},
            "base": {"type": "string"}, "ours": {"type": "string"},
            "theirs": {"type": "string"}})),
        "merged_text": {"type": "string", "description": "Every clean region taken, "
                                                         "conflicts left."},
    }),
    "RegionsChangedError": {
        "allOf": [ref("Error")],
        "description": "409 `regions_changed`: a stale fingerprint; `details` is the fresh "
                       "preview.",
        "properties": {"error": {"properties": {"code": {"const": "regions_changed"},
                                                "details": ref("MergePreview")}}},
    },
    "MergeRequest": {
        "type": "object",
        "description": "One of three forms: `{}` takes every region (409 `merge_conflict` "
                       "when one conflicts); `{resolution}` the whole merged text; "
                       "`{fingerprint, regions}` per-region choices.",
        "properties": {
            "resolution": {"type": "string"},
            "fingerprint": {"type": "string"},
            "regions": {"type": "object", "additionalProperties": {"oneOf": [
                {"enum": ["take", "leave"]},
                obj({"text": {"type": "string"}})]},
                "propertyNames": {"pattern": "^[0-9]+$"}},
        },
    },
}

_REMIX_ID = path_param("remix_id", "A remix id.", 1)


def _status_change(operation_id: str, summary: str, description: str,
                   body: dict | None = None, status: str = "proposed") -> dict:
    return operation(
        operation_id, summary, tag="remixes", auth=True, description=description,
        parameters=[_REMIX_ID], body=body,
        responses={"200": answer("The remix with its new status.", ref("Remix"),
                                 {**REMIX_EXAMPLE, "status": status}),
                   **errors(*WRITE_ERRORS, 403, 404, 409, 422)})


PATHS = {
    "/api/v1/definitions/{slug}/remixes": {
        "get": operation(
            "listRemixes", "A definition's remixes", tag="remixes",
            description="Newest first; `status` filters.",
            parameters=[SLUG, query_param("status", "Only remixes with this status.",
                                          {"enum": STATUSES}), *PAGE_PARAMS],
            responses={"200": answer("A page of remixes.", page_of(ref("Remix")),
                                     {"items": [REMIX_EXAMPLE], "next": None}),
                       **errors(*READ_ERRORS, 404, 422)}),
        "post": operation(
            "createRemix", "Fork a revision into a remix", tag="remixes", auth=True,
            description="Any revision, also of another remix. A licence that breaks "
                        "ShareAlike answers 422 `license_incompatible`.",
            parameters=[SLUG],
            body=json_body(obj({
                "from_revision_id": ID,
                "title": {"type": "string", "minLength": 1, "maxLength": 200},
                "description": {"type": "string", "maxLength": 5000},
                "license": {"type": "string"},
            }, required=["from_revision_id", "title"]),
                {"from_revision_id": 1, "title": "Une version plus courte"}),
            responses={"201": answer("The new remix (a draft).", ref("Remix"),
                                     {**REMIX_EXAMPLE, "status": "draft",
                                      "head_revision_id": 1}),
                       **errors(*WRITE_ERRORS, 403, 404, 409, 422)}),
    },
    "/api/v1/remixes/{remix_id}": {
        "get": operation(
            "getRemix", "A remix", tag="remixes", parameters=[_REMIX_ID],
            responses={"200": answer("The remix.", ref("Remix"), REMIX_EXAMPLE),
                       **errors(*READ_ERRORS, 404)}),
    },
    "/api/v1/remixes/{remix_id}/revisions": {
        "get": operation(
            "listRemixRevisions", "A remix's line", tag="remixes",
            description="Newest first.", parameters=[_REMIX_ID, *PAGE_PARAMS],
            responses={"200": answer("A page of history rows.",
                                     page_of(ref("RevisionSummary")),
                                     {"items": [{**REVISION_SUMMARY_EXAMPLE, "remix_id": 1}],
                                      "next": None}),
                       **errors(*READ_ERRORS, 404)}),
        "post": operation(
            "saveRemixRevision", "Save a revision on a remix", tag="remixes", auth=True,
            description="Its owner. Same rules as on the official line (merge or 409 "
                        "`edit_conflict`).",
            parameters=[_REMIX_ID], body=json_body(ref("SaveRevision"), SAVE_EXAMPLE),
            responses={**SAVE_RESPONSES, **errors(*WRITE_ERRORS, 403, 404, 422)}),
    },
    "/api/v1/remixes/{remix_id}/propose": {
        "post": _status_change("proposeRemix", "Propose a remix for merging",
                               "Its owner."),
    },
    "/api/v1/remixes/{remix_id}/withdraw": {
        "post": _status_change("withdrawRemix", "Withdraw a proposal", "Its owner.",
                               status="withdrawn"),
    },
    "/api/v1/remixes/{remix_id}/decline": {
        "post": _status_change(
            "declineRemix", "Decline a proposal", "Moderators; `reason` is shown to its owner.",
            body=json_body(obj({"reason": {"type": "string", "maxLength": 2000}},
                               required=[]), {"reason": "Hors sujet."}, required=False),
            status="declined"),
    },
    "/api/v1/remixes/{remix_id}/merge-preview": {
        "get": operation(
            "mergePreview", "Preview a merge region by region", tag="remixes", auth=True,
            description="Moderators. Every region where the remix differs from the base.",
            parameters=[_REMIX_ID],
            responses={"200": answer("The preview.", ref("MergePreview"), PREVIEW_EXAMPLE),
                       **errors(*READ_ERRORS, 403, 404)}),
    },
    "/api/v1/remixes/{remix_id}/merge": {
        "post": operation(
            "mergeRemix", "Merge a proposed remix into the official line", tag="remixes",
            auth=True,
            description="Moderators. Saves a two-parent revision on the official line "
                        "(parents: official head, remix head). `resolution` with `regions`, "
                        "an unknown region or a conflict left without a choice: 422 "
                        "`invalid_regions`. A draft: 409 `not_proposed`.",
            parameters=[_REMIX_ID],
            body=json_body(ref("MergeRequest"), {}, required=False),
            responses={
                "200": answer("The merge revision.", ref("Revision"), MERGE_REVISION_EXAMPLE),
                "409": {"description": "`merge_conflict`, `regions_changed` or another "
                                       "conflict.", "content": {"application/json": {
                    "schema": {"oneOf": [ref("MergeConflictError"), ref("RegionsChangedError"),
                                         ref("OtherConflictError")]},
                    "example": {"error": {
                        "code": "merge_conflict",
                        "message": "Le remix et la version officielle ont modifié les mêmes "
                                   "passages : choisissez pour chacun.",
                        "details": {"base_revision_id": 1, "conflicts": [
                            {"base": "processus", "ours": "chemin",
                             "theirs": "parcours"}]}}}}}},
                **errors(*WRITE_ERRORS, 403, 404, 422)}),
    },
}
