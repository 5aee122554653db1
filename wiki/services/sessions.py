"""Training sessions: a cohort works on one definition through dated phases.

A session has three phases, each named once and in this order: « propositions » (members propose
remixes and may still edit them), « votes » (proposals are frozen, members vote), « synthese »
(moderators merge or decline, everyone reads). Its current phase is computed from the clock and
the stored dates, never stored: ``avant`` before the first phase, ``cloturee`` after the last
one, and in a gap between two phases the phase that ended (DECISIONS.md). What a phase allows
is allowed within its own dates only: in a gap, proposals (or votes) are already closed.

While a session runs (from its creation until it is ``cloturee``) its rules hold, checked in
this order: membership, then phase, then everything else. Remixing stays open to everyone; only
members (moderators and admins count as members) may propose a remix of the session's
definition, and only during « propositions »; a proposal of the session takes no new revision
outside « propositions »; its votes happen during « votes » only. Once a session is closed its
proposals are ordinary remixes again: outside sessions nothing is phased.

The write services of remixing, editing and voting call the ``check_*`` functions below inside
their own transaction, so a refused action changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from wiki.errors import Conflict, InvalidInput, NotAllowed, NotFound
from wiki.extensions import db
from wiki.models import (
    PHASES,
    AuditEntry,
    Definition,
    Invitation,
    Remix,
    Revision,
    SessionMember,
    SessionPhase,
    TrainingSession,
    User,
    utcnow,
)
from wiki.services.db import lock_row, transaction
from wiki.services.revisions import clean_line

DEFAULT_TIMEZONE = "America/Toronto"
MAX_NAME = 200
#: Dates outside these years are refused: no overflow when shown in any time zone.
MIN_YEAR, MAX_YEAR = 1900, 2999
BEFORE = "avant"
CLOSED = "cloturee"
#: Every value ``current_phase`` can take, in the order they follow each other.
STATES = (BEFORE, *PHASES, CLOSED)


# --- reading ---------------------------------------------------------------------------------

def get_session(session_id: object) -> TrainingSession:
    try:
        sid = int(session_id)
    except (TypeError, ValueError):
        raise NotFound(_("Cette session n’existe pas.")) from None
    training = db.session.get(TrainingSession, sid) if 0 < sid < 2**63 else None
    if training is None:
        raise NotFound(_("La session %(id)s n’existe pas.", id=sid))
    return training


def sessions_of(definition_id: int) -> list[TrainingSession]:
    """The definition's sessions, the latest first."""
    return list(db.session.scalars(select(TrainingSession)
                                   .where(TrainingSession.definition_id == definition_id)
                                   .order_by(TrainingSession.id.desc())))


def phase_named(training: TrainingSession, name: str) -> SessionPhase:
    return next(phase for phase in training.phases if phase.name == name)


def span(training: TrainingSession) -> tuple[datetime, datetime]:
    """From the first phase's start to the last phase's end."""
    return training.phases[0].starts_at, training.phases[-1].ends_at


def current_phase(training: TrainingSession, now: datetime | None = None) -> str:
    """``avant``, a phase name, or ``cloturee``; in a gap, the phase that ended."""
    now = now or utcnow()
    start, end = span(training)
    if now < start:
        return BEFORE
    if now >= end:
        return CLOSED
    return [phase for phase in training.phases if phase.starts_at <= now][-1].name


def is_closed(training: TrainingSession, now: datetime | None = None) -> bool:
    return current_phase(training, now) == CLOSED


def members_count(training: TrainingSession) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(SessionMember)
                             .where(SessionMember.session_id == training.id)) or 0


def is_member(session: Session, training: TrainingSession, user: User | None) -> bool:
    """Moderators and admins count as members of every session."""
    if user is None or not getattr(user, "is_authenticated", True):
        return False
    if user.is_moderator:
        return True
    return session.get(SessionMember, (training.id, user.id)) is not None


def running_session(session: Session, definition_id: int,
                    now: datetime | None = None) -> TrainingSession | None:
    """The session whose rules hold now on this definition: the earliest one not closed.

    Sessions of one definition never overlap (``create_session`` refuses it), so at most one
    is under way; a later one waits its turn.
    """
    now = now or utcnow()
    candidates = [t for t in session.scalars(select(TrainingSession).where(
        TrainingSession.definition_id == definition_id)) if t.phases and not is_closed(t, now)]
    return min(candidates, key=lambda t: span(t)[0], default=None)


