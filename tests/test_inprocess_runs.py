"""Tests that run pytest in-process must not make a later test import a database driver a second
time: asyncpg's compiled protocol, imported again, crashes the whole test process on its next
connection (SIGSEGV in BaseProtocol.__init__). tests/conftest.py loads the drivers first."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import INI

DRIVER_MODULES = ("asyncpg.protocol.protocol", "psycopg", "greenlet")

SUITE = """
import asyncpg
import psycopg


def test_uses_the_drivers():
    assert asyncpg.connect and psycopg.connect
"""


def test_an_in_process_run_keeps_the_drivers_loaded(pytester: pytest.Pytester) -> None:
    before = {name: sys.modules.get(name) for name in DRIVER_MODULES}
    assert None not in before.values(), "tests/conftest.py must import the drivers"
    pytester.makefile(".ini", pytest=INI)
    pytester.makepyfile(test_drivers=SUITE)
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    # The same module objects: none was dropped from sys.modules to be imported again.
    assert {name: sys.modules.get(name) for name in DRIVER_MODULES} == before
