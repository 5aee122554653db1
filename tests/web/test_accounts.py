"""Registration, login, logout, roles and API tokens."""

import pytest

from tests.conftest import PASSWORD


def test_register_logs_the_new_participant_in(client):
    response = client.post("/register", data={
        "username": "Camille", "display_name": "Camille Roy", "password": PASSWORD,
        "password_confirm": PASSWORD})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Camille Roy" in page and "Se déconnecter" in page


@pytest.mark.parametrize(("username", "password", "message"), [
    ("taken", PASSWORD, "déjà pris"),
    ("camille", "court", "au moins 10 caractères"),
    ("x" * 41, PASSWORD, "dépasse 40 caractères"),
    ("саша", PASSWORD, "lettres non accentuées"),
    ("", PASSWORD, "Choisissez un nom"),
], ids=["taken-username", "weak-password", "too-long", "cyrillic-confusable", "empty"])
def test_register_refuses_bad_input_and_keeps_the_fields(client, create_user, username,
                                                         password, message):
    create_user("taken")
    response = client.post("/register", data={
        "username": username, "display_name": "Nom gardé", "password": password,
        "password_confirm": password})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'value="Nom gardé"' in page


def test_register_refuses_mismatched_passwords(client):
    response = client.post("/register", data={
        "username": "camille", "password": PASSWORD, "password_confirm": PASSWORD + "x"})
    assert response.status_code == 422
    assert "ne correspondent pas" in response.get_data(as_text=True)


def test_display_name_with_a_bidi_override_is_refused(client):
    response = client.post("/register", data={
        "username": "camille", "display_name": "abc\u202edcba", "password": PASSWORD,
        "password_confirm": PASSWORD})
    assert response.status_code == 422
    assert "invisibles" in response.get_data(as_text=True)


def test_passwords_are_stored_as_scrypt_hashes(app, create_user):
    user = create_user("camille")
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_production_hashes_passwords_with_scrypt_at_full_cost(app, create_user):
    from config import Config

    app.config["PASSWORD_HASH_METHOD"] = Config.PASSWORD_HASH_METHOD
    assert create_user("camille").password_hash.startswith("scrypt:32768:8:1$")


def test_login_and_logout(client, auth, participant):
    assert auth.login("participant").status_code == 302
    assert "Se déconnecter" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert "Se connecter" in client.get("/").get_data(as_text=True)


def test_login_failure_says_the_same_for_unknown_user_and_wrong_password(client, participant):
    unknown = client.post("/login", data={"username": "personne", "password": PASSWORD})
    wrong = client.post("/login", data={"username": "participant", "password": "mauvais-mdp!"})
    assert unknown.status_code == wrong.status_code == 401
    assert "incorrect" in unknown.get_data(as_text=True)

    def page(response):  # the CSRF token is signed with the time: it may differ by a second
        import re

        return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))

    assert page(unknown) == page(wrong).replace('value="participant"', 'value="personne"')


def test_login_redirects_only_to_a_path_of_this_site(client, participant):
    response = client.post("/login?next=//evil.example/x", data={
        "username": "participant", "password": PASSWORD})
    assert "evil.example" not in response.headers["Location"]
    response = client.post("/login?next=/definitions/strategie-numerique/history", data={
        "username": "participant", "password": PASSWORD})
    assert response.headers["Location"].endswith("/definitions/strategie-numerique/history")


def test_deactivated_user_cannot_log_in_and_only_the_password_holder_learns_why(
        app, client, participant):
    from wiki.extensions import db

    participant.active = False
    db.session.commit()
    response = client.post("/login", data={"username": "participant", "password": PASSWORD})
    assert response.status_code == 403
    assert "désactivé" in response.get_data(as_text=True)
    wrong = client.post("/login", data={"username": "participant", "password": "pas-le-bon-1"})
    assert wrong.status_code == 401
    assert "désactivé" not in wrong.get_data(as_text=True)
    assert "Se déconnecter" not in client.get("/").get_data(as_text=True)


def test_api_registration_and_token_round_trip(client):
    created = client.post("/api/v1/users", json={"username": "lea", "password": PASSWORD})
    assert created.status_code == 201
    assert created.get_json()["role"] == "participant"
    assert "password" not in created.get_data(as_text=True)
    token = client.post("/api/v1/tokens", json={"username": "lea", "password": PASSWORD})
    assert token.status_code == 201
    value = token.get_json()["token"]
    assert len(value) >= 43
    headers = {"Authorization": f"Bearer {value}"}
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 200
    again = client.delete("/api/v1/tokens/current", headers=headers)
    assert again.status_code == 401
    assert again.get_json()["error"]["code"] == "invalid_token"


