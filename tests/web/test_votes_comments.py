"""Votes (plébisciter / rejeter) and comments, through the API and the pages."""

import pytest

from wiki.extensions import db
from wiki.models import AuditEntry, Comment, Vote


@pytest.fixture
def rev(seed_revision):
    return seed_revision.id


def test_vote_put_is_idempotent_and_another_choice_replaces_it(client, participant, token_for,
                                                               rev):
    headers = token_for(participant)
    first = client.put(f"/api/v1/revisions/{rev}/vote", json={"choice": "plebisciter"},
                       headers=headers)
    assert first.status_code == 200
    assert first.get_json() == {"votes": {"plebisciter": 1, "rejeter": 0},
                                "mine": "plebisciter"}
    again = client.put(f"/api/v1/revisions/{rev}/vote", json={"choice": "plebisciter"},
                       headers=headers)
    assert again.get_json()["votes"] == {"plebisciter": 1, "rejeter": 0}
    changed = client.put(f"/api/v1/revisions/{rev}/vote", json={"choice": "rejeter"},
                         headers=headers)
    assert changed.get_json() == {"votes": {"plebisciter": 0, "rejeter": 1}, "mine": "rejeter"}
    assert Vote.query.count() == 1


def test_vote_delete_withdraws_and_answers_200_when_there_was_none(client, participant,
                                                                   token_for, rev):
    headers = token_for(participant)
    none = client.delete(f"/api/v1/revisions/{rev}/vote", headers=headers)
    assert none.status_code == 200 and none.get_json()["mine"] is None
    client.put(f"/api/v1/revisions/{rev}/vote", json={"choice": "rejeter"}, headers=headers)
    gone = client.delete(f"/api/v1/revisions/{rev}/vote", headers=headers)
    assert gone.get_json() == {"votes": {"plebisciter": 0, "rejeter": 0}, "mine": None}


@pytest.mark.parametrize(("path_id", "body", "status", "code"), [
    ("rev", {"choice": "peut-etre"}, 422, "invalid_field"),
    ("rev", {}, 422, "invalid_field"),
    ("missing", {"choice": "rejeter"}, 404, "not_found"),
    ("rev", {"choice": "rejeter", "reason": "x" * 501}, 422, "too_long"),
], ids=["unknown-choice", "no-choice", "unknown-revision", "long-reason"])
def test_bad_votes_are_refused_and_store_nothing(client, participant, token_for, rev, path_id,
                                                 body, status, code):
    target = rev if path_id == "rev" else 999999
    response = client.put(f"/api/v1/revisions/{target}/vote", json=body,
                          headers=token_for(participant))
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert Vote.query.count() == 0


def test_anonymous_cannot_vote(client, rev):
    response = client.put(f"/api/v1/revisions/{rev}/vote", json={"choice": "rejeter"})
    assert response.status_code == 401


def test_page_vote_button_toggles_and_keeps_the_reason(client, auth, participant, rev):
    auth.login("participant")
    client.post(f"/revisions/{rev}/vote", data={"choice": "plebisciter", "reason": "Clair"})
    vote = Vote.query.one()
    assert (vote.choice, vote.reason) == ("plebisciter", "Clair")
    client.post(f"/revisions/{rev}/vote", data={"choice": "plebisciter"})
    assert Vote.query.count() == 0


def test_a_vote_reason_is_shown_in_the_revisions_discussion(client, auth, participant,
                                                           create_user, token_for, rev):
    other = create_user("sceptique", display_name="Sceptique <b>Résolu</b>")
    client.put(f"/api/v1/revisions/{rev}/vote",
               json={"choice": "rejeter", "reason": "Trop <i>vague</i>"}, headers=token_for(other))
    client.put(f"/api/v1/revisions/{rev}/vote", json={"choice": "plebisciter"},
               headers=token_for(participant))
    page = client.get(f"/revisions/{rev}").get_data(as_text=True)
    reasons = page.split('id="raisons-des-votes"', 1)[1].split("</ul>", 1)[0]
    assert "Sceptique &lt;b&gt;Résolu&lt;/b&gt;" in reasons
    assert "rejette" in reasons and "Trop &lt;i&gt;vague&lt;/i&gt;" in reasons
    assert reasons.count("<li") == 1  # a vote without a reason is only counted


def test_a_revision_without_reasoned_votes_shows_no_reasons_heading(client, rev):
    assert 'id="raisons-des-votes"' not in client.get(f"/revisions/{rev}").get_data(as_text=True)


def test_page_vote_answers_json_to_the_script(client, auth, participant, rev):
    auth.login("participant")
    response = client.post(f"/revisions/{rev}/vote", data={"choice": "rejeter"},
                           headers={"Accept": "application/json"})
    assert response.get_json() == {"votes": {"plebisciter": 0, "rejeter": 1}, "mine": "rejeter"}


