"""Remix pages (issue 5): the remix page (diffs, lineage, forks), the proposals queue and its
sorts, « Mettre à jour depuis la version officielle », and bad input that changes nothing."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.web.test_revision_pages import deleted, inserted
from wiki.extensions import db
from wiki.models import Remix, Revision
from wiki.services import editing, remixing, voting

SLUG = "strategie-numerique"
BASE = "Alpha bravo charlie.\n\nDelta echo foxtrot.\n\nGolf hotel india.\n"


def revision_count() -> int:
    return db.session.scalar(select(func.count(Revision.id)))


def remix_count() -> int:
    return db.session.scalar(select(func.count(Remix.id)))


def fresh(remix_id: int) -> Remix:
    db.session.expire_all()
    return db.session.get(Remix, remix_id)


def official_head() -> Revision:
    db.session.expire_all()
    return editing.get_definition(SLUG).head


def section(page: str, heading_id: str) -> str:
    """The HTML of the ``<section>`` whose heading has this id."""
    start = page.index(f'id="{heading_id}"')
    return page[start:page.index("</section>", start)]


@pytest.fixture
def start(app, moderator, save):
    return save(moderator, BASE, summary="Texte de départ").revision


@pytest.fixture
def remix(app, participant, start, save):
    """Paul's remix of ``start`` with one revision of its own (« hotel » → « musée »)."""
    made = remixing.fork(definition_id=start.definition_id, from_revision_id=start.id,
                         title="Secteur culturel", owner=participant)
    save(participant, BASE.replace("hotel", "musée"), remix_id=made.id, summary="Culture")
    return fresh(made.id)


# --- the remix page --------------------------------------------------------------------------

def test_remix_page_diffs_against_the_official_version_and_against_its_fork_point(
        client, moderator, save, remix):
    save(moderator, BASE.replace("Alpha", "Omega"), summary="Officiel")
    page = client.get(f"/remixes/{remix.id}").get_data(as_text=True)
    vs_official = section(page, "vs-officielle")
    # Against the official head: the remix lacks « Omega » and has « musée ».
    assert set(inserted(vs_official)) == {"Alpha", "musée"}
    assert set(deleted(vs_official)) == {"Omega", "hotel"}
    assert '<span class="stat-ins">+2</span> <span class="stat-del">−2</span>' in vs_official
    # Against the fork point: only the remix's own change.
    vs_fork = section(page, "vs-origine")
    assert inserted(vs_fork) == ["musée"] and deleted(vs_fork) == ["hotel"]
    assert "Omega" not in vs_fork


def test_remix_page_shows_its_lineage_owner_and_history(client, remix, start):
    page = client.get(f"/remixes/{remix.id}").get_data(as_text=True)
    header = page.split('<header class="page-header">', 1)[1].split("</header>", 1)[0]
    assert "<h1>Secteur culturel</h1>" in header
    assert '<a href="/users/participant">Paul Participant</a>' in header
    assert (f'remixé à partir de la révision <a href="/revisions/{start.id}">{start.id}</a>'
            in header)
    # The line forked from, and who wrote the forked revision.
    assert "(version officielle, " in header and "Marie Modératrice" in header
    history = section(page, "hist")
    assert f'href="/revisions/{remix.head_revision_id}"' in history and "Culture" in history


def test_a_remix_of_the_remix_is_listed_among_its_forks_with_its_lineage(
        client, auth, create_user, remix):
    assert "Aucun pour l’instant." in section(
        client.get(f"/remixes/{remix.id}").get_data(as_text=True), "forks")
    create_user("lucie", display_name="Lucie Théâtre")
    auth.login("lucie")
    response = client.post(f"/revisions/{remix.head_revision_id}/remix",
                           data={"title": "Secteur théâtral", "description": "Pour la scène"})
    assert response.status_code == 302
    child = db.session.scalars(select(Remix).where(Remix.title == "Secteur théâtral")).one()
    assert response.headers["Location"].endswith(f"/remixes/{child.id}/edit")
    assert child.forked_from_revision_id == remix.head_revision_id

    forks = section(client.get(f"/remixes/{remix.id}").get_data(as_text=True), "forks")
    assert f'<a href="/remixes/{child.id}">Secteur théâtral</a> — Lucie Théâtre' in forks
    child_page = client.get(f"/remixes/{child.id}").get_data(as_text=True)
    header = child_page.split('<header class="page-header">', 1)[1].split("</header>", 1)[0]
    assert f'remix <a href="/remixes/{remix.id}">Secteur culturel</a>' in header
    assert "Paul Participant" in header and "Pour la scène" in header


