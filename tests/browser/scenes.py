"""Scenes set through the services (faster than through the pages), for the journeys that start
in the middle of a story: a proposal that conflicts with the official text, votes, comments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from wiki.extensions import db
from wiki.models import User

SLUG = "strategie-numerique"
#: Paragraphs of the seed that the scenes rewrite.
PROCESS = "La notion de processus permet de mettre en évidence"
ADAPT = "Cette facette inclut la notion de survie"


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def definition():
    from wiki.services.editing import get_definition

    return get_definition(SLUG)


def edit_official(username: str, old: str, new: str, summary: str):
    """Replace ``old`` by ``new`` in the official head, as ``username`` (a moderator)."""
    from wiki.services.editing import save_revision

    head = definition().head
    assert old in head.body, old
    return save_revision(definition_id=head.definition_id, remix_id=None,
                         raw_body=head.body.replace(old, new, 1), summary=summary,
                         base_revision_id=head.id, author=user(username)).revision


def propose(username: str, old: str, new: str, title: str):
    """« Proposer une modification » of the official head: the proposal's revision."""
    from wiki.services.remixing import propose_edit

    head = definition().head
    assert old in head.body, old
    return propose_edit(definition_id=head.definition_id, base_revision_id=head.id,
                        raw_body=head.body.replace(old, new, 1), summary=title, title=title,
                        owner=user(username))


@dataclass
class Story:
    """Ids of what :func:`story` made."""

    proposal_id: int          # a proposed remix that conflicts with the official text
    proposal_revision_id: int
    merged_remix_id: int      # a remix already merged (a junction in the graph)
    official_ids: list[int]   # the official line, oldest first
    comment_id: int


def story(tick: Callable[[], None] = lambda: None) -> Story:
    """A short life of the definition: edits, a merged remix, a conflicting proposal, votes and
    an anchored comment. ``tick`` is called between steps (to move a frozen clock on)."""
    from wiki.services.commenting import add_comment
    from wiki.services.remixing import merge_remix
    from wiki.services.voting import cast_vote

    first = definition().head_revision_id
    tick()
    proposal = propose("participante", PROCESS, "La notion de processus souligne qu’il faut "
                       "planifier puis réaliser des transformations, sans fin", "Un processus "
                       "sans fin")
    merged = propose("lecteur", "nouvelle économie. »", "nouvelle économie, au service des "
                     "personnes. »", "Au service des personnes")
    tick()
    second = edit_official("moderatrice", PROCESS, "Parler de processus, c’est insister sur "
                           "la planification et la réalisation de transformations",
                           "Le processus, plus direct").id
    tick()
    third = merge_remix(merged.remix_id, user("moderatrice"), {}).id
    for voter, choice in (("lecteur", "plebisciter"), ("moderateur", "plebisciter"),
                          ("participante", "rejeter")):
        cast_vote(user(voter).id, third, choice)
    cast_vote(user("lecteur").id, proposal.id, "plebisciter")
    tick()
    comment = add_comment(revision_id=third, author=user("lecteur"),
                          body="« Au service des personnes » : bravo, c’est l’essentiel.",
                          anchor={"quote": "au service des personnes"})
    add_comment(revision_id=third, author=user("participante"), parent_id=comment.id,
                body="D’accord, mais qui sont ces personnes ?")
    return Story(proposal_id=proposal.remix_id, proposal_revision_id=proposal.id,
                 merged_remix_id=merged.remix_id, official_ids=[first, second, third],
                 comment_id=comment.id)
