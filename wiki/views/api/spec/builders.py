"""Small constructors for OpenAPI fragments, so that each resource module stays short.

Every helper returns plain dicts (JSON-ready). ``ref("Revision")`` points at a schema of
``components.schemas``; ``errors(400, 404)`` answers the shared error responses.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"

#: Error responses shared by every operation (``components.responses``), by status.
ERROR_RESPONSES: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "TooLarge",
    415: "UnsupportedMediaType",
    422: "InvalidField",
    429: "RateLimited",
}

#: What any write that reads a JSON body may answer besides its own errors.
BODY_ERRORS = (400, 413, 415)
#: Reads: a bad query parameter (400), a bad or revoked token (401).
READ_ERRORS = (400, 401)
#: Writes: the above plus an unknown or missing token (401) and the rate limit (429).
WRITE_ERRORS = (400, 401, 413, 415, 429)

BEARER = [{"bearerAuth": []}]
#: Reads need no account; a token may still be sent (moderators read hidden comments).
OPTIONAL_BEARER = [{}, {"bearerAuth": []}]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or ``null`` (OpenAPI 3.1 has no ``nullable``)."""
    if "enum" in schema and "type" not in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    if "$ref" in schema or "type" not in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    return {**schema, "type": [*kinds, "null"]}


def obj(properties: dict[str, Any], required: list[str] | tuple[str, ...] | None = None,
        description: str | None = None, **extra: Any) -> dict[str, Any]:
    """An object schema; every property is required unless ``required`` says otherwise.

    Answers may carry more fields than documented (API.md), so ``additionalProperties``
    stays open.
    """
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": list(properties if required is None else required)}
    if description:
        schema["description"] = description
    schema.update(extra)
    return schema


def array(items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **extra}


def page_of(item: dict[str, Any], description: str = "") -> dict[str, Any]:
    """The list envelope ``{items, next}`` of API.md around ``item``."""
    return {
        "allOf": [ref("Page")],
        "type": "object",
        "properties": {"items": array(item)},
        **({"description": description} if description else {}),
    }


def path_param(name: str, description: str, example: Any, *,
               kind: str = "integer") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind}
    if kind == "integer":
        schema.update(minimum=1, maximum=2**31 - 1)
    else:
        schema.update(minLength=1, maxLength=200, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema, "example": example}


def query_param(name: str, description: str, schema: dict[str, Any], *,
                required: bool = False, example: Any = None) -> dict[str, Any]:
    param = {"name": name, "in": "query", "required": required, "description": description,
             "schema": schema}
    if example is not None:
        param["example"] = example
    return param


#: ``?cursor=&limit=`` of every list (``components.parameters``).
PAGE_PARAMS = [{"$ref": "#/components/parameters/cursor"},
               {"$ref": "#/components/parameters/limit"}]


def json_body(schema: dict[str, Any], example: Any, *, required: bool = True,
              description: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"required": required,
                            "content": {JSON: {"schema": schema, "example": example}}}
    if description:
        body["description"] = description
    return body


def answer(description: str, schema: dict[str, Any], example: Any,
           headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description,
                                "content": {JSON: {"schema": schema, "example": example}}}
    if headers:
        response["headers"] = headers
    return response


def errors(*statuses: int) -> dict[str, Any]:
    """The shared error responses for ``statuses`` (each one the error object of API.md)."""
    return {str(status): {"$ref": f"#/components/responses/{ERROR_RESPONSES[status]}"}
            for status in sorted(set(statuses))}


def operation(operation_id: str, summary: str, *, tag: str, responses: dict[str, Any],
              description: str | None = None, parameters: list[dict[str, Any]] | None = None,
              body: dict[str, Any] | None = None, auth: bool = False) -> dict[str, Any]:
    """One operation. ``auth=True``: a Bearer token (or the browser session) is required."""
    op: dict[str, Any] = {"operationId": operation_id, "summary": summary, "tags": [tag],
                          "security": BEARER if auth else OPTIONAL_BEARER}
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = body
    op["responses"] = responses
    return op
