"""One definition's public archive: export, import, the round trip, bad archives, privacy.

The round trip is compared on the archives themselves: their ids are the archive's own
(revisions, remixes and comments numbered in the order they were written), so export → import
into an empty database → export must give the same archive, byte for byte once serialised,
``exported_at`` aside. The test hashes both (SHA-256 of the sorted-key JSON).
"""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from sqlalchemy import func, select, text, update

from tests.conftest import PASSWORD
from wiki.errors import Conflict, NotFound
from wiki.extensions import db
from wiki.models import Comment, Definition, Revision, User, Vote
from wiki.services import archive, commenting, editing, remixing, voting
from wiki.services.accounts import authenticate
from wiki.services.revisions import tallies
from wiki.services.search import search

SLUG = "strategie-numerique"


def content_hash(data: dict) -> str:
    """What must survive a round trip: everything but the moment of the export."""
    kept = {k: v for k, v in data.items() if k != "exported_at"}
    return hashlib.sha256(archive.dumps(kept).encode()).hexdigest()


def empty_database() -> None:
    """Every table emptied (ids restart on PostgreSQL), as a fresh wiki's database."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    else:
        # The cycles definitions ↔ revisions ↔ remixes are broken first.
        session.execute(update(Definition).values(head_revision_id=None))
        session.execute(update(Revision).values(remix_id=None, merged_remix_id=None))
        for table in reversed(db.metadata.sorted_tables):
            session.execute(table.delete())
    session.commit()


@pytest.fixture
def history(app, moderator, participant, create_user, save):
    """The seed, two official edits, a merged remix, a declined one, votes, comments (one
    hidden, with a visible reply), an anchored comment."""
    definition = editing.get_definition(SLUG)
    seed_id = definition.head_revision_id
    seed_body = definition.head.body
    first = save(moderator, seed_body + "\nUn paragraphe ajouté par la modératrice.\n").revision
    remix = remixing.fork(definition_id=definition.id, from_revision_id=first.id,
                          title="Version sectorielle", owner=participant,
                          description="Pour le secteur culturel.")
    remix_rev = save(participant, seed_body + "\nUn paragraphe ajouté par la modératrice.\n"
                     "\nUne précision du remix.\n", remix_id=remix.id).revision
    remixing.propose(remix.id, participant)
    merge = remixing.merge_remix(remix.id, moderator, {})
    other = remixing.fork(definition_id=definition.id, from_revision_id=seed_id,
                          title="Variante refusée", owner=participant)
    remixing.propose(other.id, participant)
    remixing.decline(other.id, moderator, "Hors sujet")
    voter = create_user("votante", display_name="Véra Votante")
    voting.cast_vote(participant.id, merge.id, "plebisciter", reason="C’est mieux")
    voting.cast_vote(voter.id, merge.id, "plebisciter")
    voting.cast_vote(moderator.id, merge.id, "rejeter")
    voting.cast_vote(voter.id, remix_rev.id, "rejeter")
    top = commenting.add_comment(revision_id=merge.id, author=participant,
                                 body="Très clair.")
    commenting.add_comment(revision_id=merge.id, author=moderator, body="Merci !",
                           parent_id=top.id)
    hidden = commenting.add_comment(revision_id=merge.id, author=voter,
                                    body="Propos SECRET-MASQUÉ à cacher.")
    commenting.add_comment(revision_id=merge.id, author=participant,
                           body="Réponse visible au commentaire masqué.", parent_id=hidden.id)
    commenting.set_hidden(hidden.id, moderator, True, "Propos blessants")
    commenting.add_comment(revision_id=remix_rev.id, author=voter, body="Sur ce passage.",
                           anchor={"quote": "Une précision du remix."})
    return {"merge": merge, "remix_revision": remix_rev, "first": first}


def test_the_archive_names_its_format_version_and_licence(history):
    data = archive.export_definition(SLUG)
    assert data["format"] == "definition-vivante/archive"
    assert data["version"] == 1
    assert data["license"]["noncommercial"] is True
    assert "NonCommercial" in data["notice"]
    assert data["definition"]["slug"] == SLUG
    assert data["definition"]["term"] == "stratégie numérique"


def test_the_archive_holds_every_line_revision_and_tally(history):
    data = archive.export_definition(SLUG)
    assert [line["kind"] for line in data["lines"]] == ["official", "remix", "remix"]
    assert [line["status"] for line in data["lines"][1:]] == ["merged", "declined"]
    assert data["lines"][1]["owner"] == "participant"
    assert data["lines"][2]["decline_reason"] == "Hors sujet"
    assert len(data["revisions"]) == db.session.scalar(select(func.count(Revision.id)))
    merge = data["revisions"][-1]
    assert merge["parents"] == [2, 3] and merge["merged_remix"] == 1
    assert merge["votes"] == {"plebisciter": 2, "rejeter": 1}
    assert data["revisions"][2]["votes"] == {"plebisciter": 0, "rejeter": 1}
    assert data["revisions"][0]["author"] is None  # the seed's external authors
    assert {p["username"] for p in data["people"]} == {"moderatrice", "participant", "votante"}
    assert all(key.startswith(("user:moderatrice", "user:participant", "external"))
               for rev in data["revisions"] for _n, key, _r in rev["authorship"])


def test_the_archive_carries_no_private_data(history):
    data = archive.export_definition(SLUG)
    dumped = archive.dumps(data)
    user = db.session.scalar(select(User).where(User.username == "participant"))
    assert "SECRET-MASQUÉ" not in dumped
    assert "Propos blessants" not in dumped  # the hiding reason
    assert "C’est mieux" not in dumped  # a vote's reason
    assert user.password_hash not in dumped and "scrypt" not in dumped
    for forbidden in ("password", "email", "token", "digest", "voter", "hidden"):
        assert forbidden not in dumped.lower()


def test_a_reply_to_a_hidden_comment_hangs_from_its_nearest_visible_ancestor(history):
    comments = archive.export_definition(SLUG)["comments"]
    assert [c["body"] for c in comments] == [
        "Très clair.", "Merci !", "Réponse visible au commentaire masqué.", "Sur ce passage."]
    assert [c["parent"] for c in comments] == [None, 1, None, None]
    assert comments[3]["anchor"]["quote"] == "Une précision du remix."


def test_round_trip_into_an_empty_database_gives_the_same_archive(history):
    before = archive.export_definition(SLUG)
    empty_database()
    definition = archive.import_definition(json.loads(archive.dumps(before)))
    assert definition.slug == SLUG
    after = archive.export_definition(SLUG)
    assert content_hash(after) == content_hash(before)


def test_round_trip_keeps_tallies_visible_comments_and_attribution(history):
    before = archive.export_definition(SLUG)
    empty_database()
    archive.import_definition(archive.dumps(before))
    definition = editing.get_definition(SLUG)
    head = definition.head
    assert tallies(db.session, [head.id])[head.id] == {"plebisciter": 2, "rejeter": 1}
    bodies = db.session.scalars(select(Comment.body).order_by(Comment.id)).all()
    assert bodies == [c["body"] for c in before["comments"]]
    assert head.contributors == [
        {**e, "key": e["key"] if e["key"] == "external" else "user:{}".format(db.session.scalar(
            select(User.id).where(User.username == e["username"])))}
        for e in before["revisions"][-1]["contributors"]]
    assert head.html == before["revisions"][-1]["html"]
    assert [r.id for r in db.session.scalars(select(Revision).order_by(Revision.id))] == \
        sorted(r.id for r in db.session.scalars(select(Revision)))
    assert archive.export_definition(SLUG)["attribution"] == before["attribution"]
    # The search index was rebuilt: the imported text is found.
    assert search("précision remix", history=True).hits


def test_imported_authors_are_accounts_that_cannot_log_in(history):
    data = archive.export_definition(SLUG)
    empty_database()
    archive.import_definition(data)
    user = db.session.scalar(select(User).where(User.username == "participant"))
    assert user.display_name == "Paul Participant"
    assert user.role == "participant"
    assert authenticate("participant", PASSWORD) is None
    voters = db.session.scalars(select(User).where(User.username.like("~votant-%"))).all()
    assert len(voters) == 3 and not any(v.active for v in voters)


def test_an_existing_account_is_reused_by_username(history, app):
    data = archive.export_definition(SLUG)
    data["definition"]["slug"] = "copie-de-strategie"
    before_users = db.session.scalar(select(func.count(User.id)))
    archive.import_definition(data)
    # Only the anonymous voter accounts are new: authors were found by username.
    assert db.session.scalar(select(func.count(User.id))) == before_users + 3
    assert authenticate("participant", PASSWORD) is not None
    copy_head = editing.get_definition("copie-de-strategie").head
    assert copy_head.author.username == "moderatrice"
    assert db.session.scalar(select(func.count(Vote.id)).where(
        Vote.revision_id == copy_head.id)) == 3


def test_importing_a_slug_that_exists_is_refused(app):
    data = archive.export_definition(SLUG)
    with pytest.raises(Conflict) as caught:
        archive.import_definition(data)
    assert caught.value.code == "definition_exists"
    assert "existe déjà" in caught.value.message


def test_exporting_an_unknown_definition_is_not_found(app):
    with pytest.raises(NotFound):
        archive.export_definition("pas-de-definition")


def _seed_archive() -> dict:
    data = archive.export_definition(SLUG)
    data["definition"]["slug"] = "autre"
    return data


def _drop(path: tuple):
    def change(data: dict) -> None:
        target = data
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]
    return change


def _set(path: tuple, value):
    def change(data: dict) -> None:
        target = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return change


BAD_ARCHIVES = [
    ("wrong format", _set(("format",), "autre-chose"), "format"),
    ("wrong version", _set(("version",), 99), "version 99"),
    ("missing revisions", _drop(("revisions",)), "« revisions » manquant"),
    ("missing body", _drop(("revisions", 0, "body")), "revisions[0].body"),
    ("parent not in archive", _set(("revisions", 0, "parents"), [7]), "parent"),
    ("unknown person", _set(("revisions", 0, "author"), "inconnu"), "people"),
    ("head not in archive", _set(("lines", 0, "head_revision"), 42), "head_revision"),
    ("authorship not covering the text", _set(("revisions", 0, "authorship"), [[1, "external",
                                                                                  1]]),
     "authorship"),
    ("unknown licence", _set(("revisions", 0, "license", "code"), "GPL"), "GPL"),
    ("naive date", _set(("revisions", 0, "created_at"), "2020-01-01T00:00:00"), "fuseau"),
    ("control character", _set(("revisions", 0, "summary"), "a\x00b"), "interdits"),
    ("bad slug", _set(("definition", "slug"), "Pas Un Slug"), "Pas Un Slug"),
    ("boolean count", _set(("revisions", 0, "word_count"), True), "word_count"),
]


@pytest.mark.parametrize(("change", "message"), [(c, m) for _n, c, m in BAD_ARCHIVES],
                         ids=[n for n, _c, _m in BAD_ARCHIVES])
def test_a_bad_archive_is_refused_with_a_clear_message_and_nothing_written(
        app, change, message):
    data = _seed_archive()
    change(data)
    counts = [db.session.scalar(select(func.count()).select_from(model))
              for model in (Definition, Revision, User)]
    with pytest.raises(archive.InvalidArchive) as caught:
        archive.import_definition(copy.deepcopy(data))
    assert caught.value.code == "invalid_archive"
    assert caught.value.message.startswith("Archive invalide")
    assert message in caught.value.message
    assert counts == [db.session.scalar(select(func.count()).select_from(model))
                      for model in (Definition, Revision, User)]


def test_text_that_is_not_json_is_refused(app):
    with pytest.raises(archive.InvalidArchive, match="JSON"):
        archive.import_definition("{pas du json")


def test_a_failure_late_in_the_import_writes_nothing(app, participant):
    """A remix forking from a revision written after it passes the checks of the file alone
    and fails while writing: the transaction is rolled back whole."""
    data = _seed_archive()
    data["people"].append({"username": "participant", "display_name": "Paul"})
    data["people"].append({"username": "nouvelle", "display_name": "Nouvelle Personne"})
    second = copy.deepcopy(data["revisions"][0])
    second.update(id=2, parents=[1], remix=1, authorship=[[len(second["body"]), "external", 2]])
    data["revisions"].append(second)
    data["lines"].append({
        "remix": 1, "kind": "remix", "title": "Boucle", "description": "",
        "owner": "participant", "status": "draft", "license": data["license"],
        "forked_from_revision": 2, "head_revision": 2, "settled_revision": None,
        "decline_reason": None, "created_at": second["created_at"],
        "updated_at": second["created_at"]})
    with pytest.raises(archive.InvalidArchive, match="écrite après"):
        archive.import_definition(data)
    assert db.session.scalar(select(Definition.id).where(Definition.slug == "autre")) is None
    assert db.session.scalar(select(User.id).where(User.username == "nouvelle")) is None


def test_the_html_of_an_archive_is_never_trusted_but_rendered_again_from_its_markdown(app):
    data = _seed_archive()
    expected = data["revisions"][0]["html"]
    data["revisions"][0]["html"] = '<p onclick="x()">Texte<script>alert(1)</script></p>'
    definition = archive.import_definition(data)
    assert definition.head.html == expected
    assert "onclick" not in definition.head.html and "<script" not in definition.head.html


def test_a_contributor_entry_cannot_credit_words_to_another_name(app):
    data = _seed_archive()
    data["people"].append({"username": "alice", "display_name": "Alice"})
    entry = {"key": "user:alice", "username": "admin", "display_name": "L’administration",
             "present": True}
    for revision in data["revisions"]:
        revision["contributors"].append(dict(entry))
    definition = archive.import_definition(data)
    credited = [e for e in definition.head.contributors if e["key"].startswith("user:")]
    assert [(e["username"], e["display_name"]) for e in credited] == [("alice", "Alice")]


def test_a_contributor_entry_without_a_username_is_refused(app):
    data = _seed_archive()
    del data["revisions"][0]["contributors"][0]["username"]
    with pytest.raises(archive.InvalidArchive, match="contributeur mal formé"):
        archive.import_definition(data)
