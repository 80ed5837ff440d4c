"""Local accounts on SQLite and PostgreSQL: Argon2id hashes; one refusal message whatever was
wrong; the sign-in rate limit per account name and per address, seen by every process;
sessions that expire, end at sign-out and die with the account; API tokens that work until
revoked and are stored hashed (the plain secrets are nowhere in a dump of the database);
``permitmap users`` in-process and as a subprocess reading the password from stdin.
"""

from __future__ import annotations

import getpass
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, func, select, text, update
from sqlalchemy.orm import Session

from commands.cli_principal import os_user
from commands.main import main
from domain.access import Principal, Role
from domain.errors import InputError, NotFoundError
from store.accounts import (
    REFUSED,
    AccountInfo,
    SignInRefused,
    TooManyAttempts,
    account_count,
    add_account,
    check_password,
    disable_account,
    enable_account,
    end_session,
    get_account,
    hash_password,
    list_accounts,
    list_tokens,
    new_token,
    principal_of,
    revoke_token,
    secret_hash,
    session_account,
    set_anonymous_view,
    set_password,
    set_role,
    start_session,
    token_account,
    token_id,
)
from store.audit import audit_rows
from store.db import get_engine, migrate
from store.models import Account, ApiToken, SignInAttempt, SignInSession
from store.transfer.pg_programs import pg_args, run_pg
from store.transfer.urls import sqlite_path
from tests.support.fixtures_data import write_data_dir

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
ACTOR = "test"


@pytest.fixture
def engine(database_url: str) -> Engine:
    """An empty store (migrated, not seeded) on each backend."""
    engine = get_engine(database_url)
    migrate(engine)
    return engine


@pytest.fixture
def other_process(database_url: str, engine: Engine) -> Iterator[Engine]:
    """A second engine on the same database, with a pool of its own: another app process."""
    second = create_engine(database_url, connect_args={"timeout": 30}
                           if database_url.startswith("sqlite") else {})
    yield second
    second.dispose()


def _ada(engine: Engine) -> AccountInfo:
    return add_account(engine, "ada", "admin", "controlled", PASSWORD, "ada@example.org",
                       actor=ACTOR)


def _attempts(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(SignInAttempt)) or 0)


def _age_attempts(engine: Engine, by: timedelta) -> None:
    """Move every failed attempt into the past, as if ``by`` had gone by."""
    with Session(engine) as session, session.begin():
        for row in session.scalars(select(SignInAttempt)):
            row.attempted_at = row.attempted_at - by


def _dump(engine: Engine) -> bytes:
    """Everything the database holds, as bytes (SQLite: the file and its WAL; PostgreSQL:
    a plain-text pg_dump)."""
    if engine.dialect.name == "sqlite":
        path = sqlite_path(engine.url.render_as_string(hide_password=False))
        return b"".join(Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal")
                        if Path(f"{path}{suffix}").is_file())
    return run_pg("pg_dump", ["--format=plain", "--no-password", *pg_args(engine.url)],
                  engine.url, "dump").encode("utf-8")


# --- passwords and accounts ------------------------------------------------------------------


def test_hashing_is_argon2id_salted_and_verifies(engine: Engine) -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and second.startswith("$argon2id$")
    assert first != second  # salted
    assert PasswordHasher().verify(first, PASSWORD)
    _ada(engine)
    with Session(engine) as session:
        stored = session.scalar(select(Account.password_hash))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)
    with pytest.raises(InputError, match="at least 8 characters"):
        hash_password("short")


