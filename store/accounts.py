"""Local accounts: Argon2id password hashes, roles and clearances, sign-in with a rate limit,
browser sessions and personal API tokens. Every change is written to the audit trail in the
transaction that makes it.

Sessions and tokens are random secrets handed out once; the store keeps only their SHA-256,
so a copy of the database signs nobody in. Failed sign-ins are counted in the database
(``sign_in_attempts``), so every app process sees the same count.

>>> valid_name(" ada.lovelace@example.org ")
'ada.lovelace@example.org'
>>> secret_hash("pm_x") == secret_hash("pm_x") != secret_hash("pm_y")
True
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.access import MARKING_CODES, PUBLIC, Action, Principal, Role
from domain.errors import InputError, NotFoundError, PermitmapError
from domain.i18n import N_, ntr, tr
from domain.settings import SUBJECT_NAME
from store.audit import record, record_now
from store.db import get_meta, set_meta
from store.models import Account, ApiToken, SignInAttempt, SignInSession

#: Failed sign-ins for one account name, or from one address, that stop further tries ...
MAX_FAILURES = 5
#: ... within this window (and until the oldest of them is this old).
FAILURE_WINDOW = timedelta(minutes=15)
SESSION_HOURS = 12
TOKEN_PREFIX = "pm_"  # noqa: S105  (a prefix, so a token is recognised; not a secret)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
REFUSED = N_("The account name or the password is wrong.")  # shown with tr
#: Why an OpenID Connect sign-in is refused: in English in the audit trail, shown with tr.
ENDED = N_("That sign-in has ended: sign in again.")
HAS_PASSWORD = N_("The account {name} signs in with its password, not through {via}: sign in "
                  "with the password, or ask an admin of this permitmap for an account without "
                  "one.")
DISABLED = N_("The account {name} is disabled. Ask an admin of this permitmap to enable it.")
#: store_meta key of the anonymous public view ("on" lets visitors who are not signed in see
#: public data); mapping.access_state reads the same key.
ANONYMOUS_VIEW_KEY = "anonymous_view"

_NAME = re.compile(r"[A-Za-z0-9._@-]{1,120}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_HASHER = PasswordHasher()  # Argon2id, the library's current recommended parameters
#: Who the audit trail names for a change: a name (the command line), or the page's
#: :class:`Principal`, whose request address the row then carries too.
Actor = str | Principal


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so an unknown name costs what a known one
    does (made on first use: a hash takes 64 MiB and tens of milliseconds)."""
    return _HASHER.hash(secrets.token_urlsafe(16))


class SignInRefused(PermitmapError):
    """The name and password do not sign anyone in (one message for every reason)."""


class TooManyAttempts(SignInRefused):
    """Too many failed sign-ins for this account or from this address, recently."""


@dataclass(frozen=True)
class AccountInfo:
    """An account as the app sees it (never its password hash)."""

    id: int
    name: str
    role: Role
    clearance: str
    email: str
    disabled: bool
    has_password: bool


@dataclass(frozen=True)
class TokenInfo:
    """A personal API token, without the token itself (only its owner ever saw it)."""

    id: int
    account: str
    label: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


# --- names, roles, passwords -----------------------------------------------------------------


def valid_name(name: str) -> str:
    """An account name: 1–120 letters, digits and . _ @ - (an e-mail address fits)."""
    cleaned = name.strip()
    if not _NAME.fullmatch(cleaned):
        raise InputError(tr("'{name}' cannot be an account name: use 1 to 120 letters, digits "
                            "and the characters . _ @ - (no spaces).").format(name=name))
    return cleaned


def valid_role(role: str | Role) -> Role:
    """A role from its name; InputError naming the choices otherwise."""
    try:
        return Role(str(role).strip().lower())
    except ValueError:
        raise InputError(tr("'{role}' is not a role: use one of {roles}.").format(
            role=role, roles=", ".join(r.value for r in Role))) from None


def valid_clearance(clearance: str) -> str:
    """A clearance: one of the marking codes."""
    code = clearance.strip().lower()
    if code not in MARKING_CODES:
        raise InputError(tr("'{clearance}' is not a clearance: use one of {codes}.").format(
            clearance=clearance, codes=", ".join(MARKING_CODES)))
    return code


def _valid_email(email: str) -> str:
    cleaned = email.strip()
    if cleaned and (len(cleaned) > 300 or not _EMAIL.fullmatch(cleaned)):
        raise InputError(tr("'{email}' is not an e-mail address.").format(email=email))
    return cleaned


