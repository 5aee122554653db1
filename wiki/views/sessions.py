"""Training session pages: the list and the creation form, the session page (timeline,
participant view, moderator tools), the invitation link, the synthesis and its exports."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from wiki.domain import licensing, textdiff
from wiki.errors import WikiError
from wiki.extensions import db
from wiki.models import PHASES, Definition, TrainingSession
from wiki.services import editing
from wiki.services import sessions as training_sessions
from wiki.views.attribution import attribution_of
from wiki.views.forms import form_value

bp = Blueprint("sessions", __name__)

def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def outcome_label(outcome: str) -> str:
    return {"merged": _("fusionnée"), "partly_merged": _("fusionnée en partie"),
            "declined": _("refusée ou retirée"), "open": _("en attente")}[outcome]


def status_label(status: str) -> str:
    return {"draft": _("brouillon"), "proposed": _("proposée"), "merged": _("fusionnée"),
            "declined": _("refusée"), "withdrawn": _("retirée")}[status]


def local_input(moment: datetime, timezone: str) -> str:
    """A ``datetime-local`` field's value in the session's time zone."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def percent(share: float) -> str:
    """« 42,5 % » (French spacing), « 42.5% » in English."""
    from babel.numbers import format_percent
    from flask_babel import get_locale

    locale = str(get_locale() or "fr")
    pattern = "#,##0.#\u00a0%" if locale.startswith("fr") else "#,##0.#%"
    return format_percent(share, pattern, locale=locale)


def words_changed(inserted: int, deleted: int) -> str:
    return _("%(added)s, %(removed)s.",
             added=ngettext("%(num)d mot ajouté", "%(num)d mots ajoutés", inserted),
             removed=ngettext("%(num)d mot retiré", "%(num)d mots retirés", deleted))


@bp.app_context_processor
def _session_helpers() -> dict:
    def running_session_for(definition: Definition):
        training = training_sessions.running_session(db.session, definition.id)
        if training is None:
            return None
        return {"session": training, "phase": training_sessions.current_phase(training),
                "message": training_sessions.status_message(training)}

    return {"running_session_for": running_session_for}


# --- list and creation -----------------------------------------------------------------------

@bp.get("/definitions/<slug>/sessions")
def index(slug: str):
    definition = editing.get_definition(slug)
    return _index_page(definition, {})


def _index_page(definition: Definition, form: dict, error: WikiError | None = None,
                status: int = 200):
    rows = training_sessions.sessions_summary(training_sessions.sessions_of(definition.id))
    return render_template("sessions/index.html", definition=definition, rows=rows, form=form,
                           error=error, phases=PHASES, phase_label=training_sessions.phase_label,
                           default_timezone=training_sessions.DEFAULT_TIMEZONE), status


@bp.post("/definitions/<slug>/sessions")
@login_required
def create(slug: str):
    definition = editing.get_definition(slug)
    form = {"name": form_value("name"), "timezone": form_value("timezone")}
    phases = []
    for name in PHASES:
        form[f"{name}_starts_at"] = form_value(f"{name}_starts_at")
        form[f"{name}_ends_at"] = form_value(f"{name}_ends_at")
        phases.append({"name": name, "starts_at": form[f"{name}_starts_at"],
                       "ends_at": form[f"{name}_ends_at"]})
    try:
        training = training_sessions.create_session(
            definition_id=definition.id, name=form["name"], phases=phases,
            timezone=form["timezone"], user=_user(), local_times=True)
    except WikiError as error:
        return _index_page(definition, form, error, error.status)
    flash(_("Session créée. Invitez maintenant les participantes et participants."), "success")
    return redirect(url_for("sessions.show", session_id=training.id))


# --- the session page ------------------------------------------------------------------------

@bp.get("/sessions/<int:session_id>")
def show(session_id: int):
    training = training_sessions.get_session(session_id)
    return _session_page(training)


