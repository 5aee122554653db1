"""The merge screen region by region: each region's comments and author, a stale screen, and
what the remix's owner is told after a partial merge."""

import re

import pytest
from sqlalchemy import func, select

from wiki.extensions import db
from wiki.models import Notification, Revision
from wiki.services import commenting, remixing
from wiki.services.editing import get_definition

SLUG = "strategie-numerique"
BASE = ("Alpha bravo charlie delta.\n\nEcho foxtrot golf hotel.\n\n"
        "India juliett kilo lima.\n\nMike november oscar papa.\n")


@pytest.fixture
def scene(app, moderator, participant, create_user, save):
    """A proposal changing three regions: 0 (« bravo », commented on the remix), 1 (« golf »,
    commented on the official line) and 2 (« kilo » deleted, no comment); the official line
    changed « november » meanwhile, outside every region."""
    start = save(moderator, BASE).revision
    reader = create_user("lectrice", display_name="Léa Lectrice")
    remix = remixing.fork(definition_id=start.definition_id, from_revision_id=start.id,
                          title="Remix des lettres", owner=participant)
    first = save(participant, BASE.replace("bravo", "BRAVO-REMIX"), remix_id=remix.id).revision
    on_remix = commenting.add_comment(revision_id=first.id, author=reader,
                                      body="Pourquoi en capitales ?",
                                      anchor={"quote": "BRAVO-REMIX charlie"})
    save(participant, first.body.replace("golf", "GOLF-REMIX").replace(" kilo", ""),
         remix_id=remix.id)
    on_official = commenting.add_comment(revision_id=start.id, author=reader,
                                         body="Golf, vraiment ?", anchor={"quote": "golf hotel"})
    elsewhere = commenting.add_comment(revision_id=start.id, author=reader, body="Bien.",
                                       anchor={"quote": "Mike"})
    save(moderator, BASE.replace("november", "NOVEMBER-OFFICIEL"))
    remixing.propose(remix.id, participant)
    return {"remix": remixing.get_remix(remix.id), "on_remix": on_remix,
            "on_official": on_official, "elsewhere": elsewhere}


def regions_of(html: str) -> list[str]:
    """The merge screen cut into one piece of HTML per region."""
    return html.split('<li class="region region-')[1:]


def fingerprint_of(html: str) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', html).group(1)


def revision_count() -> int:
    return db.session.scalar(select(func.count(Revision.id)))


def test_each_region_lists_its_anchored_comments_and_its_author(client, auth, scene):
    auth.login("moderatrice")
    html = client.get(f"/remixes/{scene['remix'].id}/merge").get_data(as_text=True)
    bravo, golf, kilo = regions_of(html)
    assert "BRAVO-REMIX" in bravo and "GOLF-REMIX" in golf and "kilo" in kilo
    # Region 0: the comment made on the remix, with a link that shows its passage.
    assert f"#commentaire-{scene['on_remix'].id}" in bravo
    assert "Pourquoi en capitales" in bravo and "sur le remix" in bravo
    assert "Écrit dans le remix par :" in bravo and "Paul Participant" in bravo
    # Region 1: the comment made on the official text the remix rewrote.
    assert f"#commentaire-{scene['on_official'].id}" in golf
    assert "sur la version officielle" in golf and "Golf, vraiment" in golf
    assert "Pourquoi en capitales" not in golf
    # Region 2: a deletion, nobody's text, no comment.
    assert "Aucun commentaire sur ce passage" in kilo
    assert "Le remix supprime ce passage" in kilo
    assert f"#commentaire-{scene['elsewhere'].id}" not in html


