"""Accounts and API tokens: register, authenticate, « Mon compte » (display name, password,
sessions), tokens, and the admins' actions on accounts (role, deactivation), each audited."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from wiki.errors import Conflict, InvalidInput, NotFound
from wiki.extensions import db
from wiki.models import ROLES, ApiToken, AuditEntry, User, utcnow
from wiki.services.db import transaction
from wiki.services.revisions import normalised

MIN_PASSWORD = 10
MAX_PASSWORD = 200
MAX_USERNAME = 40
MAX_DISPLAY_NAME = 80
_USERNAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,38}[a-z0-9])?$")
# Bidi overrides and isolates, zero-width characters: invisible, they can disguise a name.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
#: The scripts whose letters pass for one another (Latin « a », Cyrillic « а », Greek « α »).
_LOOKALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
#: Cyrillic and Greek letters drawn like a Latin one, digits like letters: enough to catch
#: a name dressed up as another's (« Раul » for « Paul »), not a full Unicode skeleton.
_LOOKALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "һ": "h", "ԛ": "q", "ԝ": "w", "ɡ": "g", "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i",
    "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "0": "o",
    "1": "l", "|": "l", "$": "s",
})
MAX_COMBINING = 3
#: Control, format (bidi, zero-width), private-use, unassigned, line and paragraph separators.
_UNSEEN = {"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"}


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked against on an unknown username so that both failures take the same time."""
    return generate_password_hash("not-a-real-password-0123456789", method=method)


def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username or "").strip().lower()


def validate_username(username: str) -> str:
    name = normalise_username(username)
    if not name:
        raise InvalidInput("username", _("Choisissez un nom d’utilisateur."))
    if len(name) > MAX_USERNAME:
        raise InvalidInput("username", _("Le nom d’utilisateur dépasse %(n)d caractères.",
                                         n=MAX_USERNAME))
    # ASCII only: no confusables (Cyrillic « а » for Latin « a »), no bidi tricks in URLs.
    if not _USERNAME.match(name):
        raise InvalidInput("username", _(
            "Le nom d’utilisateur ne peut contenir que des lettres non accentuées, des chiffres, "
            "des points, des tirets et des soulignés."))
    return name


def validate_display_name(display_name: str | None, fallback: str,
                          user_id: int | None = None) -> str:
    """A name people can read as it is: no invisible or control characters, no word mixing
    lookalike scripts, not a disguise of another account's name."""
    # Control characters and bad encodings are refused as in every text (400 invalid_text).
    raw = normalised(display_name or "", "display_name").strip()
    if len(raw) > MAX_DISPLAY_NAME:
        raise InvalidInput("display_name", _("Le nom affiché dépasse %(n)d caractères.",
                                             n=MAX_DISPLAY_NAME))
    if _INVISIBLE.search(raw) or any(unicodedata.category(c) in _UNSEEN for c in raw):
        raise InvalidInput("display_name", _(
            "Le nom affiché contient des caractères invisibles ou de contrôle."))
    # Runs of spaces (also the wide and non-breaking ones) read as one.
    name = " ".join(raw.split())
    if not name:
        return fallback
    if _too_many_marks(name):
        raise InvalidInput("display_name", _(
            "Le nom affiché empile trop de signes diacritiques sur une même lettre."))
    for word in name.split():
        if len(_scripts(word)) > 1:
            raise InvalidInput("display_name", _(
                "Le mot « %(word)s » mêle des alphabets qui se ressemblent (latin, cyrillique, "
                "grec) : écrivez-le dans un seul alphabet.", word=word), code="confusable_name")
    _refuse_lookalike(name, user_id)
    return name


def _too_many_marks(name: str) -> bool:
    run = 0
    for char in unicodedata.normalize("NFD", name):
        run = run + 1 if unicodedata.category(char) == "Mn" else 0
        if run > MAX_COMBINING:
            return True
    return False


def _scripts(word: str) -> set[str]:
    found = set()
    for char in word:
        if char.isalpha():
            script = unicodedata.name(char, "").split(" ", 1)[0]
            if script in _LOOKALIKE_SCRIPTS:
                found.add(script)
    return found


