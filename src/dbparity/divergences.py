"""Divergence declarations: how a stand-in differs from PostgreSQL, and what that means.

A declaration in a backend file::

    [diverges."integrity.value_too_long_raises_data_error"]
    reason = "why the stand-in differs"
    fails = "no-raise"                # how the stand-in's run of the case fails
    consequence = "false-confidence"  # what the difference means to a user's tests
    remedy = "the one thing to do about it"

``fails`` is ``"assertion"`` (an ``assert`` of the test body fails), ``"no-raise"``
(``pytest.raises`` saw no exception) or an exception class. A simple class name is looked up in
``sqlalchemy.exc`` first (SQLAlchemy wraps every driver error in one of its classes, so that is
what a test sees), then in the builtins; a name found in both (``TimeoutError``) must be spelled
out. A dotted name (``sqlite3.OperationalError``) is imported. The name is resolved when the file
is loaded, so a typo is an error naming the file and the key, never a case that can no longer
match. Matching a failure against the declaration is :mod:`dbparity.cases`' job.

An optional ``sqlstate = "2BP01"`` (with ``fails`` naming a DBAPIError class) makes the
server's error code the key wherever the driver reports one: asyncpg and psycopg wrap one server
error in different SQLAlchemy classes (2BP01 and 25P02: DBAPIError against InternalError; 21000:
DBAPIError against ProgrammingError), so a class alone cannot hold on both drivers, and the code
is what stays the same across drivers and server versions. A driver that reports no code
(sqlite3) is matched on the class, as without the key.
"""

from __future__ import annotations

import builtins
import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import sqlalchemy.exc

ASSERTION = "assertion"
NO_RAISE = "no-raise"

Consequence = Literal["false-confidence", "false-alarm", "silent-drift"]
CONSEQUENCES: tuple[str, ...] = get_args(Consequence)

#: Keys of a declaration, and whether dbparity's own backend files must give them. A user's file
#: may leave out the consequence and the remedy: for a user's suite the report derives the
#: consequence from the outcomes on both sides.
KEYS: dict[str, bool] = {
    "reason": True,
    "fails": True,
    "consequence": True,
    "remedy": True,
    "sqlstate": False,
}
REQUIRED_FOR_USERS: tuple[str, ...] = ("reason", "fails")
#: Five characters, digits and upper-case letters: PostgreSQL's error codes (appendix A).
SQLSTATE = re.compile(r"[0-9A-Z]{5}")


class DeclarationError(ValueError):
    """A declaration that is wrong; the message names the key, the caller adds the file."""


@dataclass(frozen=True)
class Divergence:
    """A case a backend is known to get wrong, how its run fails, and what that means."""

    case_id: str
    reason: str
    fails: str
    consequence: str | None = None
    remedy: str | None = None
    #: The SQLSTATE the failure carries, where the driver reports one (see the module's doc).
    sqlstate: str | None = None
    #: The exception class ``fails`` names, or None for "assertion" and "no-raise".
    exception: type[BaseException] | None = field(default=None, compare=False, repr=False)

    @property
    def suite(self) -> str:
        return self.case_id.split(".", 1)[0]

    def declared(self) -> dict[str, str | None]:
        """The declaration as it goes into the results file."""
        return {
            "reason": self.reason,
            "fails": self.failure_text(),
            "consequence": self.consequence,
            "remedy": self.remedy,
        }

    def failure_text(self) -> str:
        """How the declaration says the case fails, in words: ``fails`` and any SQLSTATE."""
        return f"{self.fails} (SQLSTATE {self.sqlstate})" if self.sqlstate else self.fails


