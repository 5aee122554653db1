"""Markdown → safe HTML for definitions and comments, with a time budget.

Pipeline (all of it runs in a separate worker process, see below):

1. Python-Markdown with ``sane_lists``, ``tables`` and ``fenced_code`` only. ``smarty`` is left
   out on purpose: French writers type their own guillemets and apostrophes, and ``smarty``
   would turn ``"`` into English curly quotes.
2. nh3 (ammonia) with an allow-list: Markdown lets raw HTML through, so the sanitizer is the
   real security boundary, not Markdown.
3. French typography and visible bidi controls on the sanitized HTML's text nodes.

Why a worker process: Python-Markdown is not safe on hostile input (``'[' * 8000`` runs for
seconds, ``'- ' * 500 + 'x'`` raises RecursionError) and neither is the HTML parser behind
nh3 (``'<ul><li>' * 100000`` takes minutes). A thread cannot be stopped, a process can, so each
conversion runs in a persistent worker that is killed and replaced when it overruns its budget.

How the worker starts: a fresh interpreter (``sys.executable``), like multiprocessing's "spawn"
context, so it never inherits the web server's threads, locks or sockets (safe under gunicorn
and threaded servers). It is launched with subprocess rather than ``multiprocessing.Process``
because spawn re-executes the parent's ``__main__`` in the child: any script calling
render_markdown at top level without an ``if __name__ == "__main__"`` guard would crash the
worker. The two processes still talk through a ``multiprocessing`` Pipe (a socketpair), but
only with raw UTF-8 bytes: the parent never unpickles what a process fed with hostile input
sends back. POSIX only, like the rest of the deployment.

There is deliberately no in-process fast path: the slow shapes come from regex backtracking
and quadratic tree building in two third-party parsers, and no cheap pre-check can prove an
input is free of them. The round trip through the pipe costs about a tenth of a millisecond.
"""

from __future__ import annotations

import atexit
import html
import os
import queue
import re
import subprocess
import sys
import threading
import time
from bisect import bisect_left
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from typing import Any

__all__ = [
    "BIDI_CONTROLS",
    "MAX_NESTING",
    "MAX_SOURCE_CHARS",
    "MarkupTooComplex",
    "RendererUnavailable",
    "french_typography",
    "render_comment",
    "render_markdown",
    "shutdown_renderer",
]

# Far beyond any real definition (a long one is ~20 000 characters); refusing larger input up
# front keeps memory and pipe traffic bounded whatever the worker would have done with it.
MAX_SOURCE_CHARS = 200_000

# How many conversions may run at once in one web process. Two lets an ordinary save go
# through while one hostile text is burning its budget, without keeping many idle processes.
POOL_SIZE = 2

# Starting a worker imports Python, Markdown and nh3 (and the ``wiki`` package); on a loaded
# CI machine that can take seconds. It is not charged to the caller's budget, which is about
# the input, not the host.
_STARTUP_TIMEOUT = 60.0

# How long a caller queues for a busy worker before giving up (on top of a startup).
_MAX_WAIT = 30.0

# The worker gets an address-space ceiling so a memory bomb fails there (MemoryError →
# MarkupTooComplex) instead of pushing the web host into swap.
_WORKER_MEMORY_LIMIT = 1024 * 1024 * 1024

# A comment is conversation, not document structure: no headings (they would break the page
# outline) and no images (tracking pixels, layout abuse in the discussion thread).
_PROFILES = {b"d": "definition", b"c": "comment"}

# C0 controls other than tab and newlines, and DEL: never meaningful in a definition, invalid
# in HTML, and STX/ETX are Python-Markdown's own placeholder delimiters.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class MarkupTooComplex(ValueError):
    """The text could not be rendered within the limits; the user should simplify it.

    ``reason`` is one of ``"too_large"``, ``"timeout"``, ``"error"`` (the parser gave up, e.g.
    RecursionError, or lists and quotes nested deeper than MAX_NESTING) or ``"crashed"`` (the
    worker died on this input).
    The message (French) can be shown to the author as is.
    """

    def __init__(self, message: str, reason: str = "error") -> None:
        super().__init__(message)
        self.reason = reason


class RendererUnavailable(RuntimeError):
    """The worker process could not be started: a host problem, not the user's text."""


# ---------------------------------------------------------------------------------------------
# Public API


