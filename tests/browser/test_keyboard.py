"""Keyboard only: Tab (and Shift+Tab) to move, Space and Enter to act — no mouse, no arrows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SLUG, login

pytestmark = pytest.mark.browser


def tab_to(page, target, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab until ``target`` (a locator) has the focus; fail if it never comes."""
    element = target.element_handle()
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("(el) => el === document.activeElement", element):
            assert_focus_is_visible(page)
            return
    raise AssertionError(f"{target} never got the focus with {key}")


def assert_focus_is_visible(page) -> None:
    """The focused element shows it (WCAG 2.4.7): an outline drawn around it."""
    outline = page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        return [style.outlineStyle, parseFloat(style.outlineWidth)];
    }""")
    assert outline[0] != "none" and outline[1] >= 2, outline


def test_the_first_tab_offers_to_skip_to_the_content(page, live_server):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('contenu').contains(document.activeElement)")


def test_voting_with_the_keyboard(page, live_server):
    login(page, "participante", next_path="/revisions/1")
    plus = page.locator(".vote-form button[value=plebisciter]")
    minus = page.locator(".vote-form button[value=rejeter]")
    tab_to(page, plus)
    page.keyboard.press("Space")
    expect(plus).to_have_attribute("aria-pressed", "true")
    expect(plus.locator("[data-count]")).to_have_text("1")
    expect(plus).to_be_focused()  # no reload: the focus stays where it was
    page.keyboard.press("Enter")  # the current choice again withdraws it
    expect(plus).to_have_attribute("aria-pressed", "false")
    expect(plus.locator("[data-count]")).to_have_text("0")
    tab_to(page, minus)
    page.keyboard.press("Enter")
    expect(minus).to_have_attribute("aria-pressed", "true")
    expect(minus.locator("[data-count]")).to_have_text("1")
    page.reload()
    expect(page.locator(".vote-form button[value=rejeter]")).to_have_attribute(
        "aria-pressed", "true")


def test_comparing_with_the_keyboard(page, story):
    first, second, third = story.official_ids
    page.goto(f"/definitions/{SLUG}/history")
    tab_to(page, page.get_by_role("button", name="Comparer les révisions choisies"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/compare\?"))
    assert f"from={second}" in page.url and f"to={third}" in page.url
    expect(page.locator(".diff-inline ins").first).to_be_visible()

    tab_to(page, page.get_by_role("link", name="Côte à côte"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"vue=cote-a-cote"))
    expect(page.locator(".diff-side > section")).to_have_count(2)

    tab_to(page, page.get_by_role("link", name="Modification précédente"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"from={first}&to={second}"))


def test_merging_with_the_keyboard(page, story):
    login(page, "moderatrice", next_path=f"/remixes/{story.proposal_id}/merge")
    conflict = page.locator(".region-conflict")
    take = conflict.get_by_label("Prendre le texte du remix")
    # No choice is made for a conflict: Tab enters the group on its first option.
    tab_to(page, take)
    page.keyboard.press("Space")
    expect(take).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Enregistrer la fusion"))
    page.keyboard.press("Enter")

    expect(page.locator(".flashes")).to_contain_text("Remix fusionné")
    expect(page.locator("#texte-revision")).to_contain_text(
        "souligne qu’il faut planifier puis réaliser des transformations, sans fin")


def test_writing_ones_own_text_on_the_merge_screen_with_the_keyboard(page, story):
    login(page, "moderatrice", next_path=f"/remixes/{story.proposal_id}/merge")
    conflict = page.locator(".region-conflict")
    text = conflict.get_by_label("Texte du passage 1")
    tab_to(page, text)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(" met en évidence la planification")
    # Writing in the passage's text chose « Écrire un autre texte » for it.
    expect(conflict.get_by_label("Écrire un autre texte :")).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Enregistrer la fusion"))
    page.keyboard.press("Enter")
    expect(page.locator("#texte-revision")).to_contain_text(
        "Parler de processus met en évidence la planification le fait de planifier")
