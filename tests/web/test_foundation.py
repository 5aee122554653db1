"""The foundation: home page, health, 404s, language, caching headers."""

import pytest


def test_home_shows_the_seed_definition_rendered_with_its_licence(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "stratégie numérique" in page
    assert "<h2>Pour qui" in page
    assert 'rel="license"' in page
    assert "Annie Chénier" in page and "Frédéric Vincent" in page
    assert "Pas d’utilisation commerciale" in page


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_healthz_answers_503_when_the_database_is_away(tmp_path):
    from wiki import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def test_unknown_page_is_a_french_404(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/nulle-part")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_english_is_chosen_from_accept_language(client):
    page = client.get("/", headers={"Accept-Language": "en-CA,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "History" in page


def test_french_is_the_default_language(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Historique" in page


def test_language_switch_sets_a_cookie_and_comes_back(client):
    response = client.get("/langue/en?next=/definitions/strategie-numerique/history")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/definitions/strategie-numerique/history")
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page


def test_language_switch_refuses_an_off_site_next(client):
    response = client.get("/langue/en?next=//evil.example")
    assert "evil.example" not in response.headers["Location"]


def test_anonymous_pages_set_no_cookie_and_revalidate_with_an_etag(client):
    response = client.get("/")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_logged_in_pages_are_private(client, auth, participant):
    auth.login("participant")
    response = client.get("/")
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in response.headers["Vary"]


@pytest.mark.parametrize("header", ["Content-Security-Policy", "X-Content-Type-Options",
                                    "Referrer-Policy"])
def test_pages_carry_security_headers(client, header):
    assert header in client.get("/").headers


def test_content_security_policy_forbids_inline_scripts_and_framing(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
