"""Comments on a revision: the thread, posting, hiding."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from wiki.extensions import db
from wiki.services import commenting
from wiki.services.revisions import get_revision
from wiki.views.api import bp
from wiki.views.api.common import json_body, page_params, paginate, require_user
from wiki.views.api.serializers import comment_json


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.get("/revisions/<int:revision_id>/comments")
def list_comments(revision_id: int):
    revision = get_revision(db.session, revision_id)
    position, limit = page_params()
    ids = [revision.id]
    earlier = request.args.get("include") == "earlier"
    if earlier:
        ids = commenting.earlier_revision_ids(revision) + ids
    roots = commenting.thread(ids)
    if position is not None:
        roots = [node for node in roots if node.comment.id > int(position)]
    page = roots[:limit + 1]
    page, cursor = paginate(page, limit, lambda node: node.comment.id)
    if earlier:
        for node in page:
            commenting.relocate(node, revision)
    viewer = _viewer()
    return jsonify({"items": [comment_json(node, viewer) for node in page], "next": cursor})


@bp.post("/revisions/<int:revision_id>/comments")
def post_comment(revision_id: int):
    user = require_user()
    data = json_body()
    comment = commenting.add_comment(revision_id=revision_id, author=user,
                                     body=data.get("body"), parent_id=data.get("parent_id"),
                                     anchor=data.get("anchor"))
    return jsonify(comment_json(commenting.ThreadNode(comment, []), user)), 201


@bp.post("/comments/<int:comment_id>/hide")
def hide_comment(comment_id: int):
    user = require_user()
    data = json_body()
    comment = commenting.set_hidden(comment_id, user, True, data.get("reason"))
    return jsonify(comment_json(commenting.ThreadNode(comment, []), user))


@bp.post("/comments/<int:comment_id>/unhide")
def unhide_comment(comment_id: int):
    user = require_user()
    comment = commenting.set_hidden(comment_id, user, False)
    return jsonify(comment_json(commenting.ThreadNode(comment, []), user))
