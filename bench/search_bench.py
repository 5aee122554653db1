"""Speed of search over 10,000 revisions with history, on SQLite (FTS5).

Run: ``.venv/bin/python bench/search_bench.py [revisions]`` from the project root. Not a test:
timings depend on the machine. Target: the median of a search (one page of 20 results with
their excerpts, ``history`` on) under 50 ms.

The database is built in a temporary directory by the migrations, then the seed; the
revisions are then written straight into the table (rendering 10,000 Markdown bodies through
the save path would take minutes and is not what is measured) and indexed by the search
service's own code (``rebuild_index``), the code ``add_revision`` runs on every save.
Each revision is the seed's text (about 600 words) with a few dozen words replaced from a
French vocabulary, spread over 20 definitions and, one revision in four, over remixes' lines.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from markupsafe import escape  # noqa: E402
from sqlalchemy import text  # noqa: E402

from wiki import create_app  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.services import search  # noqa: E402
from wiki.services.db import transaction  # noqa: E402
from wiki.services.seeding import seed  # noqa: E402

REVISIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
#: A second argument keeps the database at that path (built once, measured again later).
KEEP = Path(sys.argv[2]) if len(sys.argv) > 2 else None
DEFINITIONS = 20
REPEAT = 15

VOCABULARY = """
gouvernance innovation données ouvertes plateforme collaboration citoyen numérique culture
apprentissage compétences formation territoire municipalité entreprise coopérative organisme
transformation adaptation changement écosystème réseau communauté participation transparence
infonuagique cybersécurité accessibilité inclusion médiation bibliothèque musée patrimoine
économie sociale circuit court logiciel libre interopérabilité éthique algorithme intelligence
artificielle automatisation robotique télétravail mobilité énergie durable sobriété indicateur
tableau bord pilotage évaluation mesure impact valeur usager expérience service public
""".split()

QUERIES = {
    "frequent word (every revision)": "stratégie",
    "two frequent words": "stratégie numérique",
    "stemmed form": "transformations organisationnelles",
    "mid-frequency word": "interopérabilité",
    "two mid-frequency words": "gouvernance sobriété",
    "rare word": "zygomatique",
    "no match": "introuvablissime",
    "long query (30 words)": " ".join(VOCABULARY[:30]),
}


def paragraphs(rng: random.Random, base: list[str]) -> list[str]:
    out = []
    for paragraph in base:
        words = paragraph.split(" ")
        for _ in range(max(1, len(words) // 20)):
            words[rng.randrange(len(words))] = rng.choice(VOCABULARY)
        out.append(" ".join(words))
    if rng.random() < 0.001:
        out.append("Un mot rare : zygomatique.")
    return out


def build(app) -> None:
    rng = random.Random(15)
    with app.app_context():
        upgrade()
        seed()
        base_body = db.session.execute(text("SELECT body FROM revisions WHERE id = 1")).scalar()
        base = [p.strip().lstrip("#").strip() for p in base_body.split("\n\n") if p.strip()]
        now = datetime.now(UTC).replace(tzinfo=None)
        started = time.perf_counter()
        with transaction() as session:
            connection = session.connection()
            for n in range(DEFINITIONS - 1):
                connection.execute(text(
                    "INSERT INTO definitions (slug, term, description, description_html, "
                    "license_code, created_at) VALUES (:slug, :term, '', '', "
                    "'CC-BY-NC-SA-4.0', :now)"),
                    {"slug": f"definition-{n}", "term": f"définition {n}", "now": now})
            owner = connection.execute(text(
                "INSERT INTO users (username, display_name, password_hash, role, active, "
                "session_version, created_at) VALUES ('banc', 'Banc', 'x', 'participant', "
                "1, 1, :now) RETURNING id"), {"now": now}).scalar()
            remixes = []
            for definition_id in range(1, DEFINITIONS + 1):
                remixes.append(connection.execute(text(
                    "INSERT INTO remixes (definition_id, title, description, owner_id, "
                    "forked_from_revision_id, head_revision_id, status, license_code, "
                    "created_at, updated_at) VALUES (:d, 'Remix', '', :owner, 1, 1, 'draft', "
                    "'CC-BY-NC-SA-4.0', :now, :now) RETURNING id"),
                    {"d": definition_id, "owner": owner, "now": now}).scalar())
            rows = []
            for n in range(REVISIONS - 1):
                definition_id = 1 + n % DEFINITIONS
                body = paragraphs(rng, base)
                rows.append({
                    "d": definition_id,
                    "remix": remixes[definition_id - 1] if n % 4 == 3 else None,
                    "body": "\n\n".join(body),
                    "html": "".join(f"<p>{escape(p)}</p>" for p in body),
                    "words": sum(len(p.split()) for p in body), "now": now,
                })
            connection.execute(text(
                "INSERT INTO revisions (definition_id, remix_id, summary, body, html, "
                "word_count, inserted_words, deleted_words, license_code, authorship, "
                "contributors, attribution, created_at) VALUES (:d, :remix, 'Banc', :body, "
                ":html, :words, 0, 0, 'CC-BY-NC-SA-4.0', '[]', '[]', '{}', :now)"), rows)
            connection.execute(text(
                "UPDATE definitions SET head_revision_id = (SELECT max(id) FROM revisions "
                "WHERE definition_id = definitions.id AND remix_id IS NULL)"))
            indexed = search.rebuild_index(session)
        elapsed = time.perf_counter() - started
        print(f"{indexed} revisions written and indexed in {elapsed:.1f} s "
              f"({elapsed / indexed * 1000:.2f} ms a revision)")


def measure(app) -> None:
    """Wall time is the figure; CPU time of this process is printed beside it, because on a
    busy machine (other processes on the same cores) wall time also counts the waiting."""
    with app.app_context():
        print(f"\n{'query':<34} {'history':>7} {'results':>7} {'median':>9} {'max':>9} "
              f"{'cpu':>8}")
        medians, cpu_medians = [], []
        for history in (True, False):
            for label, query in QUERIES.items():
                times, cpu = [], []
                for _ in range(REPEAT):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    results = search.search(query, history=history)
                    times.append(time.perf_counter() - started)
                    cpu.append(time.process_time() - started_cpu)
                    db.session.rollback()
                next_page = ""
                if results.next_before:
                    started = time.perf_counter()
                    search.search(query, history=history, before=results.next_before)
                    next_page = f"  (page 2: {(time.perf_counter() - started) * 1000:.1f} ms)"
                    db.session.rollback()
                median = statistics.median(times)
                if history:
                    medians.append(median)
                    cpu_medians.append(statistics.median(cpu))
                print(f"{label:<34} {'yes' if history else 'no':>7} {len(results.hits):>7} "
                      f"{median * 1000:>7.1f}ms {max(times) * 1000:>7.1f}ms "
                      f"{statistics.median(cpu) * 1000:>6.1f}ms{next_page}")
        overall = statistics.median(medians)
        verdict = "OK" if overall < 0.050 else "SLOWER THAN THE 50 ms TARGET"
        print(f"\nmedian over the history queries: {overall * 1000:.1f} ms wall ({verdict}), "
              f"{statistics.median(cpu_medians) * 1000:.1f} ms CPU")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = KEEP or Path(directory) / "bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                          "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
        if not path.exists() or path.stat().st_size == 0:
            build(app)
        measure(app)
        with app.app_context():
            db.engine.dispose()
        print(f"database with its index: {path.stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
