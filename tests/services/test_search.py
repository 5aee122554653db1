"""Search: the word preparation (pure), then the service on both engines with the same cases
(the ``app`` fixture runs each test on SQLite and, when TEST_DATABASE_URL is set, PostgreSQL)."""

import pytest
from sqlalchemy import func, select, text

from wiki.extensions import db
from wiki.models import Revision
from wiki.services import search
from wiki.services.db import transaction
from wiki.services.editing import create_definition, get_definition
from wiki.services.remixing import fork
from wiki.services.revisions import add_revision, clean_body

# --- words ------------------------------------------------------------------------------------


@pytest.mark.parametrize("one, other", [
    ("transformations", "transformation"),
    ("Stratégies", "stratégie"),
    ("numériques", "Numérique"),
    ("collaborative", "collaboratif"),
    ("collaboratives", "collaboratifs"),
    ("nouvelle", "nouvel"),
    ("journaux", "journal"),
    ("utilisatrice", "utilisateur"),
    ("première", "premier"),
    ("créée", "créé"),
    ("ŒUVRES", "oeuvre"),
])
def test_light_stemmer_brings_french_forms_together(one, other):
    assert search.stem(search.fold(one)) == search.stem(search.fold(other))


@pytest.mark.parametrize("one, other", [
    ("processus", "process"), ("mot", "motivation"), ("plan", "planète"), ("cas", "ca"),
])
def test_light_stemmer_keeps_different_words_apart(one, other):
    assert search.stem(search.fold(one)) != search.stem(search.fold(other))


def test_fold_drops_case_accents_and_ligatures():
    assert search.fold("Œuvrée À L’ÉTÉ ß") == "oeuvree a l’ete ss"


def test_words_split_elisions_and_hyphens_and_skip_stop_words():
    found = list(search.words("L’organisation est auto-gérée."))
    assert [w.folded for w in found] == ["l", "organisation", "est", "auto", "geree"]
    assert [w.key for w in found] == ["", "organisation", "", "auto", "gere"]
    assert "L’organisation est auto-gérée."[found[1].start:found[1].end] == "organisation"


def test_query_is_only_words_whatever_syntax_it_holds():
    query = search.parse_query('"stratégie" AND -numérique* NEAR(x, 2) body:(plan) ^de')
    assert query.keys == ("strategi", "and", "numeriqu", "near", "x", "2", "body", "plan")


def test_query_without_words_is_empty():
    for raw in ["", "   ", '"*-:()', "le la de est", None, 42]:
        assert search.parse_query(raw).empty


def test_long_query_keeps_its_first_distinct_words():
    query = search.parse_query(" ".join(f"mot{n}" for n in range(500)) * 3)
    assert len(query.keys) == search.MAX_QUERY_WORDS
    assert query.keys[0] == "mot0"


def test_plain_text_of_html_keeps_words_apart_between_blocks_and_decodes_entities():
    rendered = ('<h2>Titre</h2><p>Un <a href="x" title="a>b">lien</a>&nbsp;et'
                '<strong>gras</strong> &lt;b&gt;</p><ul><li>un</li><li>deux</li></ul>')
    assert search.plain_text(rendered).split() == [
        "Titre", "Un", "lien", "etgras", "<b>", "un", "deux"]


def test_excerpt_escapes_the_text_then_marks_the_matched_words():
    value = "Avant <script>alert(1)</script> la Stratégie & les stratégies."
    html = str(search.excerpt(value, search.parse_query("strategie").keys))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<mark>Stratégie</mark> &amp; les <mark>stratégies</mark>" in html


def test_excerpt_is_cut_around_the_match_with_ellipses():
    value = " ".join(["remplissage"] * 100 + ["transformation"] + ["suite"] * 100)
    html = str(search.excerpt(value, search.parse_query("transformations").keys))
    assert html.startswith("… ") and html.endswith(" …")
    assert "<mark>transformation</mark>" in html
    assert len(html) < search.EXCERPT_CHARS + 40


def test_excerpt_prefers_the_passage_where_most_query_words_meet():
    value = ("Une stratégie ici. " + "autre " * 80 + "La stratégie numérique là. " + "fin " * 80)
    html = str(search.excerpt(value, search.parse_query("stratégie numérique").keys))
    assert "<mark>stratégie</mark> <mark>numérique</mark>" in html


def test_excerpt_without_match_is_the_beginning_of_the_text():
    html = str(search.excerpt("Début du texte. " * 40, ("absent",)))
    assert html.startswith("Début du texte.") and "<mark>" not in html


# --- the service, on each engine --------------------------------------------------------------


def _define(moderator, term, body):
    return create_definition(term, body, "Création", moderator)


def _ids(results):
    return [hit.revision.id for hit in results.hits]


def test_accents_and_case_are_ignored(app, seed_revision):
    for query in ["STRATEGIE", "stratégie", "Strategie NUMERIQUE", "desintermediation"]:
        assert _ids(search.search(query)) == [seed_revision.id], query


