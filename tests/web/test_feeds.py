"""Atom feeds: valid (feedparser, bozo 0), licensed entries, conditional GET, XML 404s."""

from xml.etree import ElementTree

import feedparser
import pytest

from wiki.services import commenting, remixing
from wiki.services.editing import get_definition

ATOM_NS = "{http://www.w3.org/2005/Atom}"
FEEDS = ["/definitions/strategie-numerique/feed.atom",
         "/definitions/strategie-numerique/proposals.atom",
         "/recent/feed.atom"]


@pytest.fixture
def activity(app, moderator, participant, save, seed_revision):
    """Some of everything: an official edit, a proposal, a comment."""
    definition = get_definition("strategie-numerique")
    edit = save(moderator, seed_revision.body + "\nUne précision officielle.\n",
                summary="Précision").revision
    proposed = remixing.propose_edit(
        definition_id=definition.id, base_revision_id=edit.id,
        raw_body=edit.body + "\nDeux mots ajoutés.\n", summary="Ajout du remix",
        title="Remix territorial", owner=participant)
    commenting.add_comment(revision_id=edit.id, author=participant, body="Bien vu.")
    return {"edit": edit, "proposed": proposed}


def parse(response):
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


@pytest.mark.parametrize("path", FEEDS, ids=["official", "proposals", "recent"])
def test_every_feed_is_valid_atom_whose_entries_carry_the_licence(client, activity, path):
    feed = parse(client.get(path))
    assert feed.version == "atom10"
    assert feed.entries
    assert "CC BY-NC-SA" in feed.feed.rights
    for entry in feed.entries:
        assert entry.id and entry.title and entry.author and entry.updated_parsed
        assert entry.link.startswith("http://wiki.test/")
        assert entry.content[0].value
        assert "CC BY-NC-SA" in entry.rights and "commerciale" in entry.rights
        licences = [link.href for link in entry.links if link.rel == "license"]
        assert licences == ["https://creativecommons.org/licenses/by-nc-sa/4.0/"]


def test_the_official_feed_lists_the_line_newest_first_with_permanent_ids_and_diffs(
        client, activity, seed_revision):
    feed = parse(client.get(FEEDS[0]))
    edit = activity["edit"]
    assert [e.id for e in feed.entries] == [f"http://wiki.test/revisions/{edit.id}",
                                           f"http://wiki.test/revisions/{seed_revision.id}"]
    newest = feed.entries[0]
    assert newest.author == "Marie Modératrice"
    assert newest.link == f"http://wiki.test/revisions/{edit.id}"
    assert "+3 mots, −0 mots" in newest.content[0].value  # « Une précision officielle. »
    assert f"/compare?from={seed_revision.id}&amp;to={edit.id}" in newest.content[0].value
    # The seed's external authors are named, both of them.
    assert {a.name for a in feed.entries[1].authors} == {"Annie Chénier", "Frédéric Vincent"}
    # Remix revisions are not part of the official line.
    assert activity["proposed"].id not in [int(e.id.rsplit("/", 1)[1]) for e in feed.entries]
    assert parse(client.get(FEEDS[0])).entries[0].id == newest.id


def test_the_proposals_feed_says_what_each_proposal_changes(client, activity):
    feed = parse(client.get(FEEDS[1]))
    [entry] = feed.entries
    assert entry.id.startswith("tag:wiki.test,2025:proposition/")
    assert "Remix territorial" in entry.title
    assert entry.author == "Paul Participant"
    assert entry.link == f"http://wiki.test/revisions/{activity['proposed'].id}"
    assert "+3 mots, −0 mots" in entry.content[0].value  # « Deux mots ajoutés. »


def test_the_recent_feed_follows_the_page_s_filters(client, activity):
    everything = parse(client.get(FEEDS[2]))
    assert len(everything.entries) >= 5
    comments = parse(client.get("/recent/feed.atom?type=comment"))
    [comment] = comments.entries
    assert comment.link.endswith("#commentaire-1")
    assert "Bien vu" not in comment.content[0].value  # a comment may be hidden later


@pytest.mark.parametrize("path", FEEDS, ids=["official", "proposals", "recent"])
def test_a_reader_polling_with_its_validators_gets_304(client, activity, path):
    first = client.get(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    since = client.get(path, headers={"If-Modified-Since": modified})
    assert since.status_code == 304


def test_a_new_revision_changes_the_validators(client, activity, moderator, save):
    first = client.get(FEEDS[0])
    save(moderator, activity["edit"].body + "\nEncore.\n")
    after = client.get(FEEDS[0], headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != first.headers["ETag"]
    assert len(parse(after).entries) == 3


@pytest.mark.parametrize("path", ["/definitions/inconnue/feed.atom",
                                  "/definitions/inconnue/proposals.atom",
                                  "/recent/feed.atom?definition=inconnue"])
def test_a_feed_of_an_unknown_definition_is_a_404_in_xml(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == "error" and root.get("code") == "not_found"
    assert "inconnue" in root.text
    assert b"<html" not in response.get_data().lower()


def test_an_unknown_kind_in_the_recent_feed_is_a_400_in_xml(client):
    response = client.get("/recent/feed.atom?type=vote")
    assert response.status_code == 400
    assert response.mimetype == "application/xml"
    assert ElementTree.fromstring(response.get_data()).get("code") == "bad_request"


def test_the_definition_page_announces_its_feed(client):
    page = client.get("/definitions/strategie-numerique").get_data(as_text=True)
    assert ('<link rel="alternate" type="application/atom+xml"' in page
            and 'href="/definitions/strategie-numerique/feed.atom"' in page)


def test_an_empty_proposals_feed_is_still_valid_atom(client):
    response = client.get(FEEDS[1])
    assert parse(response).entries == []
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == f"{ATOM_NS}feed"
    assert root.find(f"{ATOM_NS}link[@rel='license']") is not None