def hash_password(password: str) -> str:
    """An Argon2id hash (PHC string) of ``password``; InputError for one too short or long."""
    if len(password) < MIN_PASSWORD:
        raise InputError(tr("The password is too short: use at least {n} characters.").format(
            n=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise InputError(tr("The password is too long: use at most {n} characters.").format(
            n=MAX_PASSWORD))
    return _HASHER.hash(password)


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def secret_hash(secret: str) -> str:
    """The SHA-256 (hex) the store keeps of a session secret or an API token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    """SQLite gives times back without their zone; they are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- accounts --------------------------------------------------------------------------------


def _info(row: Account) -> AccountInfo:
    return AccountInfo(row.id, row.name, Role(row.role), row.clearance, row.email,
                       bool(row.disabled), bool(row.password_hash))


def _find(session: Session, name: str) -> Account | None:
    """The account of ``name``, ignoring case (names are unique ignoring case)."""
    return session.scalar(select(Account).where(func.lower(Account.name)
                                                == name.strip().lower()))


def _get(session: Session, name: str) -> Account:
    row = _find(session, name)
    if row is None:
        raise NotFoundError(tr("There is no account named '{name}'. `permitmap users list` "
                               "shows them.").format(name=name.strip()))
    return row


def account_count(engine: Engine) -> int:
    """How many accounts the store holds (disabled ones too): none means open access."""
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Account)) or 0)


def list_accounts(engine: Engine) -> list[AccountInfo]:
    """Every account, by name."""
    with Session(engine) as session:
        return [_info(row) for row in session.scalars(select(Account).order_by(
            func.lower(Account.name)))]


def get_account(engine: Engine, name: str) -> AccountInfo:
    """One account by name (ignoring case); NotFoundError otherwise."""
    with Session(engine) as session:
        return _info(_get(session, name))


def _allowed(principal: Principal | None) -> None:
    """Accounts are an admin's business: the page passes who is asking (the command line,
    run by the machine's operator, passes nobody)."""
    if principal is not None:
        principal.require(Action.MANAGE_ACCOUNTS)


def add_account(engine: Engine, name: str, role: str | Role, clearance: str = PUBLIC,
                password: str | None = None, email: str = "", *, actor: Actor,
                principal: Principal | None = None) -> AccountInfo:
    """Create an account (``password`` None: it signs in through OpenID Connect only);
    InputError for a bad name, role, clearance, e-mail or password, or a name taken."""
    _allowed(principal)
    name = valid_name(name)
    row = Account(name=name, role=valid_role(role).value, clearance=valid_clearance(clearance),
                  email=_valid_email(email), created_at=_now(), disabled=False,
                  password_hash=hash_password(password) if password is not None else "")
    taken = InputError(tr("There is already an account named '{name}' (names are unique "
                          "ignoring case).").format(name=name))
    try:
        with Session(engine) as session, session.begin():
            if _find(session, name) is not None:
                raise taken
            session.add(row)
            session.flush()
            record(session, actor, "account-add", target=name,
                   detail=f"role {row.role}, clearance {row.clearance}"
                          + ("" if row.password_hash else ", no password (OpenID Connect)"))
            info = _info(row)
    except IntegrityError as exc:  # another process took the name in between
        raise taken from exc
    return info


def set_role(engine: Engine, name: str, role: str | Role | None, clearance: str | None,
             actor: Actor, *, principal: Principal | None = None) -> AccountInfo:
    """Change an account's role and/or clearance (None: unchanged). The last admin who can
    sign in is not demoted."""
    _allowed(principal)
    new_role = valid_role(role) if role is not None else None
    new_clearance = valid_clearance(clearance) if clearance is not None else None
    with Session(engine) as session, session.begin():
        row = _get(session, name)
        changes = []
        if new_role is not None and new_role.value != row.role:
            if row.role == Role.ADMIN and not row.disabled:
                _keep_an_admin(session, row, tr(
                    "Cannot make {name} {role}: {name} is the only admin who can sign in. "
                    "Make another account admin first.").format(name=row.name,
                                                                 role=new_role.value))
            changes.append(f"role {row.role} -> {new_role.value}")
            row.role = new_role.value
        if new_clearance is not None and new_clearance != row.clearance:
            changes.append(f"clearance {row.clearance} -> {new_clearance}")
            row.clearance = new_clearance
        if changes:
            record(session, actor, "account-change", target=row.name, detail="; ".join(changes))
        return _info(row)


