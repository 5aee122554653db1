"""The merge base read from a window of recent edges equals the LCA of the whole graph."""

import random

import pytest

from wiki.domain import graph
from wiki.extensions import db
from wiki.models import Revision, RevisionParent
from wiki.services import remixing


@pytest.fixture(params=[1, 2, 3])
def tangled(request, app, moderator, save):
    """Forty revisions whose edges are then redrawn at random: branches that start far back,
    merges whose other side is old — the shapes where a window of recent edges alone would
    meet below the true base."""
    rng = random.Random(request.param)
    ids = [save(moderator, f"Texte numéro {n}.").revision.id for n in range(40)]
    db.session.execute(db.delete(RevisionParent).where(RevisionParent.child_id.in_(ids)))
    for child in ids[1:]:
        older = [i for i in ids if i < child]
        parents = rng.sample(older, 2 if len(older) > 1 and rng.random() < 0.4 else 1)
        for position, parent in enumerate(parents):
            db.session.add(RevisionParent(child_id=child, parent_id=parent, position=position))
    db.session.commit()
    return remixing.parents_map(db.session, db.session.get(Revision, ids[0]).definition_id)


@pytest.mark.parametrize("window", [1, 3, 256])
def test_merge_base_equals_the_lca_of_the_whole_graph(tangled, monkeypatch, window):
    monkeypatch.setattr(remixing, "MERGE_BASE_WINDOW", window)
    ids = sorted(tangled)
    for a in ids:
        for b in ids:
            assert remixing.merge_base(db.session, a, b) == \
                graph.lowest_common_ancestor(tangled, a, b), (a, b)


def test_a_merge_reads_only_recent_edges(app, moderator, save, monkeypatch):
    ids = [save(moderator, f"Texte numéro {n}.").revision.id for n in range(30)]
    statements = []
    from sqlalchemy import event

    def count(_conn, _cursor, statement, *_args):
        if "revision_parents" in statement:
            statements.append(statement)

    monkeypatch.setattr(remixing, "MERGE_BASE_WINDOW", 4)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert remixing.merge_base(db.session, ids[-1], ids[-3]) == ids[-3]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
