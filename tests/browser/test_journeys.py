"""One test per journey, in Chromium, against the app served on 127.0.0.1."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import scenes
from tests.browser.conftest import SLUG, login, screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def mark_page(page) -> None:
    """Leave a mark on the window: it survives script updates, not a reload."""
    page.evaluate("window.__notReloaded = true")


def not_reloaded(page) -> bool:
    return page.evaluate("window.__notReloaded === true")


def test_a_reader_compares_two_revisions_inline_then_side_by_side(page, story):
    first, _, last = story.official_ids
    page.goto(f"/definitions/{SLUG}/history")
    rows = page.locator("table.history tbody tr")
    expect(rows).to_have_count(3)
    # Every row carries its vote bar, next to its numbers.
    expect(page.locator(f"tr:has(a[href='/revisions/{last}']) meter")).to_have_attribute(
        "value", "2")
    page.get_by_label(f"Comparer depuis la révision {first}").check()
    page.get_by_label(f"Comparer jusqu’à la révision {last}").check()
    page.get_by_role("button", name="Comparer les révisions choisies").click()

    expect(page).to_have_url(re.compile(r"/compare\?"))
    assert f"from={first}" in page.url and f"to={last}" in page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Comparer les révisions")
    inline = page.locator(".diff-inline")
    expect(inline.locator("ins").filter(has_text="au service des personnes")).to_have_count(1)
    expect(inline.locator("del").filter(has_text="permet de mettre en évidence")).to_have_count(1)
    # Understandable without colour: screen readers hear where a change starts and ends.
    expect(inline.locator("ins .visually-hidden").first).to_have_text("[+")
    expect(page.get_by_role("link", name="En ligne")).to_have_attribute("aria-current", "page")

    page.get_by_role("link", name="Côte à côte").click()
    expect(page).to_have_url(re.compile(r"vue=cote-a-cote"))
    before, after = page.locator(".diff-side > section").all()
    expect(before.get_by_role("heading")).to_have_text(f"Avant (révision {first})")
    expect(after.get_by_role("heading")).to_have_text(f"Après (révision {last})")
    expect(before.locator("del")).not_to_have_count(0)
    expect(before.locator("ins")).to_have_count(0)
    expect(after.locator("ins")).not_to_have_count(0)
    expect(after.locator("del")).to_have_count(0)
    # The two columns stand side by side on a wide screen.
    left, right = before.bounding_box(), after.bounding_box()
    assert right["x"] > left["x"] + left["width"] - 1
    assert abs(right["y"] - left["y"]) < 2
    screenshot(page, "comparaison")

    page.get_by_role("link", name="En ligne").click()
    expect(page.locator(".diff-inline")).to_be_visible()


def test_a_participant_registers_proposes_an_edit_votes_and_comments_a_passage(page,
                                                                             live_server):
    page.goto("/")
    page.get_by_role("link", name="Créer un compte").click()
    page.get_by_label("Nom d’utilisateur").fill("camille")
    page.get_by_label("Nom affiché (facultatif)").fill("Camille Cormier")
    page.get_by_label("Mot de passe (10 caractères au moins)").fill(PASSWORD)
    page.get_by_label("Confirmer le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator(".flashes")).to_contain_text("Compte créé")
    expect(page.locator(".account-nav")).to_contain_text("Camille Cormier")

    # « Proposer une modification », with the live preview of the Markdown.
    page.get_by_role("link", name="Proposer une modification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Proposer une modification")
    preview = page.locator("#live-preview")
    expect(preview.locator("h2", has_text="Pour qui")).to_be_visible()
    text = page.get_by_label("Texte (Markdown)")
    body = text.input_value().replace("par la nouvelle économie.",
                                      "par la nouvelle économie, pour le **bien commun**.")
    text.fill(body)
    expect(preview.locator("strong", has_text="bien commun")).to_be_visible()
    page.get_by_label("Résumé de la modification (obligatoire)").fill("Le bien commun")
    page.get_by_role("button", name="Proposer", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Le bien commun")
    expect(page.locator(".kicker .status")).to_have_text("proposé")

    # A vote without a reload: the count and the pressed state change in place.
    mark_page(page)
    votes = page.locator(".vote-form")
    plus = votes.get_by_role("button", name=re.compile("Plébisciter"))
    expect(plus).to_have_attribute("aria-pressed", "false")
    plus.click()
    expect(plus).to_have_attribute("aria-pressed", "true")
    expect(plus.locator("[data-count]")).to_have_text("1")
    expect(votes.get_by_role("status")).to_have_text("Vote enregistré.")
    minus = votes.get_by_role("button", name=re.compile("Rejeter"))
    minus.click()
    expect(minus).to_have_attribute("aria-pressed", "true")
    expect(plus).to_have_attribute("aria-pressed", "false")
    expect(plus.locator("[data-count]")).to_have_text("0")
    expect(minus.locator("[data-count]")).to_have_text("1")
    assert not_reloaded(page)
    page.reload()
    expect(page.locator(".vote-form button[value=rejeter]")).to_have_attribute(
        "aria-pressed", "true")

    # Comment a passage: select words across a heading and its paragraph in the rendered
    # text (no « ## » on the page, a narrow no-break space before « ? »).
    page.get_by_role("link", name=re.compile(r"^Révision \d+$")).first.click()
    expect(page.locator("#texte-revision")).to_be_visible()
    button = page.get_by_role("button", name="Commenter ce passage")
    expect(button).to_be_hidden()
    select_words(page, "#texte-revision h2", "Pour", "#texte-revision h2 + p", "processus")
    expect(button).to_be_visible()
    button.click()
    quote = page.get_by_label(re.compile("Passage commenté"))
    expect(quote).to_have_value("Pour qui ? Ce processus")
    comment = page.get_by_label("Votre commentaire (Markdown)")
    expect(comment).to_be_focused()
    page.keyboard.type("Qui d’autre ? Les **citoyens**.")
    page.get_by_role("button", name="Commenter", exact=True).click()

    expect(page.locator(".flashes")).to_contain_text("Commentaire publié")
    posted = page.locator(".comment").last
    expect(posted.locator("blockquote.anchor")).to_have_text("Pour qui ?\n\nCe processus")
    expect(posted.locator(".comment-body strong")).to_have_text("citoyens")


def select_words(page, start_selector: str, start_word: str, end_selector: str,
                 end_word: str) -> None:
    """Select from the beginning of one word to the end of another, as a mouse would."""
    page.evaluate(
        """([a, wa, b, wb]) => {
            const textOf = (selector) => {
                const walker = document.createTreeWalker(document.querySelector(selector),
                                                         NodeFilter.SHOW_TEXT);
                return walker.nextNode();
            };
            const start = textOf(a), end = textOf(b);
            const range = document.createRange();
            range.setStart(start, start.data.indexOf(wa));
            range.setEnd(end, end.data.indexOf(wb) + wb.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        [start_selector, start_word, end_selector, end_word])


def test_a_passage_that_is_not_in_the_revision_keeps_the_comment(page, live_server):
    login(page, "participante", next_path="/revisions/1")
    page.get_by_label(re.compile("Passage commenté")).fill("une stratégie marketing")
    page.get_by_label("Votre commentaire (Markdown)").fill("Mon commentaire, gardé.")
    page.get_by_role("button", name="Commenter", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(
        "Ce passage ne se trouve pas dans la révision.")
    expect(page.get_by_label("Votre commentaire (Markdown)")).to_have_value(
        "Mon commentaire, gardé.")


def test_a_moderator_merges_a_proposal_with_a_conflict_and_resolves_it(page, story):
    login(page, "moderatrice", next_path=f"/remixes/{story.proposal_id}")
    page.get_by_role("link", name="Examiner et fusionner").click()
    expect(page).to_have_url(re.compile(rf"/remixes/{story.proposal_id}/merge$"))
    conflict = page.locator(".region-conflict")
    expect(conflict).to_have_count(1)
    expect(conflict.locator("legend")).to_contain_text("conflit")
    expect(conflict.locator("dd pre").nth(1)).to_contain_text("c’est insister")
    expect(conflict.locator("dd pre").nth(2)).to_contain_text("souligne qu’il faut")
    screenshot(page, "fusion-conflit")

    conflict.get_by_label("Écrire un autre texte :").check()
    resolution = " souligne qu’il faut planifier et réaliser des transformations"
    conflict.get_by_label("Texte du passage 1").fill(resolution)
    page.get_by_role("button", name="Enregistrer la fusion").click()

    expect(page.locator(".flashes")).to_contain_text("Remix fusionné")
    # « La notion » → « Parler » was the official side's, clean; the rest is the resolution.
    expect(page.locator("#texte-revision")).to_contain_text(
        "Parler de processus souligne qu’il faut planifier et réaliser des transformations le")
    page.goto(f"/definitions/{SLUG}/history")
    expect(page.locator("table.history tbody tr").first.locator(".tag")).to_have_text("fusion")
    page.goto(f"/remixes/{story.proposal_id}")
    expect(page.locator(".kicker .status")).to_have_text("fusionné")


def test_two_moderators_edit_the_same_place_and_the_second_keeps_their_text(new_context,
                                                                          live_server):
    marie = new_context().new_page()
    martin = new_context().new_page()
    login(marie, "moderatrice", next_path=f"/definitions/{SLUG}/edit")
    login(martin, "moderateur", next_path=f"/definitions/{SLUG}/edit")

    def rewrite(page, new: str, summary: str) -> str:
        text = page.get_by_label("Texte (Markdown)")
        body = text.input_value().replace(scenes.ADAPT, new)
        text.fill(body)
        page.get_by_label("Résumé de la modification (obligatoire)").fill(summary)
        page.get_by_role("button", name="Enregistrer").click()
        return body

    rewrite(marie, "Cette facette parle de survie", "Survie")
    expect(marie.locator(".flashes")).to_have_text("Modification enregistrée.")

    mine = rewrite(martin, "Cette facette inclut l’idée de durer", "Durer")
    conflict = martin.get_by_role("alert")
    expect(conflict.get_by_role("heading")).to_have_text("Conflit de modification")
    passage = conflict.locator(".conflict-list dd")
    expect(passage).to_have_text(["inclut la notion", "parle", "inclut l’idée"])
    # Nothing typed is lost: the editor holds Martin's text, byte for byte, and his summary.
    expect(martin.get_by_label("Texte (Markdown)")).to_have_value(mine)
    expect(martin.get_by_label("Résumé de la modification (obligatoire)")).to_have_value("Durer")

    # He keeps his version, now based on Marie's revision: the save goes through.
    martin.get_by_role("button", name="Enregistrer").click()
    expect(martin.locator(".flashes")).to_have_text("Modification enregistrée.")
    expect(martin.locator("#texte-revision")).to_contain_text("l’idée de durer")


def test_the_language_switch_changes_the_interface_and_the_lang_attribute(page, live_server):
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "fr")
    english = page.locator(".lang-switch").get_by_role("link", name="English")
    expect(english).to_have_attribute("lang", "en")
    english.click()

    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation").first.get_by_role("link", name="History")
           ).to_be_visible()
    # The definition stays French, and says so.
    expect(page.locator("article.definition")).to_have_attribute("lang", "fr")
    french = page.locator(".lang-switch").get_by_role("link", name="Français")
    expect(french).to_have_attribute("lang", "fr")
    page.goto(f"/definitions/{SLUG}/history")
    expect(html).to_have_attribute("lang", "en")  # the choice is kept from page to page

    page.locator(".lang-switch").get_by_role("link", name="Français").click()
    expect(html).to_have_attribute("lang", "fr")
    expect(page).to_have_url(re.compile(rf"/definitions/{SLUG}/history$"))
    sections = page.get_by_role("navigation").first
    expect(sections.get_by_role("link", name="Historique")).to_be_visible()


