"""The objects of API.md, field by field."""

from __future__ import annotations

from wiki.models import Definition, Revision, User
from wiki.views.attribution import attribution_of, license_json, present_contributors


def user_json(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"username": user.username, "display_name": user.display_name}


def author_json(revision: Revision) -> dict:
    if revision.author is not None:
        return user_json(revision.author)
    externals = [e["display_name"] for e in revision.contributors if e["username"] is None]
    return {"username": None, "display_name": " et ".join(externals)}


def attribution_json(revision: Revision) -> dict:
    attribution = attribution_of(revision)
    return {
        "text": attribution.text, "html": attribution.html, "markdown": attribution.markdown,
        "contributors": [{"username": e["username"], "display_name": e["display_name"]}
                         for e in present_contributors(revision)],
        "license": license_json(revision.license_code),
    }


def revision_json(revision: Revision, votes: dict[str, int], **extra) -> dict:
    attribution = attribution_json(revision)
    return {
        "id": revision.id,
        "definition": revision.definition.slug,
        "remix_id": revision.remix_id,
        "parent_ids": revision.parent_ids,
        "author": author_json(revision),
        "summary": revision.summary,
        "body": revision.body,
        "html": revision.html,
        "created_at": iso(revision.created_at),
        "word_count": revision.word_count,
        "stats": {"inserted_words": revision.inserted_words,
                  "deleted_words": revision.deleted_words},
        "license": attribution.pop("license"),
        "attribution": attribution,
        "votes": votes,
        **({"taken_regions": revision.taken_regions}
           if revision.taken_regions is not None else {}),
        **extra,
    }


def revision_summary_json(revision: Revision, votes: dict[str, int]) -> dict:
    """A history row: no body, no attribution."""
    return {
        "id": revision.id, "definition": revision.definition.slug,
        "remix_id": revision.remix_id, "parent_ids": revision.parent_ids,
        "author": author_json(revision), "summary": revision.summary,
        "created_at": iso(revision.created_at), "word_count": revision.word_count,
        "stats": {"inserted_words": revision.inserted_words,
                  "deleted_words": revision.deleted_words},
        "license": license_json(revision.license_code), "votes": votes,
    }


def definition_json(definition: Definition, head: dict | None) -> dict:
    return {
        "slug": definition.slug, "term": definition.term,
        "license": license_json(definition.license_code),
        "head": head, "created_at": iso(definition.created_at),
        "description": definition.description,
    }


def iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def remix_json(remix) -> dict:
    from wiki.services.remixing import remix_votes

    return {
        "id": remix.id, "definition": remix.definition.slug, "title": remix.title,
        "description": remix.description, "owner": user_json(remix.owner),
        "forked_from_revision_id": remix.forked_from_revision_id,
        "head_revision_id": remix.head_revision_id, "status": remix.status,
        "license": license_json(remix.license_code), "session_id": remix.session_id,
        "decline_reason": remix.decline_reason, "created_at": iso(remix.created_at),
        "updated_at": iso(remix.updated_at), "votes": remix_votes(remix),
    }


def comment_json(node, viewer) -> dict:
    from wiki.services.commenting import can_read_hidden

    comment = node.comment
    readable = not comment.hidden or can_read_hidden(comment, viewer)
    anchor = None
    if comment.anchor_quote is not None:
        anchor = {"quote": comment.anchor_quote, "prefix": comment.anchor_prefix,
                  "suffix": comment.anchor_suffix, "start": comment.anchor_start,
                  "end": comment.anchor_end}
        if node.located is not None:
            located = node.located
            anchor["status"] = located.status
            anchor["current"] = None if located.status == "removed" else {
                "quote": located.quote, "start": located.start, "end": located.end}
    return {
        "id": comment.id, "revision_id": comment.revision_id, "parent_id": comment.parent_id,
        "author": user_json(comment.author), "body": comment.body if readable else None,
        "html": comment.html if readable else None, "anchor": anchor,
        "created_at": iso(comment.created_at), "hidden": comment.hidden,
        "hidden_reason": comment.hidden_reason if comment.hidden and readable else None,
        "replies": [comment_json(reply, viewer) for reply in node.replies],
    }
