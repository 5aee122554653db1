"""The child of the crash-safety test: saves revisions through the services until it is killed.

It runs in a process of its own (a fork of a server that imported the app once), tells its
parent through a pipe what it is doing, and never expects to end: the parent sends SIGKILL.
"""

from __future__ import annotations

import random
import time
from multiprocessing.connection import Connection

#: A child that was never killed stops by itself, so a broken test cannot leave it running.
MAX_SECONDS = 60


def _next_body(body: str, rng: random.Random, step: int) -> str:
    """The text with one line rewritten, sometimes one added or removed: enough change for
    the word diff, the authorship and the HTML to have real work."""
    lines = body.split("\n")
    index = rng.randrange(len(lines))
    roll = rng.random()
    if roll < 0.15 and len(lines) > 8:
        del lines[index]
    elif roll < 0.35:
        lines.insert(index, f"Ajout {step} : une phrase de plus sur la **stratégie** numérique.")
    else:
        words = lines[index].split(" ")
        words[rng.randrange(len(words))] = f"mot{step}"
        lines[index] = " ".join(words)
    return "\n".join(lines)


def write_until_killed(url: str, author_id: int, remix_id: int, seed: int,
                       report: Connection) -> None:
    """Save on the official line and on a remix, in turn, as fast as the services allow.

    Messages: ``("saved", revision_id)`` once a save is committed, and ``("inserting",)`` when
    the revision row is being inserted, so the parent can kill in the middle of a transaction.
    """
    from sqlalchemy import event

    from wiki import create_app
    from wiki.errors import EditConflict
    from wiki.extensions import db
    from wiki.models import Definition, Remix, Revision, User
    from wiki.services.editing import save_revision

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "crash",
                      "RATELIMIT_ENABLED": False})
    rng = random.Random(seed)
    with app.app_context():
        @event.listens_for(db.engine, "before_cursor_execute")
        def _announce(_conn, _cursor, statement, *_args) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO REVISIONS"):
                report.send(("inserting",))

        author = db.session.get(User, author_id)
        definition = db.session.scalar(db.select(Definition).order_by(Definition.id).limit(1))
        definition_id = definition.id
        deadline = time.monotonic() + MAX_SECONDS
        step = 0
        while time.monotonic() < deadline:
            step += 1
            on_remix = step % 3 == 0
            line = db.session.get(Remix if on_remix else Definition,
                                  remix_id if on_remix else definition_id)
            db.session.refresh(line)
            head = db.session.get(Revision, line.head_revision_id)
            # Now and then from an older base: the save becomes a 3-way merge (or a conflict).
            base = head
            if step % 4 == 0 and head.parent_links:
                base = db.session.get(Revision, head.parent_links[0].parent_id)
            body = _next_body(base.body, rng, step)
            try:
                result = save_revision(definition_id=definition_id,
                                       remix_id=remix_id if on_remix else None, raw_body=body,
                                       summary=f"Sauvegarde {step}", base_revision_id=base.id,
                                       author=author)
            except EditConflict:
                continue
            if result.created:
                report.send(("saved", result.revision.id))
            db.session.commit()
    report.send(("timeout",))
