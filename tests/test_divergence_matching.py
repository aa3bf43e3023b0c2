"""The matching rule on real exception objects: which failures count as the declared one."""

from __future__ import annotations

import pytest
import sqlalchemy.exc

from dbparity.cases import mismatch
from dbparity.divergences import Divergence, resolve_exception


def declared(fails: str) -> Divergence:
    return Divergence("crud.x", "It differs.", fails, exception=resolve_exception(fails))


def dbapi(cls: type[sqlalchemy.exc.DBAPIError], invalidated: bool = False) -> BaseException:
    return cls("SELECT 1", {}, Exception("driver error"), connection_invalidated=invalidated)


def did_not_raise() -> BaseException:
    with pytest.raises(pytest.fail.Exception) as caught, pytest.raises(ValueError):
        pass
    return caught.value


@pytest.mark.parametrize(
    ("fails", "exc", "matches"),
    [
        ("DBAPIError", dbapi(sqlalchemy.exc.DBAPIError), True),
        # A lost or refused connection raises these subclasses: never a declared DBAPIError.
        ("DBAPIError", dbapi(sqlalchemy.exc.OperationalError), False),
        ("DBAPIError", dbapi(sqlalchemy.exc.InterfaceError), False),
        ("sqlalchemy.exc.SQLAlchemyError", dbapi(sqlalchemy.exc.OperationalError), False),
        ("OperationalError", dbapi(sqlalchemy.exc.OperationalError), True),
        ("OperationalError", dbapi(sqlalchemy.exc.OperationalError, invalidated=True), False),
        ("IntegrityError", dbapi(sqlalchemy.exc.IntegrityError), True),
        ("IntegrityError", TypeError("constraint"), False),
        ("InvalidRequestError", sqlalchemy.exc.NoResultFound(), True),  # not a DBAPIError
        ("LookupError", KeyError("k"), True),
        ("no-raise", did_not_raise(), True),
        ("no-raise", pytest.fail.Exception("some other pytest.fail"), False),
        ("no-raise", AssertionError("assert 1 == 2"), False),
        ("assertion", AssertionError("assert 1 == 2"), True),
        ("assertion", did_not_raise(), False),
        ("assertion", dbapi(sqlalchemy.exc.OperationalError), False),
    ],
)
def test_call_phase_failure(fails: str, exc: BaseException, matches: bool) -> None:
    why = mismatch(declared(fails), "call", exc)
    assert (why is None) == matches, why
    if why is not None:
        assert why.startswith(f"declared to fail with {fails!r}")


def test_assert_inside_sqlalchemy_is_not_the_tests_assertion() -> None:
    """An ``assert`` of SQLAlchemy's own code failing is a broken run, not the declared
    assertion of the test body."""
    with pytest.raises(AssertionError) as caught:  # raised by a frame of module sqlalchemy.orm
        exec("assert False, 'internal state'", {"__name__": "sqlalchemy.orm.session"})
    why = mismatch(declared("assertion"), "call", caught.value)
    assert why is not None
    assert "an assert inside sqlalchemy failed" in why


@pytest.mark.parametrize("when", ["setup", "teardown"])
def test_fixture_failure_never_matches(when: str) -> None:
    """Even the very exception declared: a fixture that fails is a broken run."""
    why = mismatch(declared("TypeError"), when, TypeError("x"))
    assert why is not None
    assert f"its {when} failed" in why


@pytest.mark.parametrize("fails", ["Exception", "BaseException", "builtins.Exception"])
def test_declaring_any_exception_is_refused(fails: str) -> None:
    with pytest.raises(LookupError, match="would match any failure"):
        resolve_exception(fails)
