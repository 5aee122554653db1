"""Search through the API and the pages, on each engine (SQLite FTS5, PostgreSQL)."""

from urllib.parse import quote

import pytest

SLUG = "strategie-numerique"

HOSTILE_QUERIES = [
    "x" * 1000,
    ("stratégie " + '"NEAR( AND -* : ) OR NOT ^' * 40)[:1000],
    '"', '""', '"stratégie', 'stratégie"', "'", "*", "strat*", "*stratégie",
    "NEAR", "NEAR(stratégie numérique, 2)", "NEAR/3", "AND", "OR", "NOT", "stratégie AND",
    "AND stratégie OR", "-", "-stratégie", "--", "(", ")", "((stratégie)", "()",
    ":", "words:stratégie", "body:strat", "{words}: x", "^stratégie", "+", "!", "&", "|",
    "stratégie & | ! <->", "", "   ", "\t", "!!!", "?,;.…«»", "l'", "’", "\\", "%", "_",
    "'; DROP TABLE revisions; --", "é", "😀", "हिन्दी भाषा", "中文", "\u200b", "\x00",
    "a\x00b", "\ufffd", "\u202e", "0", "-1", "1e308", "null", "<script>alert(1)</script>",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_are_text_never_an_engine_error(client, query):
    for history in ("0", "1"):
        response = client.get("/api/v1/search", query_string={"q": query, "history": history})
        assert response.status_code == 200, (query, response.get_data(as_text=True)[:300])
        assert isinstance(response.get_json()["items"], list)
        page = client.get("/search", query_string={"q": query, "historique": history})
        assert page.status_code == 200
        assert "<script>alert(1)" not in page.get_data(as_text=True)


def test_invalid_percent_encoding_is_text(client):
    assert client.get("/api/v1/search?q=%ff%fe%00strat%C3%A9gie").status_code == 200
    assert client.get("/search?q=%ff%fe").status_code == 200


def test_words_among_syntax_still_find_the_text(client, seed_revision):
    for query in ['"stratégie" (numérique)*', "NUMÉRIQUE: -stratégie", "«transformations»"]:
        items = client.get("/api/v1/search", query_string={"q": query}).get_json()["items"]
        assert [i["revision_id"] for i in items] == [seed_revision.id], query


def test_api_answers_current_texts_with_highlighted_excerpts(client, seed_revision):
    response = client.get("/api/v1/search?q=strategie")
    assert response.status_code == 200
    body = response.get_json()
    assert body["next"] is None
    [item] = body["items"]
    assert item["definition"] == SLUG and item["revision_id"] == seed_revision.id
    assert item["current"] is True and item["remix_id"] is None
    assert item["term"] == "stratégie numérique"
    assert "<mark>stratégie</mark>" in item["excerpt"]


def test_api_history_finds_old_revisions(client, moderator, save, seed_revision):
    edited = save(moderator, "Un texte entièrement réécrit, sans le mot d’avant.")
    assert client.get("/api/v1/search?q=désintermédiation").get_json()["items"] == []
    items = client.get("/api/v1/search?q=désintermédiation&history=1").get_json()["items"]
    assert [(i["revision_id"], i["current"]) for i in items] == [(seed_revision.id, False)]
    items = client.get("/api/v1/search?q=réécrit&history=0").get_json()["items"]
    assert [i["revision_id"] for i in items] == [edited.revision.id]


def test_api_pages_with_cursor_and_limit(client, moderator, save, seed_revision):
    for n in range(4):
        save(moderator, f"Stratégie, version {n}.")
    seen, url = [], "/api/v1/search?q=stratégie&history=1&limit=2"
    while url:
        body = client.get(url).get_json()
        seen += [item["revision_id"] for item in body["items"]]
        url = body["next"] and (f"/api/v1/search?q=stratégie&history=1&limit=2"
                                f"&cursor={quote(body['next'])}")
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 5


@pytest.mark.parametrize("params, code", [
    ("limit=abc", "invalid_limit"), ("limit=0", "invalid_limit"), ("limit=101", "invalid_limit"),
    ("cursor=pas-un-curseur", "invalid_cursor"), ("history=peut-etre", "invalid_history"),
])
def test_api_bad_parameters_are_400(client, params, code):
    response = client.get(f"/api/v1/search?q=stratégie&{params}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code


def test_api_cursor_of_another_list_is_refused(client, app):
    from wiki.views.api.common import make_cursor

    with app.test_request_context():
        cursor = make_cursor("strategie-numerique")
    response = client.get(f"/api/v1/search?q=x&cursor={quote(cursor)}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_cursor"


def test_empty_query_answers_no_items(client):
    assert client.get("/api/v1/search").get_json() == {"items": [], "next": None}


def test_every_page_has_a_search_box_in_its_header(client):
    page = client.get("/").get_data(as_text=True)
    assert 'role="search"' in page and 'action="/search"' in page and 'name="q"' in page


def test_search_page_lists_results_with_marks_and_links(client, seed_revision):
    page = client.get("/search?q=Transformations").get_data(as_text=True)
    assert "<mark>transformation</mark>" in page
    assert f'href="/definitions/{SLUG}"' in page
    assert 'value="Transformations"' in page  # the header's box keeps the query


def test_search_page_escapes_the_query(client):
    page = client.get("/search", query_string={"q": '<img src=x onerror=alert(1)> zzz'})
    html = page.get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt; zzz" in html


def test_search_page_empty_states(client):
    assert "Saisissez un ou plusieurs mots" in client.get("/search").get_data(as_text=True)
    assert "aucun mot à chercher" in client.get("/search?q=le+de").get_data(as_text=True)
    page = client.get("/search?q=introuvable").get_data(as_text=True)
    assert "Aucun résultat pour « introuvable »" in page
    assert "historique=1" in page  # offers to search the history
    page = client.get("/search?q=introuvable&historique=1").get_data(as_text=True)
    assert "Aucune révision, ancienne ou actuelle" in page


def test_search_page_history_and_pagination(client, moderator, save, seed_revision):
    from wiki.views.search import PAGE_SIZE

    for n in range(PAGE_SIZE):
        save(moderator, f"Stratégie numéro {n}.")
    page = client.get("/search?q=stratégie&historique=1").get_data(as_text=True)
    assert "Ancienne révision" in page and "Version actuelle" in page
    assert "Résultats suivants" in page
    marker = 'avant='
    next_link = page[page.index(marker) + len(marker):].split('"')[0].split("&")[0]
    second = client.get(f"/search?q=stratégie&historique=1&avant={next_link}")
    html = second.get_data(as_text=True)
    assert f'href="/revisions/{seed_revision.id}"' in html
    assert "Premiers résultats" in html and "Résultats suivants" not in html


def test_search_page_ignores_a_bad_position(client, seed_revision):
    for value in ["abc", "-5", "0", "99999999999999999999999"]:
        response = client.get(f"/search?q=stratégie&avant={value}")
        assert response.status_code == 200
