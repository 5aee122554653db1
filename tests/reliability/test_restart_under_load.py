"""Restart under load: gunicorn with 4 workers takes writes from several threads while its
master is sent HUP (graceful reload) and one worker is killed with SIGKILL. Every write that
was answered 2xx is in the database; a write that failed got an error status or lost its
connection — never a 2xx for something that was not stored.

Each write carries a marker line of its own, so that each acknowledgement can be checked
against the database: the revision id it returned exists and its body holds the marker.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import ROOT, stop_server, wait_until_served
from tests.reliability.soundness import database_problems, revision_problems
from wiki.extensions import db
from wiki.models import Revision
from wiki.services import remixing

WORKERS = 4
#: Writers with a remix each (the only writer of its line: always from the current head), and
#: two on the official line, one editing its first paragraph, the other its last (so a save
#: from a stale base merges, or now and then meets a 409).
REMIX_WRITERS = 4
OFFICIAL_WRITERS = ("haut", "bas")
#: Longer than gunicorn's own 30 s worker timeout: a request the server gives up on ends
#: there, not here.
REQUEST_TIMEOUT = 40
#: Upper bounds for each step, only reached on a machine much busier than its cores (a step
#: takes a few seconds otherwise): fresh workers answer their first requests slowly.
STEP_TIMEOUT = 90
#: Acknowledged writes wanted after the HUP (once the new workers serve) and after the kill.
WRITES_AFTER = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> set[int]:
    """The live (not zombie) processes whose parent is ``pid``: gunicorn's workers."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # « pid (comm) state ppid … »; comm may hold spaces or parentheses.
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _request(method: str, url: str, token: str, payload: dict | None = None):
    """``(status, json)`` of a call, or ``(None, error)`` when the connection failed."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json",
        "Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw[:200]
    except (OSError, ValueError) as error:  # refused, reset, cut short, timed out
        return None, repr(error)


@dataclass
class Write:
    writer: str
    marker: str
    started: float
    ended: float
    status: int | None
    answer: object

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Writer(threading.Thread):
    """Saves revisions on one line until told to stop, each with a fresh marker line."""

    def __init__(self, base_url: str, token: str, name: str, line_url: str,
                 head_url: str, place: str, stop: threading.Event, log: list[Write],
                 lock: threading.Lock) -> None:
        super().__init__(name=name, daemon=True)
        self.base_url, self.token, self.line_url, self.head_url = (base_url, token, line_url,
                                                                   head_url)
        self.place, self.stop, self.log, self.lock = place, stop, log, lock
        self.base: dict | None = None
        self.prefix = f"Marqueur {name} :"

    def _refresh(self) -> None:
        """The line's current head, after a write whose outcome the writer cannot know."""
        status, answer = _request("GET", self.base_url + self.head_url, self.token)
        if status != 200:
            self.base = None
            return
        if "head_revision_id" in answer:  # a remix: its head is one more call away
            status, answer = _request(
                "GET", f"{self.base_url}/api/v1/revisions/{answer['head_revision_id']}",
                self.token)
            if status != 200:
                self.base = None
                return
        else:
            answer = answer["head"]
        self.base = {"id": answer["id"], "body": answer["body"]}

    def _body(self, marker: str) -> str:
        lines = self.base["body"].rstrip("\n").split("\n")
        for index, line in enumerate(lines):
            if line.startswith(self.prefix):
                lines[index] = marker
                break
        else:
            lines = [marker, "", *lines] if self.place == "haut" else [*lines, "", marker]
        return "\n".join(lines) + "\n"

    def run(self) -> None:
        step = 0
        while not self.stop.is_set():
            if self.base is None:
                self._refresh()
                if self.base is None:
                    time.sleep(0.05)
                    continue
            step += 1
            marker = f"{self.prefix} écriture {step} {uuid.uuid4().hex}"
            started = time.monotonic()
            status, answer = _request("POST", self.base_url + self.line_url, self.token, {
                "body": self._body(marker), "summary": f"Charge {self.name} {step}",
                "base_revision_id": self.base["id"]})
            with self.lock:
                self.log.append(Write(self.name, marker, started, time.monotonic(), status,
                                      answer))
            if status is not None and 200 <= status < 300:
                self.base = {"id": answer["id"], "body": answer["body"]}
            else:
                self.base = None


@pytest.fixture
def gunicorn(app, database_url, tmp_path):
    """The app of the test database under gunicorn, 4 sync workers, as the README runs it."""
    db.session.commit()
    db.engine.dispose()  # no connection of the test process stays open (PostgreSQL)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url,
           "SECRET_KEY": "restart-under-load-secret-key", "WIKI_ENV": "development",
           "RATELIMIT_ENABLED": "0"}
    gunicorn_bin = ROOT / ".venv" / "bin" / "gunicorn"
    command = [str(gunicorn_bin) if gunicorn_bin.exists() else "gunicorn",
               "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
               # No control socket: gunicorn 27 would otherwise share ~/.gunicorn/gunicorn.ctl
               # with any other gunicorn of the machine (another test, a developer's server).
               "--no-control-socket", "--log-level", "warning", "wiki:create_app()"]
    # A file, not a pipe: a pipe nobody reads fills up and blocks the server that logs.
    log_path = tmp_path / "gunicorn.log"
    log = log_path.open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_served(process, base, STEP_TIMEOUT, lambda: log_path.read_text()[-3000:])
        _wait_for(lambda: len(_children(process.pid)) == WORKERS, STEP_TIMEOUT, "4 workers")
        yield base, process
    finally:
        stop_server(process, 30)
        log.close()
        print(f"gunicorn's log (shown when the test fails):\n{log_path.read_text()[-5000:]}")


