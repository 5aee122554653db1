"""The authorisation matrix: every route and API operation × every role, from the table in
``wiki/views/access.py``. A route without an entry fails, naming it.

The world (accounts and objects the placeholders name) is built once into a SQLite file; each
role of each case runs on a fresh copy of it, so writes never leak from one call to the next.
Authorisation does not depend on the database engine, so this runs on SQLite only.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import FAST_PASSWORD_HASH
from wiki import create_app
from wiki.extensions import db
from wiki.views.access import ACCESS, LOGIN, PASSWORD, ROLES, Case

IGNORED_METHODS = {"HEAD", "OPTIONS"}

CASES = [(endpoint, index, case) for endpoint, cases in ACCESS.items()
         for index, case in enumerate(cases)]


def _case_id(endpoint: str, index: int, case: Case) -> str:
    return f"{endpoint}-{case.method}" + (f"-{index}" if index else "")


@dataclass
class World:
    template: Path
    live: Path
    config: dict
    values: dict
    users: dict  # role → (user id, session version, token)
    apps: dict = field(default_factory=dict)

    @property
    def app(self):
        return self.app_with()

    def app_with(self, **overrides):
        """An app on the world's database, with these settings (CSRF on, https…)."""
        key = tuple(sorted(overrides.items()))
        if key not in self.apps:
            self.apps[key] = create_app({**self.config, **overrides})
        return self.apps[key]

    def restore(self) -> None:
        for app in self.apps.values():
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        shutil.copy(self.template, self.live)


def _build(app) -> tuple[dict, dict]:
    """Accounts of every role and the objects the placeholders name (see access.py)."""
    from wiki.models import User
    from wiki.services import accounts, commenting, editing, remixing

    def person(username, role="participant", display_name=None):
        return accounts.register(username, PASSWORD, display_name, role=role)

    participant = person("paula", display_name="Paula Participante")
    owner = person("olivier", display_name="Olivier Owner")
    moderator = person("marie", "moderator", "Marie Modératrice")
    admin = person("alice", "admin", "Alice Admin")
    gone = person("denis", display_name="Denis Désactivé")
    definition = editing.get_definition("strategie-numerique")
    first = definition.head
    head = editing.save_revision(
        definition_id=definition.id, remix_id=None,
        raw_body=first.body + "\nUn paragraphe de la modératrice.\n", summary="Ajout",
        base_revision_id=first.id, author=moderator).revision
    remix = remixing.fork(definition_id=definition.id, from_revision_id=first.id,
                          title="Brouillon d’Olivier", owner=owner)
    remix_head = editing.save_revision(
        definition_id=definition.id, remix_id=remix.id, raw_body=first.body + "\nDraft.\n",
        summary="Essai", base_revision_id=remix.head_revision_id, author=owner).revision
    proposed = remixing.fork(definition_id=definition.id, from_revision_id=head.id,
                             title="Proposition d’Olivier", owner=owner)
    editing.save_revision(
        definition_id=definition.id, remix_id=proposed.id,
        raw_body="Une introduction.\n\n" + head.body, summary="Introduction",
        base_revision_id=proposed.head_revision_id, author=owner)
    remixing.propose(proposed.id, owner)
    fingerprint = remixing.merge_preview(proposed.id, moderator)["fingerprint"]
    comment = commenting.add_comment(revision_id=head.id, author=owner, body="Bien vu.",
                                     parent_id=None, anchor=None)
    hidden = commenting.add_comment(revision_id=head.id, author=owner, body="Hors sujet.",
                                    parent_id=None, anchor=None)
    commenting.set_hidden(hidden.id, moderator, True, "hors sujet")
    accounts.create_token(owner.id, "script")
    token_id = accounts.tokens_of(owner.id)[0].id
    values = {
        "slug": definition.slug, "first": first.id, "revision": head.id, "remix": remix.id,
        "remix_head": remix_head.id, "proposed": proposed.id, "fingerprint": fingerprint,
        "comment": comment.id, "hidden_comment": hidden.id, "token": token_id,
        "owner": owner.username, "participant": participant.username,
        "deactivated": gone.username,
    }
    values.update(_training_session(moderator))
    values.update(_notification(participant, owner))
    people = {"participant": participant, "owner": owner, "moderator": moderator,
              "admin": admin, "deactivated": gone}
    tokens = {role: accounts.create_token(user.id, "matrix") for role, user in people.items()
              if role != "deactivated"}
    # Deactivated after its session cookie and token were made: both must be refused. The
    # token is made afresh so that the refusal comes from the account, not a revocation.
    accounts.set_active(admin.id, gone.username, False)
    tokens["deactivated"] = accounts.create_token(gone.id, "after")
    users = {}
    for role, user in people.items():
        fresh = db.session.get(User, user.id)
        users[role] = (fresh.id, fresh.session_version, tokens[role])
    return values, users


