"""`make bench`: the wiki's throughput as ratios to a minimal Flask app, at N = 10, 1,000 and
10,000 revisions, the median time of a save, a vote and a merge, the domain micro-benchmarks,
and the RSS of a worker; a table on stdout and in ``bench/results/<date>.md``.

Settings (environment): ``BENCH_DATABASE_URL`` (PostgreSQL; SQLite in a temporary directory
otherwise), ``BENCH_SIZES`` (default ``10,1000,10000``), ``BENCH_SECONDS`` (one measurement
burst, default 3), ``BENCH_ROUNDS`` (default 2), ``BENCH_CONCURRENCY`` (connections, default 8),
``BENCH_WORKERS`` / ``BENCH_THREADS`` (gunicorn, default 4 × 2), ``BENCH_MICRO=0`` to skip the
micro-benchmarks, ``BENCH_OUTPUT`` (default ``bench/results``).

Method. Both apps are served at once by gunicorn with the same settings (``server.py``), and
measured alternately in short bursts by the closed-loop load generator of ``loadgen.py``
(minimal, page, minimal, next page, …, minimal): each page's ratio is its throughput over the
mean of the two minimal bursts around it, the median over the rounds. On a shared 2-core
machine absolute numbers drift; ratios taken side by side do not, much. Each page is warmed
up first. Writes are timed in-process through the services (sequential, 20 each), after the
servers have stopped.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import dataset  # noqa: E402
import loadgen  # noqa: E402
import server  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10,1000,10000").split(",") if s]
SECONDS = float(os.environ.get("BENCH_SECONDS", 3))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 2))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 8))
WARMUP = 1.0
WRITES = 20
PG_URL = os.environ.get("BENCH_DATABASE_URL")
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", BENCH / "results"))

#: (key, label, minimum ratio to the minimal app or None)
READS = [
    ("definition", "Définition actuelle", 0.6),
    ("old_revision", "Ancienne révision", 0.5),
    ("history", "Historique, page 1", 0.5),
    ("compare", "Comparer révision 1 → tête", 0.3),
    ("remix", "Page d’un remix", 0.5),
    ("graph", "Graphe des révisions (SVG)", None),
    ("api_revision", "API : lecture d’une révision", 0.5),
]
#: (key, label, SQLite target in ms)
WRITE_TARGETS = [("save", "Enregistrer une modification", 25.0), ("vote", "Voter", 10.0),
                 ("merge", "Fusionner un remix (propre)", 50.0)]
SAME_WITHIN = 0.20
RSS_TARGET_MB = 150


def paths(data: dataset.Dataset) -> dict[str, str]:
    slug = dataset.SLUG
    return {
        "definition": f"/definitions/{slug}",
        "old_revision": f"/revisions/{data.old_revision_id}",
        "history": f"/definitions/{slug}/history",
        "compare": f"/compare?from={data.first_revision_id}&to={data.head_revision_id}",
        "remix": f"/remixes/{data.remix_id}",
        "graph": f"/definitions/{slug}/graph.svg",
        "api_revision": f"/api/v1/revisions/{data.old_revision_id}",
    }


@dataclass
class SizeResult:
    n: int
    data: dataset.Dataset
    minimal_rps: list[float] = field(default_factory=list)
    reads: dict[str, dict] = field(default_factory=dict)
    #: The same pages with the page cache off: every request renders (one round).
    cold: dict[str, dict] = field(default_factory=dict)
    writes: dict[str, list[float]] = field(default_factory=dict)
    rss_mb: list[float] = field(default_factory=list)
    rss_cold_mb: list[float] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)


def database_url(n: int, tmp: Path) -> str:
    if PG_URL:
        return PG_URL
    return f"sqlite:///{tmp}/bench-{n}.db"


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------
# Reads under load.


def http_checks(port: int, urls: dict[str, str]) -> list[tuple[str, bool, str]]:
    """Caching headers as DECISIONS.md sets them, checked through gunicorn."""
    host = server.HOST
    checks = []
    for key in ("definition", "old_revision", "api_revision"):
        status, headers, _body = loadgen.fetch(host, port, urls[key])
        etag = headers.get("etag")
        ok = (status == 200 and bool(etag) and headers.get("cache-control") == "no-cache"
              and "set-cookie" not in headers)
        checks.append((f"{urls[key]} : 200, ETag, Cache-Control: no-cache, aucun cookie", ok,
                       f"{status} {headers.get('cache-control')!r} etag={bool(etag)}"))
        again, _h, body = loadgen.fetch(host, port, urls[key], {"If-None-Match": etag or "x"})
        checks.append((f"{urls[key]} : 304 sur If-None-Match", again == 304 and not body,
                       str(again)))
    compare_api = urls["compare"].replace("/compare", "/api/v1/compare")
    status, headers, _body = loadgen.fetch(host, port, compare_api)
    checks.append((f"{compare_api} : immutable", status == 200 and "immutable" in headers.get(
        "cache-control", ""), f"{status} {headers.get('cache-control')!r}"))
    for path in urls.values():
        status, headers, body = loadgen.fetch(host, port, path)
        checks.append((f"{path} : 200", status == 200 and len(body) > 0, str(status)))
    return checks


def measure_reads(result: SizeResult, minimal_port: int, wiki: server.Server,
                  rounds: int = ROUNDS) -> dict[str, dict]:
    urls = paths(result.data)
    host = server.HOST
    # Every worker answers every page a few times first (templates and SQL compiled), then a
    # short burst at full load.
    warm = 4 * server.WORKERS * server.THREADS
    for port, path in [*((wiki.port, p) for p in urls.values()), (minimal_port, "/")]:
        loadgen.warm(host, port, path, requests=warm, concurrency=CONCURRENCY)
        loadgen.load(host, port, path, seconds=WARMUP, concurrency=CONCURRENCY)
    samples: dict[str, list[tuple[float, float, loadgen.LoadResult]]] = {k: [] for k in urls}
    reads: dict[str, dict] = {}

    def minimal() -> float:
        rps = loadgen.load(host, minimal_port, "/", seconds=SECONDS,
                           concurrency=CONCURRENCY).rps
        result.minimal_rps.append(rps)
        return rps

    before = minimal()
    for _round in range(rounds):
        for key, path in urls.items():
            measured = loadgen.load(host, wiki.port, path, seconds=SECONDS,
                                    concurrency=CONCURRENCY)
            after = minimal()
            samples[key].append((measured.rps, (before + after) / 2, measured))
            before = after
    for key, rows in samples.items():
        ratios = [rps / base for rps, base, _m in rows if base]
        last = rows[-1][2]
        reads[key] = {
            "path": urls[key], "rps": statistics.mean(r for r, _b, _m in rows),
            "ratio": statistics.median(ratios), "ratios": ratios,
            "p50_ms": last.percentile(0.5), "p99_ms": last.percentile(0.99),
            "errors": sum(m.errors for _r, _b, m in rows),
            "bytes": last.body_bytes // max(1, last.requests),
        }
    return reads


# ---------------------------------------------------------------------------------------------
# Writes, in-process through the services.


def measure_writes(url: str, data: dataset.Dataset) -> dict[str, list[float]]:
    from wiki.extensions import db
    from wiki.models import Remix, User
    from wiki.services import editing, remixing, voting

    app = dataset.app_for(url)
    timings: dict[str, list[float]] = {"save": [], "vote": [], "merge": []}
    rng = random.Random(20)

    def user(user_id: int) -> User:
        return db.session.get(User, user_id)

    with app.test_request_context("/"):
        definition = editing.get_definition(dataset.SLUG)
        editor = dataset.Editor(definition.head.body, rng)
        moderator_id = data.moderator_ids[0]
        for _k in range(WRITES):
            db.session.remove()
            head_id = editing.get_definition(dataset.SLUG).head_revision_id
            author, body = user(moderator_id), editor.edit()
            start = time.perf_counter()
            editing.save_revision(definition_id=data.definition_id, remix_id=None,
                                  raw_body=body, summary="Modification mesurée",
                                  base_revision_id=head_id, author=author)
            timings["save"].append(time.perf_counter() - start)
        head_id = editing.get_definition(dataset.SLUG).head_revision_id
        voters = data.user_ids[-WRITES:]
        for k, voter in enumerate(voters):
            db.session.remove()
            user(voter)
            start = time.perf_counter()
            voting.cast_vote(voter, head_id, "plebisciter" if k % 3 else "rejeter")
            timings["vote"].append(time.perf_counter() - start)
        # Twenty proposals forked from the head, each changing its own place: clean merges.
        db.session.remove()
        head = editing.get_definition(dataset.SLUG).head
        places = dataset.Editor(head.body, rng, shift=True)
        remix_ids = []
        for k in range(WRITES):
            owner_id = data.user_ids[(k + 7) % len(data.user_ids)]
            remix = remixing.fork(definition_id=data.definition_id, from_revision_id=head.id,
                                  title=f"Proposition mesurée {k}", owner=user(owner_id))
            tokens = list(places.tokens)
            slot = places.slots[k % len(places.slots)]
            tokens[slot] = f"proposition{k}"
            editing.save_revision(definition_id=data.definition_id, remix_id=remix.id,
                                  raw_body=" ".join(tokens), summary="Proposition",
                                  base_revision_id=head.id, author=user(owner_id))
            remixing.propose(remix.id, user(owner_id))
            remix_ids.append(remix.id)
        for remix_id in remix_ids:
            db.session.remove()
            moderator = user(moderator_id)
            db.session.get(Remix, remix_id)
            start = time.perf_counter()
            remixing.merge_remix(remix_id, moderator, {})
            timings["merge"].append(time.perf_counter() - start)
        db.session.remove()
    with app.app_context():
        db.engine.dispose()
    return timings


# ---------------------------------------------------------------------------------------------
# Micro-benchmarks.


def micro_benchmarks() -> dict[str, float]:
    """Medians in ms of ``bench/test_micro.py`` (pytest-benchmark), in a subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "micro.json"
        subprocess.run([sys.executable, "-m", "pytest", str(BENCH / "test_micro.py"), "-q",
                        f"--benchmark-json={report}", "--benchmark-disable-gc"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        data = json.loads(report.read_text())
    return {b["name"]: b["stats"]["median"] * 1000 for b in data["benchmarks"]}


MICRO = [
    ("test_word_diff_of_300_words", "Diff de mots, 300 mots", None),
    ("test_word_diff_of_20000_words_with_400_changes",
     "Diff de mots, 20 000 mots, 400 changements", 500.0),
    ("test_three_way_merge_of_20000_words", "Fusion à 3 voies, 20 000 mots", 1000.0),
    ("test_authorship_carry_forward_of_one_save", "Report de l’autorat (une sauvegarde)", None),
]


# ---------------------------------------------------------------------------------------------
# The report.


LOAD_AT_START = os.getloadavg()[0]


def commit() -> str:
    def git(*args: str) -> str:
        run = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return run.stdout.strip() if run.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "inconnu"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "wiki", "bench",
                "templates", "migrations", "config.py")
    return f"{head}{' + modifications non validées' if dirty else ''}"


def command() -> str:
    settings = " ".join(f"{k}={v}" for k, v in sorted(os.environ.items())
                        if k.startswith("BENCH_") and k != "BENCH_DATABASE_URL")
    if PG_URL:
        settings = ("BENCH_DATABASE_URL=… " + settings).strip()
    return f"{settings} make bench".strip()


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = next(int(line.split()[1]) for line in
                      Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:"))
    except (OSError, StopIteration):
        memory = 0
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cœurs ({model}), "
            f"{memory / 1024 / 1024:.0f} Go de mémoire")


def database_version() -> str:
    if not PG_URL:
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (fichier, WAL)"
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return "PostgreSQL " + connection.execute(text("SHOW server_version")).scalar()
    finally:
        engine.dispose()


def mark(ok: bool | None) -> str:
    return "—" if ok is None else ("✅" if ok else "❌")


def report(results: list[SizeResult], micro: dict[str, float], started: datetime,
           elapsed: float) -> str:
    backend = "PostgreSQL" if PG_URL else "SQLite"
    lines = [
        f"# Banc d’essai — {started:%Y-%m-%d %H:%M} UTC ({backend})", "",
        f"- Machine : {machine()}, Python {platform.python_version()}, {database_version()} ; "
        f"charge moyenne (1 min) au départ {LOAD_AT_START:.1f}"
        + (". **Machine chargée** : d’autres travaux y tournaient au départ, sur les mêmes "
           "cœurs" if LOAD_AT_START >= (os.cpu_count() or 1) / 2 else
           " : machine calme au départ")
        + " ; seuls comptent les rapports mesurés côte à côte dans ce passage, pas les valeurs "
        "absolues (la machine est partagée).",
        f"- Serveur : {server.describe()} ; le même pour l’application Flask minimale "
        "(une route, un petit gabarit).",
        f"- Charge : {loadgen.describe(CONCURRENCY)}, sur la même machine que les serveurs ; "
        f"rafales de {SECONDS:g} s alternées avec "
        f"l’application minimale, {ROUNDS} tours, médiane des rapports ; requêtes anonymes "
        "sans en-tête conditionnel (chaque réponse est un 200 complet).",
        f"- Écritures : en processus, par les services, séquentielles, {WRITES} fois chacune, "
        "médiane.",
        f"- Commit : `{commit()}` ; commande : `{command()}` ; durée totale : "
        f"{elapsed / 60:.1f} min ; charge moyenne (1 min) à la fin : {os.getloadavg()[0]:.1f}.",
        "", "",
        "## Lectures (débit, rapport à l’application minimale)", "",
    ]
    header = "| Page | Cible |" + "".join(
        f" N = {r.n:,} : req/s | rapport | sans cache : req/s | rapport |" for r in results)
    lines += [header.replace(",", " "), "|---|---|" + "---:|---:|---:|---:|" * len(results)]
    lines.append("| Application Flask minimale | — |" + "".join(
        f" {statistics.mean(r.minimal_rps):.0f} | 1 | | |" for r in results))
    for key, label, target in READS:
        row = f"| {label} | {f'≥ {target:.1f} ×' if target else '—'} |"
        for r in results:
            read, cold = r.reads.get(key), r.cold.get(key)
            if read is None:
                row += " — | — | — | — |"
                continue
            ok = None if target is None else read["ratio"] >= target
            row += f" {read['rps']:.0f} | {read['ratio']:.3f} {mark(ok)} |"
            row += f" {cold['rps']:.0f} | {cold['ratio']:.3f} |" if cold else " — | — |"
        lines.append(row)
    lines += ["", "« Sans cache » : le même serveur avec le cache de pages éteint "
              "(`PAGE_CACHE = False`), un tour : chaque requête refait la page, comme la "
              "première après chaque écriture ou pour une personne connectée.", ""]
    first, last = results[0], results[-1]
    if len(results) > 1:
        lines += [f"## Stabilité : rapport à N = {last.n:,} / rapport à N = {first.n:,} "
                  f"(cible : ± {SAME_WITHIN:.0%})".replace(",", " "), "",
                  "| Page | avec cache : N petit | N grand | écart | sans cache : N petit "
                  "| N grand | écart |", "|---|---:|---:|---:|---:|---:|---:|"]
        for key, label, _target in READS:
            row = f"| {label} |"
            for kind in ("reads", "cold"):
                a, b = getattr(first, kind).get(key), getattr(last, kind).get(key)
                if not a or not b:
                    row += " — | — | — |"
                    continue
                drift = b["ratio"] / a["ratio"] - 1 if a["ratio"] else float("inf")
                ok = abs(drift) <= SAME_WITHIN
                row += f" {a['ratio']:.3f} | {b['ratio']:.3f} | {drift:+.0%} {mark(ok)} |"
            lines.append(row)
        lines.append("")
    lines += ["## Latences sous charge (dernier tour)", "",
              "| Page |" + "".join(f" N = {r.n:,} : p50 / p99 ms | octets |".replace(",", " ")
                                    for r in results),
              "|---|" + "---:|---:|" * len(results)]
    for key, label, _target in READS:
        row = f"| {label} |"
        for r in results:
            read = r.reads.get(key)
            row += (f" {read['p50_ms']:.1f} / {read['p99_ms']:.1f} | {read['bytes']:,} |"
                    .replace(",", " ") if read else " — | — |")
        lines.append(row)
    lines += ["", f"## Écritures (médiane de {WRITES}, en processus, par les services)", "",
              "| Opération | Cible (SQLite) |" + "".join(
                  f" N = {r.n:,} : médiane ms | max ms |".replace(",", " ") for r in results),
              "|---|---|" + "---:|---:|" * len(results)]
    for key, label, target in WRITE_TARGETS:
        row = f"| {label} | < {target:g} ms |"
        for r in results:
            times = [t * 1000 for t in r.writes.get(key, [])]
            if not times:
                row += " — | — |"
                continue
            median = statistics.median(times)
            ok = median < target if not PG_URL else None
            row += f" {median:.1f} {mark(ok)} | {max(times):.1f} |"
        lines.append(row)
    lines += ["", "## Mémoire", "",
              "| N | RSS des workers après les lectures (Mo) | sans cache | Cible |",
              "|---:|---|---|---|"]
    for r in results:
        worst = max(r.rss_mb + r.rss_cold_mb) if r.rss_mb else float("nan")
        lines.append(f"| {r.n} | {' · '.join(f'{m:.0f}' for m in r.rss_mb)} | "
                     f"{' · '.join(f'{m:.0f}' for m in r.rss_cold_mb)} | "
                     f"< {RSS_TARGET_MB} Mo {mark(worst < RSS_TARGET_MB)} |")
    if micro:
        lines += ["", "## Micro-bancs du domaine (pytest-benchmark, médiane)", "",
                  "| Cas | Médiane | Cible |", "|---|---:|---|"]
        for key, label, target in MICRO:
            if key in micro:
                ok = None if target is None else micro[key] < target
                lines.append(f"| {label} | {micro[key]:.1f} ms | "
                             f"{f'< {target:g} ms ' if target else ''}{mark(ok)} |")
    lines += ["", "## Jeux de données", "",
              "| N | révisions | officielles | remix | votes | commentaires | construit en |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        c = r.data.counts
        lines.append(f"| {r.n} | {c['revisions']} | {c['official_revisions']} | {c['remixes']} "
                     f"| {c['votes']} | {c['comments']} | {r.data.timings['build_s']:.0f} s |")
    lines += ["", "## Vérifications HTTP (sous gunicorn)", ""]
    for r in results[:1]:
        for label, ok, detail in r.checks:
            lines.append(f"- {mark(ok)} {label} ({detail})")
    return "\n".join(lines) + "\n"


def main() -> int:
    started = datetime.now(UTC)
    clock = time.perf_counter()
    results: list[SizeResult] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        minimal_app = server.Server("minimal_app:app", chdir=BENCH)
        with minimal_app:
            for n in SIZES:
                url = database_url(n, Path(tmp))
                log(f"N = {n}: building the database…")
                data = dataset.build(url, n)
                log(f"  built in {data.timings['build_s']:.0f} s: {data.counts}")
                result = SizeResult(n=n, data=data)
                env = {"DATABASE_URL": url, "SECRET_KEY": dataset.SECRET_KEY,
                       "WIKI_ENV": "production"}
                with server.Server("wiki:create_app()", env) as wiki:
                    result.checks = http_checks(wiki.port, paths(data))
                    result.reads = measure_reads(result, minimal_app.port, wiki)
                    result.rss_mb = wiki.worker_rss_mb()
                with server.Server("wiki:create_app({'PAGE_CACHE': False})", env) as wiki:
                    result.cold = measure_reads(result, minimal_app.port, wiki, rounds=1)
                    result.rss_cold_mb = wiki.worker_rss_mb()
                for key, _label, _t in READS:
                    read, cold = result.reads[key], result.cold[key]
                    log(f"  {key:<13} {read['rps']:7.0f} req/s  ratio {read['ratio']:.3f}  "
                        f"p50 {read['p50_ms']:.1f} ms  errors {read['errors']}  |  "
                        f"uncached {cold['rps']:.0f} req/s ratio {cold['ratio']:.3f}")
                log(f"  minimal       {statistics.mean(result.minimal_rps):7.0f} req/s;  "
                    f"worker RSS {', '.join(f'{m:.0f}' for m in result.rss_mb)} MB")
                result.writes = measure_writes(url, data)
                for key, times in result.writes.items():
                    log(f"  {key:<13} median {statistics.median(times) * 1000:.1f} ms")
                results.append(result)
    micro = {}
    if os.environ.get("BENCH_MICRO", "1") != "0":
        log("Micro-benchmarks…")
        micro = micro_benchmarks()
    text = report(results, micro, started, time.perf_counter() - clock)
    print()
    print(text)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    suffix = "-postgresql" if PG_URL else ""
    target = OUTPUT / f"{started:%Y-%m-%d}{suffix}.md"
    target.write_text(text, encoding="utf-8")
    log(f"Written to {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
