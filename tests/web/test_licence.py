"""CC BY-NC-SA on every revision: licence block with RDFa, attribution, authorship, exports."""

from html.parser import HTMLParser


class RdfaCollector(HTMLParser):
    """Collects rel/property/href of the page's elements (ccREL)."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[dict] = []
        self._open: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        entry = {"tag": tag, **attributes, "text": ""}
        self.items.append(entry)
        self._open.append(entry)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for entry in self._open:
            entry["text"] += data


def rdfa(page: str) -> RdfaCollector:
    collector = RdfaCollector()
    collector.feed(page)
    return collector


def test_revision_page_carries_machine_readable_licence_and_attribution(client, moderator,
                                                                        save):
    revision = save(moderator, "Un texte modifié par la modératrice.").revision
    page = client.get(f"/revisions/{revision.id}").get_data(as_text=True)
    items = rdfa(page).items
    licences = [i for i in items if i.get("rel") == "license"]
    assert any(i["href"] == "https://creativecommons.org/licenses/by-nc-sa/4.0/"
               for i in licences)
    titles = [i["text"] for i in items if i.get("property") == "dct:title"]
    assert "stratégie numérique" in titles
    attribution_urls = [i["href"] for i in items if i.get("rel") == "cc:attributionURL"]
    assert f"http://wiki.test/revisions/{revision.id}" in attribution_urls
    names = " ".join(i["text"] for i in items if i.get("property") == "cc:attributionName")
    assert "Marie Modératrice" in names
    assert "Modifié à partir de la révision" in page
    assert f"/compare?from={revision.parent_ids[0]}&amp;to={revision.id}" in page


def test_seed_revision_credits_the_original_authors_and_source(client, seed_revision):
    page = client.get(f"/revisions/{seed_revision.id}").get_data(as_text=True)
    assert "Annie Chénier" in page and "Frédéric Vincent" in page
    assert "C-pour.ca" in page
    assert "la source ne précise pas de version" in page


def test_contributors_are_those_whose_words_remain(client, moderator, create_user, save,
                                                   seed_revision):
    other = create_user("autrice", role="moderator", display_name="Autrice Passagère")
    added = save(other, seed_revision.body + "\nPhrase passagère ajoutée.\n").revision
    removed = save(moderator, seed_revision.body).revision
    data = client.get(f"/api/v1/revisions/{added.id}/attribution").get_json()
    assert "Autrice Passagère" in [c["display_name"] for c in data["contributors"]]
    after = client.get(f"/api/v1/revisions/{removed.id}/attribution").get_json()
    assert "Autrice Passagère" not in [c["display_name"] for c in after["contributors"]]
    assert "Autrice Passagère" not in after["text"]
    page = client.get(f"/revisions/{removed.id}/auteurs").get_data(as_text=True)
    assert "Contributeurs antérieurs" in page and "Autrice Passagère" in page
    history = client.get("/definitions/strategie-numerique/history").get_data(as_text=True)
    credits = history.split('id="credits"', 1)[1]
    assert "Autrice Passagère" in credits
    assert "Annie Chénier" not in credits  # her words are still in the text


def test_history_says_when_nobody_is_an_earlier_contributor(client, seed_revision):
    history = client.get("/definitions/strategie-numerique/history").get_data(as_text=True)
    assert "Aucun : chaque contributeur a encore des mots dans le texte actuel." in history


def test_the_definition_archive_downloads_as_json_with_its_licence(client, moderator, save):
    save(moderator, "Une stratégie numérique, revue.\n")
    response = client.get("/definitions/strategie-numerique/archive.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert 'attachment; filename="strategie-numerique-archive.json"' == \
        response.headers["Content-Disposition"]
    data = response.get_json()
    assert [r["id"] for r in data["revisions"]] == [1, 2]
    assert [r["license"]["code"] for r in data["revisions"]] == ["CC-BY-NC-SA",
                                                                 "CC-BY-NC-SA-4.0"]
    assert "Pas d’utilisation commerciale (NonCommercial)." in data["notice"]
    # Live tallies: it revalidates, and an unchanged archive answers 304.
    assert response.headers["Cache-Control"] == "no-cache"
    again = client.get("/definitions/strategie-numerique/archive.json",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/definitions/inconnue/archive.json").status_code == 404


def test_attribution_operation_answers_text_html_markdown_and_licence(client, seed_revision):
    data = client.get(f"/api/v1/revisions/{seed_revision.id}/attribution").get_json()
    assert set(data) >= {"text", "html", "markdown", "contributors", "license"}
    assert 'xmlns:cc="http://creativecommons.org/ns#"' in data["html"]
    assert "Annie Chénier" in data["markdown"]
    assert data["license"]["code"] == "CC-BY-NC-SA"


def test_who_wrote_what_colours_the_text_by_author(client, moderator, save, seed_revision):
    revision = save(moderator, seed_revision.body + "\nAjout de la modératrice.\n").revision
    page = client.get(f"/revisions/{revision.id}/auteurs").get_data(as_text=True)
    assert "Marie Modératrice" in page and "Annie Chénier et Frédéric Vincent" in page
    assert f"révision {revision.id}" in page


def test_revision_markdown_export_has_an_attribution_footer(client, seed_revision):
    response = client.get(f"/revisions/{seed_revision.id}.md")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/markdown"
    assert text.startswith("# stratégie numérique")
    assert "Annie Chénier" in text.split("---")[-1]
    assert "Pas d’utilisation commerciale" in text
    assert "immutable" in response.headers["Cache-Control"]


def test_revision_html_export_is_standalone_with_rdfa(client, seed_revision):
    page = client.get(f"/revisions/{seed_revision.id}.html").get_data(as_text=True)
    assert 'rel="license"' in page and "Pas d’utilisation commerciale" in page
    assert "<h2>Pour qui" in page


def test_every_api_answer_with_text_names_the_licence(client, seed_revision):
    revision = client.get(f"/api/v1/revisions/{seed_revision.id}").get_json()
    definition = client.get("/api/v1/definitions/strategie-numerique").get_json()
    for licence in (revision["license"], definition["license"], definition["head"]["license"]):
        assert licence["code"].startswith("CC-BY-NC-SA") and licence["noncommercial"]


def test_fork_form_offers_only_share_alike_compatible_licences(client, auth, participant,
                                                               seed_revision):
    auth.login("participant")
    page = client.get(f"/revisions/{seed_revision.id}/remix").get_data(as_text=True)
    assert 'value="CC-BY-NC-SA-4.0"' in page
    assert 'value="CC-BY-4.0"' not in page
    refused = client.post(f"/revisions/{seed_revision.id}/remix",
                          data={"title": "Remix libre", "license": "CC-BY-4.0"})
    assert refused.status_code == 422
    assert "Remix libre" in refused.get_data(as_text=True)


def test_moderator_creates_a_definition_with_a_licence_from_the_registry(client, auth,
                                                                         moderator):
    auth.login("moderatrice")
    response = client.post("/definitions/new", data={
        "term": "Intelligence collective", "body": "Une définition.", "summary": "Début",
        "license": "CC-BY-SA-4.0"})
    assert response.status_code == 302
    data = client.get("/api/v1/definitions/intelligence-collective").get_json()
    assert data["license"]["code"] == "CC-BY-SA-4.0"
    assert data["head"]["license"]["code"] == "CC-BY-SA-4.0"


def test_participants_cannot_create_definitions(client, auth, participant):
    auth.login("participant")
    assert client.get("/definitions/new").status_code == 403
