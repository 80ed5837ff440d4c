"""Settings read from environment variables (prefix ``PERMITMAP_``), documented in the README."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from domain.access import MARKING_CODES, Role

#: The folder holding the packages: the checkout (also when installed editable), or
#: site-packages when installed from a wheel.
REPO_ROOT = Path(__file__).resolve().parent.parent
#: True in a checkout; False when installed from a wheel (no pyproject.toml beside the packages).
IN_CHECKOUT = (REPO_ROOT / "pyproject.toml").is_file()
#: The bundled seed data: the checkout's top-level ``data/``, shipped in the wheel as the
#: folder ``permitmap_data`` beside the packages (pyproject's ``[tool.setuptools.package-dir]``).
DATA_DIR = REPO_ROOT / ("data" if IN_CHECKOUT else "permitmap_data")


def var_dir() -> Path:
    """Where the store and the layer files live by default: ``var/`` in the checkout, else
    ``var/`` in the working directory (never inside site-packages)."""
    return REPO_ROOT / "var" if IN_CHECKOUT else Path.cwd() / "var"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """What the app reads from its environment."""

    database_url: str
    data_dir: Path
    online_basemaps: bool
    map_point_limit: int
    layer_dir: Path
    max_upload_mb: int
    session_hours: float = 12.0


def load_settings() -> Settings:
    """Read the settings now (tests change the environment between calls)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        db_path = Path(os.environ.get("PERMITMAP_DB_PATH") or var_dir() / "permitmap.db")
        url = f"sqlite:///{db_path.resolve()}"
    return Settings(
        database_url=url,
        data_dir=Path(os.environ.get("PERMITMAP_DATA_DIR") or DATA_DIR),
        online_basemaps=_flag("PERMITMAP_ONLINE_BASEMAPS", False),
        map_point_limit=int(os.environ.get("PERMITMAP_MAP_POINT_LIMIT", "2000")),
        layer_dir=Path(os.environ.get("PERMITMAP_LAYER_DIR") or var_dir() / "layers"),
        max_upload_mb=int(os.environ.get("PERMITMAP_MAX_UPLOAD_MB", "500")),
        session_hours=_hours(os.environ.get("PERMITMAP_SESSION_HOURS", "")),
    )


def _hours(text: str) -> float:
    """How long a browser stays signed in: PERMITMAP_SESSION_HOURS (default 12), more than
    0 and at most 720 (30 days).

    >>> _hours(""), _hours("8"), _hours("0.5")
    (12.0, 8.0, 0.5)
    """
    if not text.strip():
        return 12.0
    try:
        hours = float(text)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 720:
        raise ValueError(f"PERMITMAP_SESSION_HOURS must be a number of hours above 0 and at "
                         f"most 720 (it is {text!r}).")
    return hours


# --- OpenID Connect ------------------------------------------------------------------------

#: The settings file of a deployment that signs people in through OpenID Connect.
OIDC_FILE_VARIABLE = "PERMITMAP_OIDC_FILE"
_ROLES = tuple(role.value for role in Role)
_CLEARANCES = MARKING_CODES


