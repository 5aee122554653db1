"""Throwaway benchmark databases: the seed, N revisions, 50 remixes, votes and comments.

The schema comes from the Alembic migration (the indexes production has). The first
``SERVICE_REVISIONS`` edits go through ``editing.save_revision``; the rest are derived with the
very same domain functions ``revisions.add_revision`` uses (carried authorship, word-diff
stats, rendered HTML, contributors, frozen attribution) and inserted in bulk, because 10,000
saves through the ORM take minutes. ``check_derivation`` proves on real rows that the bulk
path produces exactly what the service stores. Remixes, merges and comments all go through
the services; votes are bulk rows (one per voter and revision, like the upsert).

Text edits replace one word in one of ``SLOTS`` fixed places with a word of ``VOCABULARY``:
the text stays a ~330-word Markdown text, the drift from revision 1 stays bounded whatever N,
so the same pages do the same work at N = 10 and at N = 10,000; only the history grows.
Comments (``COMMENTS``) and voted revisions (``VOTED_REVISIONS``) are fixed in number and
spread over the whole history, for the same reason.
"""

from __future__ import annotations

import functools
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from flask import Flask
from sqlalchemy import func, insert, select, text

from wiki import create_app
from wiki.domain import authorship, markup, textdiff
from wiki.domain import text as wtext
from wiki.extensions import db
from wiki.models import Comment, Event, Remix, Revision, RevisionParent, User, Vote, utcnow

ROOT = Path(__file__).resolve().parent.parent
SLUG = "strategie-numerique"
PASSWORD = "un-mot-de-passe-de-banc"
SECRET_KEY = "bench-secret-key-not-for-production-use-0123456789"
SERVICE_REVISIONS = 300
REMIXES = 50
MERGED_REMIXES = 5
COMMENTS = 150
VOTED_REVISIONS = 100
USERS = 30
MODERATORS = 3
SLOTS = 30
VOCABULARY = (
    "numérique", "collectif", "territoire", "organisation", "changement", "économie",
    "valeur", "pratique", "réseau", "culture", "usage", "donnée", "service", "communauté",
    "innovation", "apprentissage", "plateforme", "ouverture", "coopération", "savoir",
)


def app_for(url: str, **config) -> Flask:
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
                       "RATELIMIT_ENABLED": False, "OPEN_EDITING": True, **config})


def reset_schema(app: Flask) -> None:
    """An empty database at the migration's head (PostgreSQL: the public schema is dropped)."""
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()


class Editor:
    """One-word edits in ``SLOTS`` fixed places of the text (alphabetic words only)."""

    def __init__(self, body: str, rng: random.Random, shift: bool = False) -> None:
        self.tokens = body.split(" ")
        candidates = [i for i, tok in enumerate(self.tokens) if tok.isalpha() and len(tok) > 3]
        step = len(candidates) / SLOTS
        # ``shift``: the places half-way between the official line's (remixes edit there, so
        # that their merges are clean).
        offset = step / 2 if shift else 0
        self.slots = [candidates[int(k * step + offset)] for k in range(SLOTS)]
        self.rng = rng

    def edit(self) -> str:
        slot = self.rng.choice(self.slots)
        current = self.tokens[slot]
        self.tokens[slot] = self.rng.choice([w for w in VOCABULARY if w != current])
        return " ".join(self.tokens)


class CyclingEditor(Editor):
    """``HALF_CYCLE`` random edits, then the same edits undone one by one, again and again: a
    long history (a slow edit war) whose bodies repeat, so their HTML, search words and diff
    stats are computed once per distinct body; authorship is still carried at every step."""

    HALF_CYCLE = 250

    def __init__(self, body: str, rng: random.Random) -> None:
        super().__init__(body, rng)
        self.forward: list[tuple[int, str, str]] = []  # (slot, old word, new word)
        self.step = 0

    def edit(self) -> str:
        position = self.step % (2 * self.HALF_CYCLE)
        self.step += 1
        if position < self.HALF_CYCLE:
            if len(self.forward) <= position:
                slot = self.rng.choice(self.slots)
                old = self.tokens[slot]
                self.forward.append(
                    (slot, old, self.rng.choice([w for w in VOCABULARY if w != old])))
            slot, _old, new = self.forward[position]
        else:
            slot, new, _undone = self.forward[2 * self.HALF_CYCLE - 1 - position]
        self.tokens[slot] = new
        return " ".join(self.tokens)