def test_own_vote_is_highlighted_on_the_page(client, auth, participant, rev):
    auth.login("participant")
    client.post(f"/revisions/{rev}/vote", data={"choice": "rejeter"})
    page = client.get(f"/revisions/{rev}").get_data(as_text=True)
    assert 'class="vote vote-minus is-mine" aria-pressed="true"' in page


def test_anonymous_vote_buttons_are_login_links_that_come_back(client, rev):
    page = client.get(f"/revisions/{rev}").get_data(as_text=True)
    assert f"/login?next=/revisions/{rev}" in page


def post_comment(client, headers, rev, **body):
    return client.post(f"/api/v1/revisions/{rev}/comments", json=body, headers=headers)


def test_comments_thread_with_nested_replies(client, participant, moderator, token_for, rev):
    p, m = token_for(participant), token_for(moderator)
    top = post_comment(client, p, rev, body="Premier **avis**").get_json()
    assert "<strong>avis</strong>" in top["html"]
    reply = post_comment(client, m, rev, body="Réponse", parent_id=top["id"]).get_json()
    post_comment(client, p, rev, body="Réponse à la réponse", parent_id=reply["id"])
    thread = client.get(f"/api/v1/revisions/{rev}/comments").get_json()
    assert thread["next"] is None
    [root] = thread["items"]
    assert root["replies"][0]["replies"][0]["body"] == "Réponse à la réponse"


def test_anchored_comment_stores_quote_and_context(client, participant, token_for, rev):
    created = post_comment(client, token_for(participant), rev, body="Précisez",
                           anchor={"quote": "processus de transformation"}).get_json()
    assert created["anchor"]["quote"] == "processus de transformation"
    assert created["anchor"]["prefix"].endswith("numérique est un ")
    comment = db.session.get(Comment, created["id"])
    assert comment.revision.body[comment.anchor_start:comment.anchor_end] == \
        "processus de transformation"


@pytest.mark.parametrize(("body", "status"), [
    ({"body": ""}, 422),
    ({"body": "x" * 5001}, 422),
    ({"body": "ok", "anchor": {"quote": "ce passage n’existe pas"}}, 422),
    ({"body": "nul\u0000"}, 400),
    ({"body": "ok", "parent_id": 424242}, 404),
], ids=["empty", "too-long", "anchor-not-in-revision", "control-char", "unknown-parent"])
def test_bad_comments_are_refused_and_store_nothing(client, participant, token_for, rev, body,
                                                    status):
    response = post_comment(client, token_for(participant), rev, **body)
    assert response.status_code == status
    assert Comment.query.count() == 0


def test_reply_to_a_comment_of_another_revision_is_refused(client, moderator, token_for, save,
                                                          rev):
    headers = token_for(moderator)
    first = post_comment(client, headers, rev, body="Sur la 1").get_json()
    new = save(moderator, "Nouveau texte.").revision.id
    response = post_comment(client, headers, new, body="Réponse", parent_id=first["id"])
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["field"] == "parent_id"


def test_hidden_comment_keeps_its_place_but_hides_its_text(client, participant, moderator,
                                                           create_user, token_for, rev):
    author, mod = token_for(participant), token_for(moderator)
    other = token_for(create_user("autre"))
    created = post_comment(client, author, rev, body="Propos abusif").get_json()
    hidden = client.post(f"/api/v1/comments/{created['id']}/hide", json={"reason": "Abus"},
                         headers=mod)
    assert hidden.status_code == 200 and hidden.get_json()["hidden"] is True
    seen_by_other = client.get(f"/api/v1/revisions/{rev}/comments", headers=other).get_json()
    assert seen_by_other["items"][0]["hidden"] is True
    assert seen_by_other["items"][0]["body"] is None and seen_by_other["items"][0]["html"] is None
    seen_by_author = client.get(f"/api/v1/revisions/{rev}/comments", headers=author).get_json()
    assert seen_by_author["items"][0]["body"] == "Propos abusif"
    anonymous = client.get(f"/api/v1/revisions/{rev}/comments").get_json()
    assert anonymous["items"][0]["body"] is None
    assert AuditEntry.query.filter_by(action="hide_comment").count() == 1
    client.post(f"/api/v1/comments/{created['id']}/unhide", headers=mod)
    assert client.get(f"/api/v1/revisions/{rev}/comments").get_json()["items"][0]["body"]


def test_participants_cannot_hide_comments(client, participant, token_for, rev):
    headers = token_for(participant)
    created = post_comment(client, headers, rev, body="Mon avis").get_json()
    response = client.post(f"/api/v1/comments/{created['id']}/hide", json={"reason": "x"},
                           headers=headers)
    assert response.status_code == 403


