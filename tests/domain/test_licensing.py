"""Tests for wiki.domain.licensing: registry, ShareAlike table, TASL attribution."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from wiki.domain.licensing import (
    LICENSES,
    WIKI_DEFAULT,
    Attribution,
    Contributor,
    License,
    LicenseIncompatible,
    UnknownLicense,
    build_attribution,
    check_share_alike,
    compatible_choices,
    get_license,
    is_noncommercial,
)

NBSP = "\u00a0"
NNBSP = "\u202f"

REVISION_URL = "https://wiki.example/definitions/3/revisions/12"


# ---------------------------------------------------------------------------------------------
# Registry


def test_registry_has_required_codes() -> None:
    required = {
        "CC-BY-NC-SA",
        "CC-BY-NC-SA-2.0",
        "CC-BY-NC-SA-2.5",
        "CC-BY-NC-SA-3.0",
        "CC-BY-NC-SA-4.0",
        "CC-BY-4.0",
        "CC-BY-SA-4.0",
        "CC-BY-NC-4.0",
        "CC-BY-ND-4.0",
        "CC-BY-NC-ND-4.0",
        "CC0-1.0",
    }
    assert required <= set(LICENSES)
    assert all(code == lic.code for code, lic in LICENSES.items())


def test_wiki_default() -> None:
    lic = get_license(WIKI_DEFAULT)
    assert lic.version == "4.0"
    assert lic.elements == {"BY", "NC", "SA"}
    assert lic.url == "https://creativecommons.org/licenses/by-nc-sa/4.0/"
    assert lic.short_name == "CC BY-NC-SA 4.0"


def test_unversioned_entry() -> None:
    lic = get_license("CC-BY-NC-SA")
    assert lic.version is None
    assert lic.name == (
        "Creative Commons Attribution – Pas d'Utilisation Commerciale – "
        "Partage dans les Mêmes Conditions"
    )
    assert lic.url == "https://creativecommons.org/licenses/by-nc-sa/4.0/"
    assert lic.note and "version" in lic.note
    assert lic.short_name == "CC BY-NC-SA"


@pytest.mark.parametrize(
    ("code", "url"),
    [
        ("CC-BY-NC-SA-2.0", "https://creativecommons.org/licenses/by-nc-sa/2.0/"),
        ("CC-BY-NC-SA-2.5", "https://creativecommons.org/licenses/by-nc-sa/2.5/"),
        ("CC-BY-NC-SA-3.0", "https://creativecommons.org/licenses/by-nc-sa/3.0/"),
        ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/"),
        ("CC-BY-SA-4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
        ("CC-BY-NC-4.0", "https://creativecommons.org/licenses/by-nc/4.0/"),
        ("CC-BY-ND-4.0", "https://creativecommons.org/licenses/by-nd/4.0/"),
        ("CC-BY-NC-ND-4.0", "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
        ("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ],
)
def test_deed_urls(code: str, url: str) -> None:
    assert get_license(code).url == url


def test_cc0_has_no_elements() -> None:
    lic = get_license("CC0-1.0")
    assert lic.elements == frozenset()
    assert lic.short_name == "CC0 1.0"


def test_unknown_license() -> None:
    with pytest.raises(UnknownLicense):
        get_license("GPL-3.0")
    assert issubclass(UnknownLicense, ValueError)


def test_license_is_frozen() -> None:
    with pytest.raises(AttributeError):
        get_license(WIKI_DEFAULT).code = "x"  # type: ignore[misc]


def test_license_rejects_unknown_element() -> None:
    with pytest.raises(ValueError):
        License("X", "x", "https://x", "1.0", frozenset({"BY", "ZZ"}))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("CC-BY-NC-SA-4.0", True),
        ("CC-BY-NC-ND-4.0", True),
        ("CC-BY-NC-SA", True),
        ("CC-BY-SA-4.0", False),
        ("CC0-1.0", False),
    ],
)
def test_is_noncommercial(code: str, expected: bool) -> None:
    assert is_noncommercial(get_license(code)) is expected


# ---------------------------------------------------------------------------------------------
# ShareAlike table: (source, chosen) → None when allowed, else the refusal code.

SHARE_ALIKE_TABLE = [
    ("CC-BY-NC-SA-4.0", "CC-BY-NC-SA-4.0", None),
    ("CC-BY-NC-SA-3.0", "CC-BY-NC-SA-4.0", None),
    ("CC-BY-NC-SA-2.0", "CC-BY-NC-SA-2.5", None),
    ("CC-BY-NC-SA-4.0", "CC-BY-NC-SA-3.0", "share_alike_version"),
    ("CC-BY-NC-SA-2.5", "CC-BY-NC-SA-2.0", "share_alike_version"),
    ("CC-BY-NC-SA-4.0", "CC-BY-SA-4.0", "share_alike"),
    ("CC-BY-NC-SA-4.0", "CC-BY-NC-4.0", "share_alike"),
    ("CC-BY-NC-SA-4.0", "CC-BY-4.0", "share_alike"),
    ("CC-BY-NC-SA-4.0", "CC0-1.0", "share_alike"),
    ("CC-BY-NC-SA-4.0", "CC-BY-NC-ND-4.0", "share_alike"),
    ("CC-BY-SA-4.0", "CC-BY-SA-4.0", None),
    ("CC-BY-SA-4.0", "CC-BY-NC-SA-4.0", "share_alike"),
    ("CC-BY-NC-SA", "CC-BY-NC-SA-2.0", None),
    ("CC-BY-NC-SA", "CC-BY-NC-SA-4.0", None),
    ("CC-BY-NC-SA", "CC-BY-SA-4.0", "share_alike"),
    ("CC-BY-NC-SA", "CC-BY-NC-SA", "unversioned_choice"),
    ("CC-BY-NC-SA-4.0", "CC-BY-NC-SA", "unversioned_choice"),
    ("CC-BY-ND-4.0", "CC-BY-ND-4.0", "no_derivatives"),
    ("CC-BY-NC-ND-4.0", "CC-BY-NC-SA-4.0", "no_derivatives"),
    ("CC-BY-4.0", "CC-BY-NC-SA-4.0", None),
    ("CC-BY-4.0", "CC-BY-4.0", None),
    ("CC-BY-4.0", "CC-BY-ND-4.0", None),
    ("CC-BY-4.0", "CC0-1.0", "drops_elements"),
    ("CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", None),
    ("CC-BY-NC-4.0", "CC-BY-4.0", "drops_elements"),
    ("CC-BY-NC-4.0", "CC-BY-SA-4.0", "drops_elements"),
    ("CC0-1.0", "CC0-1.0", None),
    ("CC0-1.0", "CC-BY-NC-SA-4.0", None),
]


@pytest.mark.parametrize(
    ("source", "chosen", "refusal"),
    SHARE_ALIKE_TABLE,
    ids=[f"{s}->{c}:{r or 'ok'}" for s, c, r in SHARE_ALIKE_TABLE],
)
def test_share_alike_table(source: str, chosen: str, refusal: str | None) -> None:
    if refusal is None:
        check_share_alike(get_license(source), get_license(chosen))
        assert get_license(chosen) in compatible_choices(get_license(source))
    else:
        with pytest.raises(LicenseIncompatible) as info:
            check_share_alike(get_license(source), get_license(chosen))
        assert info.value.code == refusal
        assert info.value.english
        assert get_license(chosen) not in compatible_choices(get_license(source))


def test_share_alike_message_explains_in_french() -> None:
    with pytest.raises(LicenseIncompatible) as info:
        check_share_alike(get_license("CC-BY-NC-SA-4.0"), get_license("CC-BY-4.0"))
    message = str(info.value)
    assert "Partage dans les Mêmes Conditions" in message
    assert "CC BY-NC-SA 4.0" in message and "CC BY 4.0" in message
    assert "ShareAlike" in info.value.english
    assert isinstance(info.value, ValueError)


def test_compatible_choices_for_default_is_only_itself() -> None:
    assert compatible_choices(get_license(WIKI_DEFAULT)) == [get_license(WIKI_DEFAULT)]


def test_compatible_choices_empty_for_nd() -> None:
    assert compatible_choices(get_license("CC-BY-ND-4.0")) == []


def test_compatible_choices_keep_registry_order_and_exclude_unversioned() -> None:
    choices = compatible_choices(get_license("CC0-1.0"))
    assert [c.code for c in choices] == [c for c in LICENSES if c != "CC-BY-NC-SA"]


# ---------------------------------------------------------------------------------------------
# Attribution

CONTRIBUTORS = [
    Contributor("Annie Chénier", "annie", "https://wiki.example/u/annie"),
    Contributor("Frédéric Vincent", "fred"),
    Contributor("Marie Tremblay", "marie"),
]
SOURCE = "« Stratégie numérique; une définition collaborative », C-pour.ca"


def _example(**overrides: object) -> Attribution:
    arguments: dict[str, object] = {
        "title": "Stratégie numérique",
        "revision_url": REVISION_URL,
        "contributors": CONTRIBUTORS,
        "license": get_license(WIKI_DEFAULT),
        "source": SOURCE,
        "parent_urls": [("révision 11", "https://wiki.example/definitions/3/revisions/11")],
    }
    arguments.update(overrides)
    return build_attribution(**arguments)  # type: ignore[arg-type]


def test_attribution_text() -> None:
    assert _example().text == (
        f"«{NNBSP}Stratégie numérique{NNBSP}», par Annie Chénier, Frédéric Vincent et Marie "
        f"Tremblay, {REVISION_URL}, sous licence CC BY-NC-SA 4.0 "
        "(https://creativecommons.org/licenses/by-nc-sa/4.0/). "
        f"Modifié à partir de{NBSP}: révision 11 (https://wiki.example/definitions/3/revisions/11)."
        f" Source{NBSP}: {SOURCE}. Pas d'utilisation commerciale."
    )


class _RDFa(HTMLParser):
    """Collects (tag, attributes, text) for every element, text flattened."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self._open: list[int] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), []))
        self._open.append(len(self.elements) - 1)

    def handle_endtag(self, tag: str) -> None:
        self._open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for index in self._open:
            self.elements[index][2].append(data)

    def find(self, **attrs: str) -> tuple[str, dict[str, str | None], str]:
        matches = [
            (tag, found, "".join(text))
            for tag, found, text in self.elements
            if all(found.get(k) == v for k, v in attrs.items())
        ]
        assert len(matches) == 1, (attrs, matches)
        return matches[0]


