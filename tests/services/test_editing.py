"""Saving a revision: the three steps, edit conflicts, and the MediaWiki-style table."""

import pytest

from wiki.errors import EditConflict, InvalidInput, InvalidText, NotAllowed, TooLarge
from wiki.extensions import db
from wiki.models import Revision

BASE = "Un deux trois quatre.\n\nCinq six sept huit.\n\nNeuf dix onze douze.\n"


@pytest.fixture
def start(app, moderator, save):
    return save(moderator, BASE).revision


def test_saving_creates_an_immutable_revision_whose_parent_is_the_head(start, moderator, save):
    result = save(moderator, BASE.replace("deux", "DEUX"))
    assert result.created and not result.merged
    assert result.revision.parent_ids == [start.id]
    assert result.revision.definition.head_revision_id == result.revision.id
    assert result.revision.inserted_words == 1 and result.revision.deleted_words == 1


def test_identical_text_makes_no_new_revision(start, moderator, save):
    result = save(moderator, BASE)
    assert not result.created
    assert result.revision.id == start.id


def test_text_is_normalised_to_nfc_and_unix_line_endings(start, moderator, save):
    result = save(moderator, "Cafe\u0301\r\nligne\rfin")
    assert result.revision.body == "Café\nligne\nfin"


@pytest.mark.parametrize("body", ["nul\x00", "bell\x07", "esc\x1b["], ids=["nul", "bell", "esc"])
def test_control_characters_are_refused(start, moderator, save, body):
    with pytest.raises(InvalidText):
        save(moderator, body)
    assert db.session.get(Revision, start.id + 1) is None


def test_a_body_over_the_limit_is_refused_as_too_large(start, moderator, save):
    with pytest.raises(TooLarge):
        save(moderator, "é" * 100_001)


@pytest.mark.parametrize(("body", "summary", "field"), [
    ("   ", "résumé", "body"),
    ("texte", "", "summary"),
    ("texte", "x" * 301, "summary"),
], ids=["empty-body", "missing-summary", "long-summary"])
def test_bad_fields_name_the_field(start, moderator, save, body, summary, field):
    with pytest.raises(InvalidInput) as error:
        save(moderator, body, summary=summary)
    assert error.value.field == field


def test_participants_cannot_edit_the_official_line(start, participant, save):
    with pytest.raises(NotAllowed):
        save(participant, BASE + "ajout")


def test_participants_can_edit_the_official_line_with_open_editing(app, start, participant,
                                                                    save):
    app.config["OPEN_EDITING"] = True
    assert save(participant, BASE + "ajout\n").created


def test_base_of_another_definition_is_refused(app, start, moderator, save):
    from wiki.services.editing import create_definition

    other = create_definition("Autre terme", "Texte autre.", "Création", moderator)
    with pytest.raises(InvalidInput) as error:
        save(moderator, "x", base_revision_id=other.head_revision_id)
    assert error.value.field == "base_revision_id"


def test_revert_creates_a_new_revision_equal_to_the_old_one(app, start, moderator, save):
    from wiki.services.editing import revert

    save(moderator, BASE + "Ajout.\n")
    result = revert(definition_id=start.definition_id, revision_id=start.id, author=moderator)
    assert result.revision.body == start.body
    assert result.revision.summary == f"Retour à la révision {start.id}"


# The edit-conflict table: (same editor / another editor) × (stale / current base) ×
# (overlapping / disjoint / identical edits), each with its exact outcome.
EDITS = {
    "overlapping": ("Un deux TROIS quatre.", "Un deux 3 quatre."),
    "disjoint": ("Un deux TROIS quatre.", "Neuf dix ONZE douze."),
    "identical": ("Un deux TROIS quatre.", "Un deux TROIS quatre."),
}
CASES = [
    (editor, base, edits)
    for editor in ("same-editor", "another-editor")
    for base in ("stale-base", "current-base")
    for edits in ("overlapping", "disjoint", "identical")
]
OUTCOMES = {
    ("stale-base", "overlapping"): "conflict",
    ("stale-base", "disjoint"): "merged",
    ("stale-base", "identical"): "unchanged",
    ("current-base", "overlapping"): "saved",
    ("current-base", "disjoint"): "saved",
    ("current-base", "identical"): "unchanged",
}


@pytest.mark.parametrize(("editor", "base", "edits"), CASES,
                         ids=["-".join(case) for case in CASES])
def test_edit_conflict_table(start, moderator, create_user, save, editor, base, edits):
    second_editor = moderator if editor == "same-editor" else create_user(role="moderator")
    first_edit, second_edit = EDITS[edits]
    first = save(moderator, BASE.replace("Un deux trois quatre.", first_edit)
                 if first_edit.startswith("Un") else BASE.replace("Neuf dix onze douze.",
                                                                  first_edit))
    second_body = (BASE.replace("Un deux trois quatre.", second_edit)
                   if second_edit.startswith("Un")
                   else BASE.replace("Neuf dix onze douze.", second_edit))
    if base == "current-base":
        second_body = (first.revision.body.replace("Un deux TROIS quatre.", second_edit)
                       if second_edit.startswith("Un") else
                       first.revision.body.replace("Neuf dix onze douze.", second_edit))
    base_id = start.id if base == "stale-base" else first.revision.id
    outcome = OUTCOMES[(base, edits)]
    if outcome == "conflict":
        with pytest.raises(EditConflict) as raised:
            save(second_editor, second_body, base_revision_id=base_id)
        details = raised.value.details
        assert details["yours"] == second_body
        assert details["base"] == start.id and details["theirs"] == first.revision.id
        assert details["conflicts"][0]["theirs"].strip() and details["conflicts"][0]["yours"]
        assert first.revision.definition.head_revision_id == first.revision.id
        return
    result = save(second_editor, second_body, base_revision_id=base_id)
    if outcome == "unchanged":
        assert not result.created and result.revision.id == first.revision.id
    elif outcome == "merged":
        assert result.created and result.merged
        assert "TROIS" in result.revision.body and "ONZE" in result.revision.body
        assert result.revision.parent_ids == [first.revision.id]
    else:
        assert result.created and not result.merged
        assert result.revision.body == second_body


def test_conflict_returns_the_text_byte_for_byte_before_normalisation(start, moderator, save):
    save(moderator, BASE.replace("trois", "TROIS"))
    sent = BASE.replace("trois", "3").replace("\n", "\r\n")
    with pytest.raises(EditConflict) as raised:
        save(moderator, sent, base_revision_id=start.id)
    assert raised.value.details["yours"] == sent