@dataclass
class Dataset:
    """What the benchmark needs to know about a built database."""

    url: str
    n: int
    definition_id: int = 0
    first_revision_id: int = 0
    head_revision_id: int = 0
    old_revision_id: int = 0
    remix_id: int = 0
    official_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    moderator_ids: list[int] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def make_users() -> tuple[list[int], list[int]]:
    """``USERS`` accounts (the first ``MODERATORS`` are moderators), one real registration."""
    from wiki.services.accounts import register

    first = register("banc0", PASSWORD, "Banc Zéro", role="moderator")
    password_hash = db.session.get(User, first.id).password_hash
    rows = [{"username": f"banc{k}", "display_name": f"Personne {k}",
             "password_hash": password_hash,
             "role": "moderator" if k < MODERATORS else "participant",
             "active": True, "session_version": 1, "created_at": utcnow()}
            for k in range(1, USERS)]
    db.session.execute(insert(User), rows)
    db.session.commit()
    users = list(db.session.execute(select(User.id, User.role).order_by(User.id)))
    return [u for u, _ in users], [u for u, role in users if role == "moderator"]


def _parent_view(row) -> SimpleNamespace:
    return SimpleNamespace(id=row.id, body=row.body, authorship=row.authorship,
                           contributors=row.contributors, attribution=row.attribution,
                           license_code=row.license_code)


def derive(term: str, parent, body: str, author: User, revision_id: int, html: str,
           stats_of=None) -> dict:
    """The derived columns ``add_revision`` stores for a one-parent edit of ``parent``."""
    from wiki.services.revisions import _contributors, user_key

    runs = authorship.carry_authorship(parent.body, authorship.runs_from_json(parent.authorship),
                                       body, user_key(author.id), revision_id)
    stats = (stats_of or _diff_stats)(parent.body, body)
    return {
        "html": html, "word_count": wtext.count_words(body),
        "inserted_words": stats.inserted_words, "deleted_words": stats.deleted_words,
        "authorship": authorship.runs_to_json(runs),
        "contributors": _contributors([parent], runs, author),
        "attribution": {"title": term, "source": parent.attribution.get("source")},
    }


def _diff_stats(old: str, new: str) -> textdiff.DiffStats:
    return textdiff.diff_stats(textdiff.diff_words(old, new))


def check_derivation(term: str, revision: Revision, parent: Revision) -> None:
    """The bulk path must store exactly what the service stored for the same edit."""
    derived = derive(term, parent, revision.body, revision.author, revision.id, revision.html)
    for key, value in derived.items():
        stored = getattr(revision, key)
        if stored != value:
            raise AssertionError(f"bulk derivation differs from the service on {key!r} "
                                 f"(revision {revision.id}): {stored!r} != {value!r}")
    if markup.render_markdown(revision.body) != revision.html:
        raise AssertionError("bulk rendering differs from the service's")


def _bulk_revisions(definition, head: Revision, editor: Editor, count: int,
                    authors: list[User], rng: random.Random) -> list[int]:
    """``count`` more official edits, derived like ``add_revision`` and inserted in bulk."""
    from wiki.services.editing import license_for_edit

    session = db.session
    next_id = (session.scalar(select(func.max(Revision.id))) or 0) + 1
    parent = _parent_view(head)
    license_code = license_for_edit(head.license_code)
    revisions, edges, events, ids = [], [], [], []
    moment = utcnow()
    html_of = functools.lru_cache(maxsize=None)(markup.render_markdown)
    stats_of = functools.lru_cache(maxsize=None)(_diff_stats)
    for k in range(count):
        body = editor.edit()
        author = authors[rng.randrange(len(authors))]
        rid = next_id + k
        row = {"id": rid, "definition_id": definition.id, "remix_id": None,
               "author_id": author.id, "summary": f"Modification {rid} (banc)", "body": body,
               "license_code": license_code, "taken_regions": None, "merged_remix_id": None,
               "created_at": moment + timedelta(milliseconds=k),
               **derive(definition.term, parent, body, author, rid, html_of(body), stats_of)}
        revisions.append(row)
        edges.append({"child_id": rid, "parent_id": parent.id, "position": 0})
        events.append({"kind": "revision", "definition_id": definition.id,
                       "actor_id": author.id, "revision_id": rid, "remix_id": None,
                       "created_at": row["created_at"]})
        parent = SimpleNamespace(id=rid, body=body, authorship=row["authorship"],
                                 contributors=row["contributors"],
                                 attribution=row["attribution"], license_code=license_code)
        ids.append(rid)
    for start in range(0, len(revisions), 1000):
        session.execute(insert(Revision), revisions[start:start + 1000])
        session.execute(insert(RevisionParent), edges[start:start + 1000])
        session.execute(insert(Event), events[start:start + 1000])
    if ids:
        definition.head_revision_id = ids[-1]
    _index_for_search(session, [(row["id"], definition.term, row["html"]) for row in revisions])
    session.commit()
    _fix_sequences()
    return ids


