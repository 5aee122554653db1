"""JSON API v1 (see API.md): one module per resource, sharing the helpers of ``common``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from wiki.views.api.common import check_body  # noqa: E402

bp.before_request(check_body)

from wiki.views.api import (  # noqa: E402,F401  (register routes)
    accounts,
    comments,
    definitions,
    docs,
    remixes,
    revisions,
    search,
    sessions,
    votes,
)
