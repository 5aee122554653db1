"""The page cache: anonymous read pages are sent again while the database is unchanged, and
never once anything was committed, whoever committed it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from wiki import pagecache
from wiki.extensions import db

SLUG = "strategie-numerique"


@pytest.fixture
def config(config):
    return {**config, "PAGE_CACHE": True}


@pytest.fixture
def cache(app):
    return app.extensions["page_cache"].cache


@pytest.fixture
def quiet_server(database_url):
    """PostgreSQL's version is the server-wide snapshot: on a server shared with other
    databases (the test server is), their writes make hits a matter of luck."""
    if database_url.startswith("postgresql"):
        pytest.skip("server-wide snapshot: hits are not counted on a shared server")


def test_an_anonymous_page_is_sent_again_from_the_cache(client, cache, seed_revision,
                                                         quiet_server):
    first = client.get(f"/revisions/{seed_revision.id}")
    hits = cache.hits
    second = client.get(f"/revisions/{seed_revision.id}")
    assert cache.hits == hits + 1
    assert second.status_code == 200
    assert second.data == first.data
    assert second.headers.get_all("Content-Security-Policy") == \
        first.headers.get_all("Content-Security-Policy")
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Cache-Control"] == "no-cache"


def test_a_vote_shows_at_once(client, cache, participant, seed_revision):
    from wiki.services import voting

    assert client.get(f"/definitions/{SLUG}").status_code == 200
    voting.cast_vote(participant.id, seed_revision.id, "plebisciter")
    page = client.get(f"/definitions/{SLUG}").get_data(as_text=True)
    assert 'data-count="plebisciter">1<' in page or '<span class="count">1</span>' in page


def test_a_commit_by_another_process_shows_at_once(client, database_url, seed_revision):
    before = client.get(f"/api/v1/revisions/{seed_revision.id}").get_json()
    assert before["summary"] != "Modifié ailleurs"
    other = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1)
                          if database_url.startswith("postgresql://") else database_url)
    with other.begin() as connection:
        connection.execute(text("UPDATE revisions SET summary = 'Modifié ailleurs' "
                                "WHERE id = :id"), {"id": seed_revision.id})
    other.dispose()
    after = client.get(f"/api/v1/revisions/{seed_revision.id}").get_json()
    assert after["summary"] == "Modifié ailleurs"


def test_if_none_match_gets_a_304_from_the_cache(client, cache, seed_revision, quiet_server):
    etag = client.get(f"/definitions/{SLUG}").headers["ETag"]
    hits = cache.hits
    again = client.get(f"/definitions/{SLUG}", headers={"If-None-Match": etag})
    assert cache.hits == hits + 1
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag


def test_logged_in_readers_are_never_served_from_it(client, cache, auth, participant):
    client.get(f"/definitions/{SLUG}")
    auth.login("participant")
    page = client.get(f"/definitions/{SLUG}")
    assert "Paul Participant" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert cache.hits == 0


def test_token_callers_are_never_served_from_it(client, cache, participant, token_for,
                                                seed_revision):
    path = f"/api/v1/revisions/{seed_revision.id}"
    client.get(path)
    client.get(path, headers=token_for(participant))
    assert cache.hits == 0


def test_each_language_has_its_own_copy(client, cache):
    french = client.get(f"/definitions/{SLUG}", headers={"Accept-Language": "fr"})
    english = client.get(f"/definitions/{SLUG}", headers={"Accept-Language": "en"})
    assert french.data != english.data
    client.set_cookie("lang", "en", domain="wiki.test")
    by_cookie = client.get(f"/definitions/{SLUG}", headers={"Accept-Language": "fr"})
    assert by_cookie.data == english.data


def test_pages_outside_the_list_are_not_kept(client, cache, participant):
    client.get("/users/participant")
    client.get("/users/participant")
    assert cache.hits == 0 and len(cache) == 0


def test_an_entry_lasts_at_most_max_age(client, cache, monkeypatch):
    client.get(f"/definitions/{SLUG}")
    now = pagecache.time.time()
    monkeypatch.setattr(pagecache.time, "time", lambda: now + pagecache.MAX_AGE + 1)
    client.get(f"/definitions/{SLUG}")
    assert cache.hits == 0


def test_a_failing_page_is_not_kept(client, cache):
    client.get("/revisions/999999")
    client.get("/revisions/999999")
    assert cache.hits == 0 and len(cache) == 0


def test_off_in_tests_unless_asked(app):
    app.config["PAGE_CACHE"] = False
    client = app.test_client()
    client.get(f"/definitions/{SLUG}")
    client.get(f"/definitions/{SLUG}")
    assert app.extensions["page_cache"].cache.hits == 0


def test_the_cache_is_bounded_in_bytes():
    cache = pagecache.PageCache(max_bytes=100)
    for n in range(5):
        cache.put(("k", n), pagecache.Entry("200 OK", (), b"x" * 40, pagecache.time.time()))
    assert len(cache) == 2
    assert cache.get(("k", 4)) is not None and cache.get(("k", 0)) is None


def test_database_writes_in_this_process_bump_the_version(app, participant, seed_revision):
    from wiki.services import voting

    middleware = app.extensions["page_cache"]
    before = middleware.database_version()
    assert middleware.database_version() == before
    voting.cast_vote(participant.id, seed_revision.id, "rejeter")
    db.session.commit()
    assert middleware.database_version() != before
