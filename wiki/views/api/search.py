"""Search: ``GET /api/v1/search?q=&history=0|1`` (see ``wiki.services.search``)."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from wiki.services import search
from wiki.views.api import bp
from wiki.views.api.common import BadRequest, make_cursor, page_params
from wiki.views.api.serializers import iso

_TRUE = {"1", "true", "oui", "on", "yes"}
_FALSE = {"0", "false", "non", "off", "no", ""}


def history_flag(raw: str | None) -> bool:
    value = (raw or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadRequest(_("« history » vaut 0 (textes actuels) ou 1 (tout l’historique)."),
                     code="invalid_history", details={"field": "history"})


def hit_json(hit: search.Hit) -> dict:
    revision = hit.revision
    return {
        "definition": revision.definition.slug,
        "term": revision.definition.term,
        "revision_id": revision.id,
        "remix_id": revision.remix_id,
        "current": hit.current,
        "summary": revision.summary,
        "created_at": iso(revision.created_at),
        "excerpt": str(hit.excerpt),
    }


@bp.get("/search")
def search_revisions():
    """Current texts (official heads) by default, every revision with ``history=1``; newest
    first; ``excerpt`` is HTML: the text escaped, the matched words in ``<mark>``."""
    history = history_flag(request.args.get("history"))
    position, limit = page_params()
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)
                                 or position < 1):
        raise BadRequest(_("Curseur de pagination invalide."), code="invalid_cursor",
                         details={"field": "cursor"})
    results = search.search(request.args.get("q", ""), history=history, before=position,
                            limit=limit)
    cursor = make_cursor(results.next_before) if results.next_before else None
    return jsonify({"items": [hit_json(hit) for hit in results.hits], "next": cursor})
