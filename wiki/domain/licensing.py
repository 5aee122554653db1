"""Creative Commons licences: registry, ShareAlike rules, TASL attribution.

Every revision of the wiki carries a licence (CC BY-NC-SA 4.0 by default) and an attribution
built from Title, Author, Source and Licence (TASL), in three forms: plain text (copy/paste,
feeds), HTML with ccREL RDFa (pages) and Markdown (to paste into another wiki or into this one).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "LICENSES",
    "WIKI_DEFAULT",
    "Attribution",
    "Contributor",
    "License",
    "LicenseIncompatible",
    "UnknownLicense",
    "build_attribution",
    "check_share_alike",
    "compatible_choices",
    "get_license",
    "is_noncommercial",
]

ELEMENTS = frozenset({"BY", "NC", "SA", "ND"})


@dataclass(frozen=True)
class License:
    """One licence. ``elements`` ⊆ {"BY", "NC", "SA", "ND"}; empty for CC0."""

    code: str
    name: str
    url: str
    version: str | None
    elements: frozenset[str]
    note: str | None = None

    def __post_init__(self) -> None:
        if not self.elements <= ELEMENTS:
            raise ValueError(f"unknown licence elements: {sorted(self.elements - ELEMENTS)}")

    @property
    def short_name(self) -> str:
        """The usual label: « CC BY-NC-SA 4.0 », « CC0 1.0 », « CC BY-NC-SA »."""
        if not self.elements:
            base = "CC0"
        else:
            base = "CC " + "-".join(e for e in ("BY", "NC", "SA", "ND") if e in self.elements)
        return f"{base} {self.version}" if self.version else base


class UnknownLicense(ValueError):
    """No licence with this code in LICENSES."""


class LicenseIncompatible(ValueError):
    """The chosen licence cannot be used for an adaptation of the source.

    ``str(exc)`` is the French explanation shown to the author; ``english`` is the same in
    English; ``code`` is one of ``"no_derivatives"``, ``"unversioned_choice"``,
    ``"share_alike"``, ``"share_alike_version"``, ``"drops_elements"``.
    """

    def __init__(self, code: str, message: str, english: str) -> None:
        super().__init__(message)
        self.code = code
        self.english = english


# ---------------------------------------------------------------------------------------------
# Registry

_ELEMENT_NAMES = {
    frozenset({"BY"}): "Attribution",
    frozenset({"BY", "SA"}): "Attribution – Partage dans les Mêmes Conditions",
    frozenset({"BY", "NC"}): "Attribution – Pas d'Utilisation Commerciale",
    frozenset({"BY", "ND"}): "Attribution – Pas de Modification",
    frozenset({"BY", "NC", "SA"}): (
        "Attribution – Pas d'Utilisation Commerciale – Partage dans les Mêmes Conditions"
    ),
    frozenset(
        {"BY", "NC", "ND"}
    ): "Attribution – Pas d'Utilisation Commerciale – Pas de Modification",
}
# How Creative Commons names each generation in French.
_VERSION_SUFFIX = {
    "2.0": "Générique",
    "2.5": "Générique",
    "3.0": "non transposé",
    "4.0": "International",
}


def _cc(elements: str, version: str) -> License:
    parts = frozenset(elements.split("-"))
    slug = elements.lower()
    return License(
        code=f"CC-{elements}-{version}",
        name=f"Creative Commons {_ELEMENT_NAMES[parts]} {version} {_VERSION_SUFFIX[version]}",
        # The licence URI itself, not a /deed.xx page: it is what ccREL's rel="license" and
        # the licence chooser use, and creativecommons.org shows it in the reader's language.
        url=f"https://creativecommons.org/licenses/{slug}/{version}/",
        version=version,
        elements=parts,
    )


_UNVERSIONED_BY_NC_SA = License(
    code="CC-BY-NC-SA",
    name=(
        "Creative Commons Attribution – Pas d'Utilisation Commerciale – "
        "Partage dans les Mêmes Conditions"
    ),
    url="https://creativecommons.org/licenses/by-nc-sa/4.0/",
    version=None,
    elements=frozenset({"BY", "NC", "SA"}),
    note=("La source ne précise pas de version ; le lien mène à la version 4.0, la plus récente."),
)

# Insertion order is display order (compatible_choices keeps it): the wiki's default first,
# the other current 4.0 licences, CC0, then older versions and the unversioned entry, which
# only exist to describe imported sources.
LICENSES: dict[str, License] = {
    lic.code: lic
    for lic in (
        _cc("BY-NC-SA", "4.0"),
        _cc("BY-SA", "4.0"),
        _cc("BY", "4.0"),
        _cc("BY-NC", "4.0"),
        _cc("BY-ND", "4.0"),
        _cc("BY-NC-ND", "4.0"),
        License(
            code="CC0-1.0",
            name="Creative Commons CC0 1.0 Universel (transfert dans le domaine public)",
            url="https://creativecommons.org/publicdomain/zero/1.0/",
            version="1.0",
            elements=frozenset(),
        ),
        _cc("BY-NC-SA", "3.0"),
        _cc("BY-NC-SA", "2.5"),
        _cc("BY-NC-SA", "2.0"),
        _UNVERSIONED_BY_NC_SA,
    )
}

WIKI_DEFAULT = "CC-BY-NC-SA-4.0"


def get_license(code: str) -> License:
    try:
        return LICENSES[code]
    except KeyError:
        raise UnknownLicense(f"licence inconnue : {code!r}") from None


def is_noncommercial(lic: License) -> bool:
    return "NC" in lic.elements


# ---------------------------------------------------------------------------------------------
# ShareAlike


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def check_share_alike(source: License, chosen: License) -> None:
    """Raise LicenseIncompatible unless an adaptation of ``source`` may be under ``chosen``.

    Rules, in order (after the Creative Commons compatibility chart):

    * ND source: no adaptation may be shared at all.
    * An unversioned licence cannot be chosen: a new work must say which legal text applies.
      The unversioned entry only describes sources that named no version.
    * SA source: same elements, same or later version (what the SA clause of every version
      allows). An unversioned SA source accepts any version, since nothing narrows it.
      "BY-SA compatible" licences (e.g. GPL v3 for BY-SA 4.0) are out of scope.
    * Other sources: every element of the source must be kept (an adaptation of BY-NC work
      cannot allow commercial use, one of BY work cannot drop attribution); adding SA, NC or
      ND is allowed. CC0 sources accept anything.
    """
    if "ND" in source.elements:
        raise LicenseIncompatible(
            "no_derivatives",
            f"La source est sous licence {source.short_name}, qui interdit les modifications "
            "(ND, « Pas de Modification ») : on ne peut pas en diffuser une version modifiée, "
            "quelle que soit la licence choisie.",
            f"The source is licensed under {source.short_name}, which forbids adaptations "
            "(ND, NoDerivatives): a modified version cannot be shared under any licence.",
        )
    if chosen.version is None:
        raise LicenseIncompatible(
            "unversioned_choice",
            f"« {chosen.short_name} » sans numéro de version ne peut pas être choisie pour une "
            "nouvelle version : choisissez une licence versionnée, par exemple "
            f"{get_license(WIKI_DEFAULT).short_name}.",
            f"“{chosen.short_name}” without a version number cannot be chosen for a new work: "
            f"pick a versioned licence such as {get_license(WIKI_DEFAULT).short_name}.",
        )
    if "SA" in source.elements:
        if chosen.elements != source.elements:
            raise LicenseIncompatible(
                "share_alike",
                f"La source est sous licence {source.short_name}, avec la clause « Partage "
                "dans les Mêmes Conditions » (SA) : toute version modifiée doit être diffusée "
                "sous la même licence (mêmes conditions : "
                f"{_elements_label(source)}), dans la même version ou une version ultérieure. "
                f"{chosen.short_name} ne convient donc pas.",
                f"The source is licensed under {source.short_name}, with the ShareAlike (SA) "
                "clause: any adaptation must be shared under the same licence (same elements: "
                f"{_elements_label(source)}), same or later version. {chosen.short_name} "
                "is therefore not allowed.",
            )
        if source.version is not None and _version_key(chosen.version) < _version_key(
            source.version
        ):
            raise LicenseIncompatible(
                "share_alike_version",
                f"La source est sous licence {source.short_name} avec la clause « Partage dans "
                "les Mêmes Conditions » (SA) : une version modifiée peut passer à une version "
                f"ultérieure de la licence, jamais revenir à une version antérieure comme "
                f"{chosen.short_name}.",
                f"The source is licensed under {source.short_name} with the ShareAlike (SA) "
                "clause: an adaptation may move to a later version of the licence, never back "
                f"to an earlier one such as {chosen.short_name}.",
            )
        return
    missing = source.elements - chosen.elements
    if missing:
        label = _elements_label_of(missing)
        raise LicenseIncompatible(
            "drops_elements",
            f"La source est sous licence {source.short_name} : une version modifiée doit en "
            f"garder les conditions ({label}), ce que {chosen.short_name} ne fait pas.",
            f"The source is licensed under {source.short_name}: an adaptation must keep its "
            f"conditions ({label}), which {chosen.short_name} does not.",
        )


def _elements_label_of(elements: frozenset[str]) -> str:
    return "-".join(e for e in ("BY", "NC", "SA", "ND") if e in elements)


def _elements_label(lic: License) -> str:
    return _elements_label_of(lic.elements)


def compatible_choices(source: License) -> list[License]:
    """Licences an adaptation of ``source`` may use, in LICENSES order (empty for ND)."""
    choices = []
    for lic in LICENSES.values():
        try:
            check_share_alike(source, lic)
        except LicenseIncompatible:
            continue
        choices.append(lic)
    return choices


# ---------------------------------------------------------------------------------------------
# Attribution


@dataclass(frozen=True)
class Contributor:
    display_name: str
    username: str | None
    url: str | None = None


@dataclass(frozen=True)
class Attribution:
    text: str
    html: str
    markdown: str


@dataclass(frozen=True)
class _Wording:
    open_quote: str
    close_quote: str
    by: str
    and_: str
    under: str
    modified_from: str
    copied_from: str
    modified_from_source: str
    source: str
    noncommercial: str
    anonymous: str


NNBSP = "\u202f"
NBSP = "\u00a0"

_WORDING = {
    # French spacing as in wiki.domain.markup: U+202F inside guillemets, U+00A0 before « : ».
    "fr": _Wording(
        open_quote="«" + NNBSP,
        close_quote=NNBSP + "»",
        by="par",
        and_="et",
        under="sous licence",
        modified_from=f"Modifié à partir de{NBSP}:",
        copied_from=f"Reprise sans modification de{NBSP}:",
        modified_from_source=f"Modifié à partir de la source{NBSP}:",
        source=f"Source{NBSP}:",
        noncommercial="Pas d'utilisation commerciale.",
        anonymous="contributeurs anonymes",
    ),
    "en": _Wording(
        open_quote="“",
        close_quote="”",
        by="by",
        and_="and",
        under="licensed under",
        modified_from="Modified from:",
        copied_from="Unmodified copy of:",
        modified_from_source="Modified from the source:",
        source="Source:",
        noncommercial="NonCommercial: no commercial use.",
        anonymous="anonymous contributors",
    ),
}

# Names and titles are user input. Bidi overrides/isolates could make an attribution read as
# someone else's name, and control characters have no place in a credit line: both are
# dropped; runs of whitespace (newlines included) become one space so the Markdown form stays
# a single paragraph.
_STRIP_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _clean(value: str) -> str:
    return " ".join(_STRIP_RE.sub("", value).split())


def _safe_url(url: str, what: str) -> str:
    """An http(s) or site-relative URL, or ValueError: these end up in href attributes."""
    url = url.strip()
    if re.search(r"[\x00-\x20\x7f]", url):
        raise ValueError(f"{what}: URL contains whitespace or control characters: {url!r}")
    scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    if scheme:
        if scheme.group(1).lower() not in {"http", "https"}:
            raise ValueError(f"{what}: only http(s) or relative URLs are allowed: {url!r}")
    elif not url.startswith("/"):
        raise ValueError(f"{what}: only http(s) or relative URLs are allowed: {url!r}")
    return url


def _join_names(names: Sequence[str], and_: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" {and_} " + names[-1]


# In Python-Markdown (this wiki) and CommonMark alike, these are the characters that can start
# inline formatting or a link within a single-line paragraph; a backslash keeps them literal.
# ``<`` and ``&`` become entities instead: they could open raw HTML or an entity.
_MD_BACKSLASH = re.compile(r"([\\`*_\[\]|])")


def _md_escape(value: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_BACKSLASH.sub(r"\\\1", value)


def _md_url(url: str) -> str:
    # Characters that would end or confuse a Markdown link destination.
    for char, code in (("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E")):
        url = url.replace(char, code)
    return url


def _h(value: str) -> str:
    return html.escape(value, quote=True)


@dataclass(frozen=True)
class _Person:
    name: str
    url: str | None


def _people(contributors: Sequence[Contributor]) -> list[_Person]:
    """Display names in the caller's order, each person once."""
    seen: set[str] = set()
    people = []
    for contributor in contributors:
        name = _clean(contributor.display_name) or _clean(contributor.username or "")
        if not name:
            continue
        key = contributor.username or name
        if key in seen:
            continue
        seen.add(key)
        url = _safe_url(contributor.url, "contributor.url") if contributor.url else None
        people.append(_Person(name, url))
    return people