def parse(case_id: str, entry: Any, own: bool) -> Divergence:
    """One ``[diverges."<case_id>"]`` table, validated. ``own`` says whether it comes from
    dbparity's own backend files, which must say what a divergence means (consequence, remedy)."""
    key = f'diverges."{case_id}"'
    if not isinstance(entry, Mapping):
        raise DeclarationError(f"key '{key}' must be a table with reason, fails, consequence")
    if "." not in case_id or not all(case_id.split("[", 1)[0].split(".")):
        raise DeclarationError(
            f"key '{key}': case ids look like 'suite.name', e.g. 'filters.like_is_case_sensitive'"
        )
    for name, value in entry.items():
        if name not in KEYS:
            raise DeclarationError(
                f"unknown key '{key}.{name}'; allowed here: {', '.join(sorted(KEYS))}"
            )
        if not isinstance(value, str):
            raise DeclarationError(f"key '{key}.{name}' must be a str, not {type(value).__name__}")
        if not value.strip():
            raise DeclarationError(f"key '{key}.{name}' is empty; {_HINTS[name]}")
    required = [k for k, must in KEYS.items() if must] if own else REQUIRED_FOR_USERS
    for name in required:
        if name not in entry:
            raise DeclarationError(f"missing required key '{key}.{name}': {_HINTS[name]}")
    consequence = entry.get("consequence")
    if consequence is not None and consequence not in CONSEQUENCES:
        raise DeclarationError(
            f"key '{key}.consequence': unknown consequence {consequence!r}; "
            f"expected one of {', '.join(CONSEQUENCES)}"
        )
    fails = entry["fails"].strip()
    try:
        exception = resolve_exception(fails)
    except LookupError as exc:
        raise DeclarationError(f"key '{key}.fails': {exc}") from None
    sqlstate = entry.get("sqlstate")
    if sqlstate is not None:
        sqlstate = sqlstate.strip()
        if not SQLSTATE.fullmatch(sqlstate):
            raise DeclarationError(
                f"key '{key}.sqlstate': {sqlstate!r} is not a SQLSTATE (five digits or upper-case "
                "letters, e.g. '2BP01'; PostgreSQL's manual, appendix A)"
            )
        if exception is None or not issubclass(exception, sqlalchemy.exc.DBAPIError):
            raise DeclarationError(
                f"key '{key}.sqlstate' needs 'fails' to name the DBAPIError class the driver's "
                f"error arrives as (e.g. 'DBAPIError'), not {fails!r}"
            )
    remedy = entry.get("remedy")
    return Divergence(
        case_id=case_id,
        reason=entry["reason"].strip(),
        fails=fails,
        consequence=consequence,
        remedy=remedy.strip() if remedy is not None else None,
        sqlstate=sqlstate,
        exception=exception,
    )


def resolve_exception(fails: str) -> type[BaseException] | None:
    """The exception class ``fails`` names (None for "assertion" and "no-raise"); raises
    LookupError with a one-line explanation when it names none."""
    if fails in (ASSERTION, NO_RAISE):
        return None
    if "." in fails:
        found = _import_dotted(fails)
    else:
        in_sqlalchemy = getattr(sqlalchemy.exc, fails, None)
        in_builtins = getattr(builtins, fails, None)
        if _is_exception(in_sqlalchemy) and _is_exception(in_builtins):
            raise LookupError(
                f"{fails!r} is both sqlalchemy.exc.{fails} and the builtin {fails}; "
                f"write 'sqlalchemy.exc.{fails}' or 'builtins.{fails}'"
            )
        found = in_sqlalchemy if _is_exception(in_sqlalchemy) else in_builtins
    if not _is_exception(found):
        raise LookupError(
            f"{fails!r} is not 'assertion', 'no-raise' or an exception class (simple names are "
            "looked up in sqlalchemy.exc, then builtins; others need a dotted path such as "
            "'sqlite3.OperationalError')"
        )
    assert isinstance(found, type)
    if found in (Exception, BaseException):
        raise LookupError(f"{fails!r} would match any failure; name the class the stand-in raises")
    return found


def _import_dotted(name: str) -> object:
    module_name, _, attribute = name.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, attribute, None)


def _is_exception(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, BaseException)


_HINTS = {
    "reason": "say why the stand-in differs",
    "fails": "say how the stand-in's run fails: 'assertion', 'no-raise' or an exception class",
    "consequence": f"say what it means to a user: one of {', '.join(CONSEQUENCES)}",
    "remedy": "say the one thing to do: the portable spelling, the setting, or "
    "'test this on PostgreSQL'",
    "sqlstate": "give the server's error code, e.g. '2BP01', or leave the key out",
}


def is_own_file(path: Path, shipped: Path) -> bool:
    """Whether a backend file is one of dbparity's own: a shipped file, or the checkout's copy
    of one (the same bytes: a non-editable install ships copies of the checkout's files)."""
    try:
        if path.resolve().parent == shipped.resolve():
            return True
        twin = shipped / path.name
        return twin.is_file() and twin.read_bytes() == path.read_bytes()
    except OSError:
        return False