# --- dates and sentences ---------------------------------------------------------------------

@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def clean_timezone(value: object) -> str:
    if value in (None, ""):
        return DEFAULT_TIMEZONE
    if not isinstance(value, str) or value not in _timezones():
        raise InvalidInput("timezone", _("Fuseau horaire inconnu : donnez un nom IANA comme "
                                         "« America/Toronto » ou « Europe/Paris »."),
                           details={"value": value if isinstance(value, str) else None})
    return value


def parse_moment(value: object, field: str, local_timezone: str | None = None) -> datetime:
    """An aware datetime in UTC from ISO 8601 text (or a datetime).

    Without an offset the time is refused (422), unless ``local_timezone`` is given: the
    session form's ``datetime-local`` fields are read in the session's time zone.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(field, _("Date invalide : utilisez le format ISO 8601 avec le "
                                        "décalage horaire, par exemple "
                                        "2026-03-03T09:00:00-05:00."),
                               details={"reason": "invalid_date"}) from None
    else:
        raise InvalidInput(field, _("Date manquante : utilisez le format ISO 8601 avec le "
                                    "décalage horaire, par exemple 2026-03-03T09:00:00-05:00."),
                           details={"reason": "missing_date"})
    if moment.tzinfo is None or moment.utcoffset() is None:
        if local_timezone is None:
            raise InvalidInput(field, _("Date sans fuseau horaire : ajoutez le décalage UTC "
                                        "(par exemple 2026-03-03T09:00:00-05:00 ou …Z)."),
                               details={"reason": "naive_date"})
        moment = moment.replace(tzinfo=ZoneInfo(local_timezone))
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise InvalidInput(field, _("Date hors limites : choisissez une année entre %(low)d et "
                                    "%(high)d.", low=MIN_YEAR, high=MAX_YEAR),
                           details={"reason": "out_of_range"})
    return moment


def format_moment(moment: datetime, timezone: str, now: datetime | None = None) -> str:
    """« 3 mars à 9 h » in the session's time zone (the year when it is not this year)."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    this_year = (now or utcnow()).astimezone(zone).year
    locale = _date_locale()
    if locale.startswith("fr"):
        day = "d'er'" if local.day == 1 else "d"
        year = "" if local.year == this_year else " y"
        hour = "H 'h'" if local.minute == 0 else "H 'h' mm"
        pattern = f"{day} MMMM{year} 'à' {hour}"
    else:
        year = "" if local.year == this_year else ", y"
        pattern = f"MMMM d{year} 'at' h:mm a"
    return format_datetime(local, pattern, tzinfo=zone, locale=locale)


def _date_locale() -> str:
    """The reader's locale when the session sentences are translated for it, else French: a
    sentence never mixes two languages (« Les votes ouvrent le March 3 »)."""
    locale = str(get_locale() or "fr")
    if locale.startswith("fr"):
        return locale
    msgid = "Les votes ouvrent le %(date)s."
    return locale if _(msgid, date="") != msgid % {"date": ""} else "fr"


def phase_label(name: str) -> str:
    return {
        BEFORE: _("Avant la session"),
        "propositions": _("Propositions"),
        "votes": _("Votes"),
        "synthese": _("Synthèse"),
        CLOSED: _("Clôturée"),
    }[name]


def phase_open(training: TrainingSession, name: str, now: datetime) -> bool:
    """Is ``now`` within the phase's own dates? In a gap the current phase is still the one
    that ended (DECISIONS.md), but what it allows has ended with it."""
    phase = phase_named(training, name)
    return phase.starts_at <= now < phase.ends_at


def opens_message(training: TrainingSession, needed: str, now: datetime) -> str:
    when = format_moment(phase_named(training, needed).starts_at, training.timezone, now)
    return {
        "propositions": _("Les propositions ouvrent le %(date)s.", date=when),
        "votes": _("Les votes ouvrent le %(date)s.", date=when),
        "synthese": _("La synthèse commence le %(date)s.", date=when),
    }[needed]


