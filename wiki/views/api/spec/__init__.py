"""The OpenAPI 3.1 document of the JSON API, assembled from one small module per resource.

``build_document()`` imports every module of this package (alphabetical order) and merges
what each one exposes:

- ``PATHS`` (required for a resource): ``{"/api/v1/...": {"get": operation(...), ...}}``,
  paths written in full, parameters as ``{name}`` (Flask's ``<int:name>`` becomes ``{name}``);
- ``SCHEMAS`` (optional): ``{"Name": schema}``, added to ``components.schemas``;
- ``TAG`` (optional): ``{"name": ..., "description": ...}`` for grouping in /api/docs;
- ``RESPONSES`` / ``PARAMETERS`` (optional, rare): more shared components.

Adding operations (e.g. ``/api/v1/search``): create ``spec/search.py`` with a docstring,
``TAG``, ``SCHEMAS`` for its objects and ``PATHS`` built with the helpers of ``builders``
(``operation``, ``answer``, ``json_body``, ``errors``, ``page_of``, ``ref``, ``PAGE_PARAMS``,
``READ_ERRORS``/``WRITE_ERRORS``). Give every operation an ``operationId``, an example for
its request body and its success answer, and every status it may answer (schemathesis checks
that). Nothing else to edit: no list to update here. ``tests/web/test_api_contract.py`` then
fails, naming it, if a route under /api/ has no operation (or the reverse), if a ``$ref``
points nowhere, if an example breaks its schema, or if the live API disagrees.

Two modules defining the same path and method, or the same schema name, is an error
(``ValueError``), not a silent overwrite.
"""

from __future__ import annotations

import copy
import importlib
import json
import pkgutil
from functools import cache
from typing import Any

from wiki.views.api.spec import shared

#: Modules of this package that are helpers, not resources.
_HELPERS = {"builders", "shared"}
_METHODS = ("get", "put", "post", "delete", "patch")

DESCRIPTION = """\
The JSON API of « Définition vivante »: a wiki where a community writes one definition
together, with versioned revisions, word diffs, votes, comments and remixes merged by
moderators, under CC BY-NC-SA.

- JSON in and out, UTF-8; times in ISO 8601 UTC; ids are integers; definitions use their slug.
- Reading needs no account. Writing needs `Authorization: Bearer <token>` from
  `POST /api/v1/tokens` (or the browser session with its CSRF token).
- Every error is `{"error": {"code", "message", "details"}}`; messages follow
  Accept-Language (French or English). Unknown query parameters and body fields are ignored.
- Lists are `{"items": [...], "next": cursor|null}`; pass `next` as `?cursor=`, `?limit=`
  1 to 100.
- Reads answer an `ETag`: send it back as `If-None-Match` to get `304 Not Modified`.
  Compares never change and are cached for a year.
"""


def resource_modules() -> list[Any]:
    """Every resource module of this package, alphabetical."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__)
                   if not info.name.startswith("_") and info.name not in _HELPERS)
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def _merge(target: dict, source: dict, what: str, module: str) -> None:
    for key, value in source.items():
        if key in target:
            raise ValueError(f"{module}: {what} {key!r} is already defined by another module")
        target[key] = value


def _check_refs(document: dict) -> None:
    """Every ``$ref`` names an existing component (a typo fails here, naming it)."""
    text = json.dumps(document)
    for kind in ("schemas", "responses", "parameters"):
        prefix = f'"$ref": "#/components/{kind}/'
        start = 0
        while (start := text.find(prefix, start)) != -1:
            start += len(prefix)
            name = text[start:text.index('"', start)]
            if name not in document["components"][kind]:
                raise ValueError(f"$ref to an unknown component: #/components/{kind}/{name}")


def _assemble() -> dict[str, Any]:
    paths: dict[str, dict] = {}
    components: dict[str, dict] = {
        "schemas": dict(shared.SCHEMAS),
        "responses": dict(shared.RESPONSES),
        "parameters": dict(shared.PARAMETERS),
        "securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "A token from `POST /api/v1/tokens` or « Mon compte »."}},
    }
    tags = []
    for module in resource_modules():
        name = module.__name__.rsplit(".", 1)[1]
        for path, operations in getattr(module, "PATHS", {}).items():
            slot = paths.setdefault(path, {})
            _merge(slot, operations, f"operation on {path}:", name)
        _merge(components["schemas"], getattr(module, "SCHEMAS", {}), "schema", name)
        _merge(components["responses"], getattr(module, "RESPONSES", {}), "response", name)
        _merge(components["parameters"], getattr(module, "PARAMETERS", {}), "parameter",
               name)
        if hasattr(module, "TAG"):
            tags.append(module.TAG)
    document = {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Définition vivante — API",
            "version": "1",
            "summary": "Read, write, vote on, comment on and remix a living definition.",
            "description": DESCRIPTION,
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "tags": sorted(tags, key=lambda tag: tag["name"]),
        "paths": dict(sorted(paths.items())),
        "components": components,
    }
    _check_refs(document)
    return document


@cache
def _cached() -> str:
    return json.dumps(_assemble(), ensure_ascii=False)


def build_document() -> dict[str, Any]:
    """The whole document (a fresh copy: callers may change it)."""
    return copy.deepcopy(json.loads(_cached()))


def operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    """``(METHOD, path)`` of every operation in ``document``."""
    return [(method.upper(), path) for path, item in document["paths"].items()
            for method in _METHODS if method in item]
