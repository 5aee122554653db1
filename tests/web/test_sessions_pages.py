"""Training session pages: creation form, session page (timeline, what to do now, participant
view, moderator tools), the banner, the invitation link, the synthesis and its exports."""

import re
from datetime import UTC, datetime

import pytest
import time_machine

from wiki.extensions import db
from wiki.models import Invitation, Remix, SessionMember, TrainingSession
from wiki.services import remixing, sessions, voting
from wiki.services.editing import get_definition, save_revision

SLUG = "strategie-numerique"
BASE = "Alpha bravo charlie.\n\nDelta echo foxtrot.\n\nGolf hotel india.\n"
CREATED = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
PHASES = [
    {"name": "propositions", "starts_at": "2030-03-03T14:00:00Z",
     "ends_at": "2030-03-05T22:00:00Z"},
    {"name": "votes", "starts_at": "2030-03-06T14:00:00Z", "ends_at": "2030-03-07T22:00:00Z"},
    {"name": "synthese", "starts_at": "2030-03-08T14:00:00Z",
     "ends_at": "2030-03-08T22:00:00Z"},
]
AT = {
    "avant": datetime(2030, 3, 2, 12, 0, tzinfo=UTC),
    "propositions": datetime(2030, 3, 4, 12, 0, tzinfo=UTC),
    "votes": datetime(2030, 3, 7, 12, 0, tzinfo=UTC),
    "synthese": datetime(2030, 3, 8, 16, 0, tzinfo=UTC),
    "cloturee": datetime(2030, 3, 9, 12, 0, tzinfo=UTC),
}


