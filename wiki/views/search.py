"""The search page, ``/search?q=`` (the header's search box sends here)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from wiki.services import search
from wiki.views.forms import row_id

bp = Blueprint("search", __name__)

PAGE_SIZE = 20


@bp.get("/search")
def search_page():
    """Current texts by default; ``historique=1`` also searches old revisions and remixes.
    ``avant`` continues after the previous page's last revision (keyset pagination)."""
    raw = request.args.get("q", "")
    history = request.args.get("historique", "") in ("1", "on", "oui", "true")
    before = request.args.get("avant", type=row_id)
    if before is not None and before < 1:
        before = None
    results = search.search(raw, history=history, before=before, limit=PAGE_SIZE)
    return render_template("search.html", results=results, search_query=raw[:1000],
                           history=history, continued=before is not None)