def test_accounts_are_checked_and_listed(engine: Engine) -> None:
    assert account_count(engine) == 0
    ada = _ada(engine)
    assert ada == AccountInfo(ada.id, "ada", Role.ADMIN, "controlled", "ada@example.org",
                              False, True)
    add_account(engine, "bob.smith@example.org", Role.VIEWER, actor=ACTOR)
    assert principal_of(ada) == Principal("ada", Role.ADMIN, "controlled", "account")
    assert [a.name for a in list_accounts(engine)] == ["ada", "bob.smith@example.org"]
    assert not list_accounts(engine)[1].has_password
    refusals = {
        ("bad name", "viewer", "public"): "cannot be an account name",
        ("", "viewer", "public"): "cannot be an account name",
        ("x" * 121, "viewer", "public"): "cannot be an account name",
        ("carol", "boss", "public"): "'boss' is not a role: use one of viewer, editor, admin",
        ("carol", "viewer", "secret"): "'secret' is not a clearance",
        ("ADA", "viewer", "public"): "already an account named 'ADA'",
    }
    for (name, role, clearance), message in refusals.items():
        with pytest.raises(InputError, match=re.escape(message)):
            add_account(engine, name, role, clearance, actor=ACTOR)
    assert account_count(engine) == 2
    assert set_role(engine, "ADA", None, "public", ACTOR).clearance == "public"
    with pytest.raises(InputError, match="only admin who can sign in"):
        set_role(engine, "ada", "viewer", None, ACTOR)
    with pytest.raises(InputError, match="only admin who can sign in"):
        disable_account(engine, "ada", ACTOR)
    with pytest.raises(NotFoundError, match="no account named 'nobody'"):
        set_role(engine, "nobody", "viewer", None, ACTOR)
    set_role(engine, "bob.smith@example.org", "admin", None, ACTOR)
    assert disable_account(engine, "ada", ACTOR).disabled
    assert not enable_account(engine, "ada", ACTOR).disabled


# --- sign-in ---------------------------------------------------------------------------------


def test_wrong_password_is_refused_as_an_unknown_name_is(engine: Engine) -> None:
    _ada(engine)
    add_account(engine, "olga", "editor", actor=ACTOR)  # OpenID Connect only: no password
    assert check_password(engine, "ada", PASSWORD, "10.0.0.1").name == "ada"
    assert check_password(engine, "ADA", PASSWORD, "10.0.0.1").name == "ada"
    messages: list[str] = []
    for name, password in (("ada", "wrong password"), ("nobody", PASSWORD), ("olga", ""),
                           ("olga", PASSWORD), ("", PASSWORD)):
        with pytest.raises(SignInRefused) as refused:
            check_password(engine, name, password, f"10.0.1.{len(messages)}")
        assert type(refused.value) is SignInRefused
        messages.append(str(refused.value))
    add_account(engine, "bea", "admin", password=PASSWORD, actor=ACTOR)
    disable_account(engine, "ada", ACTOR)
    with pytest.raises(SignInRefused) as refused:
        check_password(engine, "ada", PASSWORD, "10.0.2.1")
    messages.append(str(refused.value))
    assert set(messages) == {REFUSED} and len(messages) == 6
    assert _attempts(engine) == 6


def test_rate_limit_per_name_is_seen_by_every_process(engine: Engine,
                                                      other_process: Engine) -> None:
    _ada(engine)
    add_account(engine, "bea", "editor", password=PASSWORD, actor=ACTOR)
    started = datetime.now(UTC)
    for i in range(5):  # from five addresses, half of them through the other process
        with pytest.raises(SignInRefused) as refused:
            check_password(engine if i % 2 else other_process, "ada", "guess", f"10.0.0.{i}")
        assert type(refused.value) is SignInRefused
    for process in (engine, other_process):  # the right password, from a new address
        with pytest.raises(TooManyAttempts) as blocked:
            check_password(process, "Ada", PASSWORD, "192.0.2.7")
        message = str(blocked.value)
        assert message.startswith("Too many failed sign-ins for this account or from this "
                                  "address. Try again after ")
        free = (started + timedelta(minutes=15)).strftime("%H:%M")
        later = (started + timedelta(minutes=16)).strftime("%H:%M")
        assert f"after {free} UTC" in message or f"after {later} UTC" in message
        assert "(in about 15 minutes)" in message
    assert _attempts(engine) == 5  # a blocked try is not one more failure
    assert check_password(other_process, "bea", PASSWORD, "10.0.0.1").name == "bea"
    _age_attempts(engine, timedelta(minutes=15, seconds=1))
    assert check_password(other_process, "ada", PASSWORD, "192.0.2.7").name == "ada"


def test_rate_limit_per_address(engine: Engine, other_process: Engine) -> None:
    _ada(engine)
    for i in range(5):  # five names guessed from one address
        with pytest.raises(SignInRefused):
            check_password(other_process if i % 2 else engine, f"user{i}", "guess",
                           "203.0.113.9")
    with pytest.raises(TooManyAttempts, match="Try again after"):
        check_password(engine, "ada", PASSWORD, "203.0.113.9")
    assert check_password(other_process, "ada", PASSWORD, "198.51.100.1").name == "ada"
    _age_attempts(engine, timedelta(minutes=14))  # four of five still count in 15 minutes
    with pytest.raises(TooManyAttempts):
        check_password(engine, "ada", PASSWORD, "203.0.113.9")