def verified_email(claims: dict[str, object]) -> str:
    """The e-mail address of the claims, lower case, when the provider says it is verified
    (``email_verified`` true, or the text "true" as some providers send it), else "".
    An address the provider does not vouch for names nobody: anyone may type one.

    >>> verified_email({"email": " Ada@X.org ", "email_verified": "TRUE"})
    'ada@x.org'
    >>> verified_email({"email": "ada@x.org"}), verified_email({"email": "ada@x.org",
    ...     "email_verified": 1}), verified_email({"email": "x", "email_verified": True})
    ('', '', '')
    """
    flag = claims.get("email_verified")
    if not (flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")):
        return ""
    email = str(claims.get("email") or "").strip().lower()
    local, at, domain = email.rpartition("@")
    return email if local and at and domain else ""


#: The account name of a person a provider signs in without a verified e-mail address:
#: ``<provider host>:<subject>`` (a hashed subject after ``~`` when it is not plain lower-case
#: text). The colon keeps it apart from every local account name, which cannot hold one.
SUBJECT_NAME = re.compile(r"[a-z0-9.-]{1,50}:~?[a-z0-9._@+-]{1,64}")
_PLAIN_SUBJECT = re.compile(r"[a-z0-9._@+-]{1,64}")


def oidc_account_name(claims: dict[str, object], issuer_host: str) -> str:
    """The account a provider's person signs in as: their e-mail address when the provider
    says it is verified (an admin may make that account beforehand, without a password),
    else a name of the provider's host and their subject id, which no local account can
    have; "" without either. Never the preferred user name: anyone may choose that.

    >>> oidc_account_name({"sub": "42", "email": "Ada@X.org", "email_verified": True}, "id.x")
    'ada@x.org'
    >>> oidc_account_name({"sub": "42", "email": "ada@x.org", "preferred_username": "admin"},
    ...                   "id.x")
    'id.x:42'
    >>> oidc_account_name({"sub": "AbC"}, "id.x")
    'id.x:~482e1ae75acdf731feeddc4875fd0fc0'
    >>> oidc_account_name({}, "id.x")
    ''
    """
    email = verified_email(claims)
    if email:
        return email
    sub = str(claims.get("sub") or "")
    if not sub:
        return ""
    if not _PLAIN_SUBJECT.fullmatch(sub):
        sub = "~" + hashlib.sha256(sub.encode("utf-8")).hexdigest()[:32]
    host = re.sub(r"[^a-z0-9.-]", "-", issuer_host.lower())[:50] or "provider"
    return f"{host}:{sub}"


@dataclass(frozen=True)
class RoleRule:
    """One ``[[oidc.roles]]`` entry: whoever has this e-mail domain (or is in this group)
    gets this role and clearance."""

    role: str
    clearance: str = "public"
    email_domain: str = ""
    group: str = ""

    def matches(self, claims: dict[str, object], groups_claim: str = "groups") -> bool:
        """Whether the provider's claims fit the rule. An e-mail address counts only when
        the provider says it is verified (:func:`verified_email`).

        >>> rule = RoleRule("editor", email_domain="meti.go.jp")
        >>> ok = {"email_verified": True}
        >>> rule.matches({"email": "Ada@METI.go.jp", **ok})
        True
        >>> rule.matches({"email": "a@x.meti.go.jp", **ok})  # another domain
        False
        >>> rule.matches({"email": "ada@meti.go.jp"})  # not said to be verified
        False
        >>> RoleRule("admin", group="pm-admins").matches({"groups": ["x", "pm-admins"]})
        True
        """
        if self.email_domain:
            email = verified_email(claims)
            return bool(email) and email.rpartition("@")[2] == self.email_domain.lower()
        found = claims.get(groups_claim)
        groups = [found] if isinstance(found, str) else found if isinstance(found, list) else []
        return self.group in [str(g) for g in groups]


@dataclass(frozen=True)
class OidcSettings:
    """The provider, this app's client at it, and the rules that give people a role."""

    name: str  # shown on the sign-in page: "Sign in with <name>"
    server_metadata_url: str
    client_id: str
    client_secret: str
    redirect_uri: str
    cookie_secret: str
    rules: tuple[RoleRule, ...]
    groups_claim: str = "groups"
    scope: str = "openid email profile"

    @property
    def issuer_host(self) -> str:
        """The provider's host name (of its metadata URL), lower case: part of the account
        name of a person it signs in without a verified e-mail address."""
        from urllib.parse import urlsplit

        return (urlsplit(self.server_metadata_url).hostname or "provider").lower()

    def rule_for(self, claims: dict[str, object]) -> RoleRule | None:
        """The first rule the claims match (None: this person gets no role)."""
        return next((r for r in self.rules if r.matches(claims, self.groups_claim)), None)

    def streamlit_auth(self) -> dict[str, object]:
        """The ``[auth]`` secrets section Streamlit's ``st.login`` reads (one provider,
        named ``oidc``)."""
        return {"redirect_uri": self.redirect_uri, "cookie_secret": self.cookie_secret,
                "oidc": {"client_id": self.client_id, "client_secret": self.client_secret,
                         "server_metadata_url": self.server_metadata_url,
                         "client_kwargs": {"scope": self.scope}}}


def load_oidc() -> OidcSettings | None:
    """The OpenID Connect settings of the TOML file named by PERMITMAP_OIDC_FILE (None when
    unset); ValueError in words for a file that cannot be used. Its ``[oidc]`` table holds
    ``name``, ``issuer`` (or ``server_metadata_url``), ``client_id``, ``client_secret``,
    ``redirect_uri`` (``http(s)://HOST/oauth2callback``; ``{port}`` is the app's port),
    optionally ``cookie_secret`` (else PERMITMAP_COOKIE_SECRET), ``groups_claim`` and
    ``scope``, and ``[[oidc.roles]]`` rules, first match wins."""
    name = os.environ.get(OIDC_FILE_VARIABLE, "").strip()
    if not name:
        return None
    import tomllib

    path = Path(name)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("oidc")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{OIDC_FILE_VARIABLE} names {path}, which cannot be read as TOML: "
                         f"{exc}") from exc
    if not isinstance(table, dict):
        raise ValueError(f"{path} has no [oidc] table.")
    return parse_oidc(table, str(path))


