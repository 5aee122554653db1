"""The README's API examples stay true: every ```sh api-example block, in order, runs as one
bash script (real curl and jq) against a live test server, and does what it says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.web.test_api_contract import live_server  # noqa: F401  (fixture)
from wiki.extensions import db
from wiki.models import Remix, Revision, Vote

README = Path(__file__).resolve().parents[2] / "README.md"
README_HOST = "http://127.0.0.1:5000"
BLOCK = re.compile(r"^```sh api-example\n(.*?)^```$", re.MULTILINE | re.DOTALL)
#: Every curl fails the script on an HTTP error, showing the body (readers keep plain ``curl``).
PRELUDE = """set -euo pipefail
curl() { command curl --fail-with-body --max-time 20 "$@"; }
"""


def readme_examples() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_has_an_example_of_each_kind():
    script = "\n".join(readme_examples())
    for needle in ("GET", "/api/v1/tokens", "/revisions", "/vote", "/remixes",
                   "/propose", "/merge", "DELETE"):
        assert needle in script or (needle == "GET" and "curl -s http" in script), needle
    assert README_HOST in script


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq") and shutil.which("bash")),
                    reason="the README's examples use curl and jq")
def test_the_readme_api_examples_run_against_a_live_server(app, live_server,  # noqa: F811
                                                           create_user, tmp_path):
    create_user("marie", role="moderator", display_name="Marie",
                password="un-mot-de-passe-solide")
    head_before = db.session.scalar(db.select(db.func.max(Revision.id)))
    script = PRELUDE + "\n".join(readme_examples()).replace(README_HOST, live_server)
    path = tmp_path / "readme.sh"
    path.write_text(script, encoding="utf-8")
    result = subprocess.run(["bash", str(path)], capture_output=True, text=True, timeout=120,
                            env={"PATH": os.environ["PATH"], "LC_ALL": "C.UTF-8"})
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    output = result.stdout
    db.session.rollback()  # end the test's read transaction: see the server's writes
    saved = db.session.get(Revision, head_before + 1)
    assert saved.body.strip() == \
        "Une stratégie numérique est un processus de transformation continue."
    assert saved.summary == "Texte resserré"
    assert db.session.query(Vote).filter_by(revision_id=saved.id, choice="plebisciter").count()
    remix = db.session.query(Remix).one()
    assert remix.title == "Version pour les OBNL" and remix.status == "merged"
    merge = db.session.get(Revision, db.session.scalar(db.select(db.func.max(Revision.id))))
    assert len(merge.parent_ids) == 2 and "OBNL" in merge.body
    compact = re.sub(r"\s+", "", output)
    assert '"proposed"' in compact and '"merged"' in compact and '{"revoked":true}' in compact