@pytest.fixture
def clock():
    with time_machine.travel(CREATED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def training(clock, moderator, save):
    save(moderator, BASE)
    return sessions.create_session(definition_id=get_definition(SLUG).id,
                                   name="Cohorte printemps 2030", phases=PHASES, user=moderator)


@pytest.fixture
def member(training, create_user, moderator):
    user = create_user("membre", display_name="Mia Membre")
    sessions.add_member(training.id, moderator, "membre")
    return user


def page(client, url):
    response = client.get(url, headers={"Accept-Language": "fr"})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_moderator_creates_a_session_from_the_form_in_local_time(client, auth, moderator,
                                                                   clock, save):
    save(moderator, BASE)
    auth.login("moderatrice")
    assert "Créer une session" in page(client, f"/definitions/{SLUG}/sessions")
    response = client.post(f"/definitions/{SLUG}/sessions", data={
        "name": "Cohorte du printemps", "timezone": "America/Toronto",
        "propositions_starts_at": "2030-03-03T09:00", "propositions_ends_at": "2030-03-05T17:00",
        "votes_starts_at": "2030-03-06T09:00", "votes_ends_at": "2030-03-07T17:00",
        "synthese_starts_at": "2030-03-08T09:00", "synthese_ends_at": "2030-03-08T17:00"})
    assert response.status_code == 302
    training = TrainingSession.query.one()
    assert training.phases[0].starts_at == datetime(2030, 3, 3, 14, 0, tzinfo=UTC)
    assert response.headers["Location"].endswith(f"/sessions/{training.id}")


def test_the_form_says_what_is_wrong_and_keeps_what_was_typed(client, auth, moderator, clock,
                                                              save):
    save(moderator, BASE)
    auth.login("moderatrice")
    response = client.post(f"/definitions/{SLUG}/sessions", data={
        "name": "Cohorte à l’envers", "timezone": "America/Toronto",
        "propositions_starts_at": "2030-03-05T09:00", "propositions_ends_at": "2030-03-03T17:00",
        "votes_starts_at": "2030-03-06T09:00", "votes_ends_at": "2030-03-07T17:00",
        "synthese_starts_at": "2030-03-08T09:00", "synthese_ends_at": "2030-03-08T17:00"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "se termine avant de commencer" in html
    assert "Cohorte à l’envers" in html
    assert TrainingSession.query.count() == 0


def test_participants_do_not_see_the_creation_form(client, auth, participant, training):
    auth.login("participant")
    assert "Créer une session" not in page(client, f"/definitions/{SLUG}/sessions")
    response = client.post(f"/definitions/{SLUG}/sessions", data={"name": "x"})
    assert response.status_code == 403


def test_the_session_page_shows_the_timeline_with_today_and_what_to_do(client, training):
    with time_machine.travel(AT["avant"], tick=False):
        html = page(client, f"/sessions/{training.id}")
    assert "Cohorte printemps 2030" in html
    assert "Phase actuelle : Avant la session" in html
    assert 'aria-current="date"' in html
    assert html.index("Aujourd’hui") < html.index("du 3 mars à 9 h au 5 mars à 17 h")
    assert "Les propositions ouvrent le 3 mars à 9 h." in html
    with time_machine.travel(AT["votes"], tick=False):
        html = page(client, f"/sessions/{training.id}")
    assert "Phase actuelle : Votes" in html
    assert 'aria-current="step"' in html


def test_a_member_sees_what_they_can_do_during_the_propositions(client, auth, member,
                                                                training):
    auth.login("membre")
    with time_machine.travel(AT["propositions"], tick=False):
        html = page(client, f"/sessions/{training.id}")
    assert f"/definitions/{SLUG}/propose" in html
    assert "Vous n’avez encore rien proposé" in html


def test_a_non_member_is_told_to_ask_for_an_invitation(client, auth, participant, training):
    auth.login("participant")
    with time_machine.travel(AT["propositions"], tick=False):
        html = page(client, f"/sessions/{training.id}")
    assert "Vous n’êtes pas membre de cette session" in html


def test_the_definition_page_shows_a_banner_while_the_session_runs(client, training):
    with time_machine.travel(AT["propositions"], tick=False):
        html = page(client, f"/definitions/{SLUG}")
    assert "Session « Cohorte printemps 2030 »" in html
    assert f"/sessions/{training.id}" in html
    with time_machine.travel(AT["cloturee"], tick=False):
        assert "Session « Cohorte printemps 2030 »" not in page(client, f"/definitions/{SLUG}")


def test_the_participant_view_lists_my_proposals_and_sorts_the_others(client, auth, member,
                                                                      moderator, training):
    definition = get_definition(SLUG)
    with time_machine.travel(AT["propositions"], tick=True):
        ids = {}
        for title, owner in (("Proposition ancienne", moderator),
                             ("Proposition récente", moderator), ("La mienne", member)):
            remix = remixing.fork(definition_id=definition.id,
                                  from_revision_id=definition.head_revision_id, title=title,
                                  owner=owner)
            save_revision(definition_id=definition.id, remix_id=remix.id,
                          raw_body=BASE + title + "\n", summary="Ajout",
                          base_revision_id=remix.head_revision_id, author=owner)
            remixing.propose(remix.id, owner)
            ids[title] = remix.id
    with time_machine.travel(AT["votes"], tick=False):
        old = db.session.get(Remix, ids["Proposition ancienne"])
        voting.cast_vote(member.id, old.head_revision_id, "plebisciter")
    auth.login("membre")
    with time_machine.travel(AT["votes"], tick=False):
        by_votes = page(client, f"/sessions/{training.id}?tri=votes")
        by_date = page(client, f"/sessions/{training.id}?tri=date")
    mine = by_votes.index("Mes propositions")
    others = by_votes.index("Les propositions des autres")
    assert mine < by_votes.index("La mienne") < others
    assert by_votes.index("Proposition ancienne") < by_votes.index("Proposition récente")
    assert by_date.index("Proposition récente") < by_date.index("Proposition ancienne")


def test_an_anonymous_visitor_is_asked_to_log_in_or_register(client, training, moderator):
    invitation = sessions.create_invitation(training.id, moderator, "2030-03-06T00:00:00Z")
    html = page(client, f"/sessions/join/{invitation.code}")
    assert "Cohorte printemps 2030" in html
    assert f"/login?next=/sessions/join/{invitation.code}" in html
    assert f"/register?next=/sessions/join/{invitation.code}" in html


JOIN_BUTTON = re.compile(
    r'<form method="post" action="(/sessions/join/[^"]+)"[^>]*>\s*'
    r'<input type="hidden" name="csrf_token" value="([^"]*)">\s*'
    r'<button type="submit" class="button">Rejoindre la session</button>')


def _join_button(html: str) -> tuple[str, str]:
    """The invitation page's « Rejoindre la session » form: its action and CSRF token."""
    match = JOIN_BUTTON.search(html)
    assert match, "the page shows the « Rejoindre la session » button"
    return match.group(1), match.group(2)


def test_the_join_link_asks_for_confirmation_after_login(client, training, moderator,
                                                         participant):
    invitation = sessions.create_invitation(training.id, moderator, "2030-03-06T00:00:00Z")
    link = f"/sessions/join/{invitation.code}"
    response = client.post("/login", data={"username": "participant",
                                           "password": "un-mot-de-passe-solide", "next": link})
    assert response.headers["Location"] == link
    html = page(client, link)
    assert "Cohorte printemps 2030" in html
    assert SessionMember.query.count() == 0, "opening the link joins nobody"
    action, _token = _join_button(html)
    assert action == link
    response = client.post(action)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sessions/{training.id}")
    assert SessionMember.query.filter_by(user_id=participant.id).count() == 1
    assert "Vous faites déjà partie de cette session" in page(client, link)


def test_the_join_link_asks_for_confirmation_after_registration(client, training, moderator):
    invitation = sessions.create_invitation(training.id, moderator, "2030-03-06T00:00:00Z")
    link = f"/sessions/join/{invitation.code}"
    response = client.post("/register", data={
        "username": "nouvelle", "password": "un-mot-de-passe-solide",
        "password_confirm": "un-mot-de-passe-solide", "display_name": "Nina Nouvelle",
        "next": link})
    assert response.headers["Location"] == link
    action, _token = _join_button(page(client, link))
    assert SessionMember.query.count() == 0
    assert client.post(action).status_code == 302
    assert SessionMember.query.count() == 1


def test_opening_the_join_link_joins_nobody_and_the_button_needs_the_csrf_token(
        app, client, auth, training, moderator, participant):
    """A link preview, a prefetch or an <img src> on another site only GETs the link: that
    must not add the person; the button's POST is a form like any other (CSRF-checked)."""
    invitation = sessions.create_invitation(training.id, moderator, "2030-03-06T00:00:00Z")
    link = f"/sessions/join/{invitation.code}"
    auth.login("participant")
    app.config["WTF_CSRF_ENABLED"] = True
    for _ in range(2):
        html = page(client, link)
    assert SessionMember.query.count() == 0
    action, token = _join_button(html)
    forged = client.post(action)
    assert forged.status_code == 400
    assert SessionMember.query.count() == 0
    assert client.post(action, data={"csrf_token": token}).status_code == 302
    assert SessionMember.query.filter_by(user_id=participant.id).count() == 1


def test_an_expired_or_revoked_link_says_so(client, auth, training, moderator, participant):
    invitation = sessions.create_invitation(training.id, moderator, "2030-03-02T00:00:00Z")
    link = f"/sessions/join/{invitation.code}"
    with time_machine.travel(AT["propositions"], tick=False):
        anonymous = client.get(link)
        auth.login("participant")
        logged_in = client.get(link)
        posted = client.post(link)
        sessions.revoke_invitation(invitation.code, moderator)
        revoked = (client.get(link), client.post(link))
        unknown = client.get("/sessions/join/" + "x" * 80)
    for response in (anonymous, logged_in, posted):
        assert response.status_code == 422
        assert "Cette invitation a expiré" in response.get_data(as_text=True)
    assert "Rejoindre la session" not in logged_in.get_data(as_text=True)
    for response in revoked:
        assert response.status_code == 422
        assert "révoquée" in response.get_data(as_text=True)
    assert unknown.status_code == 422
    assert "Ce code d’invitation n’existe pas" in unknown.get_data(as_text=True)
    assert SessionMember.query.count() == 0


def test_moderators_add_members_and_manage_invitations_from_the_page(client, auth, training,
                                                                     participant):
    auth.login("moderatrice")
    response = client.post(f"/sessions/{training.id}/members", data={"username": "participant"})
    assert response.status_code == 302
    assert SessionMember.query.count() == 1
    unknown = client.post(f"/sessions/{training.id}/members", data={"username": "personne"})
    assert unknown.status_code == 422
    assert "Aucun compte actif" in unknown.get_data(as_text=True)
    html = page(client, f"/sessions/{training.id}")
    assert 'name="expires_at"' in html
    response = client.post(f"/sessions/{training.id}/invitations",
                           data={"expires_at": "2030-03-07T17:00"})
    assert response.status_code == 302
    invitation = Invitation.query.one()
    assert invitation.expires_at == datetime(2030, 3, 7, 22, 0, tzinfo=UTC)
    html = page(client, f"/sessions/{training.id}")
    assert f"/sessions/join/{invitation.code}" in html
    assert "data-confirm" in html
    response = client.post(f"/invitations/{invitation.code}/revoke")
    assert response.status_code == 302
    assert Invitation.query.one().revoked_at is not None


def test_participants_do_not_see_the_moderator_tools(client, auth, member, training):
    auth.login("membre")
    html = page(client, f"/sessions/{training.id}")
    assert "Liens d’invitation" not in html
    assert client.post(f"/sessions/{training.id}/invitations",
                       data={"expires_at": "2030-03-07T17:00"}).status_code == 403


def test_a_refused_vote_on_the_page_shows_the_phase_message(client, auth, member, training):
    definition = get_definition(SLUG)
    with time_machine.travel(AT["propositions"], tick=False):
        remix = remixing.fork(definition_id=definition.id,
                              from_revision_id=definition.head_revision_id, title="P",
                              owner=member)
        head = save_revision(definition_id=definition.id, remix_id=remix.id,
                             raw_body=BASE.replace("bravo", "BRAVO"), summary="Retouche",
                             base_revision_id=remix.head_revision_id, author=member).revision
        remixing.propose(remix.id, member)
        auth.login("membre")
        response = client.post(f"/revisions/{head.id}/vote",
                               data={"choice": "plebisciter"}, follow_redirects=True,
                               headers={"Accept-Language": "fr"})
    assert "Les votes ouvrent le 6 mars à 9 h." in response.get_data(as_text=True)


@pytest.fixture
def finished(training, member, moderator):
    definition = get_definition(SLUG)
    with time_machine.travel(AT["propositions"], tick=False):
        remix = remixing.fork(definition_id=definition.id,
                              from_revision_id=definition.head_revision_id,
                              title="Une | proposition", owner=member)
        save_revision(definition_id=definition.id, remix_id=remix.id,
                      raw_body=BASE.replace("bravo", "BRAVO"), summary="Retouche",
                      base_revision_id=remix.head_revision_id, author=member)
        remixing.propose(remix.id, member)
    with time_machine.travel(AT["synthese"], tick=False):
        remixing.merge_remix(remix.id, moderator, {})
    return training


def test_the_synthesis_page_shows_texts_diff_proposals_and_contributors(client, finished):
    with time_machine.travel(AT["cloturee"], tick=False):
        html = page(client, f"/sessions/{finished.id}/synthese")
    assert "Synthèse de la session « Cohorte printemps 2030 »" in html
    assert "1 mot ajouté, 1 mot retiré." in html
    assert '<ins class="diff-ins">' in html
    assert "fusionnée" in html
    assert "Mia Membre" in html and "%" in html
    assert "licence" in html.lower()


def test_the_synthesis_exports_carry_the_attribution(client, finished):
    with time_machine.travel(AT["cloturee"], tick=False):
        markdown = client.get(f"/sessions/{finished.id}/synthese.md")
        html = client.get(f"/sessions/{finished.id}/synthese.html")
    assert markdown.mimetype == "text/markdown"
    text = markdown.get_data(as_text=True)
    assert text.startswith("# Synthèse de la session « Cohorte printemps 2030 »")
    assert "{--bravo--}{++BRAVO++}" in text
    assert "Une \\| proposition" in text
    assert "Mia Membre" in text
    assert "creativecommons.org" in text
    assert "Pas d’utilisation commerciale" in text
    page_html = html.get_data(as_text=True)
    assert html.mimetype == "text/html"
    assert 'rel="license"' in page_html
    assert "Mia Membre" in page_html


def test_unknown_sessions_are_404_pages(client, app):
    assert client.get("/sessions/999").status_code == 404
    assert client.get("/sessions/999/synthese").status_code == 404
