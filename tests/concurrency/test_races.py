"""Races on both databases: votes, merges, edits. Nothing duplicated, nothing silently lost."""

import random

from sqlalchemy import func, select

from tests.concurrency.conftest import fresh_user
from wiki.errors import Conflict, EditConflict
from wiki.extensions import db
from wiki.models import Definition, Remix, Revision, RevisionParent, Vote
from wiki.services import remixing, voting
from wiki.services.editing import save_revision


def test_fifty_simultaneous_votes_by_one_user_leave_one_row(app, participant, seed_revision,
                                                            run_at_once):
    choices = ["plebisciter", "rejeter"] * 25
    # Plain ids: the test's ORM objects belong to its own session, not to the threads'.
    user_id, revision_id = participant.id, seed_revision.id
    results = run_at_once([
        (lambda c=c: voting.cast_vote(user_id, revision_id, c)) for c in choices])
    assert not [r for r in results if isinstance(r, Exception)]
    assert db.session.scalar(select(func.count(Vote.id))) == 1
    last = db.session.scalar(select(Vote.choice))
    tally = voting.withdraw_vote(user_id, revision_id)
    assert last in ("plebisciter", "rejeter") and tally["votes"] == {"plebisciter": 0,
                                                                     "rejeter": 0}


def test_two_hundred_users_voting_at_once_leave_exact_tallies(app, create_user, seed_revision,
                                                              run_at_once):
    user_ids = [create_user(f"votant{i}").id for i in range(200)]
    revision_id = seed_revision.id
    results = run_at_once([
        (lambda u=u, i=i: voting.cast_vote(u, revision_id, "plebisciter" if i % 4 else "rejeter"))
        for i, u in enumerate(user_ids)])
    assert not [r for r in results if isinstance(r, Exception)]
    counts = dict(db.session.execute(select(Vote.choice, func.count()).group_by(Vote.choice))
                  .all())
    assert counts == {"plebisciter": 150, "rejeter": 50}


def test_two_moderators_merging_one_remix_at_once_make_one_merge(app, create_user, participant,
                                                                 save, seed_revision,
                                                                 run_at_once):
    mod_ids = [create_user(f"mod{i}", role="moderator").id for i in range(2)]
    remix = remixing.fork(definition_id=seed_revision.definition_id,
                          from_revision_id=seed_revision.id, title="Course", owner=participant)
    save(participant, seed_revision.body + "\nAjout du remix.\n", remix_id=remix.id)
    remixing.propose(remix.id, participant)
    remix_id = remix.id
    results = run_at_once([
        (lambda m=m: remixing.merge_remix(remix_id, fresh_user(m), {}).id) for m in mod_ids])
    merged = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(merged) == 1 and len(refused) == 1, results
    merges = db.session.scalar(select(func.count(Revision.id)).where(
        Revision.merged_remix_id == remix_id))
    assert merges == 1


LINES = 20


def _line_text(body: str, index: int) -> str:
    return body.split("\n")[index]


def test_edit_race_loses_nothing_and_keeps_a_valid_graph(app, create_user, save, run_at_once):
    """20 threads × 10 saves from stale bases: each save ends as a revision, a clean merge, or
    a 409 returning the text byte for byte; every acknowledged line survives."""
    editors = [create_user(f"editeur{i}", role="moderator") for i in range(LINES)]
    initial = "\n".join(f"Ligne {i} version zéro." for i in range(LINES)) + "\n"
    start = save(editors[0], initial).revision
    definition_id, start_id = start.definition_id, start.id
    editor_ids = [editor.id for editor in editors]
    acknowledged: dict[int, list[str]] = {i: [] for i in range(LINES)}

    def editor_job(index: int):
        rng = random.Random(index)
        user = fresh_user(editor_ids[index])
        base = db.session.get(Revision, start_id)
        outcomes = []
        for attempt in range(10):
            lines = base.body.split("\n")
            # Mostly this editor's own line (disjoint); now and then line 0 (overlapping).
            target = 0 if rng.random() < 0.2 else index
            lines[target] = f"Ligne {target} par {index} essai {attempt}."
            mine = "\n".join(lines)
            try:
                result = save_revision(definition_id=definition_id, remix_id=None,
                                       raw_body=mine, summary=f"essai {attempt}",
                                       base_revision_id=base.id, author=user)
            except EditConflict as conflict:
                assert conflict.details["yours"] == mine
                outcomes.append(("conflict", target, None, None))
                base = db.session.get(Revision, conflict.details["theirs"])
                continue
            if target != 0:
                # A line nobody else writes: acknowledged as a new revision holding it as typed.
                assert result.created, "a changed text was acknowledged without a revision"
                assert _line_text(result.revision.body, target) == lines[target]
            # Line 0 is shared: the word-level 3-way merge may blend disjoint words of two
            # editors, or find the change already made (then the head is answered, unchanged);
            # what the save acknowledged is the line of the revision it answered.
            outcomes.append(("saved", target, _line_text(result.revision.body, target),
                             result.revision.id if result.created else None))
            base = result.revision
        return outcomes

    results = run_at_once([(lambda i=i: editor_job(i)) for i in range(LINES)])
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    shared: list[tuple[int, str]] = []  # (revision id, text) of the saves of line 0
    for outcomes in results:
        for kind, target, text, revision_id in outcomes:
            if kind == "saved" and target != 0:
                acknowledged[target].append(text)
            elif kind == "saved" and revision_id is not None:
                shared.append((revision_id, text))

    definition = db.session.get(Definition, definition_id)
    head = db.session.get(Revision, definition.head_revision_id)
    # Every editor's last acknowledged version of its own line is in the final text: nobody
    # else wrote that line, so nothing may have overwritten it.
    for index, texts in acknowledged.items():
        if texts:
            assert _line_text(head.body, index) == texts[-1]
    # Line 0, written by everyone now and then: the revision of the last save of it that made
    # one decides it, and no later save of another line brings an older version back.
    assert shared, "no save of the shared line went through: the overlap was not exercised"
    assert _line_text(head.body, 0) == max(shared)[1]
    # A valid graph: every parent exists, and the official line is one chain to one head.
    official = db.session.scalars(select(Revision.id).where(
        Revision.definition_id == definition_id, Revision.remix_id.is_(None))).all()
    edges = db.session.execute(select(RevisionParent.child_id, RevisionParent.parent_id)).all()
    ids = set(official)
    assert all(parent in ids for _child, parent in edges)
    with_children = {parent for _child, parent in edges}
    assert [rid for rid in official if rid not in with_children] == [head.id]
    saves = sum(1 for outcomes in results for kind, *_ in outcomes if kind == "saved")
    conflicts = sum(1 for outcomes in results for kind, *_ in outcomes if kind == "conflict")
    assert saves + conflicts == LINES * 10
    assert len(official) >= 1 + min(saves, 1)
    assert db.session.scalar(select(func.count(Remix.id))) == 0
