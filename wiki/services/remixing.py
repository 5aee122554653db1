"""Remixes: fork any revision, propose, withdraw, decline, and merge into the official line.

A merge is a 3-way merge whose base is the lowest common ancestor of the official head and
the remix head (``wiki.domain.graph``). The merge revision has both heads as parents, so the
next merge of the same remix starts from the remix head just merged: nothing is offered twice,
and regions a moderator left out are not offered again unless the remix changes them anew.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from wiki.domain import graph, licensing, merge
from wiki.errors import Conflict, InvalidInput, MergeConflict, NotAllowed, NotFound
from wiki.extensions import db
from wiki.models import (
    AuditEntry,
    Definition,
    Event,
    Remix,
    Revision,
    RevisionParent,
    User,
    Vote,
    utcnow,
)
from wiki.services import notifying
from wiki.services import sessions as training_sessions
from wiki.services.db import lock_row, transaction
from wiki.services.editing import license_for_edit
from wiki.services.revisions import (
    CleanText,
    add_revision,
    clean_body,
    clean_line,
    get_revision,
)

MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_REASON = 2000


def get_remix(remix_id: object) -> Remix:
    try:
        rid = int(remix_id)
    except (TypeError, ValueError):
        raise NotFound(_("Ce remix n’existe pas.")) from None
    remix = db.session.get(Remix, rid) if 0 < rid < 2**63 else None
    if remix is None:
        raise NotFound(_("Le remix %(id)s n’existe pas.", id=rid))
    return remix


def _license_choice(source_code: str, chosen: object) -> str:
    """The remix's licence: the source's (versioned) unless another is chosen and allowed."""
    default = license_for_edit(source_code)
    if chosen in (None, ""):
        return default
    if not isinstance(chosen, str):
        raise InvalidInput("license", _("Licence invalide."))
    try:
        lic = licensing.get_license(chosen)
    except licensing.UnknownLicense:
        raise InvalidInput("license", _("Licence inconnue : %(code)s.", code=chosen),
                           code="unknown_license") from None
    try:
        licensing.check_share_alike(licensing.get_license(source_code), lic)
    except licensing.LicenseIncompatible as error:
        raise InvalidInput("license", str(error), code="license_incompatible",
                           details={"allowed": [c.code for c in licensing.compatible_choices(
                               licensing.get_license(source_code))]}) from None
    return lic.code


def fork(*, definition_id: int, from_revision_id: object, title: object, owner: User,
         description: object = "", license_code: object = None,
         session_check=None) -> Remix:
    """Create a remix whose head is the forked revision; its own revisions come with edits."""
    title = clean_line(title, "title", MAX_TITLE, required=True,
                       missing=_("Donnez un titre à votre remix."))
    description = _clean_description(description)
    with transaction() as session:
        source = get_revision(session, from_revision_id, "from_revision_id")
        if source.definition_id != definition_id:
            raise InvalidInput("from_revision_id", _(
                "Cette révision appartient à une autre définition."))
        code = _license_choice(source.license_code, license_code)
        remix = Remix(definition_id=definition_id, title=title, description=description,
                      owner_id=owner.id, forked_from_revision_id=source.id,
                      head_revision_id=source.id, status="draft", license_code=code)
        remix.session_id = training_sessions.session_for_new_remix(session, owner, definition_id)
        if session_check:
            remix.session_id = session_check(session, owner, "fork")
        session.add(remix)
        session.flush()
        session.add(Event(kind="remix", definition_id=definition_id, actor_id=owner.id,
                          remix_id=remix.id, revision_id=source.id))
        notifying.remix_forked(session, remix, source, owner)
    return remix


def propose_edit(*, definition_id: int, base_revision_id: object, raw_body: object,
                 summary: object, title: object, owner: User) -> Revision:
    """« Proposer une modification »: a remix of the base, its one revision, proposed."""
    from wiki.services.editing import save_revision
    from wiki.services.revisions import clean_summary

    # Everything is checked before the remix exists, so a refused text leaves no empty remix.
    clean_body(raw_body)
    clean_summary(summary)
    training_sessions.check_can_propose(definition_id, owner)
    remix = fork(definition_id=definition_id, from_revision_id=base_revision_id, title=title,
                 owner=owner)
    result = save_revision(definition_id=definition_id, remix_id=remix.id, raw_body=raw_body,
                           summary=summary, base_revision_id=remix.head_revision_id,
                           author=owner)
    propose(remix.id, owner)
    return result.revision


def _clean_description(description: object) -> str:
    return clean_line(description, "description", MAX_DESCRIPTION, required=False)


def _lock_remix(session, remix_id: int) -> Remix:
    remix = lock_row(session, Remix, remix_id)
    if remix is None:
        raise NotFound(_("Le remix %(id)s n’existe pas.", id=remix_id))
    return remix


def _change_status(remix_id: int, user: User, status: str, *, owner_only: bool,
                   allowed_from: tuple[str, ...], event: str | None = None,
                   reason: str | None = None) -> Remix:
    with transaction() as session:
        remix = _lock_remix(session, remix_id)
        training_sessions.check_status_change(session, remix, user, status)
        if owner_only and remix.owner_id != user.id:
            raise NotAllowed(_("Seule la personne qui a créé ce remix peut faire cela."))
        if not owner_only and not user.is_moderator:
            raise NotAllowed(_("Réservé aux modérateurs."))
        if remix.status == status:
            return remix
        if remix.status not in allowed_from:
            raise Conflict(_("Ce remix est « %(status)s » : impossible de le passer à "
                             "« %(new)s ».", status=remix.status, new=status),
                           code="invalid_status", details={"status": remix.status})
        remix.status = status
        remix.updated_at = utcnow()
        if status == "declined":
            remix.decline_reason = reason
            remix.settled_revision_id = remix.head_revision_id
            session.add(AuditEntry(actor_id=user.id, action="decline_remix",
                                   target_type="remix", target_id=remix.id,
                                   details={"reason": reason}))
            notifying.remix_declined(session, remix, user)
        if event:
            session.add(Event(kind=event, definition_id=remix.definition_id,
                              actor_id=user.id, remix_id=remix.id,
                              revision_id=remix.head_revision_id))
    return remix


def propose(remix_id: int, user: User) -> Remix:
    return _change_status(remix_id, user, "proposed", owner_only=True,
                          allowed_from=("draft", "withdrawn", "declined", "merged"),
                          event="proposal")


def withdraw(remix_id: int, user: User) -> Remix:
    return _change_status(remix_id, user, "withdrawn", owner_only=True,
                          allowed_from=("draft", "proposed"), event="withdraw")


def decline(remix_id: int, user: User, reason: object) -> Remix:
    reason = clean_line(reason, "reason", MAX_REASON, required=True,
                        missing=_("Expliquez pourquoi ce remix est refusé."))
    return _change_status(remix_id, user, "declined", owner_only=False,
                          allowed_from=("proposed",), event="decline", reason=reason)


def parents_map(session, definition_id: int) -> dict[int, list[int]]:
    """The whole revision graph of a definition, in one query (ids and edges only)."""
    rows = session.execute(
        select(Revision.id, RevisionParent.parent_id, RevisionParent.position)
        .outerjoin(RevisionParent, RevisionParent.child_id == Revision.id)
        .where(Revision.definition_id == definition_id)
        .order_by(Revision.id, RevisionParent.position)
    )
    parents: dict[int, list[int]] = {}
    for child, parent, _position in rows:
        edges = parents.setdefault(child, [])
        if parent is not None:
            edges.append(parent)
    return parents


@dataclass(frozen=True)
class MergePlan:
    base: Revision
    ours: Revision
    theirs: Revision
    segments: tuple[merge.Segment, ...]

    @property
    def regions(self) -> list[merge.Region]:
        return [s for s in self.segments if isinstance(s, merge.Region)]

    @property
    def fingerprint(self) -> str:
        return merge.fingerprint(self.segments)

    def preview(self) -> dict:
        return {
            "base_revision_id": self.base.id,
            "fingerprint": self.fingerprint,
            "regions": [{"index": r.index, "kind": r.kind, "base": r.base, "ours": r.ours,
                         "theirs": r.theirs} for r in self.regions],
            "merged_text": merge.preview_text(self.segments),
        }


#: Revision ids read below the two heads before widening (× 8 each time).
MERGE_BASE_WINDOW = 256


def merge_base(session, a: int, b: int) -> int | None:
    """``graph.lowest_common_ancestor`` of two revisions, reading only the recent edges.

    Parents are older than their children, so the common ancestor with the greatest id (the
    one the LCA answers) is reached through revisions whose ids lie between it and the two
    heads: the edges of a window of ids just below the heads suffice when an answer is found
    inside the window, which is widened until one is (a long history is not read for a
    merge whose remix forked recently).
    """
    top, span = max(a, b), MERGE_BASE_WINDOW
    while True:
        low = max(0, min(a, b) - span)
        parents: dict[int, list[int]] = {}
        for child, parent in session.execute(
                select(RevisionParent.child_id, RevisionParent.parent_id)
                .where(RevisionParent.child_id.between(low, top))
                .order_by(RevisionParent.child_id, RevisionParent.position)):
            parents.setdefault(child, []).append(parent)
        base = graph.lowest_common_ancestor(parents, a, b)
        if low == 0 or (base is not None and base >= low):
            return base
        span *= 8


def plan_merge(session, ours: Revision, theirs: Revision) -> MergePlan:
    base_id = merge_base(session, ours.id, theirs.id)
    base = session.get(Revision, base_id)
    return MergePlan(base=base, ours=ours, theirs=theirs,
                     segments=merge.remix_regions(base.body, ours.body, theirs.body))


def merge_preview(remix_id: int, user: User) -> dict:
    if not user.is_moderator:
        raise NotAllowed(_("Réservé aux modérateurs."))
    remix = get_remix(remix_id)
    definition = db.session.get(Definition, remix.definition_id)
    return plan_merge(db.session, definition.head, remix.head).preview()


def _parse_choices(raw: object) -> dict[int, merge.Choice]:
    if not isinstance(raw, Mapping):
        raise InvalidInput("regions", _("« regions » doit être un objet {index: choix}."),
                           code="invalid_regions")
    choices: dict[int, merge.Choice] = {}
    for key, value in raw.items():
        if not str(key).isdigit():
            raise InvalidInput("regions", _("Index de région invalide : %(key)s.", key=key),
                               code="invalid_regions")
        if value == "take":
            choice: merge.Choice = merge.Take()
        elif value == "leave":
            choice = merge.Leave()
        elif isinstance(value, Mapping) and isinstance(value.get("text"), str):
            choice = merge.Replace(value["text"])
        else:
            raise InvalidInput("regions", _("Choix invalide pour la région %(key)s : « take », "
                                            "« leave » ou {\"text\": …}.", key=key),
                               code="invalid_regions")
        choices[int(key)] = choice
    return choices


def _assemble(plan: MergePlan, choices: Mapping[int, merge.Choice], fingerprint: object) -> str:
    """The text of region-by-region choices, checked against the regions the reviewer saw."""
    if fingerprint != plan.fingerprint:
        raise Conflict(_("Le remix ou la version officielle a changé depuis l’affichage "
                         "des régions : vérifiez les régions à nouveau."),
                       code="regions_changed", details=plan.preview())
    try:
        return merge.assemble(plan.segments, choices)
    except (merge.MissingChoice, merge.UnknownRegion) as error:
        raise InvalidInput("regions", _("Régions invalides : %(indexes)s (inconnues ou "
                                        "en conflit sans choix).",
                                        indexes=list(error.indexes)),
                           code="invalid_regions",
                           details={"indexes": list(error.indexes)}) from None


def assemble_choices(plan: MergePlan, fingerprint: object, regions: object) -> str:
    """What a merge from these region choices would save, without saving it (the screens'
    « Voir le résultat »)."""
    return _assemble(plan, _parse_choices(regions), fingerprint)


def preview_merge_choices(remix_id: int, user: User, fingerprint: object,
                          regions: object) -> tuple[Revision, str]:
    """The official head a merge from these choices would follow, and the merged text."""
    if not user.is_moderator:
        raise NotAllowed(_("Seuls les modérateurs peuvent fusionner un remix."))
    remix = get_remix(remix_id)
    definition = db.session.get(Definition, remix.definition_id)
    plan = plan_merge(db.session, definition.head, remix.head)
    return definition.head, assemble_choices(plan, fingerprint, regions)


def _read_merge_request(request: Mapping) -> tuple[dict[int, merge.Choice] | None,
                                                    CleanText | None]:
    """The region choices or the whole resolution of a merge request (DECISIONS.md's three
    forms), checked before anything is read from the database."""
    has_resolution = "resolution" in request
    has_regions = "regions" in request
    if has_resolution and has_regions:
        raise InvalidInput("regions", _("Envoyez soit « resolution », soit « regions », pas "
                                        "les deux."), code="invalid_regions")
    choices = _parse_choices(request["regions"]) if has_regions else None
    if has_regions and not isinstance(request.get("fingerprint"), str):
        raise InvalidInput("fingerprint", _("« fingerprint » est requis avec « regions »."),
                           code="invalid_regions")
    resolution = clean_body(request["resolution"], "resolution") if has_resolution else None
    return choices, resolution


def _resolve(plan: MergePlan, request: Mapping, choices: dict[int, merge.Choice] | None,
             resolution: CleanText | None, conflict_message: str) -> tuple[CleanText, list[int]]:
    """The merged text and the regions it took: the resolution as sent, the region choices,
    or every region when none conflicts (else ``MergeConflict``)."""
    if resolution is not None:
        return resolution, [r.index for r in plan.regions]
    if choices is not None:
        merged_text = _assemble(plan, choices, request["fingerprint"])
        taken = [r.index for r in plan.regions
                 if not isinstance(choices.get(r.index, merge.Take()), merge.Leave)]
        return clean_body(merged_text), taken
    conflicts = [r for r in plan.regions if r.kind == "conflict"]
    if conflicts:
        raise MergeConflict(conflict_message, details={
            "base_revision_id": plan.base.id,
            "conflicts": [{"base": c.base, "ours": c.ours, "theirs": c.theirs}
                          for c in conflicts]})
    return clean_body(merge.assemble(plan.segments, {})), [r.index for r in plan.regions]


def merge_remix(remix_id: int, user: User, request: Mapping) -> Revision:
    """Merge a proposed remix into the official line from one of the three request forms."""
    if not user.is_moderator:
        raise NotAllowed(_("Seuls les modérateurs peuvent fusionner un remix."))
    choices, resolution = _read_merge_request(request)
    remix = get_remix(remix_id)
    with transaction() as session:
        definition = lock_row(session, Definition, remix.definition_id)
        remix = _lock_remix(session, remix.id)
        _check_mergeable(remix)
        ours = session.get(Revision, definition.head_revision_id)
        theirs = session.get(Revision, remix.head_revision_id)
        plan = plan_merge(session, ours, theirs)
        if plan.base.id == theirs.id:
            # The remix head is already in the official history (a remix without edits of
            # its own, or one merged already): a merge would have one parent twice.
            raise Conflict(_("Ce remix ne contient rien de nouveau par rapport à la version "
                             "officielle."), code="nothing_new",
                           details={"status": remix.status})
        cleaned, taken = _resolve(plan, request, choices, resolution, _(
            "Le remix et la version officielle ont modifié les mêmes passages : choisissez "
            "pour chacun."))
        revision = add_revision(
            session, definition=definition, cleaned=cleaned,
            summary=_("Fusion du remix « %(title)s »", title=remix.title)[:300],
            author=user, parents=[ours, theirs], license_code=license_for_edit(ours.license_code),
            merged_remix_id=remix.id, taken_regions=taken)
        definition.head_revision_id = revision.id
        remix.status = "merged"
        remix.settled_revision_id = theirs.id
        remix.updated_at = utcnow()
        session.add(Event(kind="merge", definition_id=definition.id, actor_id=user.id,
                          remix_id=remix.id, revision_id=revision.id))
        session.add(AuditEntry(actor_id=user.id, action="merge_remix", target_type="remix",
                               target_id=remix.id, details={"revision_id": revision.id,
                                                            "taken_regions": taken}))
        edited = [index for index, choice in (choices or {}).items()
                  if isinstance(choice, merge.Replace)]
        notifying.remix_merged(session, remix, revision, user, plan.regions, edited)
    return revision


def _check_mergeable(remix: Remix) -> None:
    if remix.status in ("draft", "withdrawn"):
        raise Conflict(_("Seul un remix proposé peut être fusionné."), code="not_proposed",
                       details={"status": remix.status})
    if remix.status in ("merged", "declined") and \
            remix.settled_revision_id == remix.head_revision_id:
        raise Conflict(_("Ce remix n’a aucune révision nouvelle depuis sa dernière fusion ou "
                         "son refus."), code="nothing_new", details={"status": remix.status})


def update_plan(remix_id: int, user: User) -> MergePlan:
    """The owner's update screen: the regions the official line changed since the common
    ancestor (``take`` = the official text, ``leave`` = the remix's own)."""
    remix = get_remix(remix_id)
    if not user.can_write_remix(remix):
        raise NotAllowed(_("Seule la personne qui a créé ce remix peut le mettre à jour."))
    definition = db.session.get(Definition, remix.definition_id)
    return plan_merge(db.session, remix.head, definition.head)


def update_from_official(remix_id: int, user: User, request: Mapping | None = None) -> Revision:
    """Bring the official line's changes into a remix: the same merge, the other way, from
    the same three request forms as :func:`merge_remix` (``{}`` when nothing conflicts)."""
    choices, resolution = _read_merge_request(request or {})
    with transaction() as session:
        remix = _lock_remix(session, int(remix_id))
        training_sessions.check_edit(session, remix, user)
        if not user.can_write_remix(remix):
            raise NotAllowed(_("Seule la personne qui a créé ce remix peut le mettre à jour."))
        definition = session.get(Definition, remix.definition_id)
        ours = session.get(Revision, remix.head_revision_id)
        theirs = session.get(Revision, definition.head_revision_id)
        plan = plan_merge(session, ours, theirs)
        if plan.base.id == theirs.id:
            raise Conflict(_("Ce remix contient déjà la version officielle actuelle."),
                           code="up_to_date")
        cleaned, _taken = _resolve(plan, request or {}, choices, resolution, _(
            "La version officielle et votre remix ont modifié les mêmes passages."))
        revision = add_revision(
            session, definition=definition, cleaned=cleaned,
            summary=_("Mise à jour depuis la version officielle"), author=user,
            parents=[ours, theirs], license_code=remix.license_code, remix_id=remix.id)
        remix.head_revision_id = revision.id
        remix.updated_at = utcnow()
    return revision


def remix_votes(remix: Remix) -> dict:
    """``{current, earlier}``: votes on the head, and the latest earlier vote of each voter who
    has not voted on the head (the fork point excluded), as DECISIONS.md counts them."""
    current = {"plebisciter": 0, "rejeter": 0}
    earlier = {"plebisciter": 0, "rejeter": 0}
    rows = db.session.execute(
        select(Vote.user_id, Vote.revision_id, Vote.choice)
        .join(Revision, Revision.id == Vote.revision_id)
        .where((Revision.remix_id == remix.id) | (Revision.id == remix.head_revision_id))
        .order_by(Vote.revision_id)
    ).all()
    on_head = {user_id for user_id, rid, _c in rows if rid == remix.head_revision_id}
    latest: dict[int, str] = {}
    for user_id, revision_id, choice in rows:
        if revision_id == remix.head_revision_id:
            current[choice] += 1
        elif user_id not in on_head and revision_id != remix.forked_from_revision_id:
            latest[user_id] = choice
    for choice in latest.values():
        earlier[choice] += 1
    return {"current": current, "earlier": earlier}
