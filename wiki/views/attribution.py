"""The attribution of a revision (TASL), built from what the revision froze at save time."""

from __future__ import annotations

from flask import url_for

from wiki.domain import licensing
from wiki.models import Revision


def present_contributors(revision: Revision) -> list[dict]:
    return [entry for entry in revision.contributors if entry["present"]]


def earlier_contributors(revision: Revision) -> list[dict]:
    return gone_from_text(revision.contributors)


def gone_from_text(contributors: list[dict]) -> list[dict]:
    """Contributors (as a revision froze them) none of whose words are left in its text."""
    return [entry for entry in contributors if not entry["present"]]


def license_json(code: str) -> dict:
    lic = licensing.get_license(code)
    return {"code": lic.code, "name": lic.name, "url": lic.url, "version": lic.version,
            "noncommercial": licensing.is_noncommercial(lic)}


def attribution_of(revision: Revision, lang: str = "fr") -> licensing.Attribution:
    contributors = [
        licensing.Contributor(
            display_name=entry["display_name"], username=entry["username"],
            url=url_for("pages.user", username=entry["username"], _external=True)
            if entry["username"] else None)
        for entry in present_contributors(revision)
    ]
    parents = [(str(pid), url_for("pages.compare", **{"from": pid, "to": revision.id},
                                  _external=True))
               for pid in revision.parent_ids]
    return licensing.build_attribution(
        title=revision.attribution.get("title") or revision.definition.term,
        revision_url=url_for("pages.revision", revision_id=revision.id, _external=True),
        contributors=contributors,
        license=licensing.get_license(revision.license_code),
        source=revision.attribution.get("source"),
        parent_urls=parents,
        modified=bool(revision.parent_ids),
        lang=lang,
    )
