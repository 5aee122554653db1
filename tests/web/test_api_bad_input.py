"""Bad input anywhere under /api/ answers the JSON error object of API.md with the right
status and code, never a 500: malformed bodies, wrong content types, bad pagination, unknown
paths and methods, oversized requests."""

from __future__ import annotations

import re

import pytest

from wiki.extensions import db
from wiki.models import Revision
from wiki.views.api.spec import build_document, operations

SAVE = "/api/v1/definitions/strategie-numerique/revisions"
DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"].strip()
    assert isinstance(error["details"], dict)
    if code:
        assert error["code"] == code
    return error


@pytest.fixture
def moderator_headers(moderator, token_for):
    return token_for(moderator)


# --- bodies -------------------------------------------------------------------------------

BODIES = [
    ("malformed", b'{"body": ', "application/json", 400, "invalid_json"),
    ("trailing-garbage", b'{"body": "x"} x', "application/json", 400, "invalid_json"),
    ("single-quotes", b"{'body': 'x'}", "application/json", 400, "invalid_json"),
    ("nan", b'{"base_revision_id": NaN}', "application/json", 400, "invalid_json"),
    ("infinity", b'{"base_revision_id": -Infinity}', "application/json", 400, "invalid_json"),
    ("array", b"[1, 2]", "application/json", 400, "invalid_json"),
    ("string", b'"texte"', "application/json", 400, "invalid_json"),
    ("number", b"42", "application/json", 400, "invalid_json"),
    ("null", b"null", "application/json", 400, "invalid_json"),
    ("deep-array-100000", DEEP_ARRAY.encode(), "application/json", 400, "invalid_json"),
    ("deep-object-100000", DEEP_OBJECT.encode(), "application/json", 400, "invalid_json"),
    ("invalid-utf8", b'{"body": "\xff\xfe"}', "application/json", 400, "invalid_text"),
    ("latin1-charset-is-not-json", '{"body": "é"}'.encode("latin-1"),
     "application/json; charset=latin-1", 400, "invalid_text"),
    ("form-data", b"body=x&summary=y", "application/x-www-form-urlencoded", 415,
     "unsupported_media_type"),
    ("multipart", b"--b\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nx\r\n--b--\r\n",
     "multipart/form-data; boundary=b", 415, "unsupported_media_type"),
    ("text-plain", b'{"body": "x"}', "text/plain", 415, "unsupported_media_type"),
    ("xml", b"<body>x</body>", "application/xml", 415, "unsupported_media_type"),
    ("no-content-type", b'{"body": "x"}', None, 415, "unsupported_media_type"),
]


@pytest.mark.parametrize(("raw", "content_type", "status", "code"),
                         [row[1:] for row in BODIES], ids=[row[0] for row in BODIES])
def test_a_bad_body_is_refused_with_the_json_error(client, moderator_headers, raw,
                                                   content_type, status, code):
    headers = dict(moderator_headers)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(SAVE, data=raw, headers=headers)
    assert_error(response, status, code)
    assert db.session.query(Revision).count() == 1


def _write_operations() -> list[tuple[str, str]]:
    return [(method, path) for method, path in operations(build_document())
            if method in {"POST", "PUT", "DELETE", "PATCH"}]


def _concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", lambda m: "strategie-numerique" if m.group() == "{slug}"
                  else "1", path)


@pytest.mark.parametrize(("method", "path"), _write_operations(),
                         ids=[f"{m} {p}" for m, p in _write_operations()])
def test_every_write_refuses_form_data_with_415(client, moderator_headers, method, path):
    """Also the writes whose view never reads the body (propose, unhide, DELETE…)."""
    response = client.open(_concrete(path), method=method, data={"body": "x"},
                           headers=moderator_headers)
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(("method", "path"), _write_operations(),
                         ids=[f"{m} {p}" for m, p in _write_operations()])
def test_every_write_refuses_malformed_json_with_400(client, moderator_headers, method, path):
    response = client.open(_concrete(path), method=method, data="{oops",
                           content_type="application/json", headers=moderator_headers)
    assert_error(response, 400, "invalid_json")


def test_unknown_body_fields_are_ignored(client, moderator_headers, seed_revision):
    response = client.post(SAVE, json={"body": "Un texte neuf.", "summary": "Essai",
                                       "base_revision_id": seed_revision.id,
                                       "couleur": "bleu", "nested": {"a": [1, 2]}},
                           headers=moderator_headers)
    assert response.status_code == 201
    assert "couleur" not in response.get_json()


