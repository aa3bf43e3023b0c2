"""A server that dies mid-run turns every later case into ``error``, and the run ends at once.

Without this, a dead server makes each later case fail on its own (some after a pool timeout
of half a minute), and a failure can even look like a declared divergence. So, in every process
that runs tests: when a phase fails (or fails as expected), the server is probed once; if it no
longer accepts connections, that failure and every later phase are marked with the
``dbparity_server_gone`` property, which the recorder turns into ``error``; and each later test
fails at once in setup, before any fixture waits on the dead server.

Only a failure to reach the server at all counts as gone (no answer, or class 57P / "shutting
down"); a server that answers with a refusal (too many connections, say) is alive.

A single-session server (PGlite) serves one connection at a time: a second connection waits
while the test's own is inside its transaction, so a login probe would time out on a live
server. Such a server is probed at the socket instead: gone only when nothing listens there any
more (refused, or the socket file removed); a wait or timeout is unknown, never gone.
"""

from __future__ import annotations

import socket
from collections.abc import Generator
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from dbparity.plugin.database_use import uses_database
from dbparity.redact import redact
from dbparity.results import SERVER_GONE

if TYPE_CHECKING:
    from dbparity.plugin.run import DbparityRun

PROPERTY = "dbparity_server_gone"
PROBE_TIMEOUT_S = 3
#: Provisioners whose server serves one connection at a time (see the module docstring).
SINGLE_SESSION_PROVISIONERS = frozenset({"pglite"})


def server_gone(report: pytest.TestReport) -> str | None:
    """Why the server was gone when this phase ran, or None."""
    for key, value in report.user_properties:
        if key == PROPERTY and isinstance(value, str):
            return value
    return None


class ServerWatch:
    """Registered as a plugin next to the run, in the controller and in every worker."""

    def __init__(self, run: DbparityRun) -> None:
        self.run = run
        self.gone = ""

    def _probe(self) -> str:
        """Empty when the server accepts a connection, else why not (one line, no password)."""
        target = self.run.target
        if target is None or not target.location.startswith(("postgresql://", "postgres://")):
            return ""  # SQLite, or a server this probe cannot judge: never called gone
        if target.provisioner in SINGLE_SESSION_PROVISIONERS:
            return _nothing_listens(target.location)
        try:
            with psycopg.connect(
                target.location, autocommit=True, connect_timeout=PROBE_TIMEOUT_S
            ) as conn:
                conn.execute("SELECT 1")
        except psycopg.OperationalError as exc:
            text = " ".join(redact(str(exc)).split())
            state = getattr(exc, "sqlstate", None) or ""
            # A server that answers with a refusal (too many clients, say) is alive.
            answered = "FATAL:" in text and "shutting down" not in text
            if state.startswith("57P") or (not state and not answered):
                return text[:300]
        except psycopg.Error:
            pass
        return ""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self.gone and uses_database(item):  # a test without the database still runs
            pytest.fail(f"dbparity: not run, {SERVER_GONE}: {self.gone}", pytrace=False)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Outermost: sees the report after the xfail and declaration handling."""
        report: pytest.TestReport = yield
        troubled = report.failed or (report.skipped and hasattr(report, "wasxfail"))
        if not troubled or not uses_database(item):
            return report
        if not self.gone:
            self.gone = self._probe()
            if not self.gone:
                return report
        report.user_properties.append((PROPERTY, f"{SERVER_GONE}: {self.gone}"))
        if hasattr(report, "wasxfail"):  # a dead server is never the declared divergence
            report.outcome = "failed"
            del report.wasxfail
        return report


def _nothing_listens(location: str) -> str:
    """Why nothing listens at the server's socket any more, or empty when something does (or
    when this cannot be told: a timeout, a host name that does not resolve)."""
    params = conninfo_to_dict(location)
    host = str(params.get("host") or "")
    port = int(params.get("port") or 5432)
    try:
        if host.startswith("/"):
            path = f"{host}/.s.PGSQL.{port}"
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(PROBE_TIMEOUT_S)
                sock.connect(path)
        else:
            socket.create_connection((host or "localhost", port), PROBE_TIMEOUT_S).close()
    except (ConnectionRefusedError, FileNotFoundError) as exc:
        return f"nothing listens at its socket any more ({exc.strerror or exc})"
    except OSError:
        return ""  # a timeout or anything else this probe cannot judge: not called gone
    return ""