def _parse(html: str) -> _RDFa:
    parser = _RDFa()
    parser.feed(html)
    parser.close()
    assert not parser._open, "unbalanced tags"
    return parser


def test_attribution_html_has_ccrel_rdfa() -> None:
    doc = _parse(_example().html)
    tag, wrapper, _ = doc.elements[0]
    assert wrapper["xmlns:cc"] == "http://creativecommons.org/ns#"
    assert wrapper["xmlns:dct"] == "http://purl.org/dc/terms/"
    assert doc.find(property="dct:title")[2] == "Stratégie numérique"
    tag, attrs, text = doc.find(property="cc:attributionName")
    assert tag == "a"
    assert attrs["rel"] == "cc:attributionURL"
    assert attrs["href"] == REVISION_URL
    assert text == "Annie Chénier, Frédéric Vincent et Marie Tremblay"
    tag, attrs, text = doc.find(rel="license")
    assert (tag, attrs["href"], text) == (
        "a",
        "https://creativecommons.org/licenses/by-nc-sa/4.0/",
        "CC BY-NC-SA 4.0",
    )
    tag, attrs, text = doc.find(property="dct:source")
    assert (tag, text) == ("span", SOURCE)
    tag, attrs, text = doc.find(rel="dct:source")
    assert attrs["href"] == "https://wiki.example/definitions/3/revisions/11"