def test_tokens_are_stored_as_sha256_digests(app, participant):
    import hashlib

    from wiki.models import ApiToken
    from wiki.services.accounts import create_token

    token = create_token(participant.id, "script")
    row = ApiToken.query.one()
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.digest


def test_bad_credentials_for_a_token_answer_401_json(client, participant):
    response = client.post("/api/v1/tokens", json={"username": "participant", "password": "x"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"


def test_account_page_creates_shows_once_and_revokes_a_token(client, auth, participant):
    auth.login("participant")
    page = client.post("/account/tokens", data={"name": "mon script"}).get_data(as_text=True)
    assert "affiché une seule fois" in page
    assert "affiché une seule fois" not in client.get("/account").get_data(as_text=True)
    from wiki.models import ApiToken

    token = ApiToken.query.one()
    client.post(f"/account/tokens/{token.id}/revoke")
    assert "révoqué" in client.get("/account").get_data(as_text=True)


# --- « Mon compte » ---------------------------------------------------------------------------

def _user(username):
    from wiki.models import User

    return User.query.filter_by(username=username).one()


def test_account_page_changes_the_display_name(client, auth, participant):
    auth.login("participant")
    response = client.post("/account/profile", data={"display_name": "  Paula   Roy "})
    assert response.status_code == 302
    assert _user("participant").display_name == "Paula Roy"
    assert "Nom affiché modifié" in client.get("/account").get_data(as_text=True)


def test_account_page_refuses_a_disguised_display_name_and_changes_nothing(client, auth,
                                                                          participant):
    auth.login("participant")
    response = client.post("/account/profile", data={"display_name": "Paul\u202eRoy"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "invisibles" in page and 'aria-invalid="true"' in page
    assert _user("participant").display_name == "Paul Participant"


def test_changing_the_password_needs_the_current_one(client, auth, participant):
    auth.login("participant")
    response = client.post("/account/password", data={
        "current_password": "pas-le-bon-mot", "new_password": "nouveau-mot-de-passe",
        "new_password_confirm": "nouveau-mot-de-passe"})
    assert response.status_code == 422
    assert "mot de passe actuel est incorrect" in response.get_data(as_text=True)
    mismatch = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "nouveau-mot-de-passe",
        "new_password_confirm": "autre-mot-de-passe"})
    assert mismatch.status_code == 422
    assert "ne correspondent pas" in mismatch.get_data(as_text=True)
    short = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "court", "new_password_confirm": "court"})
    assert short.status_code == 422
    auth.logout()
    assert auth.login("participant").status_code == 302, "the old password still works"


def test_changing_the_password_ends_other_sessions_and_revokes_tokens(app, client, auth,
                                                                     participant, token_for):
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"username": "participant", "password": PASSWORD})
    assert "Se déconnecter" in elsewhere.get("/account").get_data(as_text=True)
    headers = token_for(participant)
    assert client.get("/api/v1/definitions", headers=headers).status_code == 200
    auth.login("participant")
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "nouveau-mot-de-passe",
        "new_password_confirm": "nouveau-mot-de-passe"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "autres sessions sont fermées" in page and "jetons d’API révoqués (1)" in page
    # This browser stays logged in; the other one is logged out; the token is dead.
    assert "Se déconnecter" in client.get("/account").get_data(as_text=True)
    assert elsewhere.get("/account").status_code == 302
    refused = client.get("/api/v1/definitions", headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "invalid_token"
    auth.logout()
    assert auth.login("participant").status_code == 401
    assert auth.login("participant", "nouveau-mot-de-passe").status_code == 302


def test_ending_other_sessions_keeps_this_one(app, client, auth, participant):
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"username": "participant", "password": PASSWORD})
    auth.login("participant")
    assert client.post("/account/sessions/end").status_code == 302
    assert client.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302


# --- Admins: /admin/users ---------------------------------------------------------------------

@pytest.fixture
def admin(create_user):
    return create_user("alice", role="admin", display_name="Alice Admin")


def test_admin_lists_and_searches_accounts(client, auth, admin, participant, moderator):
    auth.login("alice")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Paul Participant" in page and "Marie Modératrice" in page
    found = client.get("/admin/users?q=PAUL").get_data(as_text=True)
    assert "Paul Participant" in found and "Marie Modératrice" not in found
    by_role = client.get("/admin/users?role=moderator").get_data(as_text=True)
    assert "Marie Modératrice" in by_role and "Paul Participant" not in by_role
    none = client.get("/admin/users?q=personne-de-ce-nom").get_data(as_text=True)
    assert "Aucun compte ne correspond" in none
    odd = client.get("/admin/users?q=%25_%5C&role=roi&page=-4")
    assert odd.status_code == 200


