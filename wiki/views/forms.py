"""Reading HTML form fields (one value per name, or a clear 400) and query parameters."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from wiki.errors import WikiError


class DuplicateField(WikiError):
    status = 400
    code = "duplicate_field"


def form_value(name: str, default: str = "") -> str:
    values = request.form.getlist(name)
    if len(values) > 1:
        raise DuplicateField(_("Le champ « %(name)s » a été envoyé plusieurs fois.", name=name))
    return values[0] if values else default


#: The largest id either database stores (a 64-bit signed integer).
MAX_ID = 2**63 - 1


def row_id(value: str) -> int:
    """A query parameter that names a row (``?avant=``): a positive id that fits the database,
    else ValueError, which ``request.args.get(..., type=row_id)`` turns into its default."""
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(value)
    return number
