"""The production guard on --db-url / DBPARITY_POSTGRES_URL."""

from __future__ import annotations

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