def render_markdown(text: str, *, budget: float = 2.0) -> str:
    """Render a definition's Markdown to sanitized HTML within ``budget`` seconds.

    Raises MarkupTooComplex when the text is too large, too slow or too deep to render.
    """
    return _render(b"d", text, budget)


def render_comment(text: str, *, budget: float = 2.0) -> str:
    """Like render_markdown, without headings or images (they render as plain text)."""
    return _render(b"c", text, budget)


def shutdown_renderer() -> None:
    """Stop the worker processes; the next render starts fresh ones."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.close()


# ---------------------------------------------------------------------------------------------
# Sanitizer and typography: pure functions, used inside the worker and importable for tests.

# Images count as blocks for typography: spacing is never inserted next to one.
_BLOCK_TAGS = frozenset(
    "p br hr h1 h2 h3 h4 h5 h6 pre blockquote ul ol li table thead tbody tr th td img".split()
)
_INLINE_TAGS = frozenset("strong em code a del ins sup sub".split())

# Elements whose content is dropped along with the tag, instead of being kept as text: their
# content is code, metadata or foreign markup that would read as garbage once unwrapped.
_CLEAN_CONTENT_TAGS = frozenset(
    "script style template textarea title noscript xmp iframe noembed noframes plaintext "
    "svg math object".split()
)

_COMMON_SANITIZER_OPTIONS: dict[str, Any] = {
    "clean_content_tags": set(_CLEAN_CONTENT_TAGS),
    # Only alignment values the tables extension produces; anything else is dropped.
    "tag_attribute_values": {
        "th": {"align": {"left", "center", "right"}},
        "td": {"align": {"left", "center", "right"}},
    },
    "link_rel": "nofollow ugc noopener",
    "url_schemes": {"http", "https", "mailto"},
    "url_relative": "pass_through",
    "strip_comments": True,
}


def _sanitizer_options(profile: str) -> dict[str, Any]:
    tags = set(_BLOCK_TAGS | _INLINE_TAGS)
    attributes: dict[str, set[str]] = {"a": {"href", "title"}}
    if profile == "comment":
        tags -= {"h1", "h2", "h3", "h4", "h5", "h6", "img"}
    else:
        attributes["img"] = {"src", "alt", "title"}
    return {**_COMMON_SANITIZER_OPTIONS, "tags": tags, "attributes": attributes}


# Added after sanitizing rather than with nh3's set_tag_attribute_values, whose attributes come
# out in a different order in each process (a Rust HashMap): output must be deterministic.
# no-referrer: a remote image otherwise tells its host who reads which page.
_IMG_RE = re.compile(r'<img((?:"[^"]*"|[^">])*)>')
_IMG_EXTRA = ' loading="lazy" referrerpolicy="no-referrer"'


# Real definitions nest lists and quotes three or four deep. Hundreds of levels (which
# '>' * 10000 produces) only push the text off the page, so past this depth of lists, quotes
# and tables the text is refused like any other over-complex input.
MAX_NESTING = 16
_CONTAINER_RE = re.compile(r"<(/?)(?:blockquote|ul|ol|table)[\s>]")


def _too_deep(sanitized_html: str) -> bool:
    depth = 0
    for match in _CONTAINER_RE.finditer(sanitized_html):
        depth += -1 if match.group(1) else 1
        if depth > MAX_NESTING:
            return True
    return False


def _finish_images(sanitized_html: str) -> str:
    if "<img" not in sanitized_html:
        return sanitized_html
    return _IMG_RE.sub(lambda m: f"<img{m.group(1)}{_IMG_EXTRA}>", sanitized_html)


# U+202F (espace fine insécable) before ; ! ? and inside « », U+00A0 (espace insécable) before
# the colon: the colon takes a full-width space in both the Imprimerie nationale and the OQLF
# conventions, the others a narrow one. Only spaces the author typed are converted before
# ; ! ? : (Quebec usage allows none, so none is added); guillemets always get their spaces.
NNBSP = "\u202f"
NBSP = "\u00a0"
_SPACE_BEFORE = {":": NBSP, ";": NNBSP, "!": NNBSP, "?": NNBSP, "»": NNBSP}

# Override and isolate controls can make text display in another order than it is stored
# ("Trojan Source"); they are shown, never applied. Marks (LRM/RLM) cannot reorder and stay.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# nh3 always serializes attribute values in double quotes with '"' escaped, so a tag is
# '<' then unquoted characters or whole quoted strings up to '>'; comments are stripped.
_TAG_RE = re.compile(r'(<(?:"[^"]*"|[^">])*>)')
_TAG_NAME_RE = re.compile(r"</?([a-zA-Z0-9]+)")
_BIDI_RE = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def _bidi_label(char: str) -> str:
    return f"[U+{ord(char):04X}]"


def _bidi_span(char: str) -> str:
    code = f"U+{ord(char):04X}"
    return f'<span class="bidi-control" title="{code}">[{code}]</span>'


_NEEDS_ESCAPE_RE = re.compile("[&<>\u00a0" + "".join(sorted(BIDI_CONTROLS)) + "]")


def _escape_text(text: str) -> str:
    # Same escapes as the html5ever serializer nh3 uses, so untouched text stays byte-equal.
    if not _NEEDS_ESCAPE_RE.search(text):
        return text
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = out.replace(NBSP, "&nbsp;")
    return _BIDI_RE.sub(lambda m: _bidi_span(m.group()), out)


# One character per match, each the place of one rule; the checks on code spans follow below.
_TYPO_RE = re.compile(r" (?=[:;!?»])|(?<=«) |«(?=\S)|(?<=\S)»")


def _typography_edits(run: str, editable: list[bool]) -> dict[int, str]:
    """Replacement string for each position of ``run`` that French spacing changes."""
    edits: dict[int, str] = {}
    for match in _TYPO_RE.finditer(run):
        pos = match.start()
        if not editable[pos]:
            continue
        char = run[pos]
        if char == "«":
            edits[pos] = "«" + NNBSP
        elif char == "»":
            edits[pos] = NNBSP + "»"
        elif run[pos + 1 : pos + 2] in _SPACE_BEFORE and editable[pos + 1]:
            edits[pos] = _SPACE_BEFORE[run[pos + 1]]
        elif pos > 0 and run[pos - 1] == "«" and editable[pos - 1]:
            edits[pos] = NNBSP
    return edits


def french_typography(sanitized_html: str) -> str:
    """Apply French spacing and visible bidi controls to sanitized HTML.

    Works on text nodes only; inside <code> and <pre> the text is left as typed (except bidi
    controls, which are made visible everywhere: code is where they are most dangerous).
    A run of text continues across inline tags (« <em>mot</em> » is one run) and stops at block
    tags and images, so spacing is never inserted across a paragraph or list item boundary.
    """
    parts = _TAG_RE.split(sanitized_html)
    # parts alternates text, tag, text, ...: texts at even indexes, tags at odd ones.
    texts = [html.unescape(t) if "&" in t else t for t in parts[0::2]]
    frozen = [False] * len(texts)
    run_of = [0] * len(texts)
    code_depth = 0
    run = 0
    for k in range(len(texts)):
        frozen[k] = code_depth > 0
        run_of[k] = run
        if 2 * k + 1 < len(parts):
            tag = parts[2 * k + 1]
            match = _TAG_NAME_RE.match(tag)
            name = match.group(1).lower() if match else ""
            if name in ("code", "pre"):
                code_depth = max(0, code_depth + (-1 if tag.startswith("</") else 1))
            if name not in _INLINE_TAGS:
                run += 1
    fixed = list(texts)
    first = 0
    while first < len(texts):
        last = first
        while last + 1 < len(texts) and run_of[last + 1] == run_of[first]:
            last += 1
        members = range(first, last + 1)
        run_text = "".join(texts[j] for j in members)
        if _TYPO_RE.search(run_text):
            editable: list[bool] = []
            bounds: list[tuple[int, int]] = []
            for j in members:
                bounds.append((len(editable), len(editable) + len(texts[j])))
                editable.extend([not frozen[j]] * len(texts[j]))
            edits = _typography_edits(run_text, editable)
            positions = sorted(edits)
            for j, (lo, hi) in zip(members, bounds, strict=True):
                inside = positions[bisect_left(positions, lo) : bisect_left(positions, hi)]
                if inside:
                    pieces, cursor = [], lo
                    for pos in inside:
                        pieces += [run_text[cursor:pos], edits[pos]]
                        cursor = pos + 1
                    pieces.append(run_text[cursor:hi])
                    fixed[j] = "".join(pieces)
        first = last + 1
    parts[0::2] = [_escape_text(text) for text in fixed]
    if _BIDI_RE.search(sanitized_html):
        # Attribute values cannot hold markup, so bidi controls there become plain labels.
        parts[1::2] = [_BIDI_RE.sub(lambda m: _bidi_label(m.group()), t) for t in parts[1::2]]
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Worker process


def _make_markdown(profile: str) -> Any:
    import markdown

    md = markdown.Markdown(
        extensions=["sane_lists", "tables", "fenced_code"],
        # align="…" survives the sanitizer; the default style="text-align…" would not.
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )
    if profile == "comment":
        for name in ("hashheader", "setextheader"):
            md.parser.blockprocessors.deregister(name)
        for name in ("image_link", "image_reference", "short_image_ref"):
            md.inlinePatterns.deregister(name)
    return md


def _limit_memory() -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = _WORKER_MEMORY_LIMIT
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass  # not available here: the time budget still applies


def _worker_main(conn: Connection) -> None:
    """Serve conversions until the parent closes the pipe.

    Request: one profile byte then the UTF-8 source. Reply: b"o" then the UTF-8 HTML, or b"e"
    then the name of what went wrong.
    """
    _limit_memory()
    import nh3

    cleaners = {key: nh3.Cleaner(**_sanitizer_options(p)) for key, p in _PROFILES.items()}
    converters = {key: _make_markdown(p) for key, p in _PROFILES.items()}
    conn.send_bytes(b"ready")
    while True:
        try:
            request = conn.recv_bytes()
        except (EOFError, OSError):
            return  # parent gone
        key = request[:1]
        md = converters[key]
        try:
            md.reset()
            source = request[1:].decode("utf-8", "replace")
            cleaned = cleaners[key].clean(md.convert(source))
            if _too_deep(cleaned):
                reply = b"enesting"
            else:
                reply = b"o" + french_typography(_finish_images(cleaned)).encode()
        except Exception as exc:
            # Any failure here is the input's fault: RecursionError, MemoryError, a parser
            # bug. Markdown.reset() does not undo a conversion that stopped half-way (stray
            # parser state makes the next text render wrong): rebuild this converter.
            reply = b"e" + type(exc).__name__.encode()
            converters[key] = _make_markdown(_PROFILES[key])
        try:
            conn.send_bytes(reply)
        except (EOFError, OSError):
            return


# sys.path comes from the parent first, so the child imports this very module from wherever
# the parent found it (pytest's rootdir, an installed copy, a source checkout).
_BOOTSTRAP = """\
import sys
from multiprocessing.connection import Connection
conn = Connection(int(sys.argv[1]))
sys.path[:] = conn.recv_bytes().decode("utf-8", "surrogateescape").split("\\0")
from wiki.domain.markup import _worker_main
_worker_main(conn)
"""


class _WorkerDied(Exception):
    pass


class _Worker:
    def __init__(self) -> None:
        parent_conn, child_conn = Pipe(duplex=True)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-c", _BOOTSTRAP, str(child_conn.fileno())],
                pass_fds=(child_conn.fileno(),),
                stdin=subprocess.DEVNULL,
                # Its own process group: Ctrl-C in a dev server is for the server, which then
                # closes the pipe, and the worker exits on EOF.
                process_group=0,
            )
        except OSError as exc:
            parent_conn.close()
            raise RendererUnavailable("impossible de lancer le processus de rendu") from exc
        finally:
            child_conn.close()
        self.conn = parent_conn
        self.ready = False
        try:
            parent_conn.send_bytes("\0".join(sys.path).encode("utf-8", "surrogateescape"))
        except OSError:
            pass  # reported by wait_ready as a failed start

    def wait_ready(self) -> None:
        if self.ready:
            return
        try:
            if not self.conn.poll(_STARTUP_TIMEOUT):
                raise RendererUnavailable("le processus de rendu ne démarre pas")
            status = self.conn.recv_bytes()
        except (EOFError, OSError) as exc:
            raise RendererUnavailable("le processus de rendu s'est arrêté au démarrage") from exc
        if status != b"ready":
            raise RendererUnavailable("réponse inattendue du processus de rendu")
        self.ready = True

    def send(self, request: bytes) -> None:
        if self.process.poll() is not None:
            raise _WorkerDied
        try:
            self.conn.send_bytes(request)
        except (EOFError, OSError) as exc:
            raise _WorkerDied from exc

    def receive(self, budget: float) -> bytes | None:
        """The worker's reply, or None when the budget ran out."""
        try:
            if not self.conn.poll(budget):
                return None
            return self.conn.recv_bytes()
        except (EOFError, OSError) as exc:
            raise _WorkerDied from exc

    def detach(self) -> None:
        """Forget a worker inherited through fork: it belongs to the parent process."""
        try:
            self.conn.close()
        except OSError:
            pass

    def kill(self) -> None:
        self.detach()
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


