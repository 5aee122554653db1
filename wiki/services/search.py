"""Search across definitions and their history: one interface, two engines.

The engine follows the database in use:

* **SQLite** — an FTS5 *contentless* table ``search_index`` (rowid = revision id, tokenizer
  ``unicode61 remove_diacritics 2``). SQLite has no French stemmer, so the text is prepared in
  Python before it reaches FTS5: words are folded (case and accents dropped, « œ » → « oe »),
  French stop words are left out, and each word is cut down by a *light French stemmer*
  (:func:`stem`: plurals, feminine and a few common endings, so « transformations » and
  « transformation », « numériques » and « numérique », « collaborative » and « collaboratif »
  meet). The query goes through the same steps, so both sides always agree.
* **PostgreSQL** — a table ``search_index (revision_id, document tsvector)`` with a GIN index,
  built with the text search configuration ``search_index_fr``: a copy of ``french`` (Snowball
  stemmer, French stop words) with ``unaccent`` in front when the extension is available. The
  words are folded in Python first too, so accents are ignored even where ``unaccent`` is not
  installed.

Index rows are written by :func:`index_revision`, called by ``revisions.add_revision`` in the
same transaction as the revision itself; the migration that creates the index fills it for the
revisions that existed before. :func:`rebuild_index` rebuilds it from scratch (after a restore
that wrote revisions by other means, say).

What is searched: every revision's text (the words of its rendered HTML, so no Markdown
syntax nor link addresses) and its definition's term. A query is *text*, never engine syntax:
it is cut into words like the documents, and a revision matches when it holds every word
(stop words aside). Quotes, ``*``, ``NEAR``, ``AND``, ``-``, parentheses or ``:`` are plain
characters or words; a query with no word left (empty, only punctuation or stop words) finds
nothing, without asking the engine. Only the first :data:`MAX_QUERY_WORDS` distinct words of a
long query count.

Results: by default the current texts (the official head of each definition); with
``history`` every revision, old ones and remixes' included. Newest first (revision id
descending), keyset-paginated on the revision id, so a page never shifts when someone saves.
Each result carries an excerpt of its text around the matched words, escaped, then the
matched words wrapped in ``<mark>``. Highlighting uses the light stemmer on both engines: on
PostgreSQL, a text matched through a Snowball stem the light stemmer does not share
(« transformer » for « transformation ») gets an excerpt from its beginning, unmarked.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape
from sqlalchemy import select, text
from sqlalchemy.orm import joinedload, lazyload, load_only

from wiki.domain import text as wiki_text
from wiki.extensions import db
from wiki.models import Revision

#: Distinct words of a query that count; the rest of a very long query is ignored.
MAX_QUERY_WORDS = 32
#: A query longer than this (characters) is cut before it is even split into words.
MAX_QUERY_CHARS = 2000
#: Characters of text shown around the first matched words.
EXCERPT_CHARS = 240
#: PostgreSQL text search configuration made by the migration.
PG_CONFIG = "search_index_fr"

# ---------------------------------------------------------------------------------------------
# Words: folding, stop words, the light French stemmer.

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ı": "i"})


def fold(word: str) -> str:
    """Lower case without accents: « Œuvrée » → « oeuvree »."""
    decomposed = unicodedata.normalize("NFKD", word)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold().translate(_LIGATURES)


# PostgreSQL's French stop words (Snowball's list), folded.
STOP_WORDS = frozenset(fold(w) for w in """
au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me même mes moi
mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un
une vos votre vous c d j l à m n s t y été étée étées étés étant étante étants étantes suis es
est sommes êtes sont serai seras sera serons serez seront serais serait serions seriez
seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez
soient fusse fusses fût fussions fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai
as avons avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient
avais avait avions aviez avaient eut eûmes eûtes eurent aie aies ait ayons ayez aient eusse
eusses eût eussions eussiez eussent
""".split())

# Endings replaced once, longest first, after the plural is gone: feminine and adjective
# forms meet their masculine (« collaborative » → « collaboratif », « nouvelle » → « nouvel »,
# « utilisatrice » → « utilisateur », « première » → « premier »).
_ENDINGS = (
    ("atrice", "ateur"), ("euse", "eur"), ("ive", "if"), ("elle", "el"), ("enne", "en"),
    ("onne", "on"), ("iere", "ier"), ("ette", "et"), ("ee", "e"),
)


def stem(word: str) -> str:
    """A light French stemmer for a folded word (see the module's docstring).

    1. plural: « -eaux » → « -eau », « -aux » → « -al », then a final « s » or « x » goes;
    2. one feminine or adjective ending is brought back to the masculine (``_ENDINGS``);
    3. a final « e » goes (« stratégie » → « strategi », « numérique » → « numeriqu »).

    Only words longer than three letters are touched, and a stem keeps at least three
    letters, so short words stay apart. Digits are left alone.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("eaux"):
        word = word[:-1]
    elif word.endswith("aux") and len(word) > 4:
        word = word[:-3] + "al"
    elif word[-1] in "sx" and word[-2] not in "su":
        word = word[:-1]
    for ending, replacement in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)] + replacement
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


