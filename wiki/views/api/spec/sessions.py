"""Training sessions: dated phases, invitations, membership and the synthesis."""

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
    ref,
)
from wiki.views.api.spec.definitions import SLUG
from wiki.views.api.spec.revisions import PERSON_EXAMPLE
from wiki.views.api.spec.shared import ID, TIME

TAG = {"name": "sessions", "description": "Training sessions: a cohort proposes, then votes, "
                                          "then the moderators merge and present the "
                                          "synthesis. Phases follow the clock."}

PHASE_NAMES = ["propositions", "votes", "synthese"]
STATES = ["avant", *PHASE_NAMES, "cloturee"]
OUTCOMES = ["merged", "partly_merged", "declined", "open"]

PHASES_EXAMPLE = [
    {"name": "propositions", "starts_at": "2026-03-03T14:00:00Z",
     "ends_at": "2026-03-05T22:00:00Z"},
    {"name": "votes", "starts_at": "2026-03-06T14:00:00Z", "ends_at": "2026-03-07T22:00:00Z"},
    {"name": "synthese", "starts_at": "2026-03-08T14:00:00Z",
     "ends_at": "2026-03-08T22:00:00Z"},
]
SESSION_EXAMPLE = {
    "id": 1, "definition": "strategie-numerique", "name": "Cohorte automne 2026",
    "timezone": "America/Toronto", "phases": PHASES_EXAMPLE, "current_phase": "avant",
    "status_message": "La session n’a pas encore commencé. Les propositions ouvrent le "
                      "3 mars à 9 h.",
    "members_count": 0, "created_at": "2026-03-01T12:00:00Z",
    "url": "https://wiki.example/sessions/1",
}
INVITATION_EXAMPLE = {
    "code": "q1Wf2Zr0b6Yk3uTnA9xM4cPe", "url": "https://wiki.example/sessions/join/"
                                               "q1Wf2Zr0b6Yk3uTnA9xM4cPe",
    "session_id": 1, "expires_at": "2026-03-07T22:00:00Z", "revoked_at": None,
    "revoked": False, "state": "valid",
}
SYNTHESIS_EXAMPLE = {
    "session_id": 1, "start_revision_id": 1, "end_revision_id": 4, "final": True,
    "stats": {"inserted_words": 12, "deleted_words": 5},
    "proposals": [{"remix_id": 1, "title": "Une version plus courte", "owner": PERSON_EXAMPLE,
                   "status": "merged",
                   "votes": {"current": {"plebisciter": 4, "rejeter": 1},
                             "earlier": {"plebisciter": 1, "rejeter": 0}},
                   "outcome": "partly_merged", "decline_reason": None}],
    "contributors": [{"display_name": "Annie Chénier et Frédéric Vincent", "username": None,
                      "share": 0.8},
                     {"display_name": "Marie Modératrice", "username": "moderatrice",
                      "share": 0.2}],
}

_MOMENT = {**TIME, "description": "ISO 8601 with a UTC offset (`Z` or `-05:00`); a time "
                                  "without one answers 422."}

SCHEMAS = {
    "SessionPhase": obj({
        "name": {"enum": PHASE_NAMES},
        "starts_at": TIME,
        "ends_at": TIME,
    }),
    "TrainingSession": obj({
        "id": ID,
        "definition": {"type": "string", "description": "The definition's slug."},
        "name": {"type": "string"},
        "timezone": {"type": "string", "description": "IANA name; the pages and messages "
                                                      "give times in it."},
        "phases": array(ref("SessionPhase")),
        "current_phase": {"enum": STATES, "description": "From the clock; in a gap between "
                                                         "two phases, the phase that ended."},
        "status_message": {"type": "string", "description": "What participants can do now."},
        "members_count": {"type": "integer", "minimum": 0},
        "created_at": TIME,
        "url": {"type": "string", "description": "The session's page."},
    }, required=["id", "definition", "name", "timezone", "phases", "current_phase",
                 "members_count"]),
    "Invitation": obj({
        "code": {"type": "string"},
        "url": {"type": "string", "description": "The join link: it works after login or "
                                                 "registration."},
        "session_id": ID,
        "expires_at": TIME,
        "revoked_at": nullable(TIME),
        "revoked": {"type": "boolean"},
        "state": {"enum": ["valid", "expired", "revoked"]},
    }, required=["code", "url", "expires_at"]),
    "Synthesis": obj({
        "session_id": ID,
        "start_revision_id": {**ID, "description": "The official head at the later of the "
                                                   "session's creation and its first phase's "
                                                   "start."},
        "end_revision_id": {**ID, "description": "The official head when « synthese » ends; "
                                                 "the current head until then."},
        "final": {"type": "boolean", "description": "False until « synthese » ends."},
        "stats": ref("WordStats"),
        "proposals": array(obj({
            "remix_id": ID,
            "title": {"type": "string"},
            "owner": ref("Person"),
            "status": {"enum": ["draft", "proposed", "merged", "declined", "withdrawn"]},
            "votes": obj({"current": ref("Tally"), "earlier": ref("Tally")}),
            "outcome": {"enum": OUTCOMES, "description": "A withdrawn proposal counts as "
                                                         "declined; partly_merged: a merge "
                                                         "that left some regions out."},
            "decline_reason": nullable({"type": "string"}),
        }, required=["remix_id", "title", "owner", "votes", "outcome"])),
        "contributors": array(obj({
            "display_name": {"type": "string"},
            "username": nullable({"type": "string"}),
            "share": {"type": "number", "minimum": 0, "maximum": 1,
                      "description": "Share of the final text (code points)."},
        }, required=["display_name", "share"])),
    }, required=["start_revision_id", "end_revision_id", "stats", "proposals",
                 "contributors"]),
}

