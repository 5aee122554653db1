"""The API and its OpenAPI 3.1 document agree: every route is documented and every operation
exists, the document is valid, its examples fit its schemas, and schemathesis, driving a live
server from the document, finds no 5xx, no answer off its schema, and no 4xx under /api/ that
is not the JSON error object of API.md."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator

import jsonschema
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from referencing import Registry, Resource
from werkzeug.serving import WSGIRequestHandler, make_server

from wiki.views.api.spec import build_document, operations

METHODS = {"GET", "PUT", "POST", "DELETE", "PATCH"}
#: Routes under /api/ that are not API operations: the browsable documentation.
NOT_OPERATIONS = {"/api/docs", "/api/docs/assets/<path:filename>"}
ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "details"],
        "properties": {"code": {"type": "string", "pattern": "^[a-z0-9]+(_[a-z0-9]+)*$"},
                       "message": {"type": "string", "minLength": 1},
                       "details": {"type": "object"}}}},
}


def _openapi_path(rule: str) -> str:
    """Flask's ``/revisions/<int:revision_id>`` as OpenAPI's ``/revisions/{revision_id}``."""
    return re.sub(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule)


def _app_operations(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in NOT_OPERATIONS:
            continue
        for method in rule.methods & METHODS:
            found.add((method, _openapi_path(rule.rule)))
    return found


# --- the document and the routes ----------------------------------------------------------

def test_every_api_route_is_in_the_document(app):
    documented = set(operations(build_document()))
    missing = sorted(_app_operations(app) - documented)
    assert not missing, "routes under /api/ missing from the OpenAPI document (add them to a " \
                        "module of wiki/views/api/spec/): " + \
                        ", ".join(f"{m} {p}" for m, p in missing)


def test_every_documented_operation_has_a_route(app):
    documented = set(operations(build_document()))
    orphans = sorted(documented - _app_operations(app))
    assert not orphans, "operations in the OpenAPI document without a route: " + \
                        ", ".join(f"{m} {p}" for m, p in orphans)


def test_the_route_walk_sees_a_missing_operation(app):
    """The two tests above can fail: dropping one operation from the document shows up."""
    document = build_document()
    del document["paths"]["/api/v1/revisions/{revision_id}/vote"]["delete"]
    assert ("DELETE", "/api/v1/revisions/{revision_id}/vote") in \
        _app_operations(app) - set(operations(document))


def test_the_document_is_valid_openapi_3_1():
    document = build_document()
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_an_invalid_document_is_refused_by_the_validator():
    document = build_document()
    document["paths"]["/api/v1/definitions"]["get"]["responses"] = "nothing"
    with pytest.raises(Exception, match="responses|nothing"):
        validate(document, cls=OpenAPIV31SpecValidator)


def test_every_operation_has_an_id_a_summary_and_an_example():
    document = build_document()
    ids = []
    for method, path in operations(document):
        op = document["paths"][path][method.lower()]
        ids.append(op["operationId"])
        assert op.get("summary"), f"{method} {path}: no summary"
        successes = [r for status, r in op["responses"].items() if status.startswith("2")]
        assert successes, f"{method} {path}: no success answer"
        for answer in successes:
            assert "example" in answer["content"]["application/json"], \
                f"{method} {path}: no example of its answer"
        if "requestBody" in op:
            assert "example" in op["requestBody"]["content"]["application/json"], \
                f"{method} {path}: no example of its request body"
    assert len(ids) == len(set(ids)), "operationId used twice"


def _validator(document: dict, schema: dict) -> jsonschema.Draft202012Validator:
    """A JSON Schema 2020-12 validator for ``schema``, its ``$ref`` resolved in ``document``."""
    registry = Registry().with_resource("urn:api", Resource.from_contents({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document["components"]}))
    rewritten = json.loads(json.dumps(schema).replace('"#/components/', '"urn:api#/components/'))
    return jsonschema.Draft202012Validator(rewritten, registry=registry,
                                           format_checker=jsonschema.FormatChecker())


def _examples(document: dict) -> Iterator[tuple[str, dict, object]]:
    for method, path in operations(document):
        op = document["paths"][path][method.lower()]
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            yield f"{method} {path} request", body["schema"], body["example"]
        for status, answer in op["responses"].items():
            if "$ref" in answer:
                name = answer["$ref"].rsplit("/", 1)[1]
                answer = document["components"]["responses"][name]
            content = answer.get("content", {}).get("application/json")
            if content and "example" in content:
                yield f"{method} {path} {status}", content["schema"], content["example"]


def test_every_example_fits_its_schema():
    document = build_document()
    wrong = []
    for where, schema, example in _examples(document):
        errors = list(_validator(document, schema).iter_errors(example))
        if errors:
            wrong.append(f"{where}: {errors[0].message}")
    assert not wrong, "\n".join(wrong)


def test_the_example_check_catches_a_wrong_example():
    document = build_document()
    schema = document["components"]["schemas"]["Revision"]
    assert list(_validator(document, {"$ref": "#/components/schemas/Revision"})
                .iter_errors({"id": "two"}))
    assert schema["required"]


# --- served -------------------------------------------------------------------------------

def test_the_document_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == build_document()


def test_the_docs_page_serves_swagger_ui_from_the_app(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sources = [s for s in re.findall(r'(?:src|href)="([^"]+)"', html) if s != "data:,"]
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "<script>" not in html and "<script " not in html.replace("<script src=", "")
    for source in sources:
        if source.endswith((".js", ".css")):
            with client.get(source) as asset:
                assert asset.status_code == 200, source
                assert len(asset.data) > 100
    assert "/static/swagger-init.js" in sources
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_docs_assets_are_limited_to_swagger_ui_files(client):
    response = client.get("/api/docs/assets/../../wiki/__init__.py")
    assert response.status_code == 404
    assert client.get("/api/docs/assets/index.html").status_code == 404


# --- schemathesis on a live server --------------------------------------------------------

class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app on 127.0.0.1 (a random free port), in a thread, for the test's duration."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def api_world(app, live_server, moderator, create_user, save):
    """Something for every operation to find: a proposed remix (1) with its own revision, a
    comment (1) on revision 1, and the moderator's token."""
    from wiki.services import accounts, commenting, remixing

    remix = remixing.fork(definition_id=1, from_revision_id=1, title="Remix du test",
                          description="", license_code=None, owner=moderator)
    head = save(moderator, "Un texte remixé par le test.", remix_id=remix.id)
    assert head.revision.remix_id == remix.id
    remixing.propose(remix.id, moderator)
    commenting.add_comment(revision_id=1, author=moderator, body="Un commentaire.",
                           parent_id=None, anchor=None)
    token = accounts.create_token(moderator.id, "schemathesis")
    session = requests.Session()
    yield {"url": live_server, "token": token, "session": session, "moderator": moderator}
    session.close()