# A word of the wiki (``wiki.domain.text``) without its joiners: « l’organisation » and
# « auto-gérée » are two words each for search. Letters and digits, combining marks inside.
_WORD_PART = re.compile(wiki_text._WORD_PART)


@lru_cache(maxsize=65536)
def analyse(part: str) -> tuple[str, str]:
    """``(folded, key)`` of one word; the key (its stem) is empty for a stop word. Cached:
    prose repeats its words, so a text is analysed at the speed of a dictionary lookup."""
    folded = fold(part)
    return folded, ("" if folded in STOP_WORDS else stem(folded))


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    folded: str
    key: str  #: the stem; empty for a stop word


def words(value: str) -> Iterable[Word]:
    """The words of a text with their offsets; « l’organisation » gives « l » and
    « organisation »."""
    for match in _WORD_PART.finditer(value):
        folded, key = analyse(match.group())
        yield Word(match.start(), match.end(), folded, key)


# ---------------------------------------------------------------------------------------------
# What is indexed: the words of the rendered HTML.

_TAG = re.compile(r'<(/?)([a-zA-Z0-9]*)(?:"[^"]*"|[^">])*>')
_INLINE = frozenset("a abbr b bdi bdo cite code del dfn em i ins kbd mark q s samp small span "
                    "strong sub sup u var wbr".split())
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def plain_text(rendered: str) -> str:
    """The text of sanitised HTML: tags out (block tags become line breaks), entities
    decoded. The sanitiser's output is well formed, quoted attributes included."""
    def replace(match: re.Match) -> str:
        return "" if match.group(2).lower() in _INLINE else "\n"

    return _CONTROLS.sub(" ", html.unescape(_TAG.sub(replace, rendered)))


def _document(term: str, rendered: str) -> tuple[str, str]:
    """``(keys, folded words)`` of a revision: its definition's term, then its text."""
    found = [analyse(m.group())
             for value in (term, plain_text(rendered)) for m in _WORD_PART.finditer(value)]
    keys = sorted({key for _, key in found if key})
    return " ".join(keys), " ".join(folded for folded, _ in found)


# ---------------------------------------------------------------------------------------------
# Queries.


@dataclass(frozen=True)
class Query:
    text: str
    #: Distinct stems, in the order typed (SQLite and highlighting).
    keys: tuple[str, ...]
    #: The folded words those stems came from (PostgreSQL stems them itself).
    folded: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.keys


def parse_query(raw: object) -> Query:
    """Any string is a valid query; everything but words is ignored."""
    value = raw if isinstance(raw, str) else ""
    value = value[:MAX_QUERY_CHARS]
    keys: dict[str, str] = {}
    for word in words(value):
        if word.key and word.key not in keys:
            keys[word.key] = word.folded
            if len(keys) == MAX_QUERY_WORDS:
                break
    return Query(text=value.strip(), keys=tuple(keys), folded=tuple(keys.values()))


# ---------------------------------------------------------------------------------------------
# Engines. ``connection`` is a Session or a Connection: both ``execute(text, params)``.


def _dialect(connection) -> str:
    bind = connection.get_bind() if hasattr(connection, "get_bind") else connection
    return bind.dialect.name