def test_comment_on_a_passage_follows_it_to_later_revisions(client, moderator, token_for,
                                                            save, seed_revision):
    headers = token_for(moderator)
    post_comment(client, headers, seed_revision.id, body="Bien dit",
                 anchor={"quote": "nouvelle économie"})
    new = save(moderator, "Ajout en tête.\n\n" + seed_revision.body).revision
    items = client.get(f"/api/v1/revisions/{new.id}/comments?include=earlier").get_json()["items"]
    anchor = items[0]["anchor"]
    assert anchor["status"] == "found"
    current = anchor["current"]
    assert new.body[current["start"]:current["end"]] == "nouvelle économie"


def test_comment_on_a_removed_passage_is_marked_removed(client, moderator, token_for, save,
                                                        seed_revision):
    headers = token_for(moderator)
    post_comment(client, headers, seed_revision.id, body="Ce passage",
                 anchor={"quote": "OBNL, coopérative"})
    new = save(moderator, "Un texte entièrement nouveau, sans rapport.").revision
    items = client.get(f"/api/v1/revisions/{new.id}/comments?include=earlier").get_json()["items"]
    assert items[0]["anchor"]["status"] == "removed"
    assert items[0]["anchor"]["current"] is None
    page = client.get(f"/revisions/{new.id}").get_data(as_text=True)
    assert "Passage modifié ou supprimé" in page
    removed = page.split('id="passages-supprimes"', 1)[1].split("</ul>", 1)[0]
    assert "<q>OBNL, coopérative</q>" in removed
    assert f"revision {seed_revision.id}" not in removed  # French page
    assert f"révision {seed_revision.id}" in removed
    # A removed passage has nothing to show in the text.
    assert "data-passage=" not in page


def test_a_changed_passage_shows_its_word_diff_and_can_be_shown_in_the_text(
        client, moderator, token_for, save, seed_revision):
    headers = token_for(moderator)
    quote = "changements de son environnement amenés par la nouvelle économie"
    assert post_comment(client, headers, seed_revision.id, body="Bien dit",
                        anchor={"quote": quote}).status_code == 201
    new = save(moderator, seed_revision.body.replace(quote, quote.replace("nouvelle",
                                                                          "récente")))
    page = client.get(f"/revisions/{new.revision.id}").get_data(as_text=True)
    comment = page.split('<li class="comment"', 1)[1].split("</article>", 1)[0]
    assert "Passage modifié" in comment
    diff = comment.split('class="anchor-diff', 1)[1].split("</p>", 1)[0]
    assert "récente" in diff.split("<ins", 1)[1] and "nouvelle" in diff.split("<del", 1)[1]
    assert f'data-passage="{quote.replace("nouvelle", "récente")}"' in comment
    assert 'data-occurrence="0"' in comment
    assert 'id="passages-supprimes"' not in page


def test_a_comment_on_this_revision_points_at_its_passage_as_the_page_shows_it(
        client, moderator, token_for, seed_revision):
    # In the Markdown a heading (« ## Pour qui ? »); on the page, the heading's text.
    quote = "Pour qui ?"
    assert "## Pour qui ?" in seed_revision.body
    assert post_comment(client, token_for(moderator), seed_revision.id, body="Question",
                        anchor={"quote": quote}).status_code == 201
    page = client.get(f"/revisions/{seed_revision.id}").get_data(as_text=True)
    comment = page.split('<li class="comment"', 1)[1].split(">", 1)[0]
    assert 'data-passage="Pour qui' in comment and 'data-occurrence="0"' in comment
    assert "Voir ce passage dans le texte" in page


def test_page_comment_form_keeps_the_text_on_error(client, auth, participant, rev):
    auth.login("participant")
    response = client.post(f"/revisions/{rev}/comments",
                           data={"body": "Mon long commentaire", "quote": "introuvable ici"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Mon long commentaire" in page and "ne se trouve pas" in page


def test_report_reaches_the_moderation_queue(client, auth, participant, moderator, token_for,
                                             rev):
    created = post_comment(client, token_for(participant), rev, body="Bof").get_json()
    auth.login("participant")
    client.post(f"/comments/{created['id']}/report", data={"reason": "Hors sujet"})
    auth.logout()
    auth.login("moderatrice")
    page = client.get("/moderation").get_data(as_text=True)
    assert "Hors sujet" in page


def test_moderation_page_is_for_moderators_only(client, auth, participant):
    auth.login("participant")
    assert client.get("/moderation").status_code == 403


def test_discussion_page_gathers_threads_of_all_revisions(client, moderator, token_for, save,
                                                          rev):
    headers = token_for(moderator)
    post_comment(client, headers, rev, body="Sur la première")
    new = save(moderator, "Texte deux.").revision.id
    post_comment(client, headers, new, body="Sur la deuxième")
    page = client.get("/definitions/strategie-numerique/discussion").get_data(as_text=True)
    assert page.index("Sur la deuxième") < page.index("Sur la première")
