"""The production guard on --db-url / DBPARITY_POSTGRES_URL."""

from __future__ import annotations

import re

import pytest

from dbparity.provision import UnsafeDatabaseURL
from dbparity.provision.postgres import check_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/test", "postgresql://u@h/test"),
        ("postgresql+asyncpg://u:p@h:5/testing_db", "postgresql://u:p@h:5/testing_db"),
        ("postgres://u@h/test_app?sslmode=disable", "postgresql://u@h/test_app?sslmode=disable"),
    ],
)
def test_test_databases_are_accepted_as_libpq_urls(url: str, expected: str) -> None:
    assert check_url(url, allow_any=False) == expected


@pytest.mark.parametrize("url", ["postgresql://u@h/app", "postgresql://u@h/", "postgresql://u@h"])
def test_other_databases_are_refused(url: str) -> None:
    with pytest.raises(UnsafeDatabaseURL, match="does not start with 'test'"):
        check_url(url, allow_any=False)


def test_opt_in_accepts_any_database() -> None:
    assert check_url("postgresql://u@h/app", allow_any=True) == "postgresql://u@h/app"


def test_non_postgres_url_is_refused_without_leaking_password() -> None:
    with pytest.raises(UnsafeDatabaseURL, match="expected a postgresql:// URL") as info:
        check_url("mysql://u:hunter2@h/test", allow_any=True)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://[::1/test_x", "is not a valid URL"),
        ("postgresql://u@h:notaport/test_x", "is not a valid URL"),
        ("host=/tmp dbname=test_x password=hunter2", "got no scheme (a key=value string?)"),
        ("mysql://u:hunter2@h/test", "got scheme 'mysql'"),
    ],
)
def test_malformed_urls_are_one_line_errors_without_the_password(url: str, expected: str) -> None:
    with pytest.raises(UnsafeDatabaseURL, match=re.escape(expected)) as info:
        check_url(url, allow_any=False, source="DBPARITY_POSTGRES_URL")
    message = str(info.value)
    assert "hunter2" not in message and "\n" not in message
    assert message.startswith("DBPARITY_POSTGRES_URL ")


def test_guard_names_the_environment_variable_when_the_url_came_from_it() -> None:
    with pytest.raises(UnsafeDatabaseURL, match=r"^DBPARITY_POSTGRES_URL names database 'app'"):
        check_url("postgresql://u@h/app", allow_any=False, source="DBPARITY_POSTGRES_URL")
