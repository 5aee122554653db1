"""Exports: a revision on its own, with its attribution (Markdown and standalone HTML), and a
whole definition as its public JSON archive (the file ``flask import-definition`` restores).

A revision never changes, so its exports are cached forever (DECISIONS.md, caching); the
archive carries live tallies and comments, so it revalidates like a page.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from wiki.caching import mark_immutable
from wiki.domain import licensing
from wiki.extensions import db
from wiki.services import archive
from wiki.services.revisions import get_revision
from wiki.views.attribution import attribution_of

bp = Blueprint("exports", __name__)


@bp.get("/revisions/<int:revision_id>.md")
def revision_markdown(revision_id: int):
    revision = get_revision(db.session, revision_id)
    attribution = attribution_of(revision)
    lic = licensing.get_license(revision.license_code)
    footer = f"\n\n---\n\n{attribution.markdown}\n"
    if licensing.is_noncommercial(lic):
        footer += "\nPas d’utilisation commerciale (NonCommercial).\n"
    text = f"# {revision.definition.term}\n\n{revision.body.rstrip()}{footer}"
    response = Response(text, mimetype="text/markdown")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{revision.definition.slug}-revision-{revision.id}.md"')
    return mark_immutable(response)


@bp.get("/revisions/<int:revision_id>.html")
def revision_html(revision_id: int):
    revision = get_revision(db.session, revision_id)
    lic = licensing.get_license(revision.license_code)
    html = render_template("export_revision.html", revision=revision,
                           attribution=attribution_of(revision), lic=lic,
                           noncommercial=licensing.is_noncommercial(lic))
    return mark_immutable(Response(html, mimetype="text/html"))


@bp.get("/definitions/<slug>/archive.json")
def definition_archive(slug: str):
    data = archive.export_definition(slug)
    # ``exported_at`` would change the ETag at every request: the archive is dated by its
    # download instead, and equal contents give equal bytes.
    data.pop("exported_at")
    response = Response(archive.dumps(data), mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{archive.archive_filename(slug)}"')
    return response
