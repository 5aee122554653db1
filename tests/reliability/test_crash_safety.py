"""Crash safety: a process saving revisions is killed with SIGKILL in the middle of its burst,
ten times, and the database it leaves is sound, with every acknowledged save in it."""

from __future__ import annotations

import multiprocessing
import random
import signal
import time

from sqlalchemy import select

from tests.reliability.crash_writer import write_until_killed
from tests.reliability.soundness import database_problems, revision_problems
from wiki.extensions import db
from wiki.models import Revision
from wiki.services import remixing

KILLS = 10

# Each child is a fork of a server that imported the app once: a fresh interpreter per child
# would spend seconds importing, and a fork of the test process would carry its open SQLite
# connections (SQLite forbids using them across fork).
_PROCESSES = multiprocessing.get_context("forkserver")
_PROCESSES.set_forkserver_preload(["tests.reliability.crash_writer", "wiki", "wiki.models",
                                   "wiki.services.editing", "wiki.views.api"])


def _kill_mid_burst(database_url: str, author_id: int, remix_id: int, round_: int,
                    rng: random.Random) -> tuple[list[int], bool]:
    """One child, killed after a few committed saves, while it inserts the next revision (or
    a few milliseconds later): answers the saves it reported as committed, and whether the
    kill cut a save short (no « saved » came after the last « inserting »)."""
    reader, writer = _PROCESSES.Pipe(duplex=False)
    child = _PROCESSES.Process(target=write_until_killed, daemon=True,
                               args=(database_url, author_id, remix_id, round_, writer))
    child.start()
    writer.close()
    saved: list[int] = []
    wanted = 1 + round_ % 2
    deadline = time.monotonic() + 60
    try:
        while True:
            assert reader.poll(max(0.0, deadline - time.monotonic())), (
                f"the writer saved {len(saved)} revisions in 60 s")
            message = reader.recv()
            assert message[0] != "timeout", "the writer was never killed"
            if message[0] == "saved":
                saved.append(message[1])
            elif len(saved) >= wanted:
                break
        # The revision row is being inserted: kill now or a few milliseconds later, inside
        # the transaction or just after its commit.
        time.sleep(rng.uniform(0, 0.008))
        child.kill()
        child.join(10)
        assert child.exitcode == -signal.SIGKILL
        cut_short = True
        # A save committed before the signal landed is reported too: drain the pipe.
        while reader.poll(0):
            try:
                message = reader.recv()
            except (EOFError, OSError):  # the end of the pipe, or a message cut by the kill
                break
            if message[0] == "saved":
                saved.append(message[1])
                cut_short = False
            elif message[0] == "inserting":
                cut_short = True
    finally:
        if child.is_alive():
            child.kill()
            child.join(10)
        reader.close()
    return saved, cut_short


def test_sigkill_mid_burst_ten_times_leaves_a_sound_database(app, create_user, seed_revision,
                                                             database_url, save):
    author = create_user("ecrivaine", role="moderator", display_name="Écrivaine Têtue")
    remix = remixing.fork(definition_id=seed_revision.definition_id,
                          from_revision_id=seed_revision.id, title="Sous pression",
                          owner=author)
    author_id, remix_id = author.id, remix.id
    db.session.commit()
    rng = random.Random(16)
    acknowledged: list[int] = []
    cut_mid_save = 0
    for round_ in range(KILLS):
        saved, cut_short = _kill_mid_burst(database_url, author_id, remix_id, round_, rng)
        assert saved, f"round {round_}: no save was committed before the kill"
        acknowledged += saved
        cut_mid_save += cut_short
    # Most kills land between the revision's INSERT and its COMMIT; without any, the test
    # would only show that a finished save survives.
    assert cut_mid_save >= 1

    db.session.expire_all()
    assert database_problems(db.session) == []
    assert revision_problems(db.session) == []
    stored = set(db.session.scalars(select(Revision.id).where(Revision.id.in_(acknowledged))))
    assert stored == set(acknowledged), "a save reported as committed is gone"
    # Nothing stays locked by a killed writer: the next save goes through at once.
    head = save(author, seed_revision.body + "\nAprès les coupures.\n")
    assert head.created