def test_source_url_makes_source_a_link() -> None:
    doc = _parse(_example(parent_urls=(), source_url="https://c-pour.ca/strategie").html)
    tag, attrs, text = doc.find(rel="dct:source")
    assert (tag, attrs["href"], text) == ("a", "https://c-pour.ca/strategie", SOURCE)
    assert not [e for e in doc.elements if e[1].get("property") == "dct:source"]


@pytest.mark.parametrize("form", ["text", "html", "markdown"])
def test_noncommercial_notice_present(form: str) -> None:
    assert "Pas d'utilisation commerciale" in getattr(_example(), form)


@pytest.mark.parametrize("form", ["text", "html", "markdown"])
def test_no_noncommercial_notice_without_nc(form: str) -> None:
    out = getattr(_example(license=get_license("CC-BY-SA-4.0")), form)
    assert "commerciale" not in out


HOSTILE = '<script>alert("x")</script> & *gras* [lien](javascript:x) `c` _i_ | \\'


def test_hostile_values_are_escaped_in_html() -> None:
    attribution = _example(
        title=HOSTILE,
        contributors=[Contributor(HOSTILE, "evil"), Contributor('"><img src=x>', "q")],
        source=HOSTILE,
        parent_urls=[(HOSTILE, "/revisions/1")],
    )
    assert "<script" not in attribution.html
    assert "<img" not in attribution.html
    doc = _parse(attribution.html)
    assert doc.find(property="dct:title")[2] == HOSTILE
    assert doc.find(property="cc:attributionName")[2] == f'{HOSTILE} et "><img src=x>'
    assert doc.find(property="dct:source")[2] == HOSTILE
    assert {tag for tag, _, _ in doc.elements} == {"p", "span", "a"}


