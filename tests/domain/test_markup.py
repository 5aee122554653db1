"""Tests for wiki.domain.markup: sanitizer golden file, typography, time budget.

Regenerate the golden file after an intended change with:

    python -m tests.domain.test_markup --regenerate

then read the diff before committing it: every changed line is a change in what readers see.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiki.domain import markup
from wiki.domain.markup import (
    NNBSP,
    MarkupTooComplex,
    french_typography,
    render_comment,
    render_markdown,
    shutdown_renderer,
)

GOLDEN_PATH = Path(__file__).parent / "golden" / "sanitizer.json"

# The inputs are kept here; the golden file stores them with their outputs so that a reviewer
# reads both side by side. test_golden_inputs_match_list keeps the two in step.
GOLDEN_INPUTS: list[str] = [
    # Ordinary Markdown
    "Un paragraphe simple.",
    "**gras**, *italique* et `code`",
    "# Titre\n\n## Sous-titre\n\nTexte",
    "- un\n- deux\n\n1. premier\n2. second",
    "1. un\n1. deux\n\n* a\n* b",
    "> citation\n>\n> > imbriquée",
    "```\ncode <b>brut</b> ?\n```",
    "    code indenté : oui ?",
    "| a | b |\n|:--|--:|\n| 1 | 2 |",
    '[lien](https://example.org "Titre")',
    "[relatif](/definitions/3/revisions/12)",
    "[a](https://example.org/?q=1&r=2)",
    "<https://example.org/chemin>",
    "<equipe@example.org>",
    '![image](https://example.org/a.png "t")',
    "***\n\nTexte après la règle",
    "Ligne avec deux espaces  \nà la ligne",
    # Script and event handlers
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>après",
    "<img src=x onerror=alert(1)>",
    '<div onclick="alert(1)">div</div>',
    '<a href="https://example.org" onmouseover="alert(1)" target="_blank">lien</a>',
    "<table><tr><td onclick=x>cellule</td></tr></table>",
    "<details open ontoggle=alert(1)><summary>s</summary>d</details>",
    '<a href="https://example.org" title="&quot; onmouseover=&quot;alert(1)">t</a>',
    # Dangerous URL schemes
    '<a href="javascript:alert(1)">clic</a>',
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    '<a href="java&#x09;script:alert(1)">tab</a>',
    '<a href="&#106;&#97;vascript:alert(1)">entités</a>',
    "[x](vbscript:msgbox(1))",
    "[x](<javascript:alert(1)>)",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="https://example.org/a.png" srcset="javascript:alert(1)" alt="a">',
    '<a href="//evil.example/x">protocole relatif</a>',
    "<a href='mailto:x@example.org'>écrire</a>",
    # Raw HTML, SVG, MathML, mXSS shapes
    '<iframe src="https://evil.example"></iframe>après',
    '<svg onload=alert(1)><circle r="10"/></svg>texte',
    "<math><mtext><script>alert(1)</script></mtext></math>fin",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<textarea><script>alert(1)</script></textarea>",
    "<style>body{display:none}</style>texte",
    '<p style="color:red">stylé</p>',
    "<b>gras brut</b> <i>it</i> <del>barré</del> <ins>ajouté</ins> H<sub>2</sub>O x<sup>2</sup>",
    "<form action=/x><input name=a><button>Envoyer</button></form>",
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=/x">',
    "<!-- commentaire --> visible",
    # Entities, unclosed and misnested tags
    "&lt;script&gt; &amp;amp; &copy; &#x27;",
    "a < b > c & d",
    "<strong>non fermé",
    "<em><strong>mal</em> imbriqué</strong>",
    "x\x00y\x02z",
    # French typography
    "Bonjour : ça va ? Oui ! Enfin ; peut-être.",
    "«Définition» et « définition » et «<em>mot</em>»",
    "Sans espace: ok? oui! (usage québécois conservé)",
    "`« code » : ?` reste tel quel",
    "Un «texte» avec\u00a0espace insécable ?",
    # Bidi controls
    "abc\u202edcba\u202c fin",
    '\u2066isolé\u2069 et `\u202e` et [lien](/x "t\u202e")',
]

# Characters a reviewer could not see in the golden file are written as JSON escapes.
_INVISIBLE = re.compile("[\u00a0\u200b-\u200f\u2028\u2029\u202a-\u202f\u2066-\u2069\ufeff]")


def _dump_golden(pairs: list[dict[str, str]]) -> str:
    text = json.dumps(pairs, ensure_ascii=False, indent=2) + "\n"
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def regenerate() -> None:
    pairs = [{"input": source, "output": render_markdown(source)} for source in GOLDEN_INPUTS]
    GOLDEN_PATH.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN_PATH.write_text(_dump_golden(pairs), encoding="utf-8")


def _load_golden() -> list[dict[str, str]]:
    return json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module", autouse=True)
def _stop_workers_after_module():
    yield
    shutdown_renderer()


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Collect()
    parser.feed(html)
    parser.close()
    return parser.tags


_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_SCHEMES = {"http", "https", "mailto"}


def assert_safe(html: str) -> None:
    assert "<script" not in html.lower()
    # Attribute values are always double-quoted in the output; blank them so that a title
    # which merely mentions "onclick=" is not mistaken for a handler.
    unquoted = re.sub(r'"[^"]*"', '""', html)
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", unquoted, re.IGNORECASE)
    for tag, attrs in _tags(html):
        assert tag not in {"script", "style", "iframe", "svg", "math", "object", "embed"}
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"style", "srcset", "formaction", "target"}, (tag, name)
            if name in {"href", "src"}:
                assert value is not None
                # What a browser does before reading the scheme: drop tabs and newlines
                # anywhere, then leading spaces and controls.
                url = re.sub(r"[\t\n\r]", "", value).lstrip("\x00- ")
                scheme = _SCHEME.match(url)
                assert scheme is None or scheme.group(1).lower() in _SCHEMES, (tag, value)


# ---------------------------------------------------------------------------------------------
# Golden file


def test_golden_has_enough_cases() -> None:
    assert len(GOLDEN_INPUTS) >= 40
    assert len(set(GOLDEN_INPUTS)) == len(GOLDEN_INPUTS)


def test_golden_inputs_match_list() -> None:
    assert [pair["input"] for pair in _load_golden()] == GOLDEN_INPUTS, (
        "golden file out of date: python -m tests.domain.test_markup --regenerate"
    )


@pytest.mark.parametrize("index", range(len(GOLDEN_INPUTS)))
def test_golden_output(index: int) -> None:
    pair = _load_golden()[index]
    assert render_markdown(pair["input"]) == pair["output"]


@pytest.mark.parametrize("index", range(len(GOLDEN_INPUTS)))
def test_golden_outputs_are_safe(index: int) -> None:
    output = _load_golden()[index]["output"]
    assert_safe(output)
    assert "javascript:" not in output.lower()


def test_golden_file_is_stable_text() -> None:
    # Regenerating must be byte-identical when nothing changed: deterministic output.
    assert GOLDEN_PATH.read_text(encoding="utf-8") == _dump_golden(_load_golden())


# ---------------------------------------------------------------------------------------------
# Sanitizer properties

_FRAGMENTS = [
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:",
    '<a href="',
    '">',
    "[x](",
    ")",
    "<svg",
    "onload=",
    "&#106;",
    "`",
    "<",
    ">",
    '"',
    "'",
    "«",
    "»",
    " ",
    "\n",
    "*",
    "_",
    "<!--",
    "-->",
    "<style>",
    "data:",
    "<math>",
    "<p ",
    "=",
    "\u202e",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=25).map("".join))
def test_random_hostile_fragments_render_safe(source: str) -> None:
    assert_safe(render_markdown(source))
    assert_safe(render_comment(source))


def test_links_get_rel() -> None:
    out = render_markdown("[x](https://example.org)")
    assert 'rel="nofollow ugc noopener"' in out


def test_image_gets_no_referrer() -> None:
    out = render_markdown("![alt](https://example.org/a.png)")
    (tag, attrs), *_ = [t for t in _tags(out) if t[0] == "img"]
    assert attrs["referrerpolicy"] == "no-referrer"
    assert attrs["alt"] == "alt"


def test_output_is_the_same_in_fresh_workers() -> None:
    # Each worker is a new interpreter with its own hash seed: nothing may depend on it.
    source = '![a](/i.png "t") [l](/x "u") <img alt="b" src="/j.png" title="v">'
    outputs = set()
    for _ in range(3):
        shutdown_renderer()
        outputs.add(render_markdown(source))
    assert len(outputs) == 1


def test_comment_has_no_headings_or_images() -> None:
    out = render_comment("# Titre\n\n![i](https://example.org/a.png)\n\n<h2>h</h2><img src=a>")
    names = {tag for tag, _ in _tags(out)}
    assert not names & {"h1", "h2", "img"}
    assert "# Titre" in out


def test_comment_keeps_ordinary_markdown() -> None:
    assert render_comment("**oui** [lien](/x)") == (
        '<p><strong>oui</strong> <a href="/x" rel="nofollow ugc noopener">lien</a></p>'
    )


def test_empty_text() -> None:
    assert render_markdown("") == ""


def test_lone_surrogate_does_not_break_rendering() -> None:
    assert render_markdown("a\ud800b") == "<p>a\ufffd\ufffd\ufffdb</p>"


# ---------------------------------------------------------------------------------------------
# French typography (pure function: no worker involved)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param("<p>Oui : non</p>", "<p>Oui&nbsp;: non</p>", id="colon-gets-nbsp"),
        pytest.param(
            "<p>Vrai ? Faux ! Bon ;</p>",
            f"<p>Vrai{NNBSP}? Faux{NNBSP}! Bon{NNBSP};</p>",
            id="narrow-before-punctuation",
        ),
        pytest.param("<p>Vrai? Faux!</p>", "<p>Vrai? Faux!</p>", id="no-space-none-added"),
        pytest.param("<p>«mot»</p>", f"<p>«{NNBSP}mot{NNBSP}»</p>", id="guillemets-added"),
        pytest.param("<p>« mot »</p>", f"<p>«{NNBSP}mot{NNBSP}»</p>", id="guillemets-replaced"),
        pytest.param(
            "<p>«<em>mot</em>»</p>", f"<p>«{NNBSP}<em>mot</em>{NNBSP}»</p>", id="across-inline-tags"
        ),
        pytest.param("<p>x</p><p>?</p>", "<p>x</p><p>?</p>", id="no-join-across-blocks"),
        pytest.param("<p>«</p><p>x</p>", "<p>«</p><p>x</p>", id="guillemet-at-block-end"),
        pytest.param(
            "<pre><code>a ? « b »</code></pre>",
            "<pre><code>a ? « b »</code></pre>",
            id="code-untouched",
        ),
        pytest.param(
            "<p><code>x</code> ?</p>", f"<p><code>x</code>{NNBSP}?</p>", id="after-code-span"
        ),
        pytest.param(
            "<p>x <code>?</code></p>", "<p>x <code>?</code></p>", id="punctuation-inside-code"
        ),
        pytest.param(
            '<p><a href="/a?b" title="x ?">y ?</a></p>',
            f'<p><a href="/a?b" title="x ?">y{NNBSP}?</a></p>',
            id="attributes-untouched",
        ),
        pytest.param(
            '<p title="a&gt;b">c ?</p>', f'<p title="a&gt;b">c{NNBSP}?</p>', id="gt-in-attribute"
        ),
        pytest.param(
            "<p>a &amp; b &lt;c&gt; ?</p>",
            f"<p>a &amp; b &lt;c&gt;{NNBSP}?</p>",
            id="entities-roundtrip",
        ),
        pytest.param("<p>a\u00a0?</p>", "<p>a&nbsp;?</p>", id="existing-nbsp-kept"),
    ],
)
def test_french_typography(html: str, expected: str) -> None:
    assert french_typography(html) == expected


@pytest.mark.parametrize("char", sorted(markup.BIDI_CONTROLS))
def test_bidi_controls_are_visible(char: str) -> None:
    code = f"U+{ord(char):04X}"
    out = render_markdown(f'a{char}b `c{char}d` [l](/x "t{char}")')
    assert char not in out
    assert out.count(f'<span class="bidi-control" title="{code}">[{code}]</span>') == 2
    assert f'title="t[{code}]"' in out


# ---------------------------------------------------------------------------------------------
# Time budget and worker lifecycle

PATHOLOGICAL = {
    "open-brackets": "[" * 8000,
    "open-anchors": "<a " * 5000,
    "list-markers": "- " * 500 + "x",
    "nested-lists": "".join("    " * i + "- x\n" for i in range(300)),
    "quote-markers": ">" * 10000,
    "one-megabyte-line": ("mot " * 250_000)[:1_000_000],
    "stars": "*" * 50000,
    "nested-html-lists": "<ul><li>" * 20000,
    "nested-tables": "<table><tr><td>" * 12000,
    "nested-emphasis": "<em>" * 39000,
}


@pytest.mark.parametrize("source", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_input_answers(source: str) -> None:
    started = time.monotonic()
    try:
        out = render_markdown(source)
    except MarkupTooComplex as exc:
        assert exc.reason in {"too_large", "timeout", "error", "crashed"}
        assert str(exc)
    else:
        assert_safe(out)
    # Generous on purpose: this proves there is no hang, not a speed.
    assert time.monotonic() - started < 10
    # Whatever happened, the renderer still works for the next author.
    assert render_markdown("*ok*") == "<p><em>ok</em></p>"


def test_too_large_is_refused_up_front() -> None:
    with pytest.raises(MarkupTooComplex) as info:
        render_markdown("a" * (markup.MAX_SOURCE_CHARS + 1))
    assert info.value.reason == "too_large"


def test_timeout_reason() -> None:
    with pytest.raises(MarkupTooComplex) as info:
        render_markdown("[" * 8000, budget=0.2)
    assert info.value.reason == "timeout"


def test_recursion_reason() -> None:
    with pytest.raises(MarkupTooComplex) as info:
        render_markdown("- " * 500 + "x")
    assert info.value.reason == "error"


def test_reasonable_nesting_renders() -> None:
    source = "".join("    " * i + "- niveau\n" for i in range(markup.MAX_NESTING))
    assert render_markdown(source).count("<ul>") == markup.MAX_NESTING


def test_excessive_nesting_is_refused() -> None:
    with pytest.raises(MarkupTooComplex) as info:
        render_markdown("> " * (markup.MAX_NESTING + 1) + "x")
    assert info.value.reason == "error"


@pytest.mark.parametrize("budget", [0, -1.0])
def test_budget_must_be_positive(budget: float) -> None:
    with pytest.raises(ValueError):
        render_markdown("x", budget=budget)


def test_text_must_be_str() -> None:
    with pytest.raises(TypeError):
        render_markdown(b"x")  # type: ignore[arg-type]


def test_worker_killed_while_idle_is_replaced() -> None:
    render_markdown("warm")
    pool = markup._pool
    assert pool is not None
    for worker in list(pool.workers):
        worker.process.kill()
        worker.process.wait()
    assert render_markdown("*encore*") == "<p><em>encore</em></p>"


def test_shutdown_then_render_again() -> None:
    render_markdown("x")
    shutdown_renderer()
    assert markup._pool is None
    shutdown_renderer()  # idempotent
    assert render_markdown("x") == "<p>x</p>"


def test_concurrent_threads_get_their_own_results() -> None:
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            results[n] = render_markdown(f"**{n}**")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results == {n: f"<p><strong>{n}</strong></p>" for n in range(12)}


def test_slow_text_does_not_block_other_threads_forever() -> None:
    outcome: list[str] = []

    def hostile() -> None:
        try:
            render_markdown("[" * 8000, budget=0.5)
            outcome.append("rendered")
        except MarkupTooComplex as exc:
            outcome.append(exc.reason)

    thread = threading.Thread(target=hostile)
    thread.start()
    assert render_markdown("ordinaire") == "<p>ordinaire</p>"
    thread.join()
    assert outcome in (["timeout"], ["rendered"])


if __name__ == "__main__":
    if sys.argv[1:] == ["--regenerate"]:
        regenerate()
        shutdown_renderer()
        print(f"wrote {GOLDEN_PATH}")
    else:
        sys.exit("usage: python -m tests.domain.test_markup --regenerate")
