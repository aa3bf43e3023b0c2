"""Divergence declarations: the agreed form loads, and every mistake in it is one line naming
the backend file and the key."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy.exc

from dbparity.backends import (
    Backend,
    BackendConfigError,
    load_backend,
    load_backends,
    shipped_backends_dir,
)
from dbparity.cli import main
from dbparity.divergences import CONSEQUENCES, DeclarationError, is_own_file, parse
from tests.conftest import BACKENDS_DIR

HEAD = """
id = "demo"
label = "A backend"
family = "sqlite"
dialect = "sqlite+aiosqlite"
provision = "sqlite-memory"
"""

FULL = """
[diverges."crud.thing"]
reason = "It differs."
fails = "{fails}"
consequence = "false-confidence"
remedy = "Test this on PostgreSQL."
"""


def load_backend_with(tmp_path: Path, body: str) -> Backend:
    path = tmp_path / "demo.toml"
    path.write_text(HEAD + body, "utf-8")
    return load_backend(path)


def error(tmp_path: Path, body: str) -> str:
    path = tmp_path / "demo.toml"
    path.write_text(HEAD + body, "utf-8")
    with pytest.raises(BackendConfigError) as info:
        load_backend(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("fails", "exception"),
    [
        ("assertion", None),
        ("no-raise", None),
        ("IntegrityError", sqlalchemy.exc.IntegrityError),
        ("DBAPIError", sqlalchemy.exc.DBAPIError),
        ("TypeError", TypeError),
        ("sqlalchemy.exc.TimeoutError", sqlalchemy.exc.TimeoutError),
        ("builtins.TimeoutError", TimeoutError),
        ("sqlite3.OperationalError", sqlite3.OperationalError),
    ],
)
def test_full_declaration_loads(
    tmp_path: Path, fails: str, exception: type[BaseException] | None
) -> None:
    backend = load_backend_with(tmp_path, FULL.format(fails=fails))
    divergence = backend.divergence_for("crud.thing[param]")
    assert divergence is not None
    assert divergence.fails == fails
    assert divergence.exception is exception
    assert divergence.declared() == {
        "reason": "It differs.",
        "fails": fails,
        "consequence": "false-confidence",
        "remedy": "Test this on PostgreSQL.",
    }


@pytest.mark.parametrize(
    ("fails", "message"),
    [
        ("IntegrityErorr", "key 'diverges.\"crud.thing\".fails': 'IntegrityErorr' is not"),
        ("TimeoutError", "write 'sqlalchemy.exc.TimeoutError' or 'builtins.TimeoutError'"),
        ("sqlite3.NoSuchError", "'sqlite3.NoSuchError' is not"),
        ("no_such_module.Error", "'no_such_module.Error' is not"),
        ("sqlalchemy.exc.Connection", "'sqlalchemy.exc.Connection' is not"),  # not an exception
        ("os.path", "'os.path' is not"),
        ("no raise", "'no raise' is not"),
    ],
)
def test_unknown_exception_names_the_file_and_key(tmp_path: Path, fails: str, message: str) -> None:
    assert message in error(tmp_path, FULL.format(fails=fails))


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (('"false-confidence"', '"false confidence"'), "unknown consequence 'false confidence'"),
        (('"false-confidence"', '""'), "key 'diverges.\"crud.thing\".consequence' is empty"),
        (('fails = "{fails}"', "fails = 3"), "key 'diverges.\"crud.thing\".fails' must be a str"),
        (("remedy =", "remdy ="), "unknown key 'diverges.\"crud.thing\".remdy'"),
    ],
)
def test_bad_fields_name_the_file_and_key(
    tmp_path: Path, replace: tuple[str, str], message: str
) -> None:
    assert replace[0] in FULL
    body = FULL.replace(*replace).format(fails="assertion")
    assert message in error(tmp_path, body)


def test_a_users_copy_is_not_own(tmp_path: Path) -> None:
    copy = tmp_path / "sqlite-memory.toml"
    copy.write_text((BACKENDS_DIR / "sqlite-memory.toml").read_text("utf-8") + "\n", "utf-8")
    assert not is_own_file(copy, shipped_backends_dir())


def test_own_files_must_say_what_a_divergence_means() -> None:
    """dbparity's own backend files need a consequence and a remedy; a user's need not."""
    entry = {"reason": "It differs.", "fails": "assertion"}
    assert parse("crud.thing", entry, own=False).consequence is None
    with pytest.raises(
        DeclarationError, match=r"missing required key 'diverges.\"crud.thing\".consequence'"
    ):
        parse("crud.thing", entry, own=True)
    with pytest.raises(
        DeclarationError, match=r"missing required key 'diverges.\"crud.thing\".remedy'"
    ):
        parse("crud.thing", {**entry, "consequence": "false-alarm"}, own=True)


def test_shipped_files_are_own_and_fully_declared() -> None:
    """The shipped files are loaded as dbparity's own, so each of their declarations says how
    the case fails, what that means, and what to do."""
    shipped = shipped_backends_dir()
    assert is_own_file(shipped / "sqlite-memory.toml", shipped)
    assert is_own_file(BACKENDS_DIR / "sqlite-memory.toml", shipped)  # the checkout's copy
    backends = load_backends(shipped)
    declared = [d for b in backends.values() for d in b.divergences.values()]
    assert declared
    for divergence in declared:
        assert divergence.consequence in CONSEQUENCES, divergence
        assert divergence.remedy, divergence
        if divergence.fails == "no-raise":  # the stand-in accepted what PostgreSQL rejects
            assert divergence.consequence == "false-confidence", divergence


def test_backends_command_counts_divergences_by_consequence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dbparity backends` says what each backend's declared divergences mean to a user."""
    (tmp_path / "demo.toml").write_text(
        HEAD
        + FULL.format(fails="no-raise")
        + FULL.replace("crud.thing", "crud.other")
        .replace("false-confidence", "silent-drift")
        .format(fails="assertion"),
        "utf-8",
    )
    assert main(["--backends-dir", str(tmp_path), "backends"]) == 0
    out = capsys.readouterr().out
    assert "2 declared divergences (1 false-confidence, 1 silent-drift)" in out