def test_hostile_values_are_escaped_in_markdown() -> None:
    from wiki.domain.markup import render_markdown, shutdown_renderer

    try:
        attribution = _example(
            title=HOSTILE, contributors=[Contributor(HOSTILE, "evil")], source=HOSTILE
        )
        rendered = render_markdown(attribution.markdown)
    finally:
        shutdown_renderer()
    doc = _parse(rendered)
    # The names come back as plain text: no emphasis, code or link made from them.
    assert {tag for tag, _, _ in doc.elements} == {"p", "a"}
    assert [attrs["href"] for tag, attrs, _ in doc.elements if tag == "a"] == [
        REVISION_URL,
        "https://creativecommons.org/licenses/by-nc-sa/4.0/",
        "https://wiki.example/definitions/3/revisions/11",
    ]
    text = "".join(doc.text)
    assert text.count(HOSTILE) == 3  # title, name, source


def test_markdown_links_contributor_profiles() -> None:
    md = _example().markdown
    assert "[Annie Chénier](https://wiki.example/u/annie)" in md
    assert f"[Stratégie numérique]({REVISION_URL})" in md


def test_markdown_escapes_specials() -> None:
    md = _example(contributors=[Contributor("a*b_c[d]`e`<f>&g|h\\", "x")]).markdown
    assert "a\\*b\\_c\\[d\\]\\`e\\`&lt;f&gt;&amp;g\\|h\\\\" in md


def test_bidi_and_controls_are_dropped_from_user_values() -> None:
    attribution = _example(title="ab\u202ecd\x07", contributors=[Contributor("x\u2066y\nz", "u")])
    for form in (attribution.text, attribution.html, attribution.markdown):
        assert "\u202e" not in form and "\u2066" not in form and "\x07" not in form
    assert "abcd" in attribution.text and "xy z" in attribution.text


def test_contributors_deduplicated_in_order() -> None:
    people = [Contributor("B", "b"), Contributor("A", "a"), Contributor("B again", "b")]
    assert ", par B et A," in _example(contributors=people).text


def test_display_name_falls_back_to_username_then_anonymous() -> None:
    assert "par marie," in _example(contributors=[Contributor("  ", "marie")]).text
    assert "par contributeurs anonymes," in _example(contributors=[]).text


@pytest.mark.parametrize(
    ("parents", "modified", "source", "expected"),
    [
        ((("révision 11", "/r/11"),), True, None, f"Modifié à partir de{NBSP}: révision 11"),
        ((("révision 11", "/r/11"),), False, None, f"Reprise sans modification de{NBSP}:"),
        ((), True, "Src", f"Modifié à partir de la source{NBSP}: Src."),
        ((), False, "Src", f"Source{NBSP}: Src."),
    ],
    ids=["parent-modified", "parent-copied", "source-modified", "source-verbatim"],
)
def test_modification_notice(
    parents: tuple[tuple[str, str], ...], modified: bool, source: str | None, expected: str
) -> None:
    text = _example(parent_urls=parents, modified=modified, source=source).text
    assert expected in text


def test_original_work_has_no_modification_notice() -> None:
    text = _example(parent_urls=(), source=None).text
    assert "odifi" not in text and "Source" not in text


def test_english() -> None:
    text = _example(lang="en").text
    assert text.startswith("“Stratégie numérique”, by Annie Chénier, Frédéric Vincent and ")
    assert "licensed under CC BY-NC-SA 4.0" in text
    assert "NonCommercial" in text


def test_unknown_language() -> None:
    with pytest.raises(ValueError):
        _example(lang="de")


@pytest.mark.parametrize(
    "field",
    ["revision_url", "source_url"],
)
@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "relative/path", "https://a b"]
)
def test_unsafe_urls_refused(field: str, url: str) -> None:
    with pytest.raises(ValueError):
        _example(**{field: url})


def test_unsafe_contributor_url_refused() -> None:
    with pytest.raises(ValueError):
        _example(contributors=[Contributor("A", "a", "javascript:alert(1)")])


def test_attribution_is_deterministic() -> None:
    assert _example() == _example()