# --- the proposals queue ---------------------------------------------------------------------

@pytest.fixture
def three_proposals(app, participant, create_user, start):
    """Three proposals whose orders differ for every sort:

    ========== ===== ====== ================ ==================== ====================
    proposal   votes score  Wilson bound     updated              words changed
    ========== ===== ====== ================ ==================== ====================
    A          5–1   4      0.436            2nd newest           2 (one replaced)
    B          3–0   3      0.438            oldest               4 (added)
    C          1–0   1      0.207            newest               8 (added)
    ========== ===== ====== ================ ==================== ====================
    """
    texts = {"A": BASE.replace("bravo", "BRAVO"),
             "B": BASE + "Juliett kilo lima mike.\n",
             "C": BASE + "November oscar papa quebec romeo sierra tango uniform.\n"}
    tallies = {"A": (5, 1), "B": (3, 0), "C": (1, 0)}
    ages = {"A": 2, "B": 3, "C": 1}
    voters = [create_user(f"votant{i}") for i in range(6)]
    now = datetime.now(UTC)
    for name, body in texts.items():
        revision = remixing.propose_edit(definition_id=start.definition_id,
                                         base_revision_id=start.id, raw_body=body,
                                         summary=f"Résumé {name}", title=f"Proposition {name}",
                                         owner=participant)
        up, down = tallies[name]
        for voter in voters[:up]:
            voting.cast_vote(voter.id, revision.id, "plebisciter")
        for voter in voters[up:up + down]:
            voting.cast_vote(voter.id, revision.id, "rejeter")
        db.session.get(Remix, revision.remix_id).updated_at = now - timedelta(hours=ages[name])
    db.session.commit()


def queue_titles(client, query: str = "") -> list[str]:
    response = client.get(f"/definitions/{SLUG}/proposals{query}")
    assert response.status_code == 200
    return re.findall(r'<a href="/remixes/\d+">(Proposition [ABC])</a>',
                      response.get_data(as_text=True))


@pytest.mark.parametrize(("tri", "order"), [
    ("votes", ["A", "B", "C"]),
    ("wilson", ["B", "A", "C"]),
    ("date", ["C", "A", "B"]),
    ("taille", ["C", "B", "A"]),
], ids=["net-votes", "wilson-bound", "newest-first", "largest-change-first"])
def test_proposals_queue_sorts(client, three_proposals, tri, order):
    assert queue_titles(client, f"?tri={tri}") == [f"Proposition {n}" for n in order]


def test_proposals_queue_defaults_to_votes_and_ignores_an_unknown_sort(client,
                                                                       three_proposals):
    by_votes = ["Proposition A", "Proposition B", "Proposition C"]
    assert queue_titles(client) == by_votes
    assert queue_titles(client, "?tri=n%27importe") == by_votes


def test_proposals_queue_rows_show_tallies_and_change_size(client, three_proposals):
    page = client.get(f"/definitions/{SLUG}/proposals?tri=votes").get_data(as_text=True)
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    assert "5 pour, 1 contre" in rows[0]
    assert '<span class="stat-ins">+1</span> <span class="stat-del">−1</span>' in rows[0]
    assert "3 pour, 0 contre" in rows[1]
    assert '<span class="stat-ins">+8</span> <span class="stat-del">−0</span>' in rows[2]


def test_only_proposed_remixes_are_in_the_queue(client, remix):
    page = client.get(f"/definitions/{SLUG}/proposals").get_data(as_text=True)
    assert "Secteur culturel" not in page and "Aucune proposition en attente." in page


# --- update from the official line -----------------------------------------------------------

def test_the_owner_brings_an_official_change_into_the_remix(client, auth, moderator, save,
                                                            remix):
    official = save(moderator, BASE.replace("Alpha", "Omega"), summary="Officiel").revision
    old_head = remix.head_revision_id
    auth.login("participant")
    response = client.post(f"/remixes/{remix.id}/update")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/remixes/{remix.id}")
    updated = fresh(remix.id)
    new_head = db.session.get(Revision, updated.head_revision_id)
    assert new_head.id != old_head and new_head.remix_id == remix.id
    assert new_head.parent_ids == [old_head, official.id]
    assert new_head.body == BASE.replace("Alpha", "Omega").replace("hotel", "musée")
    assert new_head.summary == "Mise à jour depuis la version officielle"
    assert official_head().id == official.id  # the official line is untouched
    page = client.get(f"/remixes/{remix.id}").get_data(as_text=True)
    assert "Remix mis à jour depuis la version officielle." in page
    # The remix now differs from the official version by its own change only.
    vs_official = section(page, "vs-officielle")
    assert inserted(vs_official) == ["musée"] and deleted(vs_official) == ["hotel"]


