"""Pages read the database in a few statements, whatever the number of authors, comments,
votes and revisions they show: no N+1 (one query per row shown) and no history walk.

Each page is asked twice: once on a small history, once after more authors, comments, votes
and revisions were added; the count must stay under the same small ceiling both times.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from wiki.extensions import db
from wiki.models import Remix

SLUG = "strategie-numerique"
#: Statements a page may send (user, definition, revision, tallies, neighbours, comments…).
CEILING = {"definition": 7, "revision": 10, "history": 6, "compare": 10, "remix": 16}


@contextmanager
def counted():
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def body_number(n: int) -> str:
    return (f"Une stratégie numérique, version {n}, est un processus de transformation.\n\n"
            f"Pour qui ? Pour un secteur, un territoire ou une organisation ({n}).\n")


@pytest.fixture
def grow(app, create_user, moderator, save):
    """``grow(k)``: k more revisions, each by a new author, with comments and votes on them
    by new people, and a new remix with its own revision; answers the ids to look at."""
    from wiki.services import commenting, editing, remixing, voting

    state = {"n": 0}

    def do(k: int) -> dict:
        for _ in range(k):
            state["n"] += 1
            n = state["n"]
            author = create_user(f"autrice{n}", role="moderator", display_name=f"Autrice {n}")
            revision = save(author, body_number(n)).revision
            for j in range(2):
                reader = create_user(f"lectrice{n}x{j}", display_name=f"Lectrice {n}.{j}")
                comment = commenting.add_comment(
                    revision_id=revision.id, author=reader, body=f"Remarque {n}.{j}",
                    anchor={"quote": "processus de transformation"} if j else None)
                commenting.add_comment(revision_id=revision.id, author=author,
                                       body=f"Réponse {n}.{j}", parent_id=comment.id)
                voting.cast_vote(reader.id, revision.id, "plebisciter" if j else "rejeter")
            owner = create_user(f"remixeuse{n}", display_name=f"Remixeuse {n}")
            remix = remixing.fork(definition_id=revision.definition_id,
                                  from_revision_id=revision.id, title=f"Remix {n}", owner=owner)
            editing.save_revision(definition_id=revision.definition_id, remix_id=remix.id,
                                  raw_body=body_number(n) + "\nUn ajout du remix.\n",
                                  summary="Ajout", base_revision_id=revision.id, author=owner)
            remixing.propose(remix.id, owner)
        definition = editing.get_definition(SLUG)
        remix = db.session.get(Remix, remix.id)
        return {"head": definition.head_revision_id, "remix": remix.id,
                "remix_head": remix.head_revision_id}

    return do


def pages(ids: dict) -> dict[str, str]:
    return {
        "definition": f"/definitions/{SLUG}",
        "revision": f"/revisions/{ids['head']}",
        "history": f"/definitions/{SLUG}/history",
        "compare": f"/compare?from=1&to={ids['head']}",
        "remix": f"/remixes/{ids['remix']}",
    }


@pytest.mark.parametrize("page", sorted(CEILING))
def test_a_page_reads_the_database_in_a_few_statements(client, grow, page):
    counts = []
    for k in (1, 5):
        path = pages(grow(k))[page]
        with counted() as statements:
            response = client.get(path)
        assert response.status_code == 200
        counts.append(len(statements))
        assert len(statements) <= CEILING[page], (
            f"{path} sent {len(statements)} statements:\n" + "\n".join(statements))
    small, large = counts
    assert large <= small, f"{page}: {small} statements, then {large} with a longer history"