def closed_message(training: TrainingSession, needed: str, action: str, now: datetime) -> str:
    when = format_moment(phase_named(training, needed).ends_at, training.timezone, now)
    if action == "edit":
        return _("Les propositions sont figées depuis le %(date)s : on ne peut plus les "
                 "modifier pendant la session.", date=when)
    return {
        "propositions": _("Les propositions sont closes depuis le %(date)s.", date=when),
        "votes": _("Les votes sont clos depuis le %(date)s.", date=when),
        "synthese": _("La synthèse est terminée depuis le %(date)s.", date=when),
    }[needed]


def status_message(training: TrainingSession, now: datetime | None = None) -> str:
    """What participants can do now, in one or two sentences."""
    now = now or utcnow()
    phase = current_phase(training, now)
    tz = training.timezone

    def at(moment: datetime) -> str:
        return format_moment(moment, tz, now)

    if phase == BEFORE:
        return _("La session n’a pas encore commencé. %(next)s",
                 next=opens_message(training, "propositions", now))
    if phase == CLOSED:
        return _("La session est clôturée depuis le %(date)s. Sa synthèse reste consultable.",
                 date=at(span(training)[1]))
    following = {"propositions": "votes", "votes": "synthese"}.get(phase)
    if not phase_open(training, phase, now):  # a gap: the phase ended, the next is to come
        return _("La phase « %(phase)s » est terminée depuis le %(date)s. %(next)s",
                 phase=phase_label(phase), date=at(phase_named(training, phase).ends_at),
                 next=opens_message(training, following, now) if following else "")
    until = at(phase_named(training, phase).ends_at)
    if phase == "propositions":
        return _("Propositions ouvertes jusqu’au %(date)s : les membres proposent des "
                 "modifications ou des remix et peuvent encore les retoucher. %(next)s",
                 date=until, next=opens_message(training, "votes", now))
    if phase == "votes":
        return _("Votes ouverts jusqu’au %(date)s : les propositions sont figées, les membres "
                 "votent pour celles qu’ils soutiennent.", date=until)
    return _("Synthèse jusqu’au %(date)s : l’équipe d’animation fusionne ou refuse les "
             "propositions ; tout le monde peut lire et commenter.", date=until)


@dataclass(frozen=True)
class TimelineStep:
    name: str
    label: str
    starts_at: datetime | None
    ends_at: datetime | None
    #: ``past``, ``current`` or ``future``.
    state: str
    starts: str = ""
    ends: str = ""


def timeline(training: TrainingSession, now: datetime | None = None) -> list[TimelineStep]:
    """The phases in order, with a ``today`` step where now falls outside every phase."""
    now = now or utcnow()
    tz = training.timezone
    steps: list[TimelineStep] = []
    placed = False
    for phase in training.phases:
        if not placed and now < phase.starts_at:
            steps.append(_today(now, tz))
            placed = True
        inside = phase.starts_at <= now < phase.ends_at
        state = "current" if inside else ("past" if now >= phase.ends_at else "future")
        placed = placed or inside
        steps.append(TimelineStep(phase.name, phase_label(phase.name), phase.starts_at,
                                  phase.ends_at, state, format_moment(phase.starts_at, tz, now),
                                  format_moment(phase.ends_at, tz, now)))
    if not placed:
        steps.append(_today(now, tz))
    return steps


def _today(now: datetime, tz: str) -> TimelineStep:
    return TimelineStep("today", _("Aujourd’hui"), now, None, "current",
                        format_moment(now, tz, now))


# --- the rules, called by the write services inside their transaction -------------------------

def _not_a_member(training: TrainingSession, action: str) -> NotAllowed:
    messages = {
        "propose": _("Seuls les membres de la session « %(name)s » peuvent proposer une "
                     "modification de cette définition pendant la session. Demandez un lien "
                     "d’invitation à l’équipe d’animation.", name=training.name),
        "edit": _("Seuls les membres de la session « %(name)s » peuvent modifier ses "
                  "propositions.", name=training.name),
        "vote": _("Seuls les membres de la session « %(name)s » peuvent voter sur ses "
                  "propositions. Demandez un lien d’invitation à l’équipe d’animation.",
                  name=training.name),
    }
    return NotAllowed(messages[action], code="not_a_member",
                      details={"session_id": training.id})


