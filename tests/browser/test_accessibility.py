"""axe-core (bundled by axe-playwright-python, injected into the page) on every page type, in
the light and the dark theme: no serious or critical violation of WCAG 2.0, 2.1 and 2.2 A/AA."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import SLUG, Console, login, start_server, tell_story

pytestmark = pytest.mark.browser

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING = {"serious", "critical"}

#: page type → (who looks: None for an anonymous reader, path built from the story)
PAGES: dict[str, tuple[str | None, Callable]] = {
    "definition": (None, lambda s: f"/definitions/{SLUG}"),
    "definition-logged-in": ("moderatrice", lambda s: f"/definitions/{SLUG}"),
    "revision": ("moderatrice", lambda s: f"/revisions/{s.official_ids[-1]}"),
    "old-revision": (None, lambda s: f"/revisions/{s.official_ids[0]}"),
    "history": (None, lambda s: f"/definitions/{SLUG}/history"),
    "compare-inline": (None, lambda s: f"/compare?from={s.official_ids[0]}"
                                       f"&to={s.official_ids[-1]}"),
    "compare-side-by-side": (None, lambda s: f"/compare?from={s.official_ids[0]}"
                                             f"&to={s.official_ids[-1]}&vue=cote-a-cote"),
    "edit": ("moderatrice", lambda s: f"/definitions/{SLUG}/edit"),
    "propose": ("moderatrice", lambda s: f"/definitions/{SLUG}/propose"),
    "remix": ("moderatrice", lambda s: f"/remixes/{s.proposal_id}"),
    "merge": ("moderatrice", lambda s: f"/remixes/{s.proposal_id}/merge"),
    "queue": ("moderatrice", lambda s: f"/definitions/{SLUG}/proposals"),
    "remixes": (None, lambda s: f"/definitions/{SLUG}/remixes"),
    "graph": (None, lambda s: f"/definitions/{SLUG}/graph"),
    "authorship": (None, lambda s: f"/revisions/{s.official_ids[-1]}/auteurs"),
    "discussion": (None, lambda s: f"/definitions/{SLUG}/discussion"),
    "login": (None, lambda s: "/login"),
    "register": (None, lambda s: "/register"),
    "account": ("moderatrice", lambda s: "/account"),
    "moderation": ("moderatrice", lambda s: "/moderation"),
    "not-found": (None, lambda s: "/definitions/introuvable"),
}


@pytest.fixture(scope="module")
def scene(_template_database, tmp_path_factory):
    server = start_server(_template_database, tmp_path_factory.mktemp("a11y"))
    yield server, tell_story(server)
    server.stop()
    assert not server.errors, server.errors


@pytest.fixture(scope="module", params=["light", "dark"])
def pages(request, browser, scene):
    """A reader's page and a moderator's page, in one colour scheme, for the whole module."""
    server, _ = scene
    console = Console()
    contexts, opened = [], {}
    for who in (None, "moderatrice"):
        context = browser.new_context(base_url=server.url, locale="fr-FR",
                                      color_scheme=request.param,
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        console.watch(page)
        if who:
            login(page, who)
        contexts.append(context)
        opened[who] = page
    yield opened, console
    for context in contexts:
        context.close()


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [node["target"] for node in violation["nodes"][:5]]
        lines.append(f"{violation['impact']}: {violation['id']} — {violation['help']} {targets}")
    return "\n".join(lines)


@pytest.mark.parametrize("kind", list(PAGES))
def test_no_serious_accessibility_violation(kind, pages, scene):
    opened, console = pages
    who, path = PAGES[kind]
    page = opened[who]
    response = page.goto(path(scene[1]))
    assert response.status == (404 if kind == "not-found" else 200)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": TAGS},
                                       "resultTypes": ["violations"]})
    violations = [v for v in results.response["violations"] if v["impact"] in FAILING]
    assert not violations, f"{kind} ({path(scene[1])}):\n{describe(violations)}"
    assert not console.errors, console.errors
    console.errors.clear()
