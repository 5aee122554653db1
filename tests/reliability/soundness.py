"""What a database must look like after anything went wrong: its own checks, no orphan row,
and every revision whole (parents, HTML, word counts, authorship over the whole text, its
event), with exactly one head per line."""

from __future__ import annotations

from sqlalchemy import and_, exists, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import CheckConstraint

from wiki.domain import authorship
from wiki.domain import text as wiki_text
from wiki.extensions import db
from wiki.models import Definition, Event, Remix, Revision, RevisionParent
from wiki.services.revisions import render


def database_problems(session: Session) -> list[str]:
    """Everything the database itself would refuse, checked again on the rows it holds."""
    problems: list[str] = []
    if session.get_bind().dialect.name == "sqlite":
        verdict = session.execute(text("PRAGMA integrity_check")).scalars().all()
        if verdict != ["ok"]:
            problems.append(f"integrity_check: {verdict}")
        problems += [f"foreign_key_check: {tuple(row)}"
                     for row in session.execute(text("PRAGMA foreign_key_check"))]
    for table in db.metadata.sorted_tables:
        for constraint in table.foreign_key_constraints:
            target = constraint.referred_table.alias()
            elements = constraint.elements
            orphans = session.scalar(
                select(func.count()).select_from(table).where(
                    and_(*[element.parent.is_not(None) for element in elements]),
                    ~exists().where(and_(*[target.c[element.column.name] == element.parent
                                           for element in elements]))))
            if orphans:
                problems.append(f"{orphans} orphan row(s) in {table.name} ({constraint.name})")
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                broken = session.scalar(select(func.count()).select_from(table).where(
                    text(f"NOT ({constraint.sqltext})")))
                if broken:
                    problems.append(f"{broken} row(s) of {table.name} break {constraint.name}")
    return problems


def revision_problems(session: Session) -> list[str]:
    problems: list[str] = []
    parents: dict[int, list[tuple[int, int]]] = {}
    for child, position, parent in session.execute(
            select(RevisionParent.child_id, RevisionParent.position, RevisionParent.parent_id)):
        parents.setdefault(child, []).append((position, parent))
    with_event = set(session.scalars(select(Event.revision_id).where(Event.kind == "revision")))
    revisions = session.scalars(select(Revision).order_by(Revision.id)).all()
    ids = {revision.id for revision in revisions}
    roots = set(session.scalars(select(func.min(Revision.id)).group_by(Revision.definition_id)))
    for revision in revisions:
        rid = revision.id
        links = sorted(parents.get(rid, []))
        if rid not in roots and not links:
            problems.append(f"revision {rid} has no parent")
        if [position for position, _ in links] != list(range(len(links))):
            problems.append(f"revision {rid} has parent positions {links}")
        if revision.html != render(revision.body):
            problems.append(f"revision {rid}: stored HTML is not its body rendered")
        if revision.word_count != wiki_text.count_words(revision.body):
            problems.append(f"revision {rid}: word count {revision.word_count} is wrong")
        runs = authorship.runs_from_json(revision.authorship)
        if sum(run.length for run in runs) != len(revision.body):
            problems.append(f"revision {rid}: authorship does not cover the whole text")
        if any(run.revision_id not in ids or run.revision_id > rid for run in runs):
            problems.append(f"revision {rid}: authorship names an unknown revision")
        if not revision.contributors:
            problems.append(f"revision {rid} has no contributors")
        if rid not in with_event:
            problems.append(f"revision {rid} has no event")
    return problems + head_problems(session, revisions, parents)


def head_problems(session: Session, revisions, parents) -> list[str]:
    """Each line (the official one, each remix) is one chain of first parents ending at the
    head its row points to."""
    problems: list[str] = []
    lines: dict[tuple[int, int | None], set[int]] = {}
    for revision in revisions:
        lines.setdefault((revision.definition_id, revision.remix_id), set()).add(revision.id)
    heads = {(d.id, None): d.head_revision_id for d in session.scalars(select(Definition))}
    heads |= {(r.definition_id, r.id): r.head_revision_id for r in session.scalars(select(Remix))}
    for key, members in lines.items():
        extended = {parent for child in members for position, parent in parents.get(child, [])
                    if position == 0 and parent in members}
        tips = sorted(members - extended)
        if tips != [heads.get(key)]:
            problems.append(f"line {key} has tips {tips}, its head is {heads.get(key)}")
    return problems