def parse_oidc(table: dict[str, object], where: str = "the OpenID Connect settings"
               ) -> OidcSettings:
    """:class:`OidcSettings` from an ``[oidc]`` table; ValueError naming what is wrong.

    >>> s = parse_oidc({"issuer": "https://id.example/", "client_id": "pm",
    ...     "client_secret": "s", "redirect_uri": "https://pm.example/oauth2callback",
    ...     "cookie_secret": "c" * 32, "roles": [{"group": "g", "role": "admin"}]})
    >>> s.server_metadata_url, s.name, s.rules[0].clearance
    ('https://id.example/.well-known/openid-configuration', 'your organisation', 'public')
    """
    def text(key: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where}: [oidc] needs {key} = \"...\".")
        return value.strip()

    issuer = str(table.get("issuer") or "").strip()
    metadata = str(table.get("server_metadata_url") or "").strip() or (
        issuer.rstrip("/") + "/.well-known/openid-configuration" if issuer else "")
    if not metadata:
        raise ValueError(f"{where}: [oidc] needs issuer = \"https://...\" (or "
                         "server_metadata_url).")
    redirect = text("redirect_uri")
    if not redirect.endswith("/oauth2callback"):
        raise ValueError(f"{where}: redirect_uri must end with /oauth2callback (it is "
                         f"{redirect}).")
    secret = str(table.get("cookie_secret") or os.environ.get("PERMITMAP_COOKIE_SECRET")
                 or "").strip()
    if len(secret) < 16:
        raise ValueError(f"{where}: set cookie_secret (or PERMITMAP_COOKIE_SECRET) to a "
                         "random text of at least 16 characters.")
    entries = table.get("roles") or []
    if not isinstance(entries, list):
        raise ValueError(f"{where}: write the rules as [[oidc.roles]] tables.")
    rules = []
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: [[oidc.roles]] entry {i} is not a table.")
        role = str(entry.get("role", "")).strip().lower()
        clearance = str(entry.get("clearance", "public")).strip().lower()
        domain = str(entry.get("email_domain", "")).strip().lstrip("@").lower()
        group = str(entry.get("group", "")).strip()
        if role not in _ROLES:
            raise ValueError(f"{where}: rule {i} needs role = one of {', '.join(_ROLES)}.")
        if clearance not in _CLEARANCES:
            raise ValueError(f"{where}: rule {i}: clearance must be one of "
                             f"{', '.join(_CLEARANCES)}.")
        if bool(domain) == bool(group):
            raise ValueError(f"{where}: rule {i} needs either email_domain or group "
                             "(one of them).")
        rules.append(RoleRule(role, clearance, domain, group))
    if not rules:
        raise ValueError(f"{where}: add at least one [[oidc.roles]] rule, or nobody who signs "
                         "in through the provider gets a role.")
    return OidcSettings(
        name=str(table.get("name") or "your organisation").strip(),
        server_metadata_url=metadata, client_id=text("client_id"),
        client_secret=text("client_secret"), redirect_uri=redirect, cookie_secret=secret,
        rules=tuple(rules), groups_claim=str(table.get("groups_claim") or "groups").strip(),
        scope=str(table.get("scope") or "openid email profile").strip())