def _keep_an_admin(session: Session, row: Account, refusal: str) -> None:
    """InputError ``refusal`` when ``row`` is the only admin who can sign in."""
    others = session.scalar(select(func.count()).select_from(Account).where(
        Account.role == Role.ADMIN.value, Account.disabled.is_(False), Account.id != row.id))
    if not others:
        raise InputError(refusal)


def disable_account(engine: Engine, name: str, actor: Actor, *,
                    principal: Principal | None = None) -> AccountInfo:
    """Stop an account signing in: its sessions end and its tokens stop working at once.
    The last admin who can sign in is not disabled."""
    _allowed(principal)
    with Session(engine) as session, session.begin():
        row = _get(session, name)
        if row.disabled:
            return _info(row)
        if row.role == Role.ADMIN:
            _keep_an_admin(session, row, tr(
                "Cannot disable {name}: {name} is the only admin who can sign in. Make another "
                "account admin first.").format(name=row.name))
        row.disabled = True
        now = _now()
        session.execute(update(SignInSession).where(
            SignInSession.account_id == row.id, SignInSession.ended_at.is_(None))
            .values(ended_at=now))
        record(session, actor, "account-change", target=row.name, detail="disabled")
        return _info(row)


def enable_account(engine: Engine, name: str, actor: Actor, *,
                   principal: Principal | None = None) -> AccountInfo:
    """Let a disabled account sign in again (its old sessions stay ended)."""
    _allowed(principal)
    with Session(engine) as session, session.begin():
        row = _get(session, name)
        if row.disabled:
            row.disabled = False
            record(session, actor, "account-change", target=row.name, detail="enabled")
        return _info(row)


def set_password(engine: Engine, name: str, password: str | None, actor: Actor, *,
                 keep_session: str = "") -> AccountInfo:
    """Set (or, with None, remove: OpenID Connect only) an account's password. Its browser
    sessions end, but for the one whose secret is ``keep_session`` (the person changing
    their own password stays signed in there)."""
    password_hash = hash_password(password) if password is not None else ""
    with Session(engine) as session, session.begin():
        row = _get(session, name)
        row.password_hash = password_hash
        session.execute(update(SignInSession).where(
            SignInSession.account_id == row.id, SignInSession.ended_at.is_(None),
            SignInSession.secret_hash != secret_hash(keep_session)).values(ended_at=_now()))
        record(session, actor, "account-change", target=row.name,
               detail="password set" if password is not None else "password removed")
        return _info(row)


def anonymous_view(engine: Engine) -> bool:
    """Whether an admin lets visitors who are not signed in see public data."""
    with Session(engine) as session:
        return (get_meta(session, ANONYMOUS_VIEW_KEY) or "").strip().lower() == "on"


def set_anonymous_view(engine: Engine, on: bool, actor: Actor, *,
                       principal: Principal | None = None) -> None:
    """Turn the anonymous public view on or off (recorded as a settings change)."""
    _allowed(principal)
    with Session(engine) as session, session.begin():
        if ((get_meta(session, ANONYMOUS_VIEW_KEY) or "off") == "on") == on:
            return
        set_meta(session, ANONYMOUS_VIEW_KEY, "on" if on else "off")
        record(session, actor, "settings", target=ANONYMOUS_VIEW_KEY,
               detail="anonymous public view " + ("on" if on else "off"))


def principal_of(info: AccountInfo, kind: str = "account") -> Principal:
    """The :class:`Principal` an account acts as."""
    return Principal(info.name, Role(info.role), info.clearance, kind)


# --- sign-in ---------------------------------------------------------------------------------


