"""The document itself."""

from __future__ import annotations

from wiki.views.api.spec.builders import JSON, errors, operation

TAG = {"name": "meta", "description": "This description of the API."}

PATHS = {
    "/api/v1/openapi.json": {
        "get": operation(
            "getOpenApi", "This OpenAPI 3.1 document", tag="meta",
            responses={"200": {"description": "The document (browse it at /api/docs).",
                               "content": {JSON: {
                                   "schema": {"type": "object", "required": ["openapi"]},
                                   "example": {"openapi": "3.1.0",
                                               "info": {"title": "Définition vivante"}}}}},
                       **errors(401)}),
    },
}