def build_attribution(
    *,
    title: str,
    revision_url: str,
    contributors: Sequence[Contributor],
    license: License,
    source: str | None = None,
    source_url: str | None = None,
    parent_urls: Sequence[tuple[str, str]] = (),
    modified: bool = True,
    lang: str = "fr",
) -> Attribution:
    """Credit line for one revision: Title, Author, Source, Licence.

    ``parent_urls`` are (label, url) pairs for the revisions this one derives from, e.g.
    ("révision 11", ".../revisions/11"). ``modified`` says whether this revision changed them
    (CC 4.0 §3(a)(1)(B) asks to say so); without parents it applies to the source, and
    without either there is nothing to have been modified. The NonCommercial notice is added
    whenever the licence has NC. Contributor profile URLs appear in the Markdown form only:
    in HTML the names sit inside the single ccREL attribution link (links cannot nest).
    """
    try:
        words = _WORDING[lang]
    except KeyError:
        raise ValueError(f"unsupported language: {lang!r}") from None
    title = _clean(title)
    revision_url = _safe_url(revision_url, "revision_url")
    licence_url = _safe_url(license.url, "license.url")
    people = _people(contributors)
    names = [p.name for p in people] or [words.anonymous]
    parents = [(_clean(label), _safe_url(url, "parent_urls")) for label, url in parent_urls]
    source = _clean(source) if source else None
    source_url = _safe_url(source_url, "source_url") if source_url else None
    oq, cq = words.open_quote, words.close_quote

    text = [
        f"{oq}{title}{cq}, {words.by} {_join_names(names, words.and_)}, {revision_url}, "
        f"{words.under} {license.short_name} ({licence_url})."
    ]
    markup = [
        f'<p class="attribution" xmlns:cc="http://creativecommons.org/ns#" '
        f'xmlns:dct="http://purl.org/dc/terms/" about="{_h(revision_url)}">'
        f'{oq}<span property="dct:title">{_h(title)}</span>{cq}, {words.by} '
        f'<a property="cc:attributionName" rel="cc:attributionURL" href="{_h(revision_url)}">'
        f"{_h(_join_names(names, words.and_))}</a>, {words.under} "
        f'<a rel="license" href="{_h(licence_url)}">{_h(license.short_name)}</a>.'
    ]
    md_names = [
        f"[{_md_escape(p.name)}]({_md_url(p.url)})" if p.url else _md_escape(p.name) for p in people
    ] or [words.anonymous]
    md = [
        f"{oq}[{_md_escape(title)}]({_md_url(revision_url)}){cq}, {words.by} "
        f"{_join_names(md_names, words.and_)}, {words.under} "
        f"[{license.short_name}]({_md_url(licence_url)})."
    ]

    if parents:
        lead = words.modified_from if modified else words.copied_from
        text.append(f"{lead} " + ", ".join(f"{label} ({url})" for label, url in parents) + ".")
        markup.append(
            f"{lead} "
            + ", ".join(
                f'<a rel="dct:source" href="{_h(url)}">{_h(label)}</a>' for label, url in parents
            )
            + "."
        )
        md.append(
            f"{lead} "
            + ", ".join(f"[{_md_escape(label)}]({_md_url(url)})" for label, url in parents)
            + "."
        )

    if source or source_url:
        lead = words.modified_from_source if modified and not parents else words.source
        shown = source or source_url or ""
        if source and source_url:
            text.append(f"{lead} {source} ({source_url}).")
        else:
            text.append(f"{lead} {shown}.")
        if source_url:
            markup.append(f'{lead} <a rel="dct:source" href="{_h(source_url)}">{_h(shown)}</a>.')
            md.append(f"{lead} [{_md_escape(shown)}]({_md_url(source_url)}).")
        else:
            markup.append(f'{lead} <span property="dct:source">{_h(shown)}</span>.')
            md.append(f"{lead} {_md_escape(shown)}.")

    if is_noncommercial(license):
        text.append(words.noncommercial)
        markup.append(f'<span class="attribution-nc">{words.noncommercial}</span>')
        md.append(words.noncommercial)

    return Attribution(
        text=" ".join(text),
        html=" ".join(markup) + "</p>",
        markdown=" ".join(md),
    )
