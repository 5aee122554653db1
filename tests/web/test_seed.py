"""Revision 1 of « stratégie numérique » as DECISIONS.md states it."""

from wiki.services.editing import get_definition


def test_seed_revision_carries_the_source_licence_without_version(client, seed_revision):
    data = client.get(f"/api/v1/revisions/{seed_revision.id}").get_json()
    assert data["license"]["code"] == "CC-BY-NC-SA"
    assert data["license"]["version"] is None
    assert "creativecommons.org/licenses/by-nc-sa/4.0" in data["license"]["url"]
    assert data["summary"] == "Import de la définition collaborative publiée sous CC BY-NC-SA"


def test_seed_authors_are_external_without_accounts(client, seed_revision):
    data = client.get(f"/api/v1/revisions/{seed_revision.id}").get_json()
    assert data["attribution"]["contributors"] == [
        {"username": None, "display_name": "Annie Chénier"},
        {"username": None, "display_name": "Frédéric Vincent"},
    ]


def test_seed_body_keeps_the_source_order(seed_revision):
    body = seed_revision.body
    markers = ["« Une stratégie numérique est un processus", "## Pour qui ?",
               "### 1. Un processus", "### 2. S’adapter",
               "### 3. L’environnement interne et externe", "### 4. La nouvelle économie",
               "Remixez-la !"]
    positions = [body.index(marker) for marker in markers]
    assert positions == sorted(positions)
    assert "Pingback" not in body and "Post by" not in body
    assert "Creative Communs\n" not in body


def test_seed_description_holds_the_three_opening_paragraphs(app):
    definition = get_definition("strategie-numerique")
    paragraphs = [p for p in definition.description.split("\n\n") if p.strip()]
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("Dans le cadre de nos travaux")


def test_seed_source_is_a_literal_in_the_rdfa(client, seed_revision):
    html = client.get(f"/api/v1/revisions/{seed_revision.id}/attribution").get_json()["html"]
    assert ('<span property="dct:source">« Stratégie numérique; une définition '
            "collaborative », C-pour.ca</span>") in html
