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


# --- votes that follow a proposal's text (issue 20) ---------------------------------------------

vote_steps = st.lists(st.one_of(
    st.tuples(st.just("edit")),
    st.tuples(st.just("vote"), st.integers(0, 2), st.sampled_from(["plebisciter", "rejeter"])),
    st.tuples(st.just("carry"), st.integers(0, 2)),
    st.tuples(st.just("withdraw"), st.integers(0, 2)),
), min_size=1, max_size=14)


@PROPERTY
@given(steps=vote_steps)
def test_votes_carried_to_new_versions_stay_one_per_person_per_revision(
        app, moderator, participant, create_user, steps):
    """Voters vote on a proposal's head, the owner saves new versions, voters carry their vote
    forward (« je maintiens »: a PUT on the new head) or withdraw it: the database holds at most
    one vote per person and revision, and the proposal's ``{current, earlier}`` tallies count
    each voter once, as DECISIONS.md says."""
    from sqlalchemy import func, select

    from wiki.models import Vote
    from wiki.services import voting

    definition = _new_definition(moderator, "Un texte de départ.\n")
    remix = remixing.fork(definition_id=definition.id,
                          from_revision_id=definition.head_revision_id, title="Proposition",
                          owner=participant)
    voters = [create_user(f"votant{next(_terms)}").id for _ in range(3)]
    model: dict[tuple[int, int], str] = {}  # (voter, revision) → choice
    line: list[int] = []  # the remix's own revisions, oldest first
    _edit(participant, definition.id, remix.id, "Un texte de départ, version 0.\n")
    line.append(db.session.get(remixing.Remix, remix.id).head_revision_id)
    for step in steps:
        head = line[-1]
        if step[0] == "edit":
            _edit(participant, definition.id, remix.id,
                  f"Un texte de départ, version {len(line)}.\n")
            line.append(db.session.get(remixing.Remix, remix.id).head_revision_id)
        elif step[0] == "vote":
            voting.cast_vote(voters[step[1]], head, step[2])
            model[(voters[step[1]], head)] = step[2]
        elif step[0] == "carry":
            earlier = [model[(voters[step[1]], r)] for r in line if (voters[step[1]], r) in model]
            if earlier:
                voting.cast_vote(voters[step[1]], head, earlier[-1])
                model[(voters[step[1]], head)] = earlier[-1]
        else:
            voting.withdraw_vote(voters[step[1]], head)
            model.pop((voters[step[1]], head), None)

    # (The database outlives one example: only this example's voters are looked at.)
    mine = Vote.user_id.in_(voters)
    rows = db.session.execute(select(Vote.user_id, Vote.revision_id, Vote.choice).where(mine))
    assert {(u, r): c for u, r, c in rows} == model
    assert db.session.scalar(select(func.count()).select_from(Vote).where(mine)) == len(model)

    head = line[-1]
    current = {"plebisciter": 0, "rejeter": 0}
    earlier = {"plebisciter": 0, "rejeter": 0}
    for voter in voters:
        if (voter, head) in model:
            current[model[(voter, head)]] += 1
            continue
        before = [model[(voter, r)] for r in line[:-1] if (voter, r) in model]
        if before:
            earlier[before[-1]] += 1
    tallies = remixing.remix_votes(db.session.get(remixing.Remix, remix.id))
    assert tallies == {"current": current, "earlier": earlier}