class _SQLite:
    @staticmethod
    def index(connection, rows: Sequence[tuple[int, str, str]]) -> None:
        params = [{"id": rid, "words": _document(term, rendered)[0]}
                  for rid, term, rendered in rows]
        if params:
            connection.execute(
                text("INSERT INTO search_index (rowid, words) VALUES (:id, :words)"), params)

    @staticmethod
    def clear(connection) -> None:
        connection.execute(text("INSERT INTO search_index (search_index) VALUES ('delete-all')"))

    @staticmethod
    def match(connection, query: Query, history: bool, before: int | None,
              limit: int) -> list[int]:
        # Each stem is quoted: an FTS5 string, never an operator, whatever it spells.
        expression = " AND ".join(f'"{key}"' for key in query.keys)
        params = {"q": expression, "before": before or 2**62, "limit": limit}
        if history:
            sql = ("SELECT s.rowid FROM search_index AS s JOIN revisions AS r ON r.id = s.rowid "
                   "WHERE search_index MATCH :q AND s.rowid < :before "
                   "ORDER BY s.rowid DESC LIMIT :limit")
        else:
            sql = ("SELECT d.head_revision_id FROM definitions AS d "
                   "WHERE d.head_revision_id < :before AND d.head_revision_id IN "
                   "(SELECT rowid FROM search_index WHERE search_index MATCH :q) "
                   "ORDER BY d.head_revision_id DESC LIMIT :limit")
        return list(connection.execute(text(sql), params).scalars())


class _PostgreSQL:
    @staticmethod
    def index(connection, rows: Sequence[tuple[int, str, str]]) -> None:
        params = [{"id": rid, "words": _document(term, rendered)[1]}
                  for rid, term, rendered in rows]
        if params:
            connection.execute(text(
                "INSERT INTO search_index (revision_id, document) "
                f"VALUES (:id, to_tsvector('{PG_CONFIG}', :words))"), params)

    @staticmethod
    def clear(connection) -> None:
        connection.execute(text("DELETE FROM search_index"))

    @staticmethod
    def match(connection, query: Query, history: bool, before: int | None,
              limit: int) -> list[int]:
        params = {"q": " ".join(query.folded), "before": before or 2**62, "limit": limit}
        tsquery = f"plainto_tsquery('{PG_CONFIG}', :q)"
        if history:
            sql = ("SELECT s.revision_id FROM search_index AS s "
                   f"WHERE s.document @@ {tsquery} AND s.revision_id < :before "
                   "ORDER BY s.revision_id DESC LIMIT :limit")
        else:
            sql = ("SELECT d.head_revision_id FROM definitions AS d "
                   "JOIN search_index AS s ON s.revision_id = d.head_revision_id "
                   f"WHERE s.document @@ {tsquery} AND d.head_revision_id < :before "
                   "ORDER BY d.head_revision_id DESC LIMIT :limit")
        return list(connection.execute(text(sql), params).scalars())


def _engine(connection) -> type[_SQLite] | type[_PostgreSQL]:
    return _PostgreSQL if _dialect(connection) == "postgresql" else _SQLite


# ---------------------------------------------------------------------------------------------
# Writing the index.


def index_revision(session, revision: Revision) -> None:
    """Index a new revision, in the caller's transaction (called by ``add_revision``)."""
    _engine(session).index(session, [(revision.id, revision.definition.term, revision.html)])


def rebuild_index(connection, batch: int = 500) -> int:
    """Empty the index and index every revision again; answers how many were indexed."""
    engine = _engine(connection)
    engine.clear(connection)
    count, last = 0, 0
    query = text("SELECT r.id, d.term, r.html FROM revisions AS r "
                 "JOIN definitions AS d ON d.id = r.definition_id "
                 "WHERE r.id > :last ORDER BY r.id LIMIT :batch")
    while True:
        rows = [tuple(row) for row in connection.execute(query, {"last": last, "batch": batch})]
        if not rows:
            return count
        engine.index(connection, rows)
        count += len(rows)
        last = rows[-1][0]


# ---------------------------------------------------------------------------------------------
# Reading: results with their excerpts.


@dataclass(frozen=True)
class Hit:
    revision: Revision
    #: Whether this revision is its definition's official head (a current text).
    current: bool
    excerpt: Markup
    term: Markup


