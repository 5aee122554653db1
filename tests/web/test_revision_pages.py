"""Revision pages (issue 3): the editor's « voir les modifications » step, automatic merges and
edit conflicts on the page, history pagination, old revisions and revert, compare, and the
API's refusals of text too complex to render and of a bad summary."""

import html
import re

import pytest
from sqlalchemy import func, select

from wiki.extensions import db
from wiki.models import Revision
from wiki.services import editing
from wiki.views import pages

SLUG = "strategie-numerique"
BASE = "Alpha bravo charlie.\n\nDelta echo foxtrot.\n\nGolf hotel india.\n"


def revision_count() -> int:
    return db.session.scalar(select(func.count(Revision.id)))


def head() -> Revision:
    db.session.expire_all()
    return editing.get_definition(SLUG).head


def textarea(page: str, name: str = "body") -> str:
    """The text a browser puts in the editor: the element's content unescaped, line endings
    normalised (the HTML input stream turns CRLF and CR into LF) and, as the HTML spec says,
    one newline right after the start tag dropped."""
    match = re.search(rf'<textarea[^>]*\bname="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name!r} in the page"
    text = match.group(1).replace("\r\n", "\n").replace("\r", "\n")
    return html.unescape(text.removeprefix("\n"))


def input_value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', page)
    assert match, f"no input {name!r} in the page"
    return html.unescape(match.group(1))


def inserted(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(
        r'<ins class="diff-ins"><span class="visually-hidden">\[\+</span>(.*?)'
        r'<span class="visually-hidden">\+\]</span></ins>', page, re.S)]


def deleted(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(
        r'<del class="diff-del"><span class="visually-hidden">\[\u2212</span>(.*?)'
        r'<span class="visually-hidden">\u2212\]</span></del>', page, re.S)]


@pytest.fixture
def start(app, moderator, save):
    """The official line at a known text, saved by the moderator."""
    return save(moderator, BASE).revision


def edit_form(body: str, base_revision_id: int, summary: str = "Relecture", **extra) -> dict:
    return {"body": body, "summary": summary, "base_revision_id": str(base_revision_id),
            **extra}


# --- the editor ----------------------------------------------------------------------------

def test_the_edit_form_starts_from_the_current_text_and_head(client, auth, start):
    auth.login("moderatrice")
    page = client.get(f"/definitions/{SLUG}/edit").get_data(as_text=True)
    assert textarea(page) == BASE
    assert input_value(page, "base_revision_id") == str(start.id)
    assert 'value="preview"' in page and "Voir les modifications" in page


def test_preview_step_shows_the_diff_against_the_current_text_and_saves_nothing(
        client, auth, start):
    auth.login("moderatrice")
    typed = BASE.replace("bravo", "BRAVISSIMO") + "\nKilo lima.\n"
    before = revision_count()
    response = client.post(f"/definitions/{SLUG}/edit", data=edit_form(
        typed, start.id, summary="Une relecture attentive", action="preview"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Vos modifications" in page
    assert "BRAVISSIMO" in "".join(inserted(page)) and "Kilo lima." in "".join(inserted(page))
    assert deleted(page) == ["bravo"]
    assert '<span class="stat-ins">+3</span> <span class="stat-del">−1</span>' in page
    # The rendered preview of the typed text, and the text itself still in the editor.
    assert "<p>Alpha BRAVISSIMO charlie.</p>" in page
    assert textarea(page) == typed
    assert input_value(page, "summary") == "Une relecture attentive"
    assert input_value(page, "base_revision_id") == str(start.id)
    assert revision_count() == before
    assert head().id == start.id


def test_preview_of_an_empty_text_keeps_the_form_with_a_message(client, auth, start):
    auth.login("moderatrice")
    response = client.post(f"/definitions/{SLUG}/edit", data=edit_form(
        "   \n", start.id, action="preview"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Le texte ne peut pas être vide." in page
    assert input_value(page, "summary") == "Relecture"
    assert head().id == start.id


def test_saving_from_the_page_makes_a_revision_whose_parent_is_the_base(client, auth, start):
    auth.login("moderatrice")
    response = client.post(f"/definitions/{SLUG}/edit", data=edit_form(
        BASE.replace("hotel", "HOTEL"), start.id, action="save"), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Modification enregistrée." in page
    new = head()
    assert new.parent_ids == [start.id] and "HOTEL" in new.body
    assert new.summary == "Relecture"


def test_an_edit_from_a_stale_base_on_another_paragraph_is_merged_and_the_user_told(
        client, auth, moderator, start, save):
    auth.login("moderatrice")
    meanwhile = save(moderator, BASE.replace("india", "INDIA"), summary="Ailleurs").revision
    response = client.post(f"/definitions/{SLUG}/edit", data=edit_form(
        BASE.replace("bravo", "BRAVO"), start.id, summary="Mon paragraphe"))
    assert response.status_code == 302
    merged = head()
    assert response.headers["Location"].endswith(f"/revisions/{merged.id}")
    assert merged.body == BASE.replace("bravo", "BRAVO").replace("india", "INDIA")
    assert merged.parent_ids == [meanwhile.id]
    assert merged.summary == "Mon paragraphe"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "les deux modifications ont été fusionnées et enregistrées" in page


def test_an_overlapping_edit_shows_the_conflict_page_with_the_text_intact_and_saves_nothing(
        client, auth, moderator, start, save):
    auth.login("moderatrice")
    theirs = save(moderator, BASE.replace("echo", "ECHO-OFFICIEL")).revision
    before = revision_count()
    # CRLF line endings, trailing spaces, characters HTML must escape, a non-ASCII word.
    typed = BASE.replace("echo", "écho <b>&amp; moi</b>").replace(".\n", ".  \n") \
        .replace("\n", "\r\n")
    response = client.post(f"/definitions/{SLUG}/edit", data=edit_form(typed, start.id))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Conflit de modification" in page
    conflict = page.split('class="conflict-list"', 1)[1].split("</ol>", 1)[0]
    assert "ECHO-OFFICIEL" in conflict
    assert "écho &lt;b&gt;&amp;amp; moi&lt;/b&gt;" in conflict
    # The editor holds the text as typed (a browser reads CRLF as LF): not one space lost.
    assert textarea(page) == typed.replace("\r\n", "\n")
    assert textarea(page).endswith("india.  \n")
    assert input_value(page, "summary") == "Relecture"
    # Resolving means saving again from the head saved meanwhile.
    assert input_value(page, "base_revision_id") == str(theirs.id)
    assert revision_count() == before
    assert head().id == theirs.id


def test_the_conflict_page_text_saves_cleanly_once_resolved(client, auth, moderator, start,
                                                            save):
    auth.login("moderatrice")
    save(moderator, BASE.replace("echo", "ECHO-OFFICIEL"))
    page = client.post(f"/definitions/{SLUG}/edit", data=edit_form(
        BASE.replace("echo", "ECHO-MOI"), start.id)).get_data(as_text=True)
    resolved = textarea(page).replace("ECHO-MOI", "ECHO-ENSEMBLE")
    response = client.post(f"/definitions/{SLUG}/edit", data=edit_form(
        resolved, input_value(page, "base_revision_id"), summary="Résolu"))
    assert response.status_code == 302
    assert head().body == BASE.replace("echo", "ECHO-ENSEMBLE")


def test_a_text_starting_with_a_blank_line_keeps_it_in_the_editor(client, auth, moderator,
                                                                  start, save):
    auth.login("moderatrice")
    save(moderator, BASE.replace("echo", "ECHO-OFFICIEL"))
    typed = "\n" + BASE.replace("echo", "ECHO-MOI")
    page = client.post(f"/definitions/{SLUG}/edit", data=edit_form(typed, start.id))
    assert page.status_code == 409
    assert textarea(page.get_data(as_text=True)) == typed


def test_a_missing_summary_keeps_the_form_with_a_message(client, auth, start):
    auth.login("moderatrice")
    typed = BASE.replace("bravo", "BRAVO ") + "Un ajout précieux.\n"
    response = client.post(f"/definitions/{SLUG}/edit", data=edit_form(
        typed, start.id, summary="  "))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Le résumé de la modification est obligatoire." in page
    assert re.search(r'<input[^>]*id="summary"[^>]*aria-invalid="true"', page)
    assert textarea(page) == typed
    assert head().id == start.id


def test_a_summary_over_300_characters_keeps_the_form_with_a_message(client, auth, start):
    auth.login("moderatrice")
    long_summary = "é" * 301
    typed = BASE + "Un ajout.\n"
    response = client.post(f"/definitions/{SLUG}/edit", data=edit_form(
        typed, start.id, summary=long_summary))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ce champ dépasse 300 caractères." in page
    assert input_value(page, "summary") == long_summary
    assert textarea(page) == typed
    assert head().id == start.id


# --- history -------------------------------------------------------------------------------

def history_rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("<tr>")[1:]


def row_id(row: str) -> int:
    return int(re.search(r'<td class="rev"><a href="/revisions/(\d+)">', row).group(1))


def test_history_pages_by_keyset_with_no_overlap_and_links_both_ways(client, moderator, start,
                                                                     save):
    # More official revisions than one page holds: the seed, ``start`` and these.
    for n in range(pages.HISTORY_PAGE):
        save(moderator, BASE + f"Ajout numéro {n}.\n", summary=f"Ajout {n}")
    official = list(db.session.scalars(select(Revision.id).where(
        Revision.remix_id.is_(None)).order_by(Revision.id.desc())))
    assert len(official) == pages.HISTORY_PAGE + 2

    first = client.get(f"/definitions/{SLUG}/history").get_data(as_text=True)
    first_ids = [row_id(r) for r in history_rows(first)]
    assert first_ids == official[:pages.HISTORY_PAGE]
    older = re.search(rf'href="/definitions/{SLUG}/history\?avant=(\d+)"', first)
    assert older and int(older.group(1)) == first_ids[-1]
    assert "« Plus récentes" not in first

    second = client.get(f"/definitions/{SLUG}/history?avant={older.group(1)}")
    assert second.status_code == 200
    second = second.get_data(as_text=True)
    second_ids = [row_id(r) for r in history_rows(second)]
    assert second_ids == official[pages.HISTORY_PAGE:]
    assert not set(first_ids) & set(second_ids)
    assert f'href="/definitions/{SLUG}/history">« Plus récentes</a>' in second
    assert "avant=" not in second


def test_each_history_row_shows_its_author_summary_and_word_changes(client, moderator, start,
                                                                    save):
    replaced = save(moderator, BASE.replace("bravo", "BRAVO"), summary="Une majuscule").revision
    grown = save(moderator, replaced.body + "Juliett kilo lima mike.\n",
                 summary="Quatre mots").revision
    page = client.get(f"/definitions/{SLUG}/history").get_data(as_text=True)
    rows = {row_id(r): r for r in history_rows(page)}
    assert '<span class="stat-ins">+1</span> <span class="stat-del">−1</span>' in rows[replaced.id]
    assert "Une majuscule" in rows[replaced.id]
    assert '<span class="stat-ins">+4</span> <span class="stat-del">−0</span>' in rows[grown.id]
    assert "Quatre mots" in rows[grown.id] and "Marie Modératrice" in rows[grown.id]
    # The size change links to the diff with the parent.
    assert f"/compare?from={replaced.id}&amp;to={grown.id}" in rows[grown.id]


def test_history_past_its_end_says_so_and_links_to_the_start(client, start):
    page = client.get(f"/definitions/{SLUG}/history?avant=1").get_data(as_text=True)
    assert "Aucune révision sur cette page." in page
    assert f'href="/definitions/{SLUG}/history">Revenir au début' in page


@pytest.mark.parametrize("path", [f"/definitions/{SLUG}/history", "/search?q=strat%C3%A9gie",
                                  "/recent"], ids=["history", "search", "recent"])
@pytest.mark.parametrize("cursor", ["99999999999999999999", "-5", "0", "abc"])
def test_an_out_of_range_cursor_shows_the_first_page(client, start, path, cursor):
    first = client.get(path)
    response = client.get(f"{path}{'&' if '?' in path else '?'}avant={cursor}")
    assert response.status_code == 200

    def listed(page) -> list[str]:  # the rows (the login link repeats the query: left out)
        main = page.get_data(as_text=True).split("<main", 1)[1]
        return re.findall(r'href="(/(?:revisions|remixes|definitions)/[^"?]*)"', main)

    assert listed(response) == listed(first)


# --- old revisions and revert --------------------------------------------------------------

OLD_BANNER = "Vous consultez une ancienne révision. Ce n’est pas la version actuelle."


def test_an_old_revision_carries_the_banner_and_the_head_does_not(client, moderator, start,
                                                                  save):
    newer = save(moderator, BASE.replace("Golf", "GOLF")).revision
    old_page = client.get(f"/revisions/{start.id}").get_data(as_text=True)
    assert OLD_BANNER in old_page
    assert f'href="/definitions/{SLUG}">Voir la version actuelle' in old_page
    head_page = client.get(f"/revisions/{newer.id}").get_data(as_text=True)
    assert OLD_BANNER not in head_page
    assert "<p>Delta echo foxtrot.</p>" in head_page


def test_a_moderator_reverts_an_old_revision_through_the_page(client, auth, moderator, start,
                                                              save):
    later = save(moderator, BASE.replace("charlie", "CHARLIE") + "Fin.\n").revision
    auth.login("moderatrice")
    old_page = client.get(f"/revisions/{start.id}").get_data(as_text=True)
    assert f'action="/revisions/{start.id}/revert"' in old_page
    response = client.post(f"/revisions/{start.id}/revert")
    assert response.status_code == 302
    new = head()
    assert response.headers["Location"].endswith(f"/revisions/{new.id}")
    assert new.id not in (start.id, later.id)
    assert new.body == start.body
    assert new.summary == f"Retour à la révision {start.id}"
    assert new.parent_ids == [later.id]
    assert new.author.username == "moderatrice"
    page = client.get(f"/revisions/{new.id}").get_data(as_text=True)
    assert f"La révision {start.id} a été rétablie." in page
    assert OLD_BANNER not in page


def test_a_participant_cannot_revert(client, auth, participant, moderator, start, save):
    later = save(moderator, BASE + "Fin.\n").revision
    auth.login("participant")
    old_page = client.get(f"/revisions/{start.id}").get_data(as_text=True)
    assert "/revert" not in old_page
    before = revision_count()
    response = client.post(f"/revisions/{start.id}/revert")
    assert response.status_code == 403
    assert "Vous n’avez pas la permission de faire cela." in response.get_data(as_text=True)
    assert revision_count() == before and head().id == later.id


def test_anonymous_revert_is_sent_to_log_in(client, moderator, start, save):
    later = save(moderator, BASE + "Fin.\n").revision
    response = client.post(f"/revisions/{start.id}/revert")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert head().id == later.id


def test_reverting_to_a_remix_revision_never_puts_uncredited_remix_text_on_the_official_line(
        client, auth, moderator, start, remix_revision):
    auth.login("moderatrice")
    response = client.post(f"/revisions/{remix_revision.id}/revert")
    # Refused: a remix reaches the official line by a merge, which credits its authors.
    assert response.status_code == 409
    assert "proposez le remix et fusionnez-le" in response.get_data(as_text=True)
    assert head().id == start.id


# --- compare -------------------------------------------------------------------------------

@pytest.fixture
def remix_revision(app, participant, start, save):
    from wiki.services import remixing

    remix = remixing.fork(definition_id=start.definition_id, from_revision_id=start.id,
                          title="Secteur culturel", owner=participant)
    return save(participant, BASE.replace("hotel", "musée"), remix_id=remix.id,
                summary="Culture").revision


def test_compare_across_a_remix_and_the_official_line(client, moderator, save, remix_revision):
    official = save(moderator, BASE.replace("Alpha", "Omega")).revision
    response = client.get(f"/compare?from={official.id}&to={remix_revision.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Secteur culturel" in page and "version officielle" in page
    assert set(inserted(page)) == {"Alpha", "musée"}
    assert set(deleted(page)) == {"Omega", "hotel"}
    assert '<span class="stat-ins">+2</span> <span class="stat-del">−2</span>' in page

    api = client.get(f"/api/v1/compare?from={official.id}&to={remix_revision.id}").get_json()
    ops = api["ops"]
    assert "".join(o["text"] for o in ops if o["op"] != "insert") == official.body
    assert "".join(o["text"] for o in ops if o["op"] != "delete") == remix_revision.body


def test_compare_backwards_shows_later_words_as_deleted(client, moderator, start, save):
    later = save(moderator, BASE + "Kilo lima.\n").revision
    page = client.get(f"/compare?from={later.id}&to={start.id}")
    assert page.status_code == 200
    page = page.get_data(as_text=True)
    assert "".join(deleted(page)).strip() == "Kilo lima."
    assert inserted(page) == []
    side = client.get(f"/compare?from={later.id}&to={start.id}&vue=cote-a-cote")
    assert "Kilo lima." in "".join(deleted(side.get_data(as_text=True)))

    api = client.get(f"/api/v1/compare?from={later.id}&to={start.id}").get_json()
    assert (api["from"], api["to"]) == (later.id, start.id)
    assert api["stats"] == {"inserted_words": 0, "deleted_words": 2}


@pytest.fixture
def other_definition(app, moderator):
    return editing.create_definition("Transformation numérique", "Un autre texte.\n",
                                     "Création", moderator)


def test_compare_across_two_definitions_is_422_in_the_api_and_on_the_page(
        client, start, other_definition):
    other = other_definition.head_revision_id
    api = client.get(f"/api/v1/compare?from={start.id}&to={other}")
    assert api.status_code == 422
    error = api.get_json()["error"]
    assert error["code"] == "different_definitions"
    assert error["details"]["field"] == "to"
    page = client.get(f"/compare?from={start.id}&to={other}")
    assert page.status_code == 422
    assert "appartiennent à des définitions différentes" in page.get_data(as_text=True)


def test_compare_with_an_unknown_revision_is_404(client, start):
    page = client.get(f"/compare?from={start.id}&to=999999")
    assert page.status_code == 404
    assert "La révision 999999 n’existe pas." in page.get_data(as_text=True)
    api = client.get(f"/api/v1/compare?from=999999&to={start.id}")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", ["", "?from=1", "?to=1", "?from=&to="],
                         ids=["nothing", "from-only", "to-only", "empty"])
def test_compare_without_two_ids_is_a_400_page(client, query):
    response = client.get(f"/compare{query}")
    assert response.status_code == 400
    assert "Choisissez deux révisions à comparer." in response.get_data(as_text=True)


# --- API refusals --------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["[" * 8000, "- " * 500 + "x"], ids=["brackets", "deep-list"])
def test_api_refuses_text_too_complex_to_render_and_stores_nothing(
        app, client, moderator, token_for, start, body):
    app.config["MARKDOWN_BUDGET"] = 1.0  # the refusal, not the wait, is under test
    before = revision_count()
    response = client.post(f"/api/v1/definitions/{SLUG}/revisions", json={
        "body": body, "summary": "Texte piégé", "base_revision_id": start.id},
        headers=token_for(moderator))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "too_complex"
    assert error["details"]["field"] == "body"
    assert revision_count() == before and head().id == start.id


@pytest.mark.parametrize(("summary", "code"), [
    (None, "invalid_field"), ("", "invalid_field"), ("   ", "invalid_field"),
    ("x" * 301, "too_long"),
], ids=["missing", "empty", "blank", "301-characters"])
def test_api_refuses_a_missing_or_over_long_summary(client, moderator, token_for, start,
                                                    summary, code):
    payload = {"body": BASE + "Ajout.\n", "base_revision_id": start.id}
    if summary is not None:
        payload["summary"] = summary
    before = revision_count()
    response = client.post(f"/api/v1/definitions/{SLUG}/revisions", json=payload,
                           headers=token_for(moderator))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["details"]["field"] == "summary"
    assert revision_count() == before


def test_api_accepts_a_summary_of_exactly_300_characters(client, moderator, token_for, start):
    response = client.post(f"/api/v1/definitions/{SLUG}/revisions", json={
        "body": BASE + "Ajout.\n", "summary": "x" * 300, "base_revision_id": start.id},
        headers=token_for(moderator))
    assert response.status_code == 201
    assert response.get_json()["summary"] == "x" * 300