def _phase_closed(training: TrainingSession, needed: str, action: str,
                  now: datetime) -> Conflict:
    phase = current_phase(training, now)
    needed_start = phase_named(training, needed).starts_at
    details = {"phase": phase, "needed_phase": needed, "session_id": training.id}
    if now < needed_start:
        details["opens_at"] = needed_start.strftime("%Y-%m-%dT%H:%M:%SZ")
        message = opens_message(training, needed, now)
    else:
        message = closed_message(training, needed, action, now)
    return Conflict(message, code="phase_closed", details=details)


def _require(session: Session, training: TrainingSession, user: User | None, needed: str,
             action: str, now: datetime) -> None:
    if not is_member(session, training, user):
        raise _not_a_member(training, action)
    if not phase_open(training, needed, now):
        raise _phase_closed(training, needed, action, now)


def session_for_new_remix(session: Session, owner: User, definition_id: int) -> int | None:
    """A remix created by a member while a session runs belongs to it; anyone may remix."""
    training = running_session(session, definition_id)
    if training is not None and is_member(session, training, owner):
        return training.id
    return None


def check_status_change(session: Session, remix: Remix, user: User, status: str) -> None:
    """Proposing a remix of a definition under session: members only, during « propositions ».

    A remix proposed that way joins the session (if it was made before, say)."""
    if status != "proposed":
        return
    now = utcnow()
    training = running_session(session, remix.definition_id, now)
    if training is None:
        return
    _require(session, training, user, "propositions", "propose", now)
    remix.session_id = training.id


def check_can_propose(definition_id: int, user: User) -> None:
    """The same rule, checked before « Proposer une modification » creates its remix."""
    now = utcnow()
    training = running_session(db.session, definition_id, now)
    if training is not None:
        _require(db.session, training, user, "propositions", "propose", now)


def _session_of_remix(session: Session, remix: Remix, now: datetime) -> TrainingSession | None:
    if remix.session_id is None:
        return None
    training = session.get(TrainingSession, remix.session_id)
    return None if training is None or is_closed(training, now) else training


def check_edit(session: Session, line: Definition | Remix, author: User) -> None:
    """A new revision on a proposal of a running session: during « propositions » only."""
    if not isinstance(line, Remix) or line.status != "proposed":
        return
    now = utcnow()
    training = _session_of_remix(session, line, now)
    if training is not None:
        _require(session, training, author, "propositions", "edit", now)


def check_vote(session: Session, revision: Revision, user_id: int) -> None:
    """Votes on the proposals of a running session: members, during « votes »."""
    if revision.remix_id is None:
        return
    now = utcnow()
    training = _session_of_remix(session, session.get(Remix, revision.remix_id), now)
    if training is not None:
        _require(session, training, session.get(User, user_id), "votes", "vote", now)


# --- moderators' actions ---------------------------------------------------------------------

def _require_moderator(user: User) -> None:
    if not user.is_moderator:
        raise NotAllowed(_("Réservé aux modérateurs."))