class _Pool:
    """At most POOL_SIZE workers; a caller borrows one for the length of one conversion."""

    def __init__(self, size: int) -> None:
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._size = size
        self._count = 0
        self._closed = False
        self.workers: set[_Worker] = set()

    def _start(self) -> _Worker:
        try:
            worker = _Worker()
        except BaseException:
            with self._lock:
                self._count -= 1
            raise
        with self._lock:
            self.workers.add(worker)
        return worker

    def acquire(self) -> _Worker:
        deadline = time.monotonic() + _STARTUP_TIMEOUT + _MAX_WAIT
        while True:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            with self._lock:
                create = self._count < self._size
                if create:
                    self._count += 1
            if create:
                return self._start()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RendererUnavailable("tous les processus de rendu sont occupés")
            try:
                # Short waits, so that a slot freed by a failed restart is noticed too.
                return self._idle.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue

    def release(self, worker: _Worker) -> None:
        if self._closed:
            self._discard(worker)
        else:
            self._idle.put(worker)

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self.workers.discard(worker)

    def replace(self, worker: _Worker) -> None:
        """Kill a worker that overran or died; start its successor now so it warms up."""
        self._discard(worker)
        if not self._closed:
            self._idle.put(self._start())

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._discard(self._idle.get_nowait())
            except queue.Empty:
                return