_SESSION_ID = path_param("session_id", "A training session id.", 1)
_CODE = {"name": "code", "in": "path", "required": True, "description": "An invitation code.",
         "schema": {"type": "string", "minLength": 1, "maxLength": 64},
         "example": INVITATION_EXAMPLE["code"]}

PATHS = {
    "/api/v1/definitions/{slug}/sessions": {
        "get": operation(
            "listSessions", "A definition's training sessions", tag="sessions",
            description="The latest created first.", parameters=[SLUG, *PAGE_PARAMS],
            responses={"200": answer("A page of sessions.", page_of(ref("TrainingSession")),
                                     {"items": [SESSION_EXAMPLE], "next": None}),
                       **errors(*READ_ERRORS, 404)}),
        "post": operation(
            "createSession", "Open a training session", tag="sessions", auth=True,
            description="Moderators. Each phase named once; `starts_at < ends_at ≤` the "
                        "next phase's `starts_at` (propositions, votes, synthese); times "
                        "with a UTC offset, possibly in the past. Reversed or overlapping "
                        "phases, a naive time, an unknown time zone, or dates overlapping "
                        "another session of the definition: 422.",
            parameters=[SLUG],
            body=json_body(obj({
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "timezone": {"type": "string", "maxLength": 64,
                             "description": "IANA name, default America/Toronto."},
                "phases": array(obj({"name": {"enum": PHASE_NAMES}, "starts_at": _MOMENT,
                                     "ends_at": _MOMENT}), minItems=3, maxItems=3),
            }, required=["name", "phases"]), {
                "name": "Cohorte automne 2026", "timezone": "America/Toronto",
                "phases": [{**p, "starts_at": p["starts_at"].replace("14:00:00Z",
                                                                      "09:00:00-05:00")}
                           for p in PHASES_EXAMPLE]}),
            responses={"201": answer("The new session.", ref("TrainingSession"),
                                     SESSION_EXAMPLE),
                       **errors(*WRITE_ERRORS, 403, 404, 422)}),
    },
    "/api/v1/sessions/{session_id}": {
        "get": operation(
            "getSession", "A training session", tag="sessions", parameters=[_SESSION_ID],
            responses={"200": answer("The session.", ref("TrainingSession"), SESSION_EXAMPLE),
                       **errors(*READ_ERRORS, 404)}),
    },
    "/api/v1/sessions/{session_id}/invitations": {
        "post": operation(
            "createInvitation", "Create an invitation link", tag="sessions", auth=True,
            description="Moderators. `expires_at` must be to come.",
            parameters=[_SESSION_ID],
            body=json_body(obj({"expires_at": _MOMENT}),
                           {"expires_at": "2026-03-07T17:00:00-05:00"}),
            responses={"201": answer("The invitation.", ref("Invitation"),
                                     INVITATION_EXAMPLE),
                       **errors(*WRITE_ERRORS, 403, 404, 422)}),
    },
    "/api/v1/invitations/{code}": {
        "delete": operation(
            "revokeInvitation", "Revoke an invitation", tag="sessions", auth=True,
            description="Moderators. Revoking twice is harmless.", parameters=[_CODE],
            responses={"200": answer("The revoked invitation.", ref("Invitation"),
                                     {**INVITATION_EXAMPLE, "revoked": True,
                                      "state": "revoked",
                                      "revoked_at": "2026-03-04T10:00:00Z"}),
                       **errors(*WRITE_ERRORS, 403, 404)}),
    },
    "/api/v1/sessions/join": {
        "post": operation(
            "joinSession", "Join a session with an invitation code", tag="sessions",
            auth=True,
            description="An expired, revoked or unknown code answers 422 "
                        "`invitation_invalid`. Joining twice is harmless.",
            body=json_body(obj({"code": {"type": "string", "minLength": 1}}),
                           {"code": INVITATION_EXAMPLE["code"]}),
            responses={"200": answer("The session joined.", ref("TrainingSession"),
                                     {**SESSION_EXAMPLE, "members_count": 1}),
                       **errors(*WRITE_ERRORS, 422)}),
    },
    "/api/v1/sessions/{session_id}/members": {
        "post": operation(
            "addSessionMember", "Add a member by username", tag="sessions", auth=True,
            description="Moderators. An unknown username answers 422.",
            parameters=[_SESSION_ID],
            body=json_body(obj({"username": {"type": "string", "minLength": 1,
                                             "maxLength": 40}}),
                           {"username": "participant"}),
            responses={"200": answer("The session.", ref("TrainingSession"),
                                     {**SESSION_EXAMPLE, "members_count": 1}),
                       **errors(*WRITE_ERRORS, 403, 404, 422)}),
    },
    "/api/v1/sessions/{session_id}/synthesis": {
        "get": operation(
            "getSynthesis", "The synthesis of a session", tag="sessions",
            description="The text at the start and at the end, the word diff between them, "
                        "each proposal with its votes and outcome, the contributors with "
                        "their share of the final text.",
            parameters=[_SESSION_ID],
            responses={"200": answer("The synthesis.", ref("Synthesis"), SYNTHESIS_EXAMPLE),
                       **errors(*READ_ERRORS, 404)}),
    },
}
