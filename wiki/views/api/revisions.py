"""Single revisions and compares."""

from __future__ import annotations

from flask import jsonify, request

from wiki.caching import mark_immutable
from wiki.domain import textdiff
from wiki.extensions import db
from wiki.services import comparing
from wiki.services.revisions import get_revision, tallies
from wiki.views.api import bp
from wiki.views.api.serializers import attribution_json, revision_json


@bp.get("/revisions/<int:revision_id>")
def get_revision_json(revision_id: int):
    revision = get_revision(db.session, revision_id)
    return jsonify(revision_json(revision, tallies(db.session, [revision.id])[revision.id]))


@bp.get("/revisions/<int:revision_id>/attribution")
def get_attribution(revision_id: int):
    return jsonify(attribution_json(get_revision(db.session, revision_id)))


@bp.get("/compare")
def compare():
    comparison = comparing.compare(request.args.get("from"), request.args.get("to"))
    response = jsonify({
        "from": comparison.old.id, "to": comparison.new.id,
        "ops": textdiff.diff_to_json(comparison.diff),
        "stats": {"inserted_words": comparison.stats.inserted_words,
                  "deleted_words": comparison.stats.deleted_words},
    })
    return mark_immutable(response)