_pool: _Pool | None = None
_pool_lock = threading.Lock()
# Workers inherited through fork stay referenced here: their Popen objects must not be
# collected in a process that cannot wait for them (that would warn about a running child).
_inherited: list[_Worker] = []


def _reset_after_fork() -> None:
    # A forked child (e.g. a gunicorn worker forked after the master rendered something) must
    # not share its parent's workers: drop them and start its own on first use.
    global _pool, _pool_lock
    if _pool is not None:
        for worker in list(_pool.workers):
            worker.detach()
            _inherited.append(worker)
    _pool = None
    _pool_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)
atexit.register(shutdown_renderer)


def _get_pool() -> _Pool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = _Pool(POOL_SIZE)
        return _pool


_MESSAGES = {
    "too_large": "Le texte est trop long pour être mis en forme.",
    "timeout": f"Le texte est trop complexe{NBSP}: sa mise en forme prend trop de temps.",
    "error": f"Le texte est trop complexe à mettre en forme (imbrication trop profonde{NNBSP}?).",
    "crashed": "La mise en forme de ce texte a échoué.",
}


def _too_complex(reason: str) -> MarkupTooComplex:
    return MarkupTooComplex(_MESSAGES[reason], reason)


def _render(profile: bytes, text: str, budget: float) -> str:
    if not isinstance(text, str):
        raise TypeError("text must be a str")
    if not budget > 0:
        raise ValueError("budget must be positive")
    if len(text) > MAX_SOURCE_CHARS:
        raise _too_complex("too_large")
    # Lone surrogates cannot cross into nh3 (Rust strings); the worker decodes them as U+FFFD.
    request = profile + _CONTROL_RE.sub("", text).encode("utf-8", "surrogatepass")
    pool = _get_pool()
    # One retry covers a worker that died while idle (killed from outside, OOM): that is not
    # this text's fault. A worker dying while converting this text is.
    for attempt in (1, 2):
        worker = pool.acquire()
        try:
            worker.wait_ready()
            worker.send(request)
        except _WorkerDied:
            pool.replace(worker)
            if attempt == 2:
                raise _too_complex("crashed") from None
            continue
        except BaseException:
            pool.replace(worker)
            raise
        try:
            reply = worker.receive(budget)
        except _WorkerDied:
            pool.replace(worker)
            raise _too_complex("crashed") from None
        except BaseException:
            pool.replace(worker)
            raise
        if reply is None:
            pool.replace(worker)
            raise _too_complex("timeout")
        pool.release(worker)
        if reply[:1] == b"o":
            return reply[1:].decode()
        raise _too_complex("error")
    raise AssertionError("unreachable")