def test_clicking_a_comment_on_a_passage_marks_that_passage_in_the_text(page, story):
    third = story.official_ids[-1]
    page.goto(f"/revisions/{third}")
    marked = page.locator("#texte-revision mark.passage")
    expect(marked).to_have_count(0)
    comment = page.locator(f"#commentaire-{story.comment_id}")
    reply = comment.locator(".comment .comment-body")
    reply.click()  # a reply has no passage of its own
    expect(marked).to_have_count(0)
    comment.locator(".comment-body").first.click()
    expect(marked).to_have_count(1)
    expect(marked).to_have_text("au service des personnes")
    expect(comment).to_have_class(re.compile(r"\bis-shown\b"))
    # From the keyboard too, through its link; the earlier mark is taken away first.
    comment.get_by_role("link", name="Voir ce passage dans le texte").focus()
    page.keyboard.press("Enter")
    expect(marked).to_have_count(1)
    assert page.locator("#texte-revision").inner_text().count("au service des personnes") == 1


def test_a_new_api_token_is_shown_once_and_copied_with_its_button(new_context, live_server):
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    login(page, "participante", next_path="/account")
    page.get_by_label("Nom du jeton").fill("mon script")
    page.get_by_role("button", name="Créer un jeton").click()
    token = page.locator("#new-token").input_value()
    assert len(token) >= 40
    page.get_by_role("button", name="Copier").click()
    expect(page.get_by_role("button", name="✓")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == token
    # Shown once: the account page does not show it again.
    page.goto("/account")
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.get_by_text("mon script")).to_be_visible()
