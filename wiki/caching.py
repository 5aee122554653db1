"""HTTP caching: pages and live JSON revalidate with an ETag; immutable answers say so.

Anonymous pages carry no cookie and no CSRF token, so one ETag serves every anonymous reader;
logged-in pages are private to the browser.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

IMMUTABLE = "public, max-age=31536000, immutable"


def mark_immutable(response: Response) -> Response:
    response.headers["Cache-Control"] = IMMUTABLE
    return response


def _revalidate(response: Response) -> Response:
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
    if response.direct_passthrough or request.path.startswith("/static/"):
        return response
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    if "Cache-Control" not in response.headers:
        private = current_user.is_authenticated
        response.headers["Cache-Control"] = "private, no-cache" if private else "no-cache"
    if not response.get_etag()[0]:
        response.add_etag()
    return response.make_conditional(request)


def init_caching(app: Flask) -> None:
    from wiki.pagecache import init_page_cache

    app.after_request(_revalidate)
    # Anonymous answers of the read pages, kept while the database is unchanged.
    init_page_cache(app)