def test_updating_an_up_to_date_remix_says_so_and_changes_nothing(client, auth, remix):
    auth.login("participant")
    before = revision_count()
    page = client.post(f"/remixes/{remix.id}/update", follow_redirects=True)
    assert "Ce remix contient déjà la version officielle actuelle." in page.get_data(
        as_text=True)
    assert revision_count() == before


def test_an_update_that_conflicts_opens_the_passage_by_passage_screen_and_changes_nothing(
        client, auth, moderator, save, remix):
    official = save(moderator, BASE.replace("hotel", "palace")).revision
    auth.login("participant")
    before, head = revision_count(), remix.head_revision_id
    response = client.post(f"/remixes/{remix.id}/update")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/remixes/{remix.id}/update")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "La version officielle et votre remix ont modifié les mêmes passages." in page
    assert "conflit : les deux versions l’ont modifié" in page
    assert "<dt>Votre remix</dt><dd><pre>musée</pre>" in page
    assert "<dt>Version officielle</dt><dd><pre>palace</pre>" in page
    assert revision_count() == before
    assert fresh(remix.id).head_revision_id == head and official_head().id == official.id


def _fingerprint(page: str) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)


def test_the_owner_resolves_a_conflicting_update_passage_by_passage(client, auth, moderator,
                                                                    save, remix):
    official = save(moderator, BASE.replace("hotel", "palace").replace("Alpha", "Omega")
                    ).revision
    old_head = remix.head_revision_id
    auth.login("participant")
    url = f"/remixes/{remix.id}/update"
    page = client.get(url).get_data(as_text=True)
    regions = page.count('<li class="region region-')
    assert regions == 2  # « Omega » (clean) and « palace » against « musée » (conflict)
    conflict = re.search(r'<li class="region region-conflict">.*?name="region-(\d+)"', page,
                         re.DOTALL).group(1)
    form = {"fingerprint": _fingerprint(page), f"region-{conflict}": "edit",
            f"text-{conflict}": "musée-palace"}
    # « Voir le résultat » first: the diff against the remix, nothing saved.
    before = revision_count()
    shown = client.post(url, data={**form, "action": "preview"}).get_data(as_text=True)
    result = shown.split('id="resultat"', 1)[1].split("</section>", 1)[0]
    assert "Omega" in result.split("<ins", 1)[1] and "musée-palace" in result
    assert revision_count() == before
    response = client.post(url, data=form)
    assert response.status_code == 302
    new_head = db.session.get(Revision, fresh(remix.id).head_revision_id)
    assert new_head.parent_ids == [old_head, official.id]
    assert new_head.body == BASE.replace("Alpha", "Omega").replace("hotel", "musée-palace")
    assert official_head().id == official.id


def test_a_conflicting_update_left_without_a_choice_is_refused(client, auth, moderator, save,
                                                               remix):
    save(moderator, BASE.replace("hotel", "palace"))
    auth.login("participant")
    url = f"/remixes/{remix.id}/update"
    page = client.get(url).get_data(as_text=True)
    before = revision_count()
    response = client.post(url, data={"fingerprint": _fingerprint(page)})
    assert response.status_code == 422
    assert "Régions invalides" in response.get_data(as_text=True)
    stale = client.post(url, data={"fingerprint": "0" * 16, "region-0": "leave"})
    assert stale.status_code == 409
    assert revision_count() == before


def test_an_up_to_date_remix_has_nothing_to_update_on_its_screen(client, auth, remix):
    auth.login("participant")
    page = client.get(f"/remixes/{remix.id}/update").get_data(as_text=True)
    assert "rien à mettre à jour" in page


@pytest.mark.parametrize("who", ["intruse", "moderatrice"])
def test_only_the_owner_updates_a_remix(client, auth, create_user, moderator, save, remix, who):
    save(moderator, BASE.replace("Alpha", "Omega"))
    if who == "intruse":
        create_user("intruse")
    auth.login(who)
    before, head = revision_count(), remix.head_revision_id
    response = client.post(f"/remixes/{remix.id}/update")
    assert response.status_code == 403
    assert client.get(f"/remixes/{remix.id}/update").status_code == 403
    assert fresh(remix.id).head_revision_id == head and revision_count() == before


