"""Properties of fork and merge on random histories (hypothesis), through the services."""

import itertools

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wiki.errors import Conflict
from wiki.extensions import db
from wiki.models import Definition, Revision
from wiki.services import editing, remixing
from wiki.services.revisions import clean_body

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
_terms = itertools.count()
PROPERTY = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

paragraphs = st.lists(st.lists(st.sampled_from(WORDS), min_size=2, max_size=5),
                      min_size=3, max_size=5).map(
    lambda ps: "\n\n".join(" ".join(p) for p in ps) + "\n")


def _new_definition(moderator, body: str) -> Definition:
    return editing.create_definition(f"Terme {next(_terms)}", body, "Début", moderator)


def _edit(user, definition_id: int, remix_id: int | None, body: str):
    line_head = (db.session.get(remixing.Remix, remix_id).head_revision_id if remix_id
                 else db.session.get(Definition, definition_id).head_revision_id)
    return editing.save_revision(definition_id=definition_id, remix_id=remix_id, raw_body=body,
                                 summary="modification", base_revision_id=line_head,
                                 author=user).revision


@PROPERTY
@given(base=paragraphs, remix_text=paragraphs)
def test_merging_a_remix_with_no_official_change_yields_the_remix_text(
        app, moderator, participant, base, remix_text):
    definition = _new_definition(moderator, base)
    remix = remixing.fork(definition_id=definition.id,
                          from_revision_id=definition.head_revision_id, title="R",
                          owner=participant)
    _edit(participant, definition.id, remix.id, remix_text)
    remixing.propose(remix.id, participant)
    if clean_body(remix_text).body == definition.head.body:
        # No revision of its own: nothing to merge, and nothing changes.
        with pytest.raises(Conflict):
            remixing.merge_remix(remix.id, moderator, {})
        return
    merged = remixing.merge_remix(remix.id, moderator, {})
    assert merged.body == clean_body(remix_text).body
    assert len(merged.parent_ids) == 2


@PROPERTY
@given(base=paragraphs, remix_text=paragraphs)
def test_merging_twice_changes_nothing_the_second_time(app, moderator, participant, base,
                                                      remix_text):
    assume(clean_body(remix_text).body != clean_body(base).body)
    definition = _new_definition(moderator, base)
    remix = remixing.fork(definition_id=definition.id,
                          from_revision_id=definition.head_revision_id, title="R",
                          owner=participant)
    _edit(participant, definition.id, remix.id, remix_text)
    remixing.propose(remix.id, participant)
    first = remixing.merge_remix(remix.id, moderator, {})
    # Proposed again without new revisions: nothing new, the official text stays.
    remixing.propose(remix.id, participant)
    try:
        second = remixing.merge_remix(remix.id, moderator, {})
    except Conflict as refused:
        assert refused.code == "nothing_new"
        second = None
    if second is not None:
        assert second.body == first.body
    db.session.expire_all()
    assert db.session.get(Definition, definition.id).head.body == first.body


@PROPERTY
@given(base=paragraphs, steps=st.lists(st.tuples(st.sampled_from(["official", "remix",
                                                                    "merge", "update"]),
                                                   st.integers(0, 7)), min_size=2, max_size=7))
def test_common_ancestor_stays_correct_through_criss_cross_merges(app, moderator, participant,
                                                                 base, steps):
    """Random edits on both lines, merges both ways: the merge base is always an ancestor of
    both heads, and no other common ancestor descends from it."""
    from wiki.domain import graph

    definition = _new_definition(moderator, base)
    remix = remixing.fork(definition_id=definition.id,
                          from_revision_id=definition.head_revision_id, title="R",
                          owner=participant)
    remixing.propose(remix.id, participant)
    for kind, word in steps:
        db.session.expire_all()
        official = db.session.get(Definition, definition.id).head
        remix_head = db.session.get(remixing.Remix, remix.id).head
        try:
            if kind == "official":
                _edit(moderator, definition.id, None, official.body + f" {WORDS[word]}\n")
            elif kind == "remix":
                _edit(participant, definition.id, remix.id, f"{WORDS[word]} " + remix_head.body)
            elif kind == "merge":
                remixing.propose(remix.id, participant)
                remixing.merge_remix(remix.id, moderator, {"resolution": official.body})
            else:
                remixing.update_from_official(remix.id, participant)
        except Conflict:
            continue
    db.session.expire_all()
    parents = remixing.parents_map(db.session, definition.id)
    official = db.session.get(Definition, definition.id).head_revision_id
    remix_head = db.session.get(remixing.Remix, remix.id).head_revision_id
    base_id = graph.lowest_common_ancestor(parents, official, remix_head)
    common = graph.ancestors(parents, official) & graph.ancestors(parents, remix_head)
    assert base_id in common
    assert not any(base_id in graph.ancestors(parents, other) and other != base_id
                   for other in common)
    assert all(db.session.get(Revision, rid) is not None for rid in parents)
