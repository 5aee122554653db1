"""Reading HTML form fields: one value per name, or a clear 400."""

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
