"""Revision 1 of « stratégie numérique », from the data file shipped in the package."""

from __future__ import annotations

import tomllib
from importlib import resources

from sqlalchemy import select

from wiki.models import Definition
from wiki.services.db import transaction
from wiki.services.revisions import add_revision, clean_body, clean_summary, render


def load_seed() -> dict:
    data = resources.files("wiki") / "data" / "strategie-numerique.toml"
    return tomllib.loads(data.read_text(encoding="utf-8"))


def seed() -> bool:
    """Import the seed definition; ``False`` (and nothing written) when it is already there."""
    data = load_seed()
    cleaned = clean_body(data["texts"]["body"].strip() + "\n")
    description = data["texts"]["description"].strip() + "\n"
    description_html = render(description, "description")
    with transaction() as session:
        if session.scalar(select(Definition.id).where(Definition.slug == data["slug"])):
            return False
        definition = Definition(slug=data["slug"], term=data["term"], description=description,
                                description_html=description_html,
                                license_code=data["license"])
        session.add(definition)
        session.flush()
        revision = add_revision(
            session, definition=definition, cleaned=cleaned,
            summary=clean_summary(data["summary"]), author=None, parents=[],
            license_code=data["license"], externals=data["authors"], source=data["source"])
        definition.head_revision_id = revision.id
    return True
