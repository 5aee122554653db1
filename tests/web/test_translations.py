"""The English catalogue translates every string the code and templates mark for translation,
so an English reader never meets a French sentence that was forgotten."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.conftest import ROOT


def marked_strings() -> set[str]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_marked_string_has_an_english_translation():
    with open(ROOT / "wiki/translations/en/LC_MESSAGES/messages.po", "rb") as po:
        catalogue = read_po(po, locale="en")
    translated = {m.id if isinstance(m.id, str) else m.id[0]
                  for m in catalogue if m.id and m.string and all(m.string)}
    marked = marked_strings()
    assert len(marked) > 500  # the extraction itself worked
    missing = sorted(marked - translated)
    assert not missing, f"untranslated (run pybabel extract/update/compile): {missing[:20]}"