def test_a_stale_merge_screen_is_a_409_with_the_fresh_regions_and_nothing_saved(
        client, auth, scene, participant, save):
    auth.login("moderatrice")
    remix = scene["remix"]
    stale = fingerprint_of(client.get(f"/remixes/{remix.id}/merge").get_data(as_text=True))
    head = get_definition(SLUG).head_revision_id
    save(participant, remix.head.body.replace("oscar", "OSCAR-REMIX"), remix_id=remix.id)
    before = revision_count()
    response = client.post(f"/remixes/{remix.id}/merge", data={
        "fingerprint": stale, "region-0": "take", "region-1": "leave", "region-2": "take"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "a changé depuis l’affichage des régions" in html
    assert fingerprint_of(html) != stale
    assert len(regions_of(html)) == 4 and "OSCAR-REMIX" in html
    assert 'value="leave" checked' not in html  # no stale choice carried onto fresh regions
    assert revision_count() == before
    assert get_definition(SLUG).head_revision_id == head


def test_a_stale_region_list_is_a_409_in_the_api_with_the_fresh_preview_and_nothing_saved(
        client, scene, moderator, participant, token_for, save):
    m = token_for(moderator)
    remix = scene["remix"]
    stale = client.get(f"/api/v1/remixes/{remix.id}/merge-preview", headers=m).get_json()
    save(participant, remix.head.body.replace("oscar", "OSCAR-REMIX"), remix_id=remix.id)
    before = revision_count()
    response = client.post(f"/api/v1/remixes/{remix.id}/merge", headers=m, json={
        "fingerprint": stale["fingerprint"], "regions": {"0": "take", "1": "leave"}})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "regions_changed"
    fresh = client.get(f"/api/v1/remixes/{remix.id}/merge-preview", headers=m).get_json()
    assert error["details"] == fresh
    assert len(fresh["regions"]) == len(stale["regions"]) + 1
    assert revision_count() == before
    assert remixing.get_remix(remix.id).status == "proposed"


def partial_merge(client, auth, remix) -> int:
    """Take regions 0 and 2, leave region 1, through the page."""
    auth.login("moderatrice")
    html = client.get(f"/remixes/{remix.id}/merge").get_data(as_text=True)
    response = client.post(f"/remixes/{remix.id}/merge", data={
        "fingerprint": fingerprint_of(html), "region-0": "take", "region-1": "leave",
        "region-2": "take"})
    assert response.status_code == 302
    return get_definition(SLUG).head_revision_id


def test_the_owner_is_told_which_regions_were_taken_and_which_were_left(
        client, auth, scene, participant):
    merged = partial_merge(client, auth, scene["remix"])
    revision = db.session.get(Revision, merged)
    assert revision.taken_regions == [0, 2]
    assert "BRAVO-REMIX" in revision.body and "GOLF-REMIX" not in revision.body
    [notice] = db.session.scalars(select(Notification).where(
        Notification.user_id == participant.id, Notification.kind == "proposal_merged"))
    assert notice.payload["taken_regions"] == [0, 2]
    assert notice.payload["left_regions"] == [1]
    assert [(r["index"], r["taken"]) for r in notice.payload["regions"]] == [
        (0, True), (1, False), (2, True)]
    assert notice.payload["regions"][1]["theirs"] == "GOLF-REMIX"

    client.post("/logout")
    auth.login("participant")
    html = client.get("/notifications").get_data(as_text=True)
    assert "Passages retenus : 2 sur 3." in html
    assert re.search(r"Laissé.*GOLF-REMIX", html, re.S)
    page = client.get(f"/remixes/{scene['remix'].id}").get_data(as_text=True)
    outcome = page[page.index('id="fusion"'):]
    taken = outcome[outcome.index("Passages retenus"):outcome.index("Passages laissés")]
    left = outcome[outcome.index("Passages laissés"):]
    assert "BRAVO-REMIX" in taken and "GOLF-REMIX" not in taken
    assert "GOLF-REMIX" in left


def test_a_later_merge_does_not_offer_the_left_regions_again(client, auth, scene,
                                                             participant, moderator,
                                                             token_for, save):
    remix = scene["remix"]
    partial_merge(client, auth, remix)
    save(participant, remixing.get_remix(remix.id).head.body.replace("papa", "PAPA-REMIX"),
         remix_id=remix.id)
    remixing.propose(remix.id, participant)
    preview = client.get(f"/api/v1/remixes/{remix.id}/merge-preview",
                         headers=token_for(moderator)).get_json()
    assert [r["theirs"] for r in preview["regions"]] == ["PAPA-REMIX"]


def test_the_merge_screen_shows_the_result_of_the_choices_before_saving(client, auth, scene):
    auth.login("moderatrice")
    url = f"/remixes/{scene['remix'].id}/merge"
    html = client.get(url).get_data(as_text=True)
    assert 'id="resultat"' not in html  # no result before it is asked for
    assert "Texte obtenu en prenant les passages sans conflit" in html
    before = revision_count()
    response = client.post(url, data={
        "fingerprint": fingerprint_of(html), "action": "preview",
        "region-0": "take", "region-1": "leave", "region-2": "edit", "text-2": " KILO-MODÉRÉ"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    result = page.split('id="resultat"', 1)[1].split("</section>", 1)[0]
    assert "BRAVO-REMIX" in result.split("<ins", 1)[1]
    assert "GOLF-REMIX" not in result
    assert "KILO-MODÉRÉ" in result
    assert revision_count() == before  # nothing saved
    # The choices stay as they were chosen, ready to be saved.
    assert re.search(r'name="region-1" value="leave"\s+checked', page)
    assert "KILO-MODÉRÉ</textarea>" in page


def test_a_preview_from_a_stale_screen_is_a_409_with_the_fresh_regions(client, auth, scene):
    auth.login("moderatrice")
    url = f"/remixes/{scene['remix'].id}/merge"
    response = client.post(url, data={"fingerprint": "0" * 16, "action": "preview",
                                      "region-0": "take"})
    assert response.status_code == 409
    assert "a changé depuis l’affichage" in response.get_data(as_text=True)