def clean_phases(raw: object, local_timezone: str | None = None) -> list[tuple[str, datetime,
                                                                               datetime]]:
    """``[(name, starts_at, ends_at)]`` in phase order, or a 422 that says what is wrong."""
    if not isinstance(raw, list | tuple) or not raw:
        raise InvalidInput("phases", _("Donnez les dates des trois phases : propositions, votes "
                                       "et synthèse."), details={"reason": "missing"})
    seen: dict[str, tuple[datetime, datetime]] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise InvalidInput("phases", _("Chaque phase est un objet {name, starts_at, "
                                           "ends_at}."), details={"index": index})
        name = item.get("name")
        if name not in PHASES:
            raise InvalidInput("phases", _("Phase inconnue : « %(name)s » (propositions, votes "
                                           "ou synthese).", name=str(name)[:40]),
                               details={"index": index, "allowed": list(PHASES)})
        if name in seen:
            raise InvalidInput("phases", _("La phase « %(name)s » est donnée deux fois.",
                                           name=phase_label(name)),
                               details={"index": index, "reason": "duplicate"})
        starts = parse_moment(item.get("starts_at"), "phases", local_timezone)
        ends = parse_moment(item.get("ends_at"), "phases", local_timezone)
        if not starts < ends:
            raise InvalidInput("phases", _("La phase « %(name)s » se termine avant de commencer "
                                           ": sa fin doit suivre son début.",
                                           name=phase_label(name)),
                               details={"index": index, "phase": name, "reason": "reversed"})
        seen[name] = (starts, ends)
    missing = [name for name in PHASES if name not in seen]
    if missing:
        raise InvalidInput("phases", _("Il manque la phase « %(name)s ».",
                                       name=phase_label(missing[0])),
                           details={"reason": "missing", "missing": missing})
    ordered = [(name, *seen[name]) for name in PHASES]
    for (before, _s, before_end), (after, after_start, _e) in zip(ordered, ordered[1:],
                                                                    strict=False):
        if before_end > after_start:
            raise InvalidInput("phases", _("Les phases « %(a)s » et « %(b)s » se chevauchent ou "
                                           "sont dans le désordre : « %(b)s » doit commencer "
                                           "après la fin de « %(a)s ».",
                                           a=phase_label(before), b=phase_label(after)),
                               details={"reason": "overlap", "phases": [before, after]})
    return ordered


def create_session(*, definition_id: int, name: object, phases: object, user: User,
                   timezone: object = None, local_times: bool = False) -> TrainingSession:
    """A moderator opens the definition to a cohort; ``local_times`` reads times without an
    offset in the session's time zone (the page's form), the API refuses them."""
    _require_moderator(user)
    name = clean_line(name, "name", MAX_NAME, required=True,
                      missing=_("Donnez un nom à la session (par exemple « Cohorte automne "
                                "2026 »)."))
    zone = clean_timezone(timezone)
    ordered = clean_phases(phases, zone if local_times else None)
    start, end = ordered[0][1], ordered[-1][2]
    with transaction() as session:
        definition = lock_row(session, Definition, definition_id)
        if definition is None:
            raise NotFound(_("Cette définition n’existe pas."))
        for other in session.scalars(select(TrainingSession).where(
                TrainingSession.definition_id == definition_id)):
            other_start, other_end = span(other)
            if start < other_end and other_start < end:
                raise InvalidInput("phases", _(
                    "Ces dates chevauchent la session « %(name)s » de la même définition : une "
                    "seule session à la fois.", name=other.name),
                    details={"reason": "sessions_overlap", "session_id": other.id})
        training = TrainingSession(definition_id=definition_id, name=name, timezone=zone,
                                   created_by_id=user.id, created_at=utcnow())
        training.phases = [SessionPhase(name=n, starts_at=s, ends_at=e) for n, s, e in ordered]
        session.add(training)
        session.flush()
        session.add(AuditEntry(actor_id=user.id, action="create_session",
                               target_type="training_session", target_id=training.id,
                               details={"name": name, "definition_id": definition_id}))
    return training


def add_member(session_id: object, user: User, username: object) -> TrainingSession:
    _require_moderator(user)
    training = get_session(session_id)
    if not isinstance(username, str) or not username.strip():
        raise InvalidInput("username", _("Donnez le nom d’utilisateur de la personne à "
                                         "ajouter."))
    from wiki.services.accounts import normalise_username

    with transaction() as session:
        training = lock_row(session, TrainingSession, training.id)
        member = session.scalar(select(User).where(
            User.username == normalise_username(username)))
        if member is None or not member.active:
            raise InvalidInput("username", _("Aucun compte actif ne porte le nom "
                                             "« %(name)s ».", name=username.strip()[:40]),
                               code="unknown_user")
        _add(session, training, member)
        session.add(AuditEntry(actor_id=user.id, action="add_session_member",
                               target_type="training_session", target_id=training.id,
                               details={"username": member.username}))
    return training


def _add(session: Session, training: TrainingSession, member: User) -> None:
    if session.get(SessionMember, (training.id, member.id)) is None:
        session.add(SessionMember(session_id=training.id, user_id=member.id, joined_at=utcnow()))


def members_of(training: TrainingSession) -> list[User]:
    return list(db.session.scalars(
        select(User).join(SessionMember, SessionMember.user_id == User.id)
        .where(SessionMember.session_id == training.id).order_by(User.display_name)))