@pytest.fixture
def lines(app, create_user, token_for, seed_revision):
    """A moderator's token, and the lines the writers save on: a remix each, owned by the
    writer, and the official line."""
    writer = create_user("chargeuse", role="moderator", display_name="Charlotte Charge")
    token = token_for(writer)["Authorization"].split(" ", 1)[1]
    slug = seed_revision.definition.slug
    remixes = [remixing.fork(definition_id=seed_revision.definition_id,
                             from_revision_id=seed_revision.id, title=f"Sous charge {n}",
                             owner=writer) for n in range(REMIX_WRITERS)]
    targets = [(f"remix{remix.id}", f"/api/v1/remixes/{remix.id}/revisions",
                f"/api/v1/remixes/{remix.id}", "bas") for remix in remixes]
    targets += [(f"officiel-{place}", f"/api/v1/definitions/{slug}/revisions",
                 f"/api/v1/definitions/{slug}", place) for place in OFFICIAL_WRITERS]
    db.session.commit()
    return token, targets


def test_acknowledged_writes_survive_a_graceful_reload_and_a_killed_worker(gunicorn, lines):
    base, master = gunicorn
    token, targets = lines
    stop, lock, log = threading.Event(), threading.Lock(), []
    writers = [Writer(base, token, name, line_url, head_url, place, stop, log, lock)
               for name, line_url, head_url, place in targets]

    def acknowledged_since(moment: float) -> int:
        with lock:
            return sum(1 for write in log if write.acknowledged and write.started > moment)

    for writer in writers:
        writer.start()
    try:
        _wait_for(lambda: acknowledged_since(0) >= len(writers), STEP_TIMEOUT,
                  "the first writes")

        # Graceful reload: new workers come up, the old ones finish what they were doing.
        old_workers = _children(master.pid)
        hup_at = time.monotonic()
        master.send_signal(signal.SIGHUP)
        _wait_for(lambda: not (_children(master.pid) & old_workers)
                  and len(_children(master.pid)) == WORKERS, STEP_TIMEOUT,
                  "the old workers to be replaced after HUP")
        reloaded_at = time.monotonic()
        _wait_for(lambda: acknowledged_since(reloaded_at) >= WRITES_AFTER, STEP_TIMEOUT,
                  "writes served by the reloaded workers")

        # One worker dies without a chance to finish (most likely in the middle of a write).
        victim = min(_children(master.pid))
        kill_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        _wait_for(lambda: acknowledged_since(kill_at) >= WRITES_AFTER, STEP_TIMEOUT,
                  "writes after the kill")
        _wait_for(lambda: victim not in _children(master.pid)
                  and len(_children(master.pid)) == WORKERS, STEP_TIMEOUT,
                  "gunicorn to replace the killed worker")
        time.sleep(0.3)
    finally:
        stop.set()
        for writer in writers:
            writer.join(REQUEST_TIMEOUT + 5)
    assert not any(writer.is_alive() for writer in writers), "a writer is stuck"

    acknowledged = [write for write in log if write.acknowledged]
    failed = [write for write in log if not write.acknowledged]
    assert acknowledged and any(write.started > hup_at for write in acknowledged)
    assert any(write.started > kill_at for write in acknowledged)

    # Every acknowledgement is a revision that holds its marker, in the answer and in the
    # database.
    db.session.expire_all()
    ids = [write.answer["id"] for write in acknowledged]
    assert len(set(ids)) == len(ids), "two writes were acknowledged with one revision"
    stored = {revision.id: revision for revision in db.session.scalars(
        select(Revision).where(Revision.id.in_(ids)))}
    lost = [write for write in acknowledged if write.answer["id"] not in stored]
    assert not lost, f"acknowledged but not stored: {lost}"
    for write in acknowledged:
        assert write.marker in write.answer["body"], write
        assert write.marker in stored[write.answer["id"]].body, (
            f"revision {write.answer['id']} does not hold the marker of {write}")

    # A write that failed says so: an error status with the API's JSON error, or a lost
    # connection (the killed worker's request). A 409 is a save from a stale base.
    for write in failed:
        if write.status is None:
            continue
        assert write.status >= 400, write
        assert isinstance(write.answer, dict) and write.answer["error"]["code"], write
        if write.status == 409:
            assert write.answer["error"]["code"] == "edit_conflict", write

    # The database the workers left is sound, and the server still answers, reads and writes.
    assert database_problems(db.session) == []
    assert revision_problems(db.session) == []
    db.session.rollback()
    with urllib.request.urlopen(f"{base}/healthz", timeout=REQUEST_TIMEOUT) as answer:
        assert answer.status == 200
    writer = writers[0]
    writer._refresh()
    status, answer = _request("POST", base + writer.line_url, token, {
        "body": writer._body(f"{writer.prefix} après la tempête"), "summary": "Après",
        "base_revision_id": writer.base["id"]})
    assert status == 201, answer

    connection_errors = [write for write in failed if write.status is None]
    bodies = db.session.scalars(select(Revision.body)).all()
    stored_anyway = sum(1 for write in connection_errors
                        if any(write.marker in body for body in bodies))
    statuses = sorted({write.status for write in failed if write.status is not None})
    print(f"\n{len(log)} writes: {len(acknowledged)} acknowledged, {len(connection_errors)} "
          f"connection errors ({stored_anyway} of them stored all the same), error statuses "
          f"{statuses}")
