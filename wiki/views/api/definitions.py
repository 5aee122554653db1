"""Definitions, their official line, and saving a revision on it."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Definition, Revision
from wiki.services import editing
from wiki.services.revisions import tallies
from wiki.views.api import bp
from wiki.views.api.common import json_body, page_params, paginate, require_user
from wiki.views.api.serializers import definition_json, revision_json, revision_summary_json


def head_json(definition: Definition) -> dict | None:
    head = definition.head
    if head is None:
        return None
    return revision_json(head, tallies(db.session, [head.id])[head.id])


@bp.get("/definitions")
def list_definitions():
    position, limit = page_params()
    query = select(Definition).order_by(Definition.id)
    if position is not None:
        query = query.where(Definition.id > int(position))
    rows = list(db.session.scalars(query.limit(limit + 1)))
    rows, cursor = paginate(rows, limit, lambda d: d.id)
    return jsonify({"items": [definition_json(d, head_json(d)) for d in rows], "next": cursor})


@bp.post("/definitions")
def create_definition():
    user = require_user()
    data = json_body()
    definition = editing.create_definition(
        data.get("term"), data.get("body"), data.get("summary"), user,
        license_code=data.get("license") if isinstance(data.get("license"), str) else None)
    return jsonify(definition_json(definition, head_json(definition))), 201


@bp.get("/definitions/<slug>")
def get_definition(slug: str):
    definition = editing.get_definition(slug)
    return jsonify(definition_json(definition, head_json(definition)))


def line_page(definition_id: int, remix_id: int | None):
    """A line's revisions, newest first, keyset-paginated on the id."""
    position, limit = page_params()
    query = select(Revision).where(Revision.definition_id == definition_id,
                                   Revision.remix_id.is_(None) if remix_id is None
                                   else Revision.remix_id == remix_id)
    if position is not None:
        query = query.where(Revision.id < int(position))
    rows = list(db.session.scalars(query.order_by(Revision.id.desc()).limit(limit + 1)))
    rows, cursor = paginate(rows, limit, lambda r: r.id)
    votes = tallies(db.session, [r.id for r in rows])
    return jsonify({"items": [revision_summary_json(r, votes[r.id]) for r in rows],
                    "next": cursor})


@bp.get("/definitions/<slug>/revisions")
def list_revisions(slug: str):
    return line_page(editing.get_definition(slug).id, None)


def save_answer(result: editing.SaveResult):
    revision = result.revision
    payload = revision_json(revision, tallies(db.session, [revision.id])[revision.id],
                            merged=result.merged)
    return jsonify(payload), 201 if result.created else 200


@bp.post("/definitions/<slug>/revisions")
def save_revision(slug: str):
    user = require_user()
    definition = editing.get_definition(slug)
    data = json_body()
    result = editing.save_revision(
        definition_id=definition.id, remix_id=None, raw_body=data.get("body"),
        summary=data.get("summary"), base_revision_id=data.get("base_revision_id"),
        author=user)
    return save_answer(result)