def test_admin_list_is_paginated(client, auth, admin, create_user):
    from wiki.services.accounts import USERS_PAGE

    for n in range(USERS_PAGE + 1):
        create_user(f"lecteur{n:03d}")
    auth.login("alice")
    first = client.get("/admin/users").get_data(as_text=True)
    assert "Page suivante" in first and "lecteur050" in first and "lecteur000" not in first
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert "lecteur000" in second and "Page précédente" in second


def test_admin_changes_a_role_and_it_is_audited(client, auth, admin, participant):
    from wiki.models import AuditEntry

    auth.login("alice")
    response = client.post("/admin/users/participant/role", data={"role": "moderator",
                                                                "retour_q": "pa"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/users?q=pa")
    assert _user("participant").role == "moderator"
    entry = AuditEntry.query.filter_by(action="set_role").one()
    assert (entry.actor_id, entry.target_id) == (admin.id, participant.id)
    assert entry.details["from"] == "participant" and entry.details["to"] == "moderator"
    page = client.get("/admin/users").get_data(as_text=True)
    assert "est maintenant modérateur" in page and "changement de rôle" in page


def test_admin_cannot_demote_or_deactivate_themselves(client, auth, admin):
    from wiki.models import AuditEntry

    auth.login("alice")
    client.post("/admin/users/alice/role", data={"role": "participant"})
    client.post("/admin/users/alice/deactivate")
    assert _user("alice").role == "admin" and _user("alice").active
    assert AuditEntry.query.count() == 0
    assert "votre propre compte" in client.get("/admin/users").get_data(as_text=True)


def test_admin_refuses_an_unknown_role_or_account(client, auth, admin, participant):
    auth.login("alice")
    client.post("/admin/users/participant/role", data={"role": "roi"})
    assert _user("participant").role == "participant"
    assert "Rôle inconnu" in client.get("/admin/users").get_data(as_text=True)
    assert client.post("/admin/users/personne/deactivate").status_code == 404


def test_deactivation_ends_sessions_and_tokens_keeps_content_and_is_audited(
        app, client, auth, admin, participant, token_for, save, seed_revision):
    from wiki.models import AuditEntry
    from wiki.services.remixing import fork

    remix = fork(definition_id=seed_revision.definition_id, from_revision_id=seed_revision.id,
                 title="Mon remix", owner=participant)
    victim = app.test_client()
    victim.post("/login", data={"username": "participant", "password": PASSWORD})
    headers = token_for(participant)
    auth.login("alice")
    response = client.post("/admin/users/participant/deactivate", follow_redirects=True)
    assert "est désactivé" in response.get_data(as_text=True)
    assert not _user("participant").active
    assert victim.get("/account").status_code == 302
    assert "Se déconnecter" not in victim.get("/").get_data(as_text=True)
    answer = client.get("/api/v1/definitions", headers=headers)
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "invalid_token"
    # The content stays, still signed by its author.
    remix_page = client.get(f"/remixes/{remix.id}").get_data(as_text=True)
    assert "Mon remix" in remix_page and "Paul Participant" in remix_page
    assert client.get("/users/participant").status_code == 200
    entry = AuditEntry.query.filter_by(action="deactivate_user").one()
    assert entry.target_id == participant.id and entry.details["revoked_tokens"] == 1
    # Reactivated: can log in again, but neither the old session nor the old token return.
    client.post("/admin/users/participant/reactivate")
    assert _user("participant").active
    assert AuditEntry.query.filter_by(action="reactivate_user").count() == 1
    assert victim.get("/account").status_code == 302
    assert client.get("/api/v1/definitions", headers=headers).status_code == 401
    assert victim.post("/login", data={"username": "participant",
                                       "password": PASSWORD}).status_code == 302


def test_a_deactivated_users_token_is_refused_even_if_never_revoked(client, participant,
                                                                    token_for):
    from wiki.extensions import db

    headers = token_for(participant)
    participant.active = False
    db.session.commit()
    for response in (client.get("/api/v1/definitions", headers=headers),
                     client.put("/api/v1/revisions/1/vote", headers=headers,
                                json={"choice": "plebisciter"})):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "invalid_token"
    created = client.post("/api/v1/tokens", json={"username": "participant",
                                                   "password": PASSWORD})
    assert created.status_code == 401


@pytest.mark.parametrize("role", ["participant", "moderator"])
def test_only_admins_reach_the_account_admin(client, auth, create_user, role):
    create_user("quelquun", role=role)
    auth.login("quelquun")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/quelquun/role", data={"role": "admin"}).status_code == 403
    assert _user("quelquun").role == role


def test_anonymous_visitors_are_sent_to_login_from_the_admin(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- Login reveals nothing --------------------------------------------------------------------

def test_login_takes_as_long_for_an_unknown_user_as_for_a_wrong_password(app, create_user):
    import time

    from config import Config
    from wiki.services.accounts import authenticate

    app.config["PASSWORD_HASH_METHOD"] = Config.PASSWORD_HASH_METHOD
    create_user("participant")

    def timed(username):
        start = time.perf_counter()
        assert authenticate(username, "pas-le-bon-mot-de-passe") is None
        return time.perf_counter() - start

    timed("participant"), timed("personne")  # warm up
    # Interleaved, and the fastest of each kept: on a shared machine the load drifts, and a
    # slow moment lands on both kinds alike instead of on one of them.
    pairs = [(timed("participant"), timed("personne")) for _ in range(9)]
    known, unknown = min(k for k, _ in pairs), min(u for _, u in pairs)
    # Both check one scrypt hash of the same cost (~tens of ms); a shortcut would be ~100× faster.
    assert 1 / 3 < unknown / known < 3, (known, unknown)
    assert known > 0.005


# --- Names that pass for others ---------------------------------------------------------------

@pytest.mark.parametrize(("display_name", "message"), [
    ("Paul\u2066Roy", "invisibles"),
    ("Paul\u200bRoy", "invisibles"),
    ("Paul\u061cRoy", "invisibles"),
    ("Paul\u2028Roy", "invisibles"),
    ("Pau\u0301\u0301\u0301\u0301l", "diacritiques"),
    ("P\u0430ul Roy", "mêle des alphabets"),
    ("Marie Moderatrice", "ressemble trop"),
    ("MARIE  MODÉRATRICE", "ressemble trop"),
    ("Маrіе Моdеrаtrісе", "mêle des alphabets"),
    ("moderatrice", "ressemble trop"),
    ("x" * 81, "dépasse 80"),
], ids=["isolate", "zero-width", "arabic-mark", "line-separator", "zalgo", "mixed-script",
        "lookalike-accents", "lookalike-case", "lookalike-cyrillic", "lookalike-username",
        "too-long"])
def test_registration_refuses_display_names_that_disguise(client, moderator, display_name,
                                                          message):
    from wiki.models import User

    before = User.query.count()
    response = client.post("/register", data={
        "username": "camille", "display_name": display_name, "password": PASSWORD,
        "password_confirm": PASSWORD})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert User.query.count() == before


def test_a_display_name_spelt_in_lookalike_letters_is_refused(client, create_user):
    create_user("copa", display_name="Copa Poe")
    response = client.post("/register", data={
        "username": "imposteur", "display_name": "Сора Рое",
        "password": PASSWORD, "password_confirm": PASSWORD})
    assert response.status_code == 422
    assert "ressemble trop à celui d’un autre compte (Copa Poe)" in response.get_data(
        as_text=True)


def test_names_in_other_scripts_are_welcome(client):
    for username, name in (("ivan", "Иван Петров"), ("eleni", "Ελένη"), ("aiko", "山田 愛子"),
                           ("zoe", "Zoé Lefèvre-Ngô")):
        response = client.post("/register", data={
            "username": username, "display_name": name, "password": PASSWORD,
            "password_confirm": PASSWORD})
        assert response.status_code == 302, name
        client.post("/logout")
        assert _user(username).display_name == name


@pytest.mark.parametrize("username", [
    "ｐａｒｔｉｃｉｐａｎｔ", "PARTICIPANT", " participant ",
], ids=["fullwidth", "upper-case", "spaces"])
def test_usernames_that_fold_to_an_existing_one_are_taken(client, participant, username):
    response = client.post("/register", data={
        "username": username, "password": PASSWORD, "password_confirm": PASSWORD})
    assert response.status_code == 422
    assert "déjà pris" in response.get_data(as_text=True)


@pytest.mark.parametrize("username", [
    "abc\u202efdp", "pa\u200bul", "paul\u00a0roy", "p\u0430ul", "paul/../admin", "<b>paul</b>",
    "a" * 1000,
], ids=["bidi-override", "zero-width", "nbsp", "cyrillic-a", "path", "markup", "very-long"])
def test_api_registration_refuses_odd_usernames_with_a_json_422(client, username):
    response = client.post("/api/v1/users", json={"username": username, "password": PASSWORD})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["field"] == "username"