def _training_session(moderator) -> dict:
    """A second definition with a training session starting next week and an invitation
    (on its own definition: a coming session restricts proposals to its members)."""
    try:
        from wiki.services import sessions
    except ImportError:  # before the sessions issue
        return {}
    from wiki.services import editing

    other = editing.create_definition("Atelier numérique", "Un texte d’atelier.\n",
                                      "Création", moderator)
    start = datetime.now(UTC) + timedelta(days=7)
    phases = [{"name": name, "starts_at": (start + timedelta(days=n)).isoformat(),
               "ends_at": (start + timedelta(days=n + 1)).isoformat()}
              for n, name in enumerate(("propositions", "votes", "synthese"))]
    training = sessions.create_session(definition_id=other.id, name="Atelier",
                                       phases=phases, user=moderator)
    invitation = sessions.create_invitation(training.id, moderator,
                                            (start + timedelta(days=5)).isoformat())
    return {"other_slug": other.slug, "session": training.id, "invitation": invitation.code}


def _notification(participant, owner) -> dict:
    """A « vote outdated » notification of ``owner``: they voted on a remix of
    ``participant`` that moved on since."""
    try:
        from wiki.services import following  # noqa: F401  (before the following issue)
    except ImportError:
        return {}
    from wiki.models import Notification
    from wiki.services import editing, remixing, voting

    definition = editing.get_definition("strategie-numerique")
    remix = remixing.fork(definition_id=definition.id, from_revision_id=definition.head.id,
                          title="Variante de Paula", owner=participant)
    for n in range(2):  # the owner votes on the first of the remix's own revisions
        revision = editing.save_revision(
            definition_id=definition.id, remix_id=remix.id,
            raw_body=definition.head.body + "\nEncore." * (n + 1) + "\n", summary="Suite",
            base_revision_id=db.session.get(type(remix), remix.id).head_revision_id,
            author=participant).revision
        if n == 0:
            voting.cast_vote(owner.id, revision.id, "plebisciter")
    notification = db.session.scalar(select(Notification.id).where(
        Notification.user_id == owner.id, Notification.kind == "vote_outdated"))
    return {} if notification is None else {"notification": notification}


@pytest.fixture(scope="module")
def world(tmp_path_factory, _schemas) -> World:
    folder = tmp_path_factory.mktemp("matrix")
    template, live = folder / "template.db", folder / "live.db"
    shutil.copy(_schemas["sqlite"], template)
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{template}",
              "SECRET_KEY": "matrix-secret", "WTF_CSRF_ENABLED": False,
              "RATELIMIT_ENABLED": False, "SERVER_NAME": "wiki.test",
              "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH}
    builder = create_app(config)
    with builder.app_context():
        from wiki.services.seeding import seed

        seed()
        values, users = _build(builder)
        db.session.remove()
        db.engine.dispose()
    world = World(template, live, {**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}"},
                  values, users)
    world.restore()
    return world


def require_route(world: World, endpoint: str) -> None:
    """Skip an entry written ahead of its route (another engineer's work in progress): the
    route-coverage test still fails for any route without its entry, so a misspelt name
    cannot hide one."""
    if endpoint not in world.app.view_functions:
        pytest.skip(f"{endpoint} is not a route of this app (yet)")


def _fill(value, values: dict):
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in values:
            return values[value[1:-1]]
        return value.format(**values)
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, values) for item in value]
    return value


