"""Votes on a revision."""

from __future__ import annotations

from flask import jsonify

from wiki.services import voting
from wiki.views.api import bp
from wiki.views.api.common import json_body, require_user


@bp.put("/revisions/<int:revision_id>/vote")
def put_vote(revision_id: int):
    user = require_user()
    data = json_body()
    return jsonify(voting.cast_vote(user.id, revision_id, data.get("choice"),
                                    data.get("reason")))


@bp.delete("/revisions/<int:revision_id>/vote")
def delete_vote(revision_id: int):
    user = require_user()
    return jsonify(voting.withdraw_vote(user.id, revision_id))