def check_password(engine: Engine, name: str, password: str, address: str) -> AccountInfo:
    """The account that ``name`` and ``password`` sign in, recorded in the audit trail.

    Raises :class:`SignInRefused` with one message whatever was wrong (no such account, a
    disabled one, one without a password, a wrong password), and :class:`TooManyAttempts`
    when the name or the address had :data:`MAX_FAILURES` failures within
    :data:`FAILURE_WINDOW` (the password is then not even checked).
    """
    key = name.strip()[:120]
    address = address.strip()[:80]
    now = _now()
    with Session(engine) as session:
        until = _blocked_until(session, key, address, now)
    if until is not None:
        record_now(engine, key or "(no name)", "sign-in-failed", target=key, address=address,
                   detail="too many failed attempts", outcome="refused")
        minutes = max(1, int((until - now).total_seconds() // 60) + 1)
        raise TooManyAttempts(ntr(
            "Too many failed sign-ins for this account or from this address. Try again after "
            "{until} UTC (in about {n} minute).",
            "Too many failed sign-ins for this account or from this address. Try again after "
            "{until} UTC (in about {n} minutes).", minutes).format(
                until=f"{until:%H:%M}", n=minutes))
    with Session(engine) as session, session.begin():
        row = _find(session, key) if key else None
        usable = row is not None and not row.disabled and bool(row.password_hash)
        ok = _verifies(row.password_hash if row is not None and usable else _dummy_hash(),
                       password) and usable
        if not ok or row is None:
            session.add(SignInAttempt(name=key.lower(), address=address, attempted_at=now))
            session.execute(delete(SignInAttempt).where(
                SignInAttempt.attempted_at < now - timedelta(days=1)))
            why = ("no such account" if row is None else "account disabled" if row.disabled
                   else "no password (OpenID Connect only)" if not row.password_hash
                   else "wrong password")
            record(session, key or "(no name)", "sign-in-failed", target=key, address=address,
                   detail=why, outcome="failed")
        else:
            if _HASHER.check_needs_rehash(row.password_hash):
                row.password_hash = _HASHER.hash(password)
            session.execute(delete(SignInAttempt).where(SignInAttempt.name == key.lower()))
            record(session, row.name, "sign-in", target=row.name, address=address,
                   detail="password")
            info = _info(row)
    if not ok:
        raise SignInRefused(tr(REFUSED))
    return info


def _blocked_until(session: Session, name: str, address: str, now: datetime) -> datetime | None:
    """When the name or the address may try again, if either is over the limit now."""
    since = now - FAILURE_WINDOW
    until = None
    for column, value in ((SignInAttempt.name, name.lower()), (SignInAttempt.address, address)):
        if not value:
            continue
        times = [_utc(t) for t in session.scalars(
            select(SignInAttempt.attempted_at).where(column == value,
                                                     SignInAttempt.attempted_at > since)
            .order_by(SignInAttempt.attempted_at))]
        if len(times) >= MAX_FAILURES:  # free again when all but MAX_FAILURES - 1 are old
            free = times[len(times) - MAX_FAILURES] + FAILURE_WINDOW
            until = free if until is None else max(until, free)
    return until


def verify_password(engine: Engine, name: str, password: str, address: str = "") -> bool:
    """Whether ``password`` is the account's (to confirm a change of it): no sign-in is
    recorded, but a wrong one counts towards the sign-in limit, which also applies here
    (:class:`TooManyAttempts`)."""
    key = name.strip()[:120]
    now = _now()
    with Session(engine) as session:
        until = _blocked_until(session, key, address, now)
    if until is not None:
        raise TooManyAttempts(tr("Too many wrong passwords for this account. Try again after "
                                 "{until} UTC.").format(until=f"{until:%H:%M}"))
    with Session(engine) as session, session.begin():
        row = _find(session, key)
        ok = row is not None and bool(row.password_hash) and _verifies(row.password_hash,
                                                                       password)
        if not ok:
            session.add(SignInAttempt(name=key.lower(), address=address[:80], attempted_at=now))
    return ok


def valid_oidc_name(name: str) -> str:
    """The account name of an OpenID Connect sign-in: a verified e-mail address, or the
    provider's host and subject (:data:`domain.settings.SUBJECT_NAME`, a form no local
    account name has); InputError otherwise (a bare user name could be a local account's).

    >>> valid_oidc_name("Ada@X.org"), valid_oidc_name("id.example.org:42")
    ('ada@x.org', 'id.example.org:42')
    """
    cleaned = name.strip().lower()
    if SUBJECT_NAME.fullmatch(cleaned):
        return cleaned
    local, at, domain = valid_name(cleaned).rpartition("@")
    if not (local and at and domain):
        raise InputError(tr("'{name}' cannot be the account of an OpenID Connect sign-in: it "
                            "is neither a verified e-mail address nor the provider's "
                            "subject.").format(name=name))
    return cleaned


def oidc_sign_in(engine: Engine, secret: str, name: str, role: str | Role, clearance: str,
                 *, email: str = "", via: str, address: str = "",
                 hours: float = SESSION_HOURS) -> AccountInfo:
    """Sign in a person an OpenID Connect provider vouched for, their role and clearance
    given by the deployment's rules: their account is made on the first sign-in (without a
    password) and takes the rule's role and clearance on each (but the last admin who can
    sign in stays admin); ``secret`` (Streamlit's signed identity cookie) then works as a
    session secret.

    ``name`` is the provider's verified e-mail address (an account an admin made with that
    name and no password is then theirs) or its host and subject (:func:`valid_oidc_name`).
    SignInRefused, recorded as a failed sign-in, for an account that has a password (an
    OpenID Connect sign-in never takes over a local account), a disabled account, or a
    sign-in that was ended."""
    name = valid_oidc_name(name)
    new_role, new_clearance = valid_role(role), valid_clearance(clearance)
    address, now, refused, values = address.strip()[:80], _now(), "", {"name": "", "via": via}
    with Session(engine) as session, session.begin():
        earlier = session.scalar(select(SignInSession).where(
            SignInSession.secret_hash == secret_hash(secret)))
        row = _find(session, name)
        if earlier is not None:  # the same cookie again: the session it started, if alive
            alive = earlier.ended_at is None and _utc(earlier.expires_at) > _now()
            owner = session.get(Account, earlier.account_id)
            if alive and owner is not None and not owner.disabled:
                return _info(owner)
            refused = ENDED
        elif row is None:
            row = Account(name=name, role=new_role.value, clearance=new_clearance,
                          email=_valid_email(email), created_at=now, disabled=False,
                          password_hash="")
            session.add(row)
            session.flush()
            record(session, f"OpenID Connect ({via})", "account-add", target=name,
                   detail=f"role {row.role}, clearance {row.clearance}, at the first sign-in")
        elif row.password_hash:
            refused, values["name"] = HAS_PASSWORD, row.name
        elif row.disabled:
            refused, values["name"] = DISABLED, row.name
        else:
            _take_rule(session, row, new_role, new_clearance, via)
        if not refused:
            assert row is not None
            session.add(SignInSession(secret_hash=secret_hash(secret), account_id=row.id,
                                      created_at=now, expires_at=now + timedelta(hours=hours)))
            record(session, row.name, "sign-in", target=row.name, address=address,
                   detail=f"OpenID Connect ({via})")
            info = _info(row)
    if refused:
        record_now(engine, name, "sign-in-failed", target=name, address=address,
                   detail=f"OpenID Connect ({via}): {refused.format(**values)}",
                   outcome="refused")  # the audit trail in English, the person in their language
        raise SignInRefused(tr(refused).format(**values))
    return info


def _take_rule(session: Session, row: Account, role: Role, clearance: str, via: str) -> None:
    """The role and clearance the rules give now (a group changed at the provider shows at
    the next sign-in); the last admin who can sign in is not demoted by a rule."""
    changes = []
    if role.value != row.role:
        others = session.scalar(select(func.count()).select_from(Account).where(
            Account.role == Role.ADMIN.value, Account.disabled.is_(False),
            Account.id != row.id))
        if row.role != Role.ADMIN or others:
            changes.append(f"role {row.role} -> {role.value}")
            row.role = role.value
    if clearance != row.clearance:
        changes.append(f"clearance {row.clearance} -> {clearance}")
        row.clearance = clearance
    if changes:
        record(session, f"OpenID Connect ({via})", "account-change", target=row.name,
               detail="; ".join(changes) + " (the deployment's rules)")


# --- sessions --------------------------------------------------------------------------------


def start_session(engine: Engine, account_id: int, hours: float = SESSION_HOURS) -> str:
    """A new browser session for the account: the secret for the cookie (the store keeps
    its SHA-256 only). It ends after ``hours``, at sign-out, or when the account is
    disabled or its password changes."""
    secret = secrets.token_urlsafe(32)
    now = _now()
    with Session(engine) as session, session.begin():
        session.add(SignInSession(secret_hash=secret_hash(secret), account_id=account_id,
                                  created_at=now, expires_at=now + timedelta(hours=hours)))
        session.execute(delete(SignInSession).where(  # tidy up: long over
            SignInSession.expires_at < now - timedelta(days=30)))
    return secret


def session_account(engine: Engine, secret: str) -> AccountInfo | None:
    """The account of a session secret; None when unknown, expired, ended or disabled."""
    if not secret:
        return None
    with Session(engine) as session:
        found = session.execute(
            select(SignInSession, Account).join(Account, Account.id == SignInSession.account_id)
            .where(SignInSession.secret_hash == secret_hash(secret))).first()
        if found is None:
            return None
        sign_in, row = found
        if sign_in.ended_at is not None or _utc(sign_in.expires_at) <= _now() or row.disabled:
            return None
        return _info(row)


def end_session(engine: Engine, secret: str, address: str = "") -> None:
    """Sign out: the session ends in every process at once (recorded as sign-out)."""
    if not secret:
        return
    with Session(engine) as session, session.begin():
        found = session.execute(
            select(SignInSession, Account).join(Account, Account.id == SignInSession.account_id)
            .where(SignInSession.secret_hash == secret_hash(secret))).first()
        if found is None or found[0].ended_at is not None:
            return
        sign_in, row = found
        sign_in.ended_at = _now()
        record(session, row.name, "sign-out", target=row.name, address=address)


# --- API tokens ------------------------------------------------------------------------------


def new_token(engine: Engine, name: str, label: str, actor: Actor) -> str:
    """A new personal API token for the account: returned this once, stored as SHA-256."""
    label = label.strip()
    if len(label) > 120:
        raise InputError(tr("The token's label is too long: use at most 120 characters."))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with Session(engine) as session, session.begin():
        row = _get(session, name)
        if row.disabled:
            raise InputError(tr("{name} is disabled: a token of theirs would not work.").format(
                name=row.name))
        entry = ApiToken(account_id=row.id, token_hash=secret_hash(token), label=label,
                         created_at=_now())
        session.add(entry)
        session.flush()
        record(session, actor, "token-new", target=row.name,
               detail=f"token {entry.id}" + (f" ({label})" if label else ""))
    return token


def revoke_token(engine: Engine, token_id: int, actor: Actor, *, name: str | None = None) -> None:
    """Revoke a token by its id (given ``name``, only a token of that account). Revoking one
    revoked before changes nothing."""
    with Session(engine) as session, session.begin():
        found = session.execute(select(ApiToken, Account).join(
            Account, Account.id == ApiToken.account_id).where(ApiToken.id == token_id)).first()
        if found is None or (name is not None and found[1].name.lower() != name.strip().lower()):
            raise NotFoundError((
                tr("There is no API token {id}. `permitmap users list` shows the accounts; the "
                   "account page lists their tokens.") if name is None else
                tr("There is no API token {id} of {name}. `permitmap users list` shows the "
                   "accounts; the account page lists their tokens.")).format(
                       id=token_id, name=(name or "").strip()))
        token, row = found
        if token.revoked_at is None:
            token.revoked_at = _now()
            record(session, actor, "token-revoke", target=row.name,
                   detail=f"token {token.id}" + (f" ({token.label})" if token.label else ""))


def list_tokens(engine: Engine, name: str) -> list[TokenInfo]:
    """The account's tokens, newest first (revoked ones too)."""
    with Session(engine) as session:
        row = _get(session, name)
        return [TokenInfo(t.id, row.name, t.label, _utc(t.created_at),
                          _utc(t.revoked_at) if t.revoked_at else None,
                          _utc(t.last_used_at) if t.last_used_at else None)
                for t in session.scalars(select(ApiToken).where(ApiToken.account_id == row.id)
                                         .order_by(ApiToken.id.desc()))]


def token_id(engine: Engine, token: str) -> int | None:
    """The number of an API token (to name it, say, when revoking it), None if unknown."""
    with Session(engine) as session:
        return session.scalar(select(ApiToken.id).where(ApiToken.token_hash
                                                        == secret_hash(token)))


def token_account(engine: Engine, token: str) -> AccountInfo | None:
    """The account of an API token; None when unknown, revoked or the account disabled.
    Notes when it was used (at most once a minute, so a map's tile requests write little)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    now = _now()
    with Session(engine) as session:
        found = session.execute(select(ApiToken, Account).join(
            Account, Account.id == ApiToken.account_id)
            .where(ApiToken.token_hash == secret_hash(token))).first()
        if found is None:
            return None
        entry, row = found
        if entry.revoked_at is not None or row.disabled:
            return None
        info = _info(row)
        stale = entry.last_used_at is None or _utc(entry.last_used_at) < now - timedelta(
            minutes=1)
    if stale:
        with Session(engine) as session, session.begin():
            session.execute(update(ApiToken).where(ApiToken.id == entry.id)
                            .values(last_used_at=now))
    return info