# --- bad input -------------------------------------------------------------------------------

@pytest.fixture
def proposed(remix, participant):
    remixing.propose(remix.id, participant)
    return fresh(remix.id)


@pytest.mark.parametrize("resolution", ["", "  \n\n "], ids=["empty", "blank"])
def test_merge_with_an_empty_resolution_is_422_and_changes_nothing(
        client, moderator, token_for, proposed, resolution):
    before, head = revision_count(), official_head().id
    response = client.post(f"/api/v1/remixes/{proposed.id}/merge",
                           json={"resolution": resolution}, headers=token_for(moderator))
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["field"] == "resolution"
    assert revision_count() == before and official_head().id == head
    assert fresh(proposed.id).status == "proposed"


def test_merging_a_declined_remix_without_new_revisions_is_409(client, moderator, token_for,
                                                                proposed):
    remixing.decline(proposed.id, moderator, "Hors sujet")
    before, head = revision_count(), official_head().id
    response = client.post(f"/api/v1/remixes/{proposed.id}/merge", json={},
                           headers=token_for(moderator))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "nothing_new"
    assert revision_count() == before and official_head().id == head
    assert fresh(proposed.id).status == "declined"


def test_a_declined_remix_with_a_new_revision_can_be_merged_again(
        client, moderator, participant, token_for, save, proposed):
    remixing.decline(proposed.id, moderator, "Pas encore")
    save(participant, proposed.head.body + "Encore mieux.\n", remix_id=proposed.id)
    remixing.propose(proposed.id, participant)
    response = client.post(f"/api/v1/remixes/{proposed.id}/merge", json={},
                           headers=token_for(moderator))
    assert response.status_code == 200
    assert "Encore mieux." in official_head().body


def test_a_participant_calling_merge_is_refused_and_nothing_changes(
        client, auth, participant, token_for, proposed):
    before, head = revision_count(), official_head().id
    api = client.post(f"/api/v1/remixes/{proposed.id}/merge", json={},
                      headers=token_for(participant))
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "forbidden"
    auth.login("participant")
    assert client.get(f"/remixes/{proposed.id}/merge").status_code == 403
    page = client.post(f"/remixes/{proposed.id}/merge", data={"fingerprint": "x"})
    assert page.status_code == 403
    assert revision_count() == before and official_head().id == head
    assert fresh(proposed.id).status == "proposed"


def test_forking_a_revision_that_does_not_exist_is_404(client, auth, participant, token_for,
                                                       start):
    before = remix_count()
    auth.login("participant")
    page = client.post("/revisions/999999/remix", data={"title": "Fantôme"})
    assert page.status_code == 404
    assert "La révision 999999 n’existe pas." in page.get_data(as_text=True)
    assert client.get("/revisions/999999/remix").status_code == 404
    api = client.post(f"/api/v1/definitions/{SLUG}/remixes", json={
        "from_revision_id": 999999, "title": "Fantôme"}, headers=token_for(participant))
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
    assert remix_count() == before


def test_a_non_owner_saving_to_a_remix_is_403_and_nothing_changes(
        client, auth, create_user, token_for, remix):
    intruder = create_user("intrus")
    before, head = revision_count(), remix.head_revision_id
    form = {"body": "Réécrit par un intrus.\n", "summary": "Intrusion",
            "base_revision_id": str(head)}
    api = client.post(f"/api/v1/remixes/{remix.id}/revisions", json=form,
                      headers=token_for(intruder))
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "forbidden"
    auth.login("intrus")
    assert client.get(f"/remixes/{remix.id}/edit").status_code == 403
    assert client.post(f"/remixes/{remix.id}/edit", data=form).status_code == 403
    assert revision_count() == before and fresh(remix.id).head_revision_id == head


def test_the_owner_saves_to_the_remix_through_the_editor(client, auth, remix):
    auth.login("participant")
    page = client.get(f"/remixes/{remix.id}/edit").get_data(as_text=True)
    assert "Modifier le remix « Secteur culturel »" in page
    response = client.post(f"/remixes/{remix.id}/edit", data={
        "body": remix.head.body + "Bibliothèques.\n", "summary": "Lieux",
        "base_revision_id": str(remix.head_revision_id)})
    assert response.status_code == 302
    head = db.session.get(Revision, fresh(remix.id).head_revision_id)
    assert head.remix_id == remix.id and head.body.endswith("Bibliothèques.\n")
    assert official_head().body == BASE
