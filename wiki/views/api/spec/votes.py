"""Votes on a revision: set (idempotent) and withdraw."""

from __future__ import annotations

from wiki.views.api.spec.builders import (
    WRITE_ERRORS,
    answer,
    errors,
    json_body,
    nullable,
    obj,
    operation,
    path_param,
    ref,
)

TAG = {"name": "votes", "description": "« Plébisciter » or « rejeter » a revision."}

CHOICES = ["plebisciter", "rejeter"]

SCHEMAS = {
    "VoteAnswer": obj({"votes": ref("Tally"), "mine": nullable({"enum": CHOICES})},
                      description="The revision's tallies and your vote (null: none)."),
}

_REVISION_ID = path_param("revision_id", "A revision id.", 1)

PATHS = {
    "/api/v1/revisions/{revision_id}/vote": {
        "put": operation(
            "putVote", "Vote on a revision", tag="votes", auth=True,
            description="Idempotent: the same choice twice leaves it set; another choice "
                        "replaces it. To carry a vote forward, PUT it on the new head.",
            parameters=[_REVISION_ID],
            body=json_body(obj({"choice": {"enum": CHOICES},
                                "reason": {"type": "string", "maxLength": 500}},
                               required=["choice"]), {"choice": "plebisciter"}),
            responses={"200": answer("Tallies and your vote.", ref("VoteAnswer"), {
                "votes": {"plebisciter": 5, "rejeter": 1}, "mine": "plebisciter"}),
                **errors(*WRITE_ERRORS, 403, 404, 409, 422)}),
        "delete": operation(
            "deleteVote", "Withdraw your vote", tag="votes", auth=True,
            description="200 also when there was none.", parameters=[_REVISION_ID],
            responses={"200": answer("Tallies, and `mine: null`.", ref("VoteAnswer"), {
                "votes": {"plebisciter": 4, "rejeter": 1}, "mine": None}),
                **errors(*WRITE_ERRORS, 403, 404, 409)}),
    },
}