def create_invitation(session_id: object, user: User, expires_at: object,
                      local_times: bool = False) -> Invitation:
    _require_moderator(user)
    training = get_session(session_id)
    expires = parse_moment(expires_at, "expires_at",
                           training.timezone if local_times else None)
    if expires <= utcnow():
        raise InvalidInput("expires_at", _("La date d’expiration est déjà passée : choisissez "
                                           "une date à venir."), details={"reason": "past"})
    with transaction() as session:
        invitation = Invitation(session_id=training.id, code=secrets.token_urlsafe(18),
                                expires_at=expires, created_at=utcnow())
        session.add(invitation)
    return invitation


def invitations_of(training: TrainingSession) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where(
        Invitation.session_id == training.id).order_by(Invitation.id.desc())))


def _find_invitation(session: Session, code: object) -> Invitation | None:
    if not isinstance(code, str) or not code or len(code) > 64:
        return None
    return session.scalar(select(Invitation).where(Invitation.code == code))


def revoke_invitation(code: object, user: User) -> Invitation:
    _require_moderator(user)
    with transaction() as session:
        invitation = _find_invitation(session, code)
        if invitation is None:
            raise NotFound(_("Cette invitation n’existe pas."))
        invitation = lock_row(session, Invitation, invitation.id)
        if invitation.revoked_at is None:
            invitation.revoked_at = utcnow()
            session.add(AuditEntry(actor_id=user.id, action="revoke_invitation",
                                   target_type="training_session",
                                   target_id=invitation.session_id,
                                   details={"invitation_id": invitation.id}))
    return invitation


def invitation_state(invitation: Invitation, now: datetime | None = None) -> str:
    """``valid``, ``expired`` or ``revoked``."""
    if invitation.revoked_at is not None:
        return "revoked"
    return "expired" if (now or utcnow()) >= invitation.expires_at else "valid"


def join(code: object, user: User) -> TrainingSession:
    """Join with an invitation code; joining twice is harmless."""
    with transaction() as session:
        invitation = _find_invitation(session, code)
        state = invitation_state(invitation) if invitation else "unknown"
        if state != "valid":
            message = {
                "unknown": _("Ce code d’invitation n’existe pas : vérifiez le lien reçu."),
                "expired": _("Cette invitation a expiré : demandez un nouveau lien à l’équipe "
                             "d’animation."),
                "revoked": _("Cette invitation a été révoquée : demandez un nouveau lien à "
                             "l’équipe d’animation."),
            }[state]
            raise InvalidInput("code", message, code="invitation_invalid",
                               details={"reason": state})
        training = lock_row(session, TrainingSession, invitation.session_id)
        _add(session, training, user)
    return training


def default_invitation_expiry(training: TrainingSession) -> datetime:
    """Until the votes end: later arrivals cannot take part any more."""
    return max(phase_named(training, "votes").ends_at, utcnow() + timedelta(days=1))


# --- the participant view and the synthesis --------------------------------------------------

def session_remixes(training: TrainingSession) -> list[Remix]:
    return list(db.session.scalars(select(Remix).where(Remix.session_id == training.id)
                                   .order_by(Remix.id)))


def official_head_at(definition_id: int, moment: datetime) -> Revision | None:
    """The official line's head at ``moment``: its latest revision saved by then."""
    return db.session.scalar(
        select(Revision).where(Revision.definition_id == definition_id,
                               Revision.remix_id.is_(None), Revision.created_at <= moment)
        .order_by(Revision.created_at.desc(), Revision.id.desc()).limit(1))


def start_revision(training: TrainingSession) -> Revision:
    moment = max(training.created_at, training.phases[0].starts_at)
    head = official_head_at(training.definition_id, moment)
    if head is None:  # the definition was created after that moment: its first revision
        head = db.session.scalar(
            select(Revision).where(Revision.definition_id == training.definition_id,
                                   Revision.remix_id.is_(None)).order_by(Revision.id).limit(1))
    return head


def end_revision(training: TrainingSession, now: datetime | None = None) -> Revision:
    end = phase_named(training, "synthese").ends_at
    if (now or utcnow()) < end:
        return training.definition.head
    return official_head_at(training.definition_id, end) or training.definition.head


