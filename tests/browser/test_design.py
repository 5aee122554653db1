"""How the pages look and behave in a real browser: small screens, measure, typography, themes,
print, pictures, no CDN, and every action without JavaScript. Takes the README's screenshots."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SLUG, login, screenshot

pytestmark = pytest.mark.browser

CHARS_PER_LINE = """(element) => {
    // Characters on each rendered line of the element's text, by the top of their boxes.
    const lines = new Map();
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.data.length; i++) {
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const box = range.getClientRects()[0];
            if (box) lines.set(Math.round(box.top), (lines.get(Math.round(box.top)) || 0) + 1);
        }
    }
    return [...lines.values()];
}"""


def test_no_page_scrolls_sideways_on_a_360_pixel_screen(new_context, story):
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    login(page, "moderatrice")
    first, _, last = story.official_ids
    for path in ("/", f"/definitions/{SLUG}/history", f"/compare?from={first}&to={last}",
                 f"/compare?from={first}&to={last}&vue=cote-a-cote", f"/revisions/{last}",
                 f"/remixes/{story.proposal_id}", f"/remixes/{story.proposal_id}/merge",
                 f"/definitions/{SLUG}/proposals", f"/definitions/{SLUG}/graph"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width} px wide"
    page.goto(f"/compare?from={first}&to={last}&vue=cote-a-cote")
    before, after = page.locator(".diff-side > section").all()
    assert after.bounding_box()["y"] > before.bounding_box()["y"]  # one above the other


def test_the_definition_reads_at_about_seventy_characters_a_line(page, live_server):
    page.goto("/")
    paragraph = page.locator("#texte-revision p").filter(has_text="La notion de processus")
    lines = paragraph.evaluate(CHARS_PER_LINE)
    assert len(lines) >= 4
    full = lines[:-1]  # the last line of a paragraph is as short as it likes
    assert 60 <= sum(full) / len(full) <= 78, lines


def test_french_typography_in_the_rendered_text(page, live_server):
    page.goto("/")
    text = page.locator("#texte-revision")
    expect(text.get_by_role("heading", name=re.compile("Pour qui"))).to_have_text(
        "Pour qui\u202f?")
    assert "«\u202fUne stratégie" in text.inner_text()
    assert "définition\u00a0:" in text.inner_text()
    # Hyphenation and screen reader voices follow the language of the text.
    assert text.evaluate("(t) => t.closest('[lang]').lang") == "fr"


@pytest.mark.parametrize("scheme, dark", [("light", False), ("dark", True)])
def test_the_theme_follows_the_systems_colour_scheme(new_context, live_server, scheme, dark):
    page = new_context(color_scheme=scheme).new_page()
    page.goto("/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(c) for c in re.findall(r"\d+", background)[:3])
    assert (red + green + blue < 3 * 64) is dark, background


def test_printing_a_revision_keeps_its_text_and_its_attribution(page, story):
    page.goto(f"/revisions/{story.official_ids[-1]}")
    page.emulate_media(media="print")
    for hidden in (".site-header", ".site-footer", ".votes", ".discussion", ".revision-nav",
                   ".copy-attribution"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("#texte-revision")).to_be_visible()
    licence = page.locator(".licence-block")
    expect(licence).to_be_visible()
    expect(licence).to_contain_text("Annie Chénier")
    expect(licence.locator("a[rel=license]").first).to_be_visible()
    # On paper, where a link goes is written out.
    after = licence.locator("a[rel=license]").first.evaluate(
        "(a) => getComputedStyle(a, '::after').content")
    assert after == '" (https://creativecommons.org/licenses/by-nc-sa/4.0/)"', after
    assert page.pdf(format="A4")[:4] == b"%PDF"


def test_every_asset_comes_from_the_app_itself(page, story):
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    for path in ("/", f"/revisions/{story.official_ids[-1]}", f"/definitions/{SLUG}/graph"):
        page.goto(path)
    assert hosts == {urlsplit(page.url).netloc}


def test_the_definition_page_pictures_the_size_of_its_text_over_time(page, story):
    page.goto("/")
    spark = page.locator(".size-trend svg.sparkline")
    expect(spark).to_be_visible()
    expect(spark).to_have_attribute("role", "img")
    label = spark.get_attribute("aria-label")
    assert re.search(r"3 dernières révisions : 333 mots au début, 341 maintenant", label), label
    assert spark.locator("path.sparkline-line").get_attribute("d").count("L") == 2
    expect(page.locator(".size-trend")).to_have_attribute("href", f"/definitions/{SLUG}/history")
    screenshot(page, "definition")


def test_the_definition_page_on_a_phone(new_context, story):
    page = new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                       is_mobile=True, has_touch=True).new_page()
    page.goto("/")
    expect(page.locator("#texte-revision")).to_be_visible()
    screenshot(page, "definition-mobile")


def test_the_revision_graph_is_a_picture_and_a_list(page, story):
    page.goto(f"/definitions/{SLUG}/graph")
    picture = page.locator(".graph-figure img")
    expect(picture).to_be_visible()
    assert picture.evaluate("(img) => img.complete && img.naturalWidth > 0")
    assert picture.get_attribute("alt")
    listed = page.locator(".graph-list li")
    expect(listed).to_have_count(5)  # the seed, two remix revisions, an edit, a merge
    expect(listed.first).to_contain_text("fusion")
    screenshot(page, "graphe", full_page=True)
    # Opened on its own, the drawing keeps its colours (its own styles are allowed there).
    page.goto(f"/definitions/{SLUG}/graph.svg")
    fill = page.locator("circle").first.evaluate("(c) => getComputedStyle(c).fill")
    assert fill in ("rgb(255, 255, 255)", "#ffffff"), fill


def test_votes_and_comments_work_without_javascript(new_context, live_server):
    page = new_context(java_script_enabled=False).new_page()
    login(page, "participante", next_path="/revisions/1")
    expect(page.get_by_role("button", name="Commenter ce passage")).to_be_hidden()
    page.locator(".vote-form button[value=plebisciter]").click()
    expect(page.locator(".flashes")).to_have_text("Vote enregistré.")
    expect(page).to_have_url(re.compile(r"/revisions/1$"))
    expect(page.locator(".vote-form button[value=plebisciter]")).to_have_attribute(
        "aria-pressed", "true")
    page.get_by_label(re.compile("Passage commenté")).fill("Pour qui ?")
    page.get_by_label("Votre commentaire (Markdown)").fill("Une question.")
    page.get_by_role("button", name="Commenter", exact=True).click()
    expect(page.locator(".comment blockquote.anchor")).to_have_text("Pour qui ?")
