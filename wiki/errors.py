"""Domain errors raised by services; the app's error handlers turn them into pages or JSON.

Each carries a stable ``code`` (the API's ``error.code``), an HTTP status, a message already
translated for the reader, and ``details`` for the API.
"""

from __future__ import annotations

from typing import Any


class WikiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None,
                 code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code
        if status:
            self.status = status


class InvalidInput(WikiError):
    """A field breaks a rule: empty, too long, unknown value. ``details.field`` names it."""

    status = 422
    code = "invalid_field"

    def __init__(self, field: str, message: str, *, code: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details={"field": field, **(details or {})}, code=code)
        self.field = field


class InvalidText(WikiError):
    status = 400
    code = "invalid_text"


class TooLarge(WikiError):
    status = 413
    code = "too_large"


class NotFound(WikiError):
    status = 404
    code = "not_found"


class NotAllowed(WikiError):
    status = 403
    code = "forbidden"


class NotAuthenticated(WikiError):
    status = 401
    code = "unauthorized"


class Conflict(WikiError):
    status = 409
    code = "conflict"


class EditConflict(Conflict):
    code = "edit_conflict"


class MergeConflict(Conflict):
    code = "merge_conflict"