def test_json_with_a_charset_is_accepted(client, moderator_headers, seed_revision):
    response = client.post(SAVE, data='{"body": "Un texte neuf.", "summary": "Essai", '
                                         '"base_revision_id": 1}',
                           headers={**moderator_headers,
                                    "Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 201


def test_an_empty_body_is_an_empty_object(client, moderator_headers):
    """No body at all is ``{}``: the missing fields are then named (422), not a 400."""
    response = client.post(SAVE, headers=moderator_headers)
    error = assert_error(response, 422)
    assert error["details"]["field"]


def test_a_request_over_the_size_limit_is_413_json(client, moderator_headers, app):
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    response = client.post(SAVE, data=b'{"body": "' + b"a" * size + b'"}',
                           content_type="application/json", headers=moderator_headers)
    assert_error(response, 413, "too_large")


def test_a_revision_body_over_200000_bytes_is_413_json(client, moderator_headers):
    response = client.post(SAVE, json={"body": "é" * 100_001, "base_revision_id": 1},
                           headers=moderator_headers)
    assert_error(response, 413, "too_large")


def test_an_id_too_large_for_the_database_in_a_body_is_a_4xx(client, moderator_headers):
    response = client.post(SAVE, json={"body": "Un texte neuf.", "base_revision_id": 2**40},
                           headers=moderator_headers)
    assert response.status_code in (400, 404, 422)
    assert_error(response, response.status_code)


# --- query strings ------------------------------------------------------------------------

QUERIES = [
    ("limit-abc", "limit=abc", "invalid_limit"),
    ("limit-0", "limit=0", "invalid_limit"),
    ("limit-1000", "limit=1000", "invalid_limit"),
    ("limit-101", "limit=101", "invalid_limit"),
    ("limit-negative", "limit=-1", "invalid_limit"),
    ("limit-decimal", "limit=1.5", "invalid_limit"),
    ("limit-empty", "limit=", "invalid_limit"),
    ("limit-plus", "limit=%2B5", "invalid_limit"),
    ("limit-superscript-two", "limit=%C2%B2", "invalid_limit"),
    ("limit-arabic-digits", "limit=%D9%A1%D9%A2", "invalid_limit"),
    ("limit-5000-digits", "limit=" + "9" * 5000, "invalid_limit"),
    ("cursor-garbage", "cursor=abc", "invalid_cursor"),
    ("cursor-tampered", "cursor={tampered}", "invalid_cursor"),
    ("cursor-of-another-list", "cursor={foreign}", "invalid_cursor"),
    ("cursor-twice-the-signature", "cursor={doubled}", "invalid_cursor"),
]

LISTS = ["/api/v1/definitions", "/api/v1/definitions/strategie-numerique/revisions",
         "/api/v1/definitions/strategie-numerique/remixes", "/api/v1/revisions/1/comments"]


def _cursors(client, save, moderator) -> dict[str, str]:
    for n in range(3):
        save(moderator, f"Version {n} du texte.")
    page = client.get("/api/v1/definitions/strategie-numerique/revisions?limit=1").get_json()
    cursor = page["next"]
    assert cursor
    middle = len(cursor) // 2
    flipped = "A" if cursor[middle] != "A" else "B"
    return {"tampered": cursor[:middle] + flipped + cursor[middle + 1:], "foreign": cursor,
            "doubled": cursor + "." + cursor.rsplit(".", 1)[1]}


@pytest.mark.parametrize(("query", "code"), [row[1:] for row in QUERIES],
                         ids=[row[0] for row in QUERIES])
def test_bad_pagination_is_400_with_a_message_on_every_list(client, save, moderator, query,
                                                            code):
    lists = [path for path in LISTS  # the foreign cursor comes from the history list
             if not (path.endswith("/revisions") and "foreign" in query)]
    if "{" in query:
        query = query.format(**_cursors(client, save, moderator))
    for path in lists:
        error = assert_error(client.get(f"{path}?{query}"), 400, code)
        assert error["details"]["field"] in {"limit", "cursor"}


def test_a_tampered_cursor_of_the_same_list_is_400(client, save, moderator):
    cursors = _cursors(client, save, moderator)
    response = client.get("/api/v1/definitions/strategie-numerique/revisions?cursor="
                          + cursors["tampered"])
    assert_error(response, 400, "invalid_cursor")


def test_cursors_walk_a_list_to_its_end(client, save, moderator):
    for n in range(4):
        save(moderator, f"Version {n} du texte.")
    seen, url = [], "/api/v1/definitions/strategie-numerique/revisions?limit=2"
    while url:
        page = client.get(url).get_json()
        seen += [item["id"] for item in page["items"]]
        url = page["next"] and ("/api/v1/definitions/strategie-numerique/revisions?limit=2"
                                f"&cursor={page['next']}")
    assert seen == [5, 4, 3, 2, 1]


@pytest.mark.parametrize("query", ["limit=1", "limit=100", "cursor=", "couleur=bleu",
                                   "limit=20&limit=abc", "include=earlier&foo=1"])
def test_good_or_unknown_query_parameters_answer_200(client, query):
    for path in LISTS:
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200, (path, query)
        assert set(response.get_json()) >= {"items", "next"}


# --- paths and methods --------------------------------------------------------------------

PATHS = [
    ("unknown-v1", "/api/v1/nope"),
    ("unknown-version", "/api/v2/definitions"),
    ("unknown-api", "/api/nope"),
    ("unknown-definition", "/api/v1/definitions/nope"),
    ("unknown-revision", "/api/v1/revisions/999999"),
    ("id-beyond-int32", "/api/v1/revisions/99999999999999999999"),
    ("id-beyond-int32-remix", "/api/v1/remixes/3000000000"),
    ("negative-id", "/api/v1/revisions/-1"),
    ("not-a-number", "/api/v1/revisions/abc"),
    ("unknown-docs-asset", "/api/docs/assets/nope.js"),
]


@pytest.mark.parametrize("path", [row[1] for row in PATHS], ids=[row[0] for row in PATHS])
def test_unknown_api_paths_are_404_json(client, path):
    assert_error(client.get(path), 404, "not_found")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("number", ["2147483648", "3000000000", "99999999999999999999"])
def test_an_id_beyond_the_database_range_is_404_whatever_the_method(client, moderator_headers,
                                                                    method, number):
    """Not a 405 borrowed from the other method of the same path, not an overflow."""
    response = client.open(f"/api/v1/revisions/{number}/vote", method=method,
                           json={"choice": "rejeter"}, headers=moderator_headers)
    assert_error(response, 404, "not_found")


def test_the_largest_database_id_is_still_routed(client, moderator_headers):
    response = client.put("/api/v1/revisions/2147483647/vote", json={"choice": "rejeter"},
                          headers=moderator_headers)
    error = assert_error(response, 404, "not_found")
    assert "2147483647" in error["message"]


METHODS = [
    ("patch-definitions", "PATCH", "/api/v1/definitions", {"GET", "POST"}),
    ("delete-revision", "DELETE", "/api/v1/revisions/1", {"GET"}),
    ("put-tokens", "PUT", "/api/v1/tokens", {"POST"}),
    ("get-vote", "GET", "/api/v1/revisions/1/vote", {"PUT", "DELETE"}),
    ("post-openapi", "POST", "/api/v1/openapi.json", {"GET"}),
]


@pytest.mark.parametrize(("method", "path", "allowed"), [row[1:] for row in METHODS],
                         ids=[row[0] for row in METHODS])
def test_a_wrong_method_is_405_json_with_allow(client, method, path, allowed):
    response = client.open(path, method=method)
    assert_error(response, 405, "method_not_allowed")
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_a_wrong_method_on_a_page_keeps_the_allow_header(client):
    response = client.delete("/definitions/strategie-numerique")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer nope"},
                                     {"Authorization": "Bearer "}],
                         ids=["unknown-token", "empty-token"])
def test_a_bad_token_is_401_json_even_on_a_read(client, headers):
    assert_error(client.get("/api/v1/definitions", headers=headers), 401)


@pytest.mark.parametrize("limit", [0, 7, 10, 99, 305, 2047, 2**31 - 1])
def test_the_id_pattern_matches_exactly_the_numbers_up_to_its_limit(limit):
    from wiki import _digits_up_to

    pattern = re.compile(_digits_up_to(limit))
    numbers = [*range(0, 2100), limit - 1, limit, limit + 1, 10 * limit + 9]
    assert [n for n in numbers if pattern.fullmatch(str(n))] == \
        [n for n in numbers if 0 <= n <= limit]