def test_a_good_sign_in_forgets_the_name_s_failures(engine: Engine) -> None:
    _ada(engine)
    for i in range(4):
        with pytest.raises(SignInRefused):
            check_password(engine, "ada", "typo", f"10.0.0.{i}")
    check_password(engine, "ada", PASSWORD, "10.0.0.9")
    with pytest.raises(SignInRefused) as refused:  # one more typo: not locked out
        check_password(engine, "ada", "typo", "10.0.0.10")
    assert type(refused.value) is SignInRefused


# --- sessions and tokens ---------------------------------------------------------------------


def test_sessions_expire_end_at_sign_out_and_die_with_the_account(engine: Engine) -> None:
    ada = _ada(engine)
    bea = add_account(engine, "bea", "admin", password=PASSWORD, actor=ACTOR)
    first, second = start_session(engine, ada.id), start_session(engine, ada.id)
    assert first != second and len(first) >= 40
    assert session_account(engine, first) == ada
    assert session_account(engine, "not-a-session") is None
    assert session_account(engine, "") is None
    with Session(engine) as session:  # only the SHA-256 is kept
        assert set(session.scalars(select(SignInSession.secret_hash))) == {
            secret_hash(first), secret_hash(second)}

    end_session(engine, first, "10.0.0.1")
    assert session_account(engine, first) is None
    assert session_account(engine, second) == ada  # the other browser is still signed in
    assert list(audit_rows(engine, action="sign-out")["actor"]) == ["ada"]

    expiring = start_session(engine, bea.id, hours=1)
    assert session_account(engine, expiring) == bea
    with Session(engine) as session, session.begin():
        session.execute(update(SignInSession).where(
            SignInSession.secret_hash == secret_hash(expiring))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert session_account(engine, expiring) is None

    kept, ended = start_session(engine, bea.id), start_session(engine, bea.id)
    set_password(engine, "bea", "another password", "bea", keep_session=kept)
    assert session_account(engine, kept) is not None and session_account(engine, ended) is None

    disable_account(engine, "ada", ACTOR)
    assert session_account(engine, second) is None
    enable_account(engine, "ada", ACTOR)
    assert session_account(engine, second) is None  # ended, not merely hidden


def test_tokens_work_until_revoked_and_are_stored_hashed(engine: Engine) -> None:
    ada = _ada(engine)
    token = new_token(engine, "ada", "QGIS", ACTOR)
    assert re.fullmatch(r"pm_[A-Za-z0-9_-]{43}", token)
    assert token_account(engine, token) == ada
    assert token_account(engine, token + "x") is None
    assert token_account(engine, token.removeprefix("pm_")) is None
    [info] = list_tokens(engine, "ada")
    assert (info.label, info.revoked_at) == ("QGIS", None)
    assert info.last_used_at is not None  # noted on use
    secret = start_session(engine, ada.id)

    dump = _dump(engine)
    assert secret_hash(token).encode() in dump and secret_hash(secret).encode() in dump
    for plain in (token, token.removeprefix("pm_"), secret, PASSWORD):
        assert plain.encode() not in dump

    with pytest.raises(NotFoundError, match="no API token"):
        revoke_token(engine, info.id, ACTOR, name="bea")
    revoke_token(engine, info.id, ACTOR)
    assert token_account(engine, token) is None
    revoke_token(engine, info.id, ACTOR)  # again: nothing more happens
    assert len(audit_rows(engine, action="token-revoke")) == 1
    with pytest.raises(NotFoundError):
        revoke_token(engine, 9999, ACTOR)

    other = new_token(engine, "ada", "", ACTOR)
    assert token_account(engine, other) == ada
    with Session(engine) as session:
        assert set(session.scalars(select(ApiToken.token_hash))) == {secret_hash(token),
                                                                     secret_hash(other)}
    add_account(engine, "bea", "admin", password=PASSWORD, actor=ACTOR)
    disable_account(engine, "ada", ACTOR)
    assert token_account(engine, other) is None
    with pytest.raises(InputError, match="ada is disabled"):
        new_token(engine, "ada", "", ACTOR)


# --- the command line ------------------------------------------------------------------------


class _Stdin(io.StringIO):
    def __init__(self, words: str, tty: bool = False) -> None:
        super().__init__(words)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.fixture
def cli_url(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(write_data_dir(tmp_path / "data")))
    return database_url


def test_a_principal_as_actor_puts_its_address_in_the_trail(engine: Engine) -> None:
    """The admin and account pages pass who is asking: the rows carry the page's address."""
    _ada(engine)
    me = Principal("ada", Role.ADMIN, "controlled", address="198.51.100.7")
    add_account(engine, "bea", "viewer", password=PASSWORD, actor=me, principal=me)
    set_role(engine, "bea", "editor", None, me, principal=me)
    disable_account(engine, "bea", me, principal=me)
    enable_account(engine, "bea", me, principal=me)
    set_anonymous_view(engine, True, me, principal=me)
    token = new_token(engine, "ada", "QGIS", me)
    number = token_id(engine, token)
    assert number is not None
    revoke_token(engine, number, me, name="ada")
    set_password(engine, "ada", "another long password", me)
    rows = audit_rows(engine, actor="ada")
    assert sorted(rows["action"]) == ["account-add", "account-change", "account-change",
                                      "account-change", "account-change", "settings",
                                      "token-new", "token-revoke"]
    assert set(rows["address"]) == {"198.51.100.7"}
    # a name (the command line) has no address
    set_role(engine, "bea", "viewer", None, ACTOR)
    assert list(audit_rows(engine, actor=ACTOR, action="account-change")["address"]) == [""]


def _cli(monkeypatch: pytest.MonkeyPatch, args: list[str], stdin: str = "",
         tty: bool = False) -> int:
    monkeypatch.setattr(sys, "stdin", _Stdin(stdin, tty))
    return main(["users", *args])


def _one_error(capsys: pytest.CaptureFixture[str], message: str) -> None:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_add_list_set_disable_token(cli_url: str, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    me = f"cli:{os_user()}"
    assert _cli(monkeypatch, ["list"]) == 0
    assert "No accounts: the app is open" in capsys.readouterr().out
    assert _cli(monkeypatch, ["add", "ada", "--role", "admin", "--clearance", "controlled",
                              "--email", "ada@example.org"], f"{PASSWORD}\nignored\n") == 0
    out = capsys.readouterr().out
    assert "added ada: admin, clearance controlled, signs in with password" in out
    assert "first account" in out
    engine = get_engine(cli_url)
    assert check_password(engine, "ada", PASSWORD, "127.0.0.1").name == "ada"
    assert _cli(monkeypatch, ["add", "olga", "--role", "viewer", "--no-password"]) == 0
    assert "OpenID Connect only" in capsys.readouterr().out

    # a password asked for twice at a terminal
    answers = iter(["terminal password", "terminal password"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert _cli(monkeypatch, ["add", "tim", "--role", "editor"], tty=True) == 0
    capsys.readouterr()
    assert check_password(engine, "tim", "terminal password", "127.0.0.1").name == "tim"
    answers = iter(["one password", "another one"])
    assert _cli(monkeypatch, ["add", "tom", "--role", "editor"], tty=True) == 1
    _one_error(capsys, "The two passwords differ")

    assert _cli(monkeypatch, ["set", "olga", "--role", "editor", "--clearance",
                              "business-proprietary"]) == 0
    assert capsys.readouterr().out == "olga: editor, clearance business-proprietary\n"
    assert _cli(monkeypatch, ["token", "olga", "--label", "QGIS"]) == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert token.startswith("pm_") and len(captured.out.splitlines()) == 1
    assert "shown this once" in captured.err and "revoke-token 1" in captured.err
    assert token_account(engine, token) == get_account(engine, "olga")

    assert _cli(monkeypatch, ["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "role", "clearance", "sign-in", "tokens", "email"]
    assert lines[1].split() == ["ada", "admin", "controlled", "password", "0",
                                "ada@example.org"]
    assert lines[2].split() == ["olga", "editor", "business-proprietary", "OpenID", "Connect",
                                "1"]

    assert _cli(monkeypatch, ["password", "olga"], "olga's new password\n") == 0
    capsys.readouterr()
    assert check_password(engine, "olga", "olga's new password", "127.0.0.1").name == "olga"
    assert _cli(monkeypatch, ["disable", "olga"]) == 0
    assert "disabled olga" in capsys.readouterr().out
    assert token_account(engine, token) is None
    assert _cli(monkeypatch, ["revoke-token", "1"]) == 0
    assert capsys.readouterr().out == "revoked API token 1\n"

    actions = audit_rows(engine, actor=me).sort_values("id")
    assert list(actions["action"]) == ["account-add", "account-add", "account-add",
                                       "account-change", "token-new", "account-change",
                                       "account-change", "token-revoke"]
    assert list(actions["target"]) == ["ada", "olga", "tim", "olga", "olga", "olga", "olga",
                                       "olga"]


def test_cli_errors_are_one_line_and_change_nothing(cli_url: str,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(monkeypatch, ["add", "ada", "--role", "admin"], f"{PASSWORD}\n") == 0
    capsys.readouterr()
    engine = get_engine(cli_url)
    before = (list_accounts(engine), len(audit_rows(engine)), list_tokens(engine, "ada"))
    refusals = [
        (["add", "ada", "--role", "viewer"], f"{PASSWORD}\n", "already an account named"),
        (["add", "bad name", "--role", "viewer"], f"{PASSWORD}\n", "cannot be an account name"),
        (["add", "bob", "--role", "boss"], f"{PASSWORD}\n", "'boss' is not a role"),
        (["add", "bob", "--role", "viewer", "--clearance", "top"], f"{PASSWORD}\n",
         "'top' is not a clearance"),
        (["add", "bob", "--role", "viewer"], "", "No password on standard input"),
        (["add", "bob", "--role", "viewer"], "short\n", "at least 8 characters"),
        (["add", "bob", "--role", "viewer", "--email", "not an address"], f"{PASSWORD}\n",
         "is not an e-mail address"),
        (["set", "ada"], "", "Give --role, --clearance or both"),
        (["set", "ada", "--role", "viewer"], "", "only admin who can sign in"),
        (["set", "nobody", "--role", "viewer"], "", "no account named 'nobody'"),
        (["disable", "ada"], "", "only admin who can sign in"),
        (["password", "ada"], "tiny\n", "at least 8 characters"),
        (["password", "nobody"], f"{PASSWORD}\n", "no account named 'nobody'"),
        (["token", "nobody"], "", "no account named 'nobody'"),
        (["revoke-token", "7"], "", "no API token 7"),
        (["revoke-token", "seven"], "", "'seven' is not a token number"),
    ]
    for args, stdin, message in refusals:
        assert _cli(monkeypatch, args, stdin) == 1, args
        _one_error(capsys, message)
    assert (list_accounts(engine), len(audit_rows(engine)), list_tokens(engine, "ada")) == before
    assert check_password(engine, "ada", PASSWORD, "127.0.0.1").name == "ada"


def test_cli_as_a_subprocess_reads_the_password_from_stdin(tmp_path: Path) -> None:
    env = {**os.environ, "PERMITMAP_DB_PATH": str(tmp_path / "store.db"),
           "PERMITMAP_DATA_DIR": str(write_data_dir(tmp_path / "data"))}
    env.pop("DATABASE_URL", None)
    run = subprocess.run([sys.executable, "-m", "commands", "users", "add", "eve", "--role",
                          "editor", "--clearance", "business-proprietary"],
                         input=f"{PASSWORD}\n", capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert "added eve: editor, clearance business-proprietary" in run.stdout
    engine = get_engine(f"sqlite:///{tmp_path / 'store.db'}")
    assert check_password(engine, "eve", PASSWORD, "127.0.0.1").role == Role.EDITOR
    [row] = audit_rows(engine, action="account-add").to_dict("records")
    assert (row["actor"], row["target"]) == (f"cli:{os_user()}", "eve")

    again = subprocess.run([sys.executable, "-m", "commands", "users", "add", "eve", "--role",
                            "viewer"], input=f"{PASSWORD}\n", capture_output=True, text=True,
                           env=env, cwd=ROOT, timeout=120, check=False)
    assert again.returncode == 1
    assert again.stderr == "error: There is already an account named 'eve'.\n"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT role FROM accounts")).scalars().all() == [
            "editor"]