def skeleton(name: str) -> str:
    """What a name looks like: case, accents, spacing and lookalike letters folded away."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = folded.translate(_LOOKALIKES)
    return re.sub(r"[\W_]+", "", folded.replace("rn", "m"))


def _refuse_lookalike(name: str, user_id: int | None) -> None:
    """A display name that reads like another account's (« Marie Modératrice » and
    « Marie Moderatrice », « Раul » and « Paul ») would let one pass for the other."""
    mine = skeleton(name)
    if not mine:
        return
    query = select(User.id, User.username, User.display_name)
    if user_id is not None:
        query = query.where(User.id != user_id)
    for _id, username, display_name in db.session.execute(query):
        if mine in (skeleton(display_name), skeleton(username)):
            raise InvalidInput("display_name", _(
                "Ce nom affiché ressemble trop à celui d’un autre compte (%(other)s) : "
                "choisissez-en un autre.", other=display_name), code="confusable_name")


def validate_password(password: str | None, field: str = "password") -> str:
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(field, _("Le mot de passe doit compter au moins %(n)d caractères.",
                                    n=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(field, _("Le mot de passe dépasse %(n)d caractères.", n=MAX_PASSWORD))
    return password


def register(username: str, password: str, display_name: str | None = None,
             role: str = "participant") -> User:
    name = validate_username(username)
    validate_password(password)
    shown = validate_display_name(display_name, name)
    if role not in ROLES:
        raise InvalidInput("role", _("Rôle inconnu : %(role)s.", role=role))
    with transaction() as session:
        if session.scalar(select(User.id).where(User.username == name)) is not None:
            raise InvalidInput("username", _("Ce nom d’utilisateur est déjà pris."),
                               code="username_taken")
        user = User(username=name, display_name=shown, password_hash=_hash_password(password),
                    role=role)
        session.add(user)
    return user


def authenticate(username: str, password: str, *, allow_inactive: bool = False) -> User | None:
    """The user for these credentials, or ``None`` — the same work whether or not it exists
    (an unknown name is checked against a dummy hash of the same cost).

    A deactivated account is ``None`` too, unless ``allow_inactive``: the login page then tells
    the person who knows the password that the account is deactivated."""
    user = db.session.scalar(select(User).where(User.username == normalise_username(username)))
    candidate = (user.password_hash if user
                 else _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]))
    valid = _matches(candidate, password)
    if user is None or not valid or (not user.active and not allow_inactive):
        return None
    return user


def _matches(password_hash: str, password: str | None) -> bool:
    # Capped: nobody's password is longer, and hashing megabytes is a cheap way to load us.
    return check_password_hash(password_hash, (password or "")[:MAX_PASSWORD * 4])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user_id: int, name: str = "API") -> str:
    name = (name or "API").strip()[:80] or "API"
    token = secrets.token_urlsafe(32)
    with transaction() as session:
        session.add(ApiToken(user_id=user_id, name=name, digest=_digest(token)))
    return token


def user_for_token(token: str) -> User | None:
    if not token:
        return None
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.digest == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None:
        return None
    user = row.user
    if not user.active:
        return None
    now = utcnow()
    # One write a minute at most: « last used » needs no more precision than that.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        db.session.commit()
    return user


def revoke_token(token: str) -> None:
    with transaction() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.digest == _digest(token)))
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()


def revoke_token_by_id(user_id: int, token_id: int) -> None:
    with transaction() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.user_id != user_id:
            raise NotFound(_("Jeton introuvable."))
        if row.revoked_at is None:
            row.revoked_at = utcnow()


def tokens_of(user_id: int) -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    ))


def revoke_all_tokens(session, user_id: int) -> int:
    """Inside a transaction: revoke every live token of the user; how many there were."""
    now = utcnow()
    rows = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id,
                                                       ApiToken.revoked_at.is_(None))))
    for row in rows:
        row.revoked_at = now
    return len(rows)


# --- « Mon compte » --------------------------------------------------------------------------

def change_display_name(user_id: int, display_name: str | None) -> User:
    with transaction() as session:
        user = _lock_user(session, user_id)
        user.display_name = validate_display_name(display_name, user.username, user_id=user.id)
    return user


@dataclass(frozen=True)
class PasswordChange:
    user: User
    revoked_tokens: int


def change_password(user_id: int, current: str, new: str, confirmation: str) -> PasswordChange:
    """The current password is required. Every other session ends (the session version moves
    on: the caller logs the current one in again) and every API token is revoked."""
    validate_password(new, "new_password")
    if new != confirmation:
        raise InvalidInput("new_password_confirm",
                           _("Les deux mots de passe ne correspondent pas."))
    user = db.session.get(User, user_id)
    if user is None or not _matches(user.password_hash, current):
        raise InvalidInput("current_password", _("Le mot de passe actuel est incorrect."),
                           code="wrong_password")
    with transaction() as session:
        user = _lock_user(session, user_id)
        user.password_hash = _hash_password(new)
        user.session_version = (user.session_version or 1) + 1
        revoked = revoke_all_tokens(session, user.id)
    return PasswordChange(user, revoked)


def end_other_sessions(user_id: int) -> User:
    """« Me déconnecter partout » : every session made so far ends (the caller re-logs the
    current one in)."""
    with transaction() as session:
        user = _lock_user(session, user_id)
        user.session_version = (user.session_version or 1) + 1
    return user


def _lock_user(session, user_id: int) -> User:
    user = session.scalar(select(User).where(User.id == user_id).with_for_update()
                          .execution_options(populate_existing=True))
    if user is None:
        raise NotFound(_("Utilisateur introuvable."))
    return user


# --- Admins ----------------------------------------------------------------------------------

USERS_PAGE = 50


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    page: int
    pages: int
    total: int


def search_users(query: str = "", role: str | None = None, state: str | None = None,
                 page: int = 1) -> UserPage:
    """Accounts whose username or display name contains ``query`` (case ignored), newest
    first, ``USERS_PAGE`` a page."""
    conditions = []
    text = (query or "").strip()[:MAX_DISPLAY_NAME]
    if text:
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
        conditions.append(func.lower(User.username).like(pattern, escape="\\")
                          | func.lower(User.display_name).like(pattern, escape="\\"))
    if role in ROLES:
        conditions.append(User.role == role)
    if state == "actifs":
        conditions.append(User.active.is_(True))
    elif state == "desactives":
        conditions.append(User.active.is_(False))
    total = db.session.scalar(select(func.count(User.id)).where(*conditions)) or 0
    pages = max(1, -(-total // USERS_PAGE))
    page = min(max(1, page), pages)
    users = list(db.session.scalars(select(User).where(*conditions).order_by(User.id.desc())
                                    .offset((page - 1) * USERS_PAGE).limit(USERS_PAGE)))
    return UserPage(users, page, pages, total)


def get_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise NotFound(_("Utilisateur introuvable."))
    return user


def _target(session, actor_id: int | None, username: str) -> User:
    user = session.scalar(select(User).where(User.username == normalise_username(username))
                          .with_for_update().execution_options(populate_existing=True))
    if user is None:
        raise NotFound(_("Utilisateur introuvable."))
    if actor_id is not None and user.id == actor_id:
        # An admin locking themselves out (or leaving no admin) helps nobody.
        raise Conflict(_("Vous ne pouvez pas faire cela sur votre propre compte : demandez à "
                         "un autre administrateur."), code="own_account")
    return user


def set_role(actor_id: int | None, username: str, role: str) -> User:
    if role not in ROLES:
        raise InvalidInput("role", _("Rôle inconnu : %(role)s.", role=role))
    with transaction() as session:
        user = _target(session, actor_id, username)
        old = user.role
        if old == role:
            return user
        user.role = role
        session.add(AuditEntry(actor_id=actor_id, action="set_role", target_type="user",
                               target_id=user.id, details={"from": old, "to": role,
                                                           "username": user.username}))
    return user


def set_active(actor_id: int | None, username: str, active: bool) -> User:
    """Deactivate (or reactivate) an account. Its content stays, attributed to it. A
    deactivated account cannot log in; its sessions end and its API tokens are revoked, so
    reactivating it brings none of them back."""
    with transaction() as session:
        user = _target(session, actor_id, username)
        if user.active == active:
            return user
        user.active = active
        details = {"username": user.username}
        if not active:
            user.session_version = (user.session_version or 1) + 1
            details["revoked_tokens"] = revoke_all_tokens(session, user.id)
        session.add(AuditEntry(actor_id=actor_id,
                               action="reactivate_user" if active else "deactivate_user",
                               target_type="user", target_id=user.id, details=details))
    return user


def set_password(actor_id: int | None, username: str, password: str) -> User:
    """An operator (``flask users set-password``) gives an account a new password: after a
    restore from a backup without password hashes, say. Its sessions end; its tokens stay."""
    validate_password(password)
    with transaction() as session:
        user = _target(session, actor_id, username)
        user.password_hash = _hash_password(password)
        user.session_version = (user.session_version or 1) + 1
        session.add(AuditEntry(actor_id=actor_id, action="set_password", target_type="user",
                               target_id=user.id, details={"username": user.username}))
    return user


def account_audit(limit: int = 20) -> list[AuditEntry]:
    """The latest actions on accounts, for the admins' page."""
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.target_type == "user")
        .order_by(AuditEntry.id.desc()).limit(limit)))


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0
