"""A passage selected in the page (rendered text) anchors a comment to the Markdown body."""

from __future__ import annotations

from wiki.extensions import db
from wiki.models import Comment


def latest_comment() -> Comment:
    return db.session.scalars(db.select(Comment).order_by(Comment.id.desc())).first()


def test_a_selection_across_a_heading_anchors_the_comment(client, auth, participant,
                                                           seed_revision):
    auth.login("participant")
    # As a browser's selection reads it: the guillemet's narrow no-break space, a line break
    # between the heading and its paragraph, no « ### ».
    response = client.post(f"/revisions/{seed_revision.id}/comments", data={
        "quote": "incluses dans notre définition\u00a0:\n1. Un processus",
        "prefix": "Quatre notions fondamentales sont ", "suffix": " La notion de processus",
        "body": "Pourquoi ce titre ?"})
    assert response.status_code == 302
    comment = latest_comment()
    assert comment.anchor_quote == "incluses dans notre définition :\n\n### 1. Un processus"
    body = seed_revision.body
    assert body[comment.anchor_start:comment.anchor_end] == comment.anchor_quote


def test_a_selection_with_the_pages_typography_anchors_the_comment(client, auth, participant,
                                                                   seed_revision):
    auth.login("participant")
    response = client.post(f"/revisions/{seed_revision.id}/comments", data={
        "quote": "«\u202fUne stratégie numérique", "body": "La définition même."})
    assert response.status_code == 302
    assert latest_comment().anchor_quote == "« Une stratégie numérique"


def test_a_passage_in_neither_form_is_refused_and_the_form_kept(client, auth, participant,
                                                                seed_revision):
    auth.login("participant")
    response = client.post(f"/revisions/{seed_revision.id}/comments", data={
        "quote": "une stratégie marketing", "body": "Mon commentaire"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ce passage ne se trouve pas dans la révision" in page
    assert "Mon commentaire" in page