@dataclass(frozen=True)
class Results:
    query: Query
    history: bool
    hits: list[Hit]
    #: The revision id to continue after (``before`` of the next page), or ``None``.
    next_before: int | None


def search(raw_query: object, *, history: bool = False, before: int | None = None,
           limit: int = 20) -> Results:
    """One page of results, newest first; ``before`` is the previous page's ``next_before``."""
    query = parse_query(raw_query)
    if before is not None and not 0 < before < 2**62:
        before = None
    if query.empty:
        return Results(query, history, [], None)
    session = db.session
    ids = _engine(session).match(session, query, history, before, limit + 1)
    more = len(ids) > limit
    ids = ids[:limit]
    revisions = {r.id: r for r in session.scalars(
        select(Revision).where(Revision.id.in_(ids)).options(
            load_only(Revision.id, Revision.definition_id, Revision.remix_id,
                      Revision.summary, Revision.html, Revision.created_at),
            joinedload(Revision.definition), lazyload(Revision.parent_links)))} if ids else {}
    hits = []
    for rid in ids:
        revision = revisions.get(rid)
        if revision is None:  # pragma: no cover - an index row outliving its revision
            continue
        hits.append(Hit(revision=revision,
                        current=revision.definition.head_revision_id == revision.id,
                        excerpt=excerpt(plain_text(revision.html), query.keys),
                        term=highlight(revision.definition.term, query.keys)))
    return Results(query, history, hits, ids[-1] if more else None)


def highlight(value: str, keys: Sequence[str]) -> Markup:
    """The whole of a short text, escaped, its matched words in ``<mark>``."""
    return _render(value, [w for w in words(value) if w.key in set(keys)], 0, len(value))


def excerpt(value: str, keys: Sequence[str], size: int = EXCERPT_CHARS) -> Markup:
    """About ``size`` characters of ``value`` around the passage where the most distinct
    query words meet; escaped, then each matched word wrapped in ``<mark>``, « … » where
    the text was cut. No match (a match on the term only): the beginning of the text.

    One pass over the words, stopped once a passage holding every query word is behind."""
    wanted = set(keys)
    matched: list[Word] = []
    counts: dict[str, int] = {}
    first = 0  # matched[first:] are the matches in the passage ending at the last one
    best_start, best_count = None, 0
    for match in _WORD_PART.finditer(value):
        if best_count == len(wanted) and match.start() > best_start + size:
            break
        folded, key = analyse(match.group())
        if key not in wanted:
            continue
        matched.append(Word(match.start(), match.end(), folded, key))
        counts[key] = counts.get(key, 0) + 1
        while matched[first].start < match.start() - size // 2:
            counts[matched[first].key] -= 1
            if not counts[matched[first].key]:
                del counts[matched[first].key]
            first += 1
        if len(counts) > best_count:
            best_start, best_count = matched[first].start, len(counts)
    start = len(value) - len(value.lstrip())
    if best_start is not None and best_start - size // 3 > start:
        space = _SPACE.search(value, best_start - size // 3, best_start)
        start = space.end() if space else best_start
    end = min(len(value), start + size)
    if value[end:].strip():
        space = value.rfind(" ", start, end)
        end = space if space > start else end
    else:
        end = len(value.rstrip())
    shown = [w for w in matched if w.start >= start and w.end <= end]
    return _render(value, shown, start, end)


_SPACE = re.compile(r"\s+")


def _render(value: str, marked: Sequence[Word], start: int, end: int) -> Markup:
    """``value[start:end]`` escaped, white space runs made one space, ``marked`` in
    ``<mark>``, « … » at the ends where text was left out."""
    def plain(piece: str) -> Markup:
        return escape(_SPACE.sub(" ", piece))

    parts = [Markup("… ") if value[:start].strip() else Markup("")]
    position = start
    for word in marked:
        parts.append(plain(value[position:word.start]))
        parts.append(Markup("<mark>%s</mark>") % value[word.start:word.end])
        position = word.end
    parts.append(plain(value[position:end]))
    if value[end:].strip():
        parts.append(Markup(" …"))
    return Markup("").join(parts)