def call(world: World, case: Case, role: str, app=None, headers: dict | None = None,
         client: FlaskClient | None = None):
    """``case`` as ``role``: pages with the role's session cookie, the API with its token.
    A ``client`` given keeps its cookies (the session is set on its first call)."""
    fresh = client is None
    client = client or FlaskClient(app or world.app, use_cookies=True)
    headers = dict(headers or {})
    if role != "anonymous":
        user_id, version, token = world.users[role]
        if case.api:
            headers["Authorization"] = f"Bearer {token}"
        elif fresh or client.get_cookie("session", domain="wiki.test") is None:
            with client.session_transaction() as session:
                session["_user_id"] = f"{user_id}:{version}"
                session["_fresh"] = True
    url = case.url.format(**world.values)
    kwargs = {"headers": headers}
    if case.form is not None:
        kwargs["data"] = {k: str(v) for k, v in _fill(dict(case.form), world.values).items()}
    if case.json is not None:
        kwargs["data"] = json.dumps(_fill(dict(case.json), world.values))
        kwargs["content_type"] = "application/json"
    return client.open(url, method=case.method, **kwargs)


def outcome(response) -> int | str:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and "/login" in location.split("?")[0]:
        return LOGIN
    return response.status_code


def test_every_route_has_an_entry_in_the_access_table(world):
    missing = []
    for rule in world.app.url_map.iter_rules():
        covered = {case.method for case in ACCESS.get(rule.endpoint, ())}
        for method in sorted(rule.methods - IGNORED_METHODS - covered):
            missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, (
        "Routes without an entry in wiki/views/access.py (add one per method):\n  "
        + "\n  ".join(sorted(missing)))


def test_every_entry_names_a_route_that_answers_its_url(world):
    adapter = world.app.url_map.bind("wiki.test")
    wrong = []
    for endpoint, index, case in CASES:
        if endpoint not in world.app.view_functions:
            continue
        url = case.url.format(**world.values).split("?")[0]
        try:
            matched, _args = adapter.match(url, method=case.method)
        except Exception as error:  # NotFound, MethodNotAllowed, RequestRedirect
            wrong.append(f"{_case_id(endpoint, index, case)}: {url} → {error!r}")
            continue
        if matched != endpoint:
            wrong.append(f"{_case_id(endpoint, index, case)}: {url} is {matched}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("endpoint", "index", "case"), CASES,
                         ids=[_case_id(*item) for item in CASES])
def test_access_matrix(world, endpoint, index, case):
    require_route(world, endpoint)
    missing = [name for name in _placeholders(case) if name not in world.values]
    assert not missing, f"the test world has no {missing}: add it in _build"
    mismatches = []
    for role in ROLES:
        world.restore()
        response = call(world, case, role)
        got = outcome(response)
        body = response.get_data(as_text=True)
        response.close()
        expected = case.expect[role]
        if got != expected:
            mismatches.append(f"{role}: expected {expected}, got {got} "
                              f"({response.headers.get('Location', '')}"
                              f"{gist(body)})")
        if case.api and response.status_code >= 400:
            assert response.is_json, f"{role}: an API error must be JSON"
    assert not mismatches, f"{case.method} {case.url}\n  " + "\n  ".join(mismatches)


def gist(body: str) -> str:
    """What the answer says, short: the JSON, or the text of the page's <main>."""
    import re

    main = re.search(r"<main[^>]*>(.*)</main>", body, re.S)
    text = re.sub(r"<[^>]+>", " ", main.group(1)) if main else body
    return " ".join(text.split())[:300]


def _placeholders(case: Case) -> set[str]:
    import string

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    names = set()
    for text in strings([case.url, dict(case.form or {}), dict(case.json or {})]):
        names |= {field for _, field, _, _ in string.Formatter().parse(text) if field}
    return names


def test_a_deactivated_account_is_anonymous_on_pages_and_401_in_the_api(world):
    """The matrix's « deactivated » column, stated once in words."""
    world.restore()
    page = call(world, ACCESS["auth.account"][0], "deactivated")
    assert outcome(page) == LOGIN
    api = call(world, ACCESS["api.list_definitions"][0], "deactivated")
    assert api.status_code == 401
    assert api.get_json()["error"]["code"] == "invalid_token"
