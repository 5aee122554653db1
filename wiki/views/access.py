"""Who may do what: the authorisation matrix, one entry per route and method.

``tests/web/test_access.py`` turns this table into one parametrised test: for every case it
calls the URL as each role and compares the status with the one written here. **A route with no
entry fails the test, naming it** — so adding a route means adding its line here (in the
section of its blueprint), next to the other routes.

Roles (the test builds one account of each, plus the objects the placeholders name):
- ``anonymous`` — no session, no token;
- ``participant`` — a participant who owns nothing below;
- ``owner`` — a participant who owns ``{remix}``, ``{proposed}``, ``{comment}``, ``{token}``;
- ``moderator``, ``admin``;
- ``deactivated`` — a deactivated participant with a session cookie and a token made before:
  pages treat them as anonymous (their session has ended), the API answers 401 to their token.

Pages are called with a session cookie, the API with a Bearer token. Expected values are HTTP
statuses, or ``LOGIN`` for « 302 to the login page »; a plain ``302`` must lead elsewhere.

Write each case with the helper that says who it is for, overriding a role where needed:
``public(url)``, ``members(method, url, ok)``, ``owners(...)``, ``moderators(...)``,
``admins(...)``. Unset roles default along the chain owner ← participant, admin ← moderator,
deactivated ← anonymous (pages) or 401 (API). Each case runs on a fresh copy of the world, so
a write by one role never changes what the next one sees.

Placeholders in URLs and bodies (a string that is exactly ``"{name}"`` becomes the raw value):
``{slug}`` the seeded definition · ``{first}`` its first revision · ``{revision}`` its head ·
``{remix}`` a draft remix of ``owner`` with one revision · ``{proposed}`` a proposed remix of
``owner``, mergeable · ``{fingerprint}`` its merge preview's fingerprint · ``{comment}`` a
comment of ``owner`` on ``{revision}`` · ``{hidden_comment}`` a hidden one · ``{token}`` the id
of a token of ``owner`` · ``{owner}``, ``{participant}``, ``{deactivated}`` usernames ·
``{other_slug}`` a second definition · ``{session}`` a training session of it, starting next
week · ``{invitation}`` an invitation code of that session · ``{notification}`` a « vote
outdated » notification of ``owner``. The test's world builder (``_build``) makes each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ROLES = ("anonymous", "participant", "owner", "moderator", "admin", "deactivated")
#: « 302 to the login page »: what a page answers to someone not logged in.
LOGIN = "login"

Expected = int | str


@dataclass(frozen=True)
class Case:
    method: str
    url: str
    expect: Mapping[str, Expected]
    form: Mapping[str, Any] | None = None
    json: Mapping[str, Any] | None = None
    note: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def api(self) -> bool:
        return self.url.startswith("/api/")


def case(method: str, url: str, *, anonymous: Expected, participant: Expected,
         owner: Expected | None = None, moderator: Expected | None = None,
         admin: Expected | None = None, deactivated: Expected | None = None,
         form: Mapping[str, Any] | None = None, json: Mapping[str, Any] | None = None,
         note: str = "") -> Case:
    api = url.startswith("/api/")
    owner = participant if owner is None else owner
    moderator = participant if moderator is None else moderator
    admin = moderator if admin is None else admin
    if deactivated is None:
        deactivated = 401 if api else anonymous
    expect = {"anonymous": anonymous, "participant": participant, "owner": owner,
              "moderator": moderator, "admin": admin, "deactivated": deactivated}
    return Case(method, url, expect, form=form, json=json, note=note)


def _denied_to_anonymous(url: str) -> Expected:
    return 401 if url.startswith("/api/") else LOGIN


def public(url: str, status: Expected = 200, method: str = "GET", **kw) -> Case:
    """Anyone, logged in or not, gets ``status``."""
    kw.setdefault("anonymous", status)
    kw.setdefault("participant", status)
    return case(method, url, **kw)


def members(method: str, url: str, ok: Expected, **kw) -> Case:
    """Anyone logged in gets ``ok``; anonymous visitors are sent to log in (401 in the API)."""
    kw.setdefault("anonymous", _denied_to_anonymous(url))
    kw.setdefault("participant", ok)
    return case(method, url, **kw)


def owners(method: str, url: str, ok: Expected, denied: Expected = 403, **kw) -> Case:
    """Only the owner of the object gets ``ok`` (moderators and admins included in ``denied``
    unless overridden)."""
    kw.setdefault("anonymous", _denied_to_anonymous(url))
    kw.setdefault("participant", denied)
    kw.setdefault("owner", ok)
    kw.setdefault("moderator", denied)
    return case(method, url, **kw)


def moderators(method: str, url: str, ok: Expected, denied: Expected = 403, **kw) -> Case:
    """Moderators and admins get ``ok``; participants (owners too) ``denied``."""
    kw.setdefault("anonymous", _denied_to_anonymous(url))
    kw.setdefault("participant", denied)
    kw.setdefault("moderator", ok)
    return case(method, url, **kw)


def admins(method: str, url: str, ok: Expected, denied: Expected = 403, **kw) -> Case:
    """Admins only."""
    kw.setdefault("anonymous", _denied_to_anonymous(url))
    kw.setdefault("participant", denied)
    kw.setdefault("moderator", denied)
    kw.setdefault("admin", ok)
    return case(method, url, **kw)


EDIT_FORM = {"body": "Une définition revue.\n", "summary": "Relecture",
             "base_revision_id": "{revision}"}
REMIX_EDIT_FORM = {"body": "Un remix revu.\n", "summary": "Relecture",
                   "base_revision_id": "{remix_head}"}
#: The password of every account of the test world.
PASSWORD = "matrice-mot-de-passe-2026"

#: endpoint → its cases (one per method at least).
ACCESS: dict[str, tuple[Case, ...]] = {
    # --- Flask itself -------------------------------------------------------------------------
    "static": (public("/static/style.css"),),

    # --- pages (wiki/views/pages.py) ----------------------------------------------------------
    "pages.healthz": (public("/healthz"),),
    "pages.set_language": (public("/langue/en?next=/history", 302),),
    "pages.index": (public("/"),),
    "pages.definition": (public("/definitions/{slug}"),),
    "pages.revision": (public("/revisions/{revision}"),),
    "pages.history": (public("/definitions/{slug}/history"),),
    "pages.compare": (public("/compare?from={first}&to={revision}"),),
    "pages.user": (public("/users/{owner}"),),
    "pages.authorship": (public("/revisions/{revision}/auteurs"),),
    "pages.edit": (
        # Without open editing, participants are sent to « Proposer une modification ».
        moderators("GET", "/definitions/{slug}/edit", 200, denied=302),
        moderators("POST", "/definitions/{slug}/edit", 302, denied=302, form=EDIT_FORM),
    ),
    "pages.revert": (moderators("POST", "/revisions/{first}/revert", 302),),
    "pages.preview": (members("POST", "/preview", 200, form={"body": "*Aperçu*"}),),
    "pages.new_definition": (
        moderators("GET", "/definitions/new", 200),
        moderators("POST", "/definitions/new", 302, form={
            "term": "Littératie numérique", "body": "Savoir lire le numérique.\n",
            "summary": "Création", "license": "CC-BY-SA-4.0"}),
    ),

    # --- exports (wiki/views/exports.py) ------------------------------------------------------
    "exports.revision_markdown": (public("/revisions/{revision}.md"),),
    "exports.revision_html": (public("/revisions/{revision}.html"),),
    "exports.definition_archive": (public("/definitions/{slug}/archive.json"),),

    # --- remixes (wiki/views/remixes.py) ------------------------------------------------------
    "remixes.fork": (
        members("GET", "/revisions/{revision}/remix", 200),
        members("POST", "/revisions/{revision}/remix", 302, form={"title": "Ma variante"}),
    ),
    "remixes.propose_edit": (
        members("GET", "/definitions/{slug}/propose", 200),
        members("POST", "/definitions/{slug}/propose", 302, form={
            **EDIT_FORM, "title": "Une proposition"}),
    ),
    "remixes.show": (public("/remixes/{remix}"),),
    "remixes.edit": (
        owners("GET", "/remixes/{remix}/edit", 200),
        owners("POST", "/remixes/{remix}/edit", 302, form=REMIX_EDIT_FORM),
    ),
    "remixes.propose": (owners("POST", "/remixes/{remix}/propose", 302),),
    "remixes.withdraw": (owners("POST", "/remixes/{proposed}/withdraw", 302),),
    "remixes.decline": (moderators("POST", "/remixes/{proposed}/decline", 302,
                                   form={"reason": "Hors sujet"}),),
    "remixes.update": (owners("GET", "/remixes/{remix}/update", 200),
                       owners("POST", "/remixes/{remix}/update", 302),),
    "remixes.index": (public("/definitions/{slug}/remixes"),),
    "remixes.queue": (public("/definitions/{slug}/proposals"),),
    "remixes.merge": (
        moderators("GET", "/remixes/{proposed}/merge", 200),
        moderators("POST", "/remixes/{proposed}/merge", 302,
                   form={"fingerprint": "{fingerprint}"}),
    ),
    "remixes.graph_svg": (public("/definitions/{slug}/graph.svg"),),
    "remixes.graph_page": (public("/definitions/{slug}/graph"),),

    # --- votes and comments (wiki/views/social.py) --------------------------------------------
    "social.vote": (members("POST", "/revisions/{revision}/vote", 302,
                            form={"choice": "plebisciter"}),),
    "social.comment": (members("POST", "/revisions/{revision}/comments", 302,
                               form={"body": "Un avis."}),),
    "social.hide": (moderators("POST", "/comments/{comment}/hide", 302,
                               form={"reason": "Hors sujet"}),),
    "social.unhide": (moderators("POST", "/comments/{hidden_comment}/unhide", 302),),
    "social.report": (members("POST", "/comments/{comment}/report", 302,
                              form={"reason": "Propos blessants"}),),
    "social.discussion": (public("/definitions/{slug}/discussion"),),
    "social.moderation": (moderators("GET", "/moderation", 200),),

    # --- accounts (wiki/views/auth.py) --------------------------------------------------------
    "auth.login": (
        public("/login"),
        public("/login", 401, method="POST",
               form={"username": "{owner}", "password": "pas-le-bon-mot-de-passe"}),
    ),
    "auth.logout": (public("/logout", 302, method="POST"),),
    "auth.register": (
        public("/register"),
        public("/register", 422, method="POST", form={
            "username": "{owner}", "password": PASSWORD, "password_confirm": PASSWORD},
            note="a taken name: the form comes back"),
    ),
    "auth.account": (members("GET", "/account", 200),),
    "auth.change_profile": (members("POST", "/account/profile", 302,
                                    form={"display_name": "Nouveau Nom"}),),
    "auth.change_password": (members("POST", "/account/password", 302, form={
        "current_password": PASSWORD, "new_password": "encore-un-mot-de-passe",
        "new_password_confirm": "encore-un-mot-de-passe"}),),
    "auth.end_other_sessions": (members("POST", "/account/sessions/end", 302),),
    # The new token is shown in the answer itself (never through the session cookie).
    "auth.create_token": (members("POST", "/account/tokens", 200, form={"name": "script"}),),
    "auth.revoke_token": (owners("POST", "/account/tokens/{token}/revoke", 302, denied=404),),

    # --- account administration (wiki/views/admin.py) -----------------------------------------
    "admin.users": (admins("GET", "/admin/users?q=o", 200),),
    "admin.set_role": (admins("POST", "/admin/users/{participant}/role", 302,
                              form={"role": "moderator"}),),
    "admin.deactivate": (admins("POST", "/admin/users/{participant}/deactivate", 302),),
    "admin.reactivate": (admins("POST", "/admin/users/{deactivated}/reactivate", 302),),

    # --- API: accounts and tokens (wiki/views/api/accounts.py) --------------------------------
    "api.create_user": (public("/api/v1/users", 201, method="POST",
                               json={"username": "nouvelle", "password": PASSWORD}),),
    "api.create_token": (public("/api/v1/tokens", 201, method="POST",
                                json={"username": "{owner}", "password": PASSWORD}),),
    "api.revoke_current_token": (members("DELETE", "/api/v1/tokens/current", 200),),

    # --- API: definitions, revisions, compare -------------------------------------------------
    "api.list_definitions": (public("/api/v1/definitions"),),
    "api.create_definition": (moderators("POST", "/api/v1/definitions", 201, json={
        "term": "Littératie numérique", "body": "Savoir lire le numérique.\n",
        "summary": "Création"}),),
    "api.get_definition": (public("/api/v1/definitions/{slug}"),),
    "api.list_revisions": (public("/api/v1/definitions/{slug}/revisions"),),
    "api.save_revision": (moderators("POST", "/api/v1/definitions/{slug}/revisions", 201,
                                     json=EDIT_FORM),),
    "api.get_revision_json": (public("/api/v1/revisions/{revision}"),),
    "api.get_attribution": (public("/api/v1/revisions/{revision}/attribution"),),
    "api.compare": (public("/api/v1/compare?from={first}&to={revision}"),),

    # --- API: votes and comments --------------------------------------------------------------
    "api.put_vote": (members("PUT", "/api/v1/revisions/{revision}/vote", 200,
                             json={"choice": "rejeter"}),),
    "api.delete_vote": (members("DELETE", "/api/v1/revisions/{revision}/vote", 200),),
    "api.list_comments": (public("/api/v1/revisions/{revision}/comments"),),
    "api.post_comment": (members("POST", "/api/v1/revisions/{revision}/comments", 201,
                                 json={"body": "Un avis."}),),
    "api.hide_comment": (moderators("POST", "/api/v1/comments/{comment}/hide", 200,
                                    json={"reason": "Hors sujet"}),),
    "api.unhide_comment": (moderators("POST", "/api/v1/comments/{hidden_comment}/unhide", 200),),

    # --- API: remixes -------------------------------------------------------------------------
    "api.create_remix": (members("POST", "/api/v1/definitions/{slug}/remixes", 201,
                                 json={"from_revision_id": "{revision}", "title": "Variante"}),),
    "api.list_remixes": (public("/api/v1/definitions/{slug}/remixes"),),
    "api.get_remix": (public("/api/v1/remixes/{remix}"),),
    "api.remix_revisions": (public("/api/v1/remixes/{remix}/revisions"),),
    "api.save_remix_revision": (owners("POST", "/api/v1/remixes/{remix}/revisions", 201,
                                       json=REMIX_EDIT_FORM),),
    "api.propose": (owners("POST", "/api/v1/remixes/{remix}/propose", 200),),
    "api.withdraw": (owners("POST", "/api/v1/remixes/{proposed}/withdraw", 200),),
    "api.decline": (moderators("POST", "/api/v1/remixes/{proposed}/decline", 200,
                               json={"reason": "Hors sujet"}),),
    "api.merge_preview": (moderators("GET", "/api/v1/remixes/{proposed}/merge-preview", 200),),
    "api.merge": (moderators("POST", "/api/v1/remixes/{proposed}/merge", 200, json={}),),

    # --- following: recent changes, feeds, follows, notifications (wiki/views/following.py) ---
    "following.recent": (public("/recent"),),
    "following.recent_feed": (public("/recent/feed.atom"),),
    "following.definition_feed": (public("/definitions/{slug}/feed.atom"),),
    "following.proposals_feed": (public("/definitions/{slug}/proposals.atom"),),
    "following.follow_definition": (members("POST", "/definitions/{slug}/follow", 302),),
    "following.unfollow_definition": (members("POST", "/definitions/{slug}/unfollow", 302),),
    "following.follow_remix": (members("POST", "/remixes/{remix}/follow", 302),),
    "following.unfollow_remix": (members("POST", "/remixes/{remix}/unfollow", 302),),
    "following.notifications": (members("GET", "/notifications", 200),),
    # Someone else's notification is « not found », not « forbidden ».
    "following.mark_read": (owners("POST", "/notifications/{notification}/read", 302,
                                   denied=404),),
    "following.mark_all_read": (members("POST", "/notifications/read", 302),),
    "following.maintain_vote": (owners("POST", "/notifications/{notification}/maintain", 302,
                                       denied=404),),

    # --- search (wiki/views/search.py, wiki/views/api/search.py) ------------------------------
    "search.search_page": (public("/search?q=strat%C3%A9gie"),),
    "api.search_revisions": (public("/api/v1/search?q=strat%C3%A9gie"),),

    # --- API documents (wiki/views/api/docs.py) -----------------------------------------------
    "api.openapi_document": (public("/api/v1/openapi.json"),),
    "api_docs.page": (public("/api/docs"),),
    "api_docs.asset": (public("/api/docs/assets/swagger-ui.css"),),

    # --- training sessions (wiki/views/sessions.py, wiki/views/api/sessions.py) ---------------
    "sessions.index": (public("/definitions/{other_slug}/sessions"),),
    "sessions.create": (moderators("POST", "/definitions/{slug}/sessions", 302, form={
        "name": "Cohorte d’hiver", "timezone": "America/Montreal",
        "propositions_starts_at": "2031-01-05T09:00", "propositions_ends_at": "2031-01-12T09:00",
        "votes_starts_at": "2031-01-12T09:00", "votes_ends_at": "2031-01-19T09:00",
        "synthese_starts_at": "2031-01-19T09:00", "synthese_ends_at": "2031-01-26T09:00"}),),
    "sessions.show": (public("/sessions/{session}"),),
    "sessions.add_member": (moderators("POST", "/sessions/{session}/members", 302,
                                       form={"username": "{participant}"}),),
    "sessions.create_invitation": (moderators("POST", "/sessions/{session}/invitations", 302,
                                              form={"expires_at": "2031-01-10T09:00"}),),
    "sessions.revoke_invitation": (moderators("POST", "/invitations/{invitation}/revoke", 302),),
    # The invitation link only shows the invitation (a GET joins nobody); its button joins.
    "sessions.join": (public("/sessions/join/{invitation}"),),
    "sessions.confirm_join": (members("POST", "/sessions/join/{invitation}", 302),),
    "sessions.synthesis": (public("/sessions/{session}/synthese"),),
    "sessions.synthesis_html": (public("/sessions/{session}/synthese.html"),),
    "sessions.synthesis_md": (public("/sessions/{session}/synthese.md"),),
    "api.create_session": (moderators("POST", "/api/v1/definitions/{slug}/sessions", 201, json={
        "name": "Cohorte d’hiver", "phases": [
            {"name": "propositions", "starts_at": "2031-01-05T09:00:00+00:00",
             "ends_at": "2031-01-12T09:00:00+00:00"},
            {"name": "votes", "starts_at": "2031-01-12T09:00:00+00:00",
             "ends_at": "2031-01-19T09:00:00+00:00"},
            {"name": "synthese", "starts_at": "2031-01-19T09:00:00+00:00",
             "ends_at": "2031-01-26T09:00:00+00:00"}]}),),
    "api.list_sessions": (public("/api/v1/definitions/{other_slug}/sessions"),),
    "api.get_session": (public("/api/v1/sessions/{session}"),),
    "api.synthesis": (public("/api/v1/sessions/{session}/synthesis"),),
    "api.create_invitation": (moderators("POST", "/api/v1/sessions/{session}/invitations", 201,
                                         json={"expires_at": "2031-01-10T09:00:00+00:00"}),),
    "api.revoke_invitation": (moderators("DELETE", "/api/v1/invitations/{invitation}", 200),),
    "api.join_session": (members("POST", "/api/v1/sessions/join", 200,
                                 json={"code": "{invitation}"}),),
    "api.add_member": (moderators("POST", "/api/v1/sessions/{session}/members", 200,
                                  json={"username": "{participant}"}),),
}