def _session_page(training: TrainingSession, error: WikiError | None = None,
                  status: int = 200, invitation_form: dict | None = None):
    user = _user()
    phase = training_sessions.current_phase(training)
    open_now = phase in PHASES and training_sessions.phase_open(
        training, phase, training_sessions.utcnow())
    view = training_sessions.participant_view(training, user, request.args.get("tri", "votes"))
    is_member = training_sessions.can_act(training, user)
    moderator = user is not None and user.is_moderator
    context = {
        "training": training, "definition": training.definition, "phase": phase,
        "open_now": open_now,
        "phase_label": training_sessions.phase_label,
        "message": training_sessions.status_message(training),
        "steps": training_sessions.timeline(training), "view": view, "is_member": is_member,
        "moderator": moderator, "members_count": training_sessions.members_count(training),
        "outcome_label": outcome_label, "status_label": status_label, "error": error,
        "local": lambda moment: training_sessions.format_moment(moment, training.timezone),
    }
    if moderator:
        expiry = training_sessions.default_invitation_expiry(training)
        context.update(
            members=training_sessions.members_of(training),
            invitations=[(i, training_sessions.invitation_state(i))
                         for i in training_sessions.invitations_of(training)],
            invitation_form=invitation_form or {
                "expires_at": local_input(expiry, training.timezone)},
        )
    return render_template("sessions/show.html", **context), status


@bp.post("/sessions/<int:session_id>/members")
@login_required
def add_member(session_id: int):
    training = training_sessions.get_session(session_id)
    username = form_value("username")
    try:
        training_sessions.add_member(training.id, _user(), username)
    except WikiError as error:
        return _session_page(training, error, error.status)
    flash(_("%(name)s fait maintenant partie de la session.", name=username.strip()), "success")
    return redirect(url_for("sessions.show", session_id=training.id, _anchor="membres"))


@bp.post("/sessions/<int:session_id>/invitations")
@login_required
def create_invitation(session_id: int):
    training = training_sessions.get_session(session_id)
    expires_at = form_value("expires_at")
    try:
        training_sessions.create_invitation(training.id, _user(), expires_at, local_times=True)
    except WikiError as error:
        return _session_page(training, error, error.status, {"expires_at": expires_at})
    flash(_("Lien d’invitation créé : copiez-le et envoyez-le au groupe."), "success")
    return redirect(url_for("sessions.show", session_id=training.id, _anchor="invitations"))


@bp.post("/invitations/<code>/revoke")
@login_required
def revoke_invitation(code: str):
    invitation = training_sessions.revoke_invitation(code, _user())
    flash(_("Invitation révoquée : ce lien ne fonctionne plus."), "success")
    return redirect(url_for("sessions.show", session_id=invitation.session_id,
                            _anchor="invitations"))


@bp.get("/sessions/join/<code>")
def join(code: str):
    """The invitation link only shows the invitation: joining is the POST of its button.

    A GET must change nothing: a link preview, a prefetch or an ``<img src>`` on another site
    would otherwise add whoever follows it to a session. Visitors are asked to log in or
    register first (``next`` brings them back here)."""
    from sqlalchemy import select

    from wiki.models import Invitation

    invitation = None
    if len(code) <= 64:
        invitation = db.session.scalar(select(Invitation).where(Invitation.code == code))
    state = training_sessions.invitation_state(invitation) if invitation else None
    training = db.session.get(TrainingSession, invitation.session_id) if invitation else None
    already = state == "valid" and training_sessions.can_act(training, _user())
    return render_template("sessions/join.html", training=training, state=state, code=code,
                           already=already, next=request.path), \
        200 if state == "valid" else 422


@bp.post("/sessions/join/<code>")
@login_required
def confirm_join(code: str):
    """« Rejoindre la session »: the form of the invitation page (CSRF-checked)."""
    try:
        training = training_sessions.join(code, _user())
    except WikiError as error:
        return render_template("error.html", status=error.status, code=error.code,
                               message=error.message, details=error.details), error.status
    flash(_("Bienvenue dans la session « %(name)s ».", name=training.name), "success")
    return redirect(url_for("sessions.show", session_id=training.id))


# --- the synthesis ---------------------------------------------------------------------------

def _report(training: TrainingSession) -> dict:
    report = training_sessions.synthesis(training)
    report["diff"] = report["comparison"].diff
    report["stats"] = report["comparison"].stats
    report["attribution"] = attribution_of(report["end"])
    report["license"] = licensing.get_license(report["end"].license_code)
    report["noncommercial"] = licensing.is_noncommercial(report["license"])
    return report


