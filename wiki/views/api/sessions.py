"""Training sessions: create and list them, invitations, joining, members, the synthesis."""

from __future__ import annotations

from flask import jsonify, url_for
from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Invitation, TrainingSession
from wiki.services import editing
from wiki.services import sessions as training_sessions
from wiki.views.api import bp
from wiki.views.api.common import json_body, page_params, paginate, require_user
from wiki.views.api.serializers import iso, user_json


def session_json(training: TrainingSession) -> dict:
    return {
        "id": training.id,
        "definition": training.definition.slug,
        "name": training.name,
        "timezone": training.timezone,
        "phases": [{"name": p.name, "starts_at": iso(p.starts_at), "ends_at": iso(p.ends_at)}
                   for p in training.phases],
        "current_phase": training_sessions.current_phase(training),
        "status_message": training_sessions.status_message(training),
        "members_count": training_sessions.members_count(training),
        "created_at": iso(training.created_at),
        "url": url_for("sessions.show", session_id=training.id, _external=True),
    }


def invitation_json(invitation: Invitation) -> dict:
    return {
        "code": invitation.code,
        "url": url_for("sessions.join", code=invitation.code, _external=True),
        "session_id": invitation.session_id,
        "expires_at": iso(invitation.expires_at),
        "revoked_at": iso(invitation.revoked_at) if invitation.revoked_at else None,
        "revoked": invitation.revoked_at is not None,
        "state": training_sessions.invitation_state(invitation),
    }


@bp.post("/definitions/<slug>/sessions")
def create_session(slug: str):
    user = require_user()
    definition = editing.get_definition(slug)
    data = json_body()
    training = training_sessions.create_session(
        definition_id=definition.id, name=data.get("name"), phases=data.get("phases"),
        timezone=data.get("timezone"), user=user)
    return jsonify(session_json(training)), 201


@bp.get("/definitions/<slug>/sessions")
def list_sessions(slug: str):
    """The definition's sessions, the latest created first."""
    definition = editing.get_definition(slug)
    position, limit = page_params()
    query = select(TrainingSession).where(TrainingSession.definition_id == definition.id)
    if position is not None:
        query = query.where(TrainingSession.id < int(position))
    rows = list(db.session.scalars(query.order_by(TrainingSession.id.desc()).limit(limit + 1)))
    rows, cursor = paginate(rows, limit, lambda t: t.id)
    return jsonify({"items": [session_json(t) for t in rows], "next": cursor})


@bp.get("/sessions/<int:session_id>")
def get_session(session_id: int):
    return jsonify(session_json(training_sessions.get_session(session_id)))


@bp.post("/sessions/<int:session_id>/invitations")
def create_invitation(session_id: int):
    user = require_user()
    data = json_body()
    invitation = training_sessions.create_invitation(session_id, user, data.get("expires_at"))
    return jsonify(invitation_json(invitation)), 201


@bp.delete("/invitations/<code>")
def revoke_invitation(code: str):
    user = require_user()
    return jsonify(invitation_json(training_sessions.revoke_invitation(code, user)))


@bp.post("/sessions/join")
def join_session():
    user = require_user()
    data = json_body()
    return jsonify(session_json(training_sessions.join(data.get("code"), user)))


@bp.post("/sessions/<int:session_id>/members")
def add_member(session_id: int):
    user = require_user()
    data = json_body()
    training = training_sessions.add_member(session_id, user, data.get("username"))
    return jsonify(session_json(training))


def synthesis_json(training: TrainingSession) -> dict:
    report = training_sessions.synthesis(training)
    stats = report["comparison"].stats
    return {
        "session_id": training.id,
        "start_revision_id": report["start"].id,
        "end_revision_id": report["end"].id,
        "final": report["final"],
        "stats": {"inserted_words": stats.inserted_words, "deleted_words": stats.deleted_words},
        "proposals": [{
            "remix_id": row["remix"].id, "title": row["remix"].title,
            "owner": user_json(row["remix"].owner), "status": row["remix"].status,
            "votes": row["votes"], "outcome": row["outcome"],
            "decline_reason": row["remix"].decline_reason,
        } for row in report["proposals"]],
        "contributors": [{"display_name": c.display_name, "username": c.username,
                          "share": c.share} for c in report["contributors"]],
    }


@bp.get("/sessions/<int:session_id>/synthesis")
def synthesis(session_id: int):
    return jsonify(synthesis_json(training_sessions.get_session(session_id)))