def _merge_left_regions_out(merge_revision: Revision) -> bool:
    """Did this merge leave out some of the regions its remix offered?"""
    from wiki.services.remixing import plan_merge

    if merge_revision.taken_regions is None or len(merge_revision.parent_ids) != 2:
        return False
    ours, theirs = (db.session.get(Revision, pid) for pid in merge_revision.parent_ids)
    offered = {region.index for region in plan_merge(db.session, ours, theirs).regions}
    return bool(offered - set(merge_revision.taken_regions))


def outcome(remix: Remix) -> str:
    """merged | partly_merged | declined (a withdrawn proposal too) | open."""
    if remix.status in ("declined", "withdrawn"):
        return "declined"
    if remix.status != "merged":
        return "open"
    merges = db.session.scalars(select(Revision).where(Revision.merged_remix_id == remix.id))
    return "partly_merged" if any(_merge_left_regions_out(m) for m in merges) else "merged"


@dataclass(frozen=True)
class Contributor:
    display_name: str
    username: str | None
    share: float


def contributors(revision: Revision) -> list[Contributor]:
    """Everyone whose words remain in ``revision``, with their share of its text."""
    from wiki.domain import authorship

    shares = authorship.shares(authorship.runs_from_json(revision.authorship))
    names: dict[str, list[dict]] = {}
    for entry in revision.contributors:
        if entry.get("present") and entry["display_name"] not in [
                e["display_name"] for e in names.get(entry["key"], [])]:
            names.setdefault(entry["key"], []).append(entry)
    result = []
    for key, share in shares.items():
        entries = names.get(key) or [{"display_name": key, "username": None}]
        result.append(Contributor(
            display_name=" et ".join(e["display_name"] for e in entries),
            username=entries[0]["username"] if len(entries) == 1 else None,
            share=round(share, 4)))
    result.sort(key=lambda c: (-c.share, c.display_name))
    return result


def proposals(training: TrainingSession) -> list[dict]:
    """The session's proposals (its remixes that were ever proposed), oldest first."""
    from wiki.services.remixing import remix_votes

    rows = []
    for remix in session_remixes(training):
        if remix.status == "draft":
            continue
        rows.append({"remix": remix, "votes": remix_votes(remix), "outcome": outcome(remix)})
    return rows


def synthesis(training: TrainingSession, now: datetime | None = None) -> dict:
    from wiki.services import comparing

    start = start_revision(training)
    end = end_revision(training, now)
    comparison = comparing.compare(start.id, end.id)
    return {
        "start": start,
        "end": end,
        "comparison": comparison,
        "proposals": proposals(training),
        "contributors": contributors(end),
        "final": (now or utcnow()) >= phase_named(training, "synthese").ends_at,
    }


SORTS = ("votes", "date")


def participant_view(training: TrainingSession, user: User | None,
                     sort: str = "votes") -> dict:
    """My proposals (drafts included) and the others', sorted by Wilson bound or date."""
    from wiki.domain import ranking
    from wiki.services.remixing import remix_votes

    sort = sort if sort in SORTS else "votes"
    mine, others = [], []
    for remix in session_remixes(training):
        own = user is not None and getattr(user, "is_authenticated", False) \
            and remix.owner_id == user.id
        if remix.status == "draft" and not own:
            continue
        votes = remix_votes(remix)
        current = votes["current"]
        row = {"remix": remix, "votes": votes, "outcome": outcome(remix),
               "wilson": ranking.wilson_lower_bound(current["plebisciter"], current["rejeter"])}
        (mine if own else others).append(row)
    if sort == "votes":
        others.sort(key=lambda r: (-r["wilson"], -r["remix"].created_at.timestamp()))
    else:
        others.sort(key=lambda r: (-r["remix"].created_at.timestamp(), -r["remix"].id))
    mine.sort(key=lambda r: -r["remix"].id)
    return {"mine": mine, "others": others, "sort": sort}


def can_act(training: TrainingSession, user: User | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and \
        is_member(db.session, training, user)


def sessions_summary(items: Iterable[TrainingSession]) -> list[tuple[TrainingSession, str]]:
    now = utcnow()
    return [(t, current_phase(t, now)) for t in items]