def test_french_forms_find_each_other(app, moderator):
    singular = _define(moderator, "Mutation", "Une transformation lente et collaborative.")
    plural = _define(moderator, "Changements", "Des transformations rapides, collaboratives.")
    for query in ["transformation", "transformations", "Transformations collaboratives"]:
        found = set(_ids(search.search(query)))
        assert {singular.head_revision_id, plural.head_revision_id} <= found, query


def test_every_word_of_the_query_must_be_found(app, moderator, seed_revision):
    other = _define(moderator, "Cartographie", "La cartographie technologique au quotidien.")
    assert _ids(search.search("cartographie technologique")) == [other.head_revision_id]
    assert _ids(search.search("cartographie stratégie")) == []


def test_the_term_of_a_definition_is_searched_too(app, moderator):
    definition = _define(moderator, "Infonuagique", "Des serveurs loués à distance.")
    results = search.search("infonuagique")
    assert _ids(results) == [definition.head_revision_id]
    assert str(results.hits[0].term) == "<mark>Infonuagique</mark>"


def test_current_texts_by_default_history_on_request(app, moderator, save, seed_revision):
    edited = save(moderator, seed_revision.body.replace("désintermédiation", "médiation"))
    assert _ids(search.search("désintermédiation")) == []
    older = search.search("désintermédiation", history=True)
    assert _ids(older) == [seed_revision.id]
    assert not older.hits[0].current
    both = search.search("médiation", history=True)
    assert edited.revision.id in _ids(both)
    assert [h.current for h in both.hits if h.revision.id == edited.revision.id] == [True]


def test_remix_revisions_are_found_in_the_history_only(app, participant, save, seed_revision):
    remix = fork(definition_id=seed_revision.definition_id, from_revision_id=seed_revision.id,
                 title="Remix", owner=participant)
    result = save(participant, seed_revision.body + "\n\nUne approche ludique.",
                  remix_id=remix.id)
    assert _ids(search.search("ludique")) == []
    assert _ids(search.search("ludique", history=True)) == [result.revision.id]


def test_history_is_keyset_paginated_newest_first(app, moderator, save, seed_revision):
    for n in range(6):
        save(moderator, f"Version {n} de la stratégie numérique, texte numéro {n}.")
    seen, before = [], None
    while True:
        page = search.search("stratégie", history=True, before=before, limit=3)
        seen += _ids(page)
        if page.next_before is None:
            break
        before = page.next_before
    all_ids = list(db.session.scalars(select(Revision.id).order_by(Revision.id.desc())))
    assert seen == all_ids and len(seen) == 7


def test_a_page_is_stable_when_someone_saves_meanwhile(app, moderator, save, seed_revision):
    for n in range(4):
        save(moderator, f"Version {n} de la stratégie.")
    first = search.search("stratégie", history=True, limit=2)
    save(moderator, "Encore une stratégie.")
    second = search.search("stratégie", history=True, before=first.next_before, limit=2)
    assert max(_ids(second)) < min(_ids(first))


def test_index_rows_are_written_in_the_revisions_transaction(app, moderator, seed_revision):
    definition = get_definition("strategie-numerique")
    cleaned = clean_body("Un texte tout à fait introuvable : zygomatique.")
    with pytest.raises(RuntimeError), transaction() as session:
        add_revision(session, definition=session.merge(definition), cleaned=cleaned,
                     summary="Essai", author=None, parents=[], license_code="CC-BY-NC-SA-4.0")
        assert _ids(search.search("zygomatique", history=True))  # visible inside
        raise RuntimeError("the save fails after the revision was added")
    assert _ids(search.search("zygomatique", history=True)) == []
    assert db.session.scalar(select(func.count()).select_from(Revision)) == 1


def test_every_revision_has_exactly_one_index_row(app, moderator, save, seed_revision):
    save(moderator, "Deuxième texte.")
    save(moderator, "Troisième texte.")
    if db.engine.dialect.name == "postgresql":
        count = "SELECT count(*) FROM search_index"
    else:  # contentless FTS5: count the rows holding the term every revision carries
        count = "SELECT count(*) FROM search_index WHERE search_index MATCH 'strategi'"
    assert db.session.execute(text(count)).scalar() == 3


def test_rebuild_index_answers_the_same_results(app, moderator, save, seed_revision):
    save(moderator, "Une stratégie revue.")
    before = _ids(search.search("stratégie", history=True))
    with transaction() as session:
        assert search.rebuild_index(session, batch=1) == 2
    assert _ids(search.search("stratégie", history=True)) == before


def test_excerpt_shows_markup_characters_of_the_text_escaped(app, moderator):
    _define(moderator, "Balise", "Le code `<mark>piège</mark>` & la `<script>` du piège.")
    hit = search.search("piège").hits[0]
    html = str(hit.excerpt)
    assert "&lt;mark&gt;<mark>piège</mark>&lt;/mark&gt;" in html
    assert "&amp; la &lt;script&gt; du <mark>piège</mark>" in html