def _index_for_search(session, rows: list[tuple[int, str, str]]) -> None:
    """Bulk rows go into the full-text index like ``add_revision``'s, where search exists."""
    try:
        from wiki.services import search
    except ImportError:
        return
    engine = search._engine(session)
    document = search._document
    # The same pure function, memoised for the repeated bodies of the cycling editor.
    search._document = functools.lru_cache(maxsize=None)(document)
    try:
        for start in range(0, len(rows), 500):
            engine.index(session, rows[start:start + 500])
    finally:
        search._document = document


def _fix_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("revisions", "votes", "comments", "events", "users", "remixes"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
    db.session.commit()


def _official_ids(definition_id: int) -> list[int]:
    return list(db.session.scalars(select(Revision.id).where(
        Revision.definition_id == definition_id, Revision.remix_id.is_(None))
        .order_by(Revision.id)))


def _spread(items: list, count: int) -> list:
    """``count`` items taken evenly over ``items`` (repeats allowed when it is shorter)."""
    if not items:
        return []
    return [items[int(k * len(items) / count)] for k in range(count)]


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def build(url: str, n: int, seed: int = 9) -> Dataset:
    """Build the whole dataset at ``url``; the database is emptied first."""
    from wiki.errors import MergeConflict, WikiError
    from wiki.services import commenting, editing, remixing
    from wiki.services.seeding import seed as load_seed

    rng = random.Random(seed)
    data = Dataset(url=url, n=n)
    app = app_for(url)
    reset_schema(app)
    started = time.perf_counter()
    with app.test_request_context("/"):
        load_seed()
        data.user_ids, data.moderator_ids = make_users()
        definition = editing.get_definition(SLUG)
        data.definition_id = definition.id
        data.first_revision_id = definition.head_revision_id
        editor = Editor(definition.head.body, rng)

        # 1. The first edits through the service.
        through_service = min(n, SERVICE_REVISIONS)
        for _k in range(through_service):
            head_id = editing.get_definition(SLUG).head_revision_id
            author = _user(rng.choice(data.user_ids))
            editing.save_revision(definition_id=definition.id, remix_id=None,
                                  raw_body=editor.edit(), summary="Modification (banc)",
                                  base_revision_id=head_id, author=author)
        data.timings["service_saves_s"] = time.perf_counter() - started
        definition = editing.get_definition(SLUG)
        head = definition.head
        if through_service >= 2:
            check_derivation(definition.term, head, db.session.get(Revision, head.parent_ids[0]))

        # 2. The rest, derived the same way and inserted in bulk.
        bulk_started = time.perf_counter()
        authors = [_user(uid) for uid in data.user_ids]
        cycling = CyclingEditor(head.body, rng)
        cycling.slots = editor.slots
        _bulk_revisions(definition, head, cycling, n - through_service, authors, rng)
        data.timings["bulk_revisions_s"] = time.perf_counter() - bulk_started
        db.session.expire_all()
        definition = editing.get_definition(SLUG)
        if n > through_service:  # the bulk rows again, checked against a real service save
            _check_bulk_head(definition, cycling, data.user_ids[0])
        official = _official_ids(definition.id)

        # 3. Fifty remixes forked all along the history, each with one or two revisions.
        remix_started = time.perf_counter()
        remix_ids = []
        for k, source_id in enumerate(_spread(official, REMIXES)):
            owner = _user(data.user_ids[(k + 5) % len(data.user_ids)])
            remix = remixing.fork(definition_id=definition.id, from_revision_id=source_id,
                                  title=f"Remix {k} du banc", owner=owner,
                                  description="Un remix pour mesurer.")
            remix_editor = Editor(db.session.get(Revision, source_id).body,
                                  random.Random(seed * 1000 + k), shift=True)
            for _r in range(1 + k % 2):
                head_id = db.session.get(Remix, remix.id).head_revision_id
                editing.save_revision(definition_id=definition.id, remix_id=remix.id,
                                      raw_body=remix_editor.edit(), summary="Remix (banc)",
                                      base_revision_id=head_id, author=_user(owner.id))
            if k % 5:
                remixing.propose(remix.id, _user(owner.id))
            remix_ids.append(remix.id)
        merged = 0
        for remix_id in remix_ids[1::2]:
            if merged >= MERGED_REMIXES:
                break
            if db.session.get(Remix, remix_id).status != "proposed":
                continue
            try:
                remixing.merge_remix(remix_id, _user(data.moderator_ids[0]), {})
                merged += 1
            except MergeConflict:
                continue
        data.timings["remixes_s"] = time.perf_counter() - remix_started
        db.session.expire_all()
        definition = editing.get_definition(SLUG)
        official = _official_ids(definition.id)
        data.official_ids = official
        data.head_revision_id = definition.head_revision_id
        data.old_revision_id = official[len(official) // 2]
        # The remix page measured: proposed, two revisions, forked mid-history.
        candidates = [rid for k, rid in enumerate(remix_ids) if k % 5 and k % 2
                      and db.session.get(Remix, rid).status == "proposed"]
        data.remix_id = candidates[len(candidates) // 2]

        # 4. Comments all along the history (some anchored, some replies), through the service.
        social_started = time.perf_counter()
        remix_revisions = list(db.session.scalars(select(Revision.id).where(
            Revision.remix_id.is_not(None))))
        targets = _spread(official, COMMENTS - 20) + _spread(remix_revisions, 20)
        last_on: dict[int, int] = {}
        for k, revision_id in enumerate(targets):
            revision = db.session.get(Revision, revision_id)
            anchor = None
            if k % 3 == 0:
                words = revision.body.split(" ")
                at = rng.randrange(10, len(words) - 10)
                quote = " ".join(words[at:at + 3])
                anchor = {"quote": quote}
            parent_id = last_on.get(revision_id) if k % 4 == 3 else None
            try:
                comment = commenting.add_comment(
                    revision_id=revision_id, author=_user(data.user_ids[k % USERS]),
                    body=f"Commentaire {k} : *pourquoi* ce mot-là ? Voir la révision "
                         f"{revision_id}.", parent_id=parent_id, anchor=anchor)
            except WikiError:  # a quote spanning Markdown the anchor cannot hold
                comment = commenting.add_comment(
                    revision_id=revision_id, author=_user(data.user_ids[k % USERS]),
                    body=f"Commentaire {k} sans ancre.", parent_id=parent_id)
            last_on[revision_id] = comment.id

        # 5. Votes: a fixed number of revisions, each with a random crowd (bulk upsert rows).
        voted = set(_spread(official, VOTED_REVISIONS))
        voted |= {data.head_revision_id, data.old_revision_id, data.first_revision_id}
        voted |= set(db.session.scalars(select(Remix.head_revision_id)))
        voted |= set(db.session.scalars(select(Revision.id).where(
            Revision.remix_id == data.remix_id)))
        rows = []
        now = utcnow()
        for revision_id in sorted(voted):
            for user_id in rng.sample(data.user_ids, rng.randint(1, USERS)):
                choice = "plebisciter" if rng.random() < 0.7 else "rejeter"
                rows.append({"user_id": user_id, "revision_id": revision_id, "choice": choice,
                             "reason": None, "created_at": now, "updated_at": now})
        db.session.execute(insert(Vote), rows)
        db.session.commit()
        _fix_sequences()
        data.timings["social_s"] = time.perf_counter() - social_started
        data.counts = {
            "revisions": db.session.scalar(select(func.count(Revision.id))),
            "official_revisions": len(official),
            "remixes": db.session.scalar(select(func.count(Remix.id))),
            "votes": db.session.scalar(select(func.count(Vote.id))),
            "comments": db.session.scalar(select(func.count(Comment.id))),
        }
        if db.engine.dialect.name == "postgresql":  # what autovacuum would do after the load
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("ANALYZE"))
        data.timings["build_s"] = time.perf_counter() - started
        db.session.remove()
    with app.app_context():
        db.engine.dispose()
    return data


def _check_bulk_head(definition, editor: Editor, user_id: int) -> None:
    """One more edit through the service on top of the bulk rows, checked like the others."""
    from wiki.services import editing

    author = _user(user_id)
    head_id = definition.head_revision_id
    editing.save_revision(definition_id=definition.id, remix_id=None, raw_body=editor.edit(),
                          summary="Modification (banc)", base_revision_id=head_id,
                          author=author)
    db.session.expire_all()
    head = editing.get_definition(SLUG).head
    check_derivation(head.definition.term, head, db.session.get(Revision, head_id))
