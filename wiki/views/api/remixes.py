"""Remixes: fork, their line, propose / withdraw, merge preview, merge, decline."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from wiki.errors import InvalidInput
from wiki.extensions import db
from wiki.models import REMIX_STATUSES, Remix
from wiki.services import editing, remixing
from wiki.services.revisions import tallies
from wiki.views.api import bp
from wiki.views.api.common import json_body, page_params, paginate, require_user
from wiki.views.api.definitions import line_page, save_answer
from wiki.views.api.serializers import remix_json, revision_json


@bp.post("/definitions/<slug>/remixes")
def create_remix(slug: str):
    user = require_user()
    definition = editing.get_definition(slug)
    data = json_body()
    remix = remixing.fork(definition_id=definition.id,
                          from_revision_id=data.get("from_revision_id"),
                          title=data.get("title"), description=data.get("description"),
                          license_code=data.get("license"), owner=user)
    return jsonify(remix_json(remix)), 201


@bp.get("/definitions/<slug>/remixes")
def list_remixes(slug: str):
    definition = editing.get_definition(slug)
    status = request.args.get("status")
    position, limit = page_params()
    query = select(Remix).where(Remix.definition_id == definition.id)
    if status:
        if status not in REMIX_STATUSES:
            raise InvalidInput("status", _("Statut inconnu : %(s)s.", s=status),
                               details={"allowed": list(REMIX_STATUSES)})
        query = query.where(Remix.status == status)
    if position is not None:
        query = query.where(Remix.id < int(position))
    rows = list(db.session.scalars(query.order_by(Remix.id.desc()).limit(limit + 1)))
    rows, cursor = paginate(rows, limit, lambda r: r.id)
    return jsonify({"items": [remix_json(r) for r in rows], "next": cursor})


@bp.get("/remixes/<int:remix_id>")
def get_remix(remix_id: int):
    return jsonify(remix_json(remixing.get_remix(remix_id)))


@bp.get("/remixes/<int:remix_id>/revisions")
def remix_revisions(remix_id: int):
    remix = remixing.get_remix(remix_id)
    return line_page(remix.definition_id, remix.id)


@bp.post("/remixes/<int:remix_id>/revisions")
def save_remix_revision(remix_id: int):
    user = require_user()
    remix = remixing.get_remix(remix_id)
    data = json_body()
    result = editing.save_revision(
        definition_id=remix.definition_id, remix_id=remix.id, raw_body=data.get("body"),
        summary=data.get("summary"), base_revision_id=data.get("base_revision_id"),
        author=user)
    return save_answer(result)


@bp.post("/remixes/<int:remix_id>/propose")
def propose(remix_id: int):
    return jsonify(remix_json(remixing.propose(remixing.get_remix(remix_id).id,
                                               require_user())))


@bp.post("/remixes/<int:remix_id>/withdraw")
def withdraw(remix_id: int):
    return jsonify(remix_json(remixing.withdraw(remixing.get_remix(remix_id).id,
                                                require_user())))


@bp.post("/remixes/<int:remix_id>/decline")
def decline(remix_id: int):
    user = require_user()
    data = json_body()
    remix = remixing.get_remix(remix_id)
    return jsonify(remix_json(remixing.decline(remix.id, user, data.get("reason"))))


@bp.get("/remixes/<int:remix_id>/merge-preview")
def merge_preview(remix_id: int):
    return jsonify(remixing.merge_preview(remix_id, require_user()))


@bp.post("/remixes/<int:remix_id>/merge")
def merge(remix_id: int):
    user = require_user()
    data = json_body()
    revision = remixing.merge_remix(remix_id, user, data)
    return jsonify(revision_json(revision, tallies(db.session, [revision.id])[revision.id]))