def _synthesis_context(training: TrainingSession) -> dict:
    report = _report(training)
    start, end = training_sessions.span(training)
    return {"training": training, "definition": training.definition, "report": report,
            "diff_html": textdiff.render_inline(report["diff"]),
            "outcome_label": outcome_label, "percent": percent,
            "words_changed": words_changed,
            "starts": training_sessions.format_moment(start, training.timezone),
            "ends": training_sessions.format_moment(end, training.timezone),
            "phase": training_sessions.current_phase(training),
            "phase_label": training_sessions.phase_label}


@bp.get("/sessions/<int:session_id>/synthese")
def synthesis(session_id: int):
    training = training_sessions.get_session(session_id)
    return render_template("sessions/synthesis.html", **_synthesis_context(training))


@bp.get("/sessions/<int:session_id>/synthese.html")
def synthesis_html(session_id: int):
    training = training_sessions.get_session(session_id)
    html = render_template("sessions/synthesis_export.html", **_synthesis_context(training))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Disposition"] = (
        f'inline; filename="synthese-session-{training.id}.html"')
    return response


def _cell(value: str) -> str:
    return " ".join(value.split()).replace("\\", "\\\\").replace("|", "\\|")


def _quoted(body: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in body.rstrip().split("\n"))


def _critic(diff: textdiff.Diff) -> str:
    """The word diff in CriticMarkup: {++ added ++} and {-- removed --}."""
    parts = []
    for op in diff:
        if isinstance(op, textdiff.Insert):
            parts.append("{++" + op.text + "++}")
        elif isinstance(op, textdiff.Delete):
            parts.append("{--" + op.text + "--}")
        else:
            parts.append(op.text)
    return "".join(parts)


def synthesis_markdown(training: TrainingSession) -> str:
    context = _synthesis_context(training)
    report = context["report"]
    start, end, stats = report["start"], report["end"], report["stats"]
    lines = [
        f"# {_('Synthèse de la session « %(name)s »', name=training.name)}",
        "",
        _("Définition : %(term)s · du %(start)s au %(end)s (heure de %(tz)s)",
          term=training.definition.term, start=context["starts"], end=context["ends"],
          tz=training.timezone),
        "",
        f"## {_('Le texte au début de la session (révision %(id)d)', id=start.id)}",
        "",
        _quoted(start.body),
        "",
        f"## {_('Le texte à la fin de la session (révision %(id)d)', id=end.id)}",
        "",
        _quoted(end.body),
        "",
        f"## {_('Ce qui a changé')}",
        "",
        words_changed(stats.inserted_words, stats.deleted_words),
        "",
        _quoted(_critic(report["diff"])),
        "",
        f"## {_('Les propositions')}",
        "",
    ]
    if report["proposals"]:
        lines += [f"| {_('Proposition')} | {_('Auteur')} | {_('Votes (version actuelle)')} | "
                  f"{_('Votes antérieurs')} | {_('Issue')} |",
                  "|---|---|---|---|---|"]
        for row in report["proposals"]:
            remix, votes = row["remix"], row["votes"]
            issue = outcome_label(row["outcome"])
            if remix.status == "declined" and remix.decline_reason:
                issue += " — " + remix.decline_reason
            lines.append(
                f"| {_cell(remix.title)} | {_cell(remix.owner.display_name)} | "
                f"+{votes['current']['plebisciter']} / −{votes['current']['rejeter']} | "
                f"+{votes['earlier']['plebisciter']} / −{votes['earlier']['rejeter']} | "
                f"{_cell(issue)} |")
    else:
        lines.append(_("Aucune proposition pendant cette session."))
    lines += ["", f"## {_('Qui a écrit le texte final')}", ""]
    lines += [f"- {c.display_name} — {percent(c.share)}" for c in report["contributors"]]
    lines += ["", "---", "", report["attribution"].markdown]
    if report["noncommercial"]:
        lines += ["", _("Pas d’utilisation commerciale (NonCommercial).")]
    return "\n".join(lines) + "\n"


@bp.get("/sessions/<int:session_id>/synthese.md")
def synthesis_md(session_id: int):
    training = training_sessions.get_session(session_id)
    response = Response(synthesis_markdown(training), mimetype="text/markdown")
    response.headers["Content-Disposition"] = (
        f'inline; filename="synthese-session-{training.id}.md"')
    return response