LIVE_ERRORS = [
    ("unknown-path", "GET", "/api/v1/nope", {}, 404, "not_found"),
    ("unknown-id", "GET", "/api/v1/revisions/99999999999", {}, 404, "not_found"),
    ("wrong-method", "PATCH", "/api/v1/definitions", {}, 405, "method_not_allowed"),
    ("form-data", "POST", "/api/v1/tokens", {"data": {"username": "marie"}}, 415,
     "unsupported_media_type"),
    ("malformed-json", "POST", "/api/v1/tokens",
     {"data": b"{", "headers": {"Content-Type": "application/json"}}, 400, "invalid_json"),
    ("too-large", "POST", "/api/v1/tokens",
     {"data": b'{"a": "' + b"x" * 1_600_000 + b'"}',
      "headers": {"Content-Type": "application/json"}}, 413, "too_large"),
    ("no-token", "POST", "/api/v1/definitions",
     {"json": {"term": "t", "body": "b", "summary": "s"}}, 401, "unauthorized"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "code"),
                         [row[1:] for row in LIVE_ERRORS], ids=[row[0] for row in LIVE_ERRORS])
def test_errors_on_the_live_server_are_the_json_error_object(live_server, method, path, kwargs,
                                                             status, code):
    with requests.Session() as session:
        response = session.request(method, live_server + path, timeout=20, **kwargs)
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    jsonschema.validate(response.json(), ERROR_SCHEMA)
    assert response.json()["error"]["code"] == code
    if status == 405:
        assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


SCHEMA = schemathesis.openapi.from_dict(
    build_document(),
    config=schemathesis.Config.from_dict({
        "seed": 13,
        "generation": {"mode": "all", "max-examples": 10, "no-shrink": True,
                       "deterministic": True},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }),
)
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "negative_data_rejection"]


def _needs_token(case) -> bool:
    security = case.operation.definition.raw.get("security", [])
    return {} not in security and bool(security)


@SCHEMA.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_conforms_to_its_document(case, api_world):
    headers = {}
    if _needs_token(case):
        token = api_world["token"]
        if case.operation.path == "/api/v1/tokens/current":
            from wiki.services.accounts import create_token

            token = create_token(api_world["moderator"].id, "jetable")
        headers["Authorization"] = f"Bearer {token}"
    response = case.call(base_url=api_world["url"], session=api_world["session"],
                         headers=headers)
    case.validate_response(response, checks=[
        getattr(schemathesis.checks, name) for name in CHECKS])
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith("application/json"), response.text[:200]
        jsonschema.validate(response.json(), ERROR_SCHEMA)
