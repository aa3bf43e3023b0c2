"""Backend files: the shipped ones load, and every kind of mistake names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbparity.backends import BackendConfigError, load_backend, load_backends
from tests.conftest import ALL_BACKENDS, BACKENDS_DIR, INI, STAND_INS, TinySuite

VALID = """
id = "{id}"
label = "A backend"
family = "sqlite"
dialect = "sqlite+aiosqlite"
provision = "sqlite-memory"
"""


def write(tmp_path: Path, text: str, name: str = "demo") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text.format(id=name), "utf-8")
    return path


def test_shipped_backends_load() -> None:
    backends = load_backends(BACKENDS_DIR)
    assert tuple(sorted(backends)) == tuple(sorted(ALL_BACKENDS + STAND_INS))
    assert [b.id for b in backends.values() if b.reference] == ["postgres-asyncpg"]
    assert backends["postgres-psycopg"].driver == "psycopg"


def test_valid_file_loads_with_divergence(tmp_path: Path) -> None:
    text = VALID + '\n[diverges."crud.thing"]\nreason = "It differs."\nfails = "assertion"\n'
    backend = load_backend(write(tmp_path, text))
    divergence = backend.divergence_for("crud.thing[param]")
    assert divergence is not None
    assert divergence.reason == "It differs."
    assert backend.divergence_for("crud.other") is None


@pytest.mark.parametrize(
    ("extra", "replace", "message"),
    [
        ('colour = "blue"\n', None, "unknown key 'colour'"),
        ("", ('label = "A backend"\n', ""), "missing required key 'label'"),
        ("", ('provision = "sqlite-memory"', 'provision = "mysql"'), "unknown provisioner 'mysql'"),
        ("", ('family = "sqlite"', 'family = "oracle"'), "unknown family 'oracle'"),
        ("reference = 1\n", None, "key 'reference' must be a bool"),
        ('[postgres]\nimgae = "x"\n', None, "unknown key 'postgres.imgae'"),
        ('[diverges."crud.x"]\nreasn = "typo"\n', None, "unknown key 'diverges.\"crud.x\".reasn'"),
        ('[diverges."crud.x"]\n', None, "missing required key 'diverges.\"crud.x\".reason'"),
        ('[diverges."crud.x"]\nreason = " "\n', None, "is empty"),
        (
            '[diverges."crud.x"]\nreason = "r"\n',
            None,
            "missing required key 'diverges.\"crud.x\".fails'",
        ),
        ('[diverges."nodot"]\nreason = "r"\n', None, "case ids look like 'suite.name'"),
    ],
)
def test_mistakes_name_file_and_key(
    tmp_path: Path, extra: str, replace: tuple[str, str] | None, message: str
) -> None:
    text = VALID + extra
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    path = write(tmp_path, text)
    with pytest.raises(BackendConfigError) as info:
        load_backend(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_id_must_match_file_name(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text(VALID.format(id="demo"), "utf-8")
    with pytest.raises(BackendConfigError, match="differs from the file name"):
        load_backend(path)


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, 'id = "demo\n')
    with pytest.raises(BackendConfigError, match="not valid TOML"):
        load_backend(path)


def test_empty_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(BackendConfigError, match="no backend files"):
        load_backends(tmp_path)


def test_unknown_backend_exits_with_one_line_listing_ids(tiny_suite: TinySuite) -> None:
    tiny_suite.write_tests("test_one.py", "def test_nothing():\n    pass\n")
    result = tiny_suite.run("nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if "unknown backend" in line]
    assert len(errors) == 1
    for backend_id in ALL_BACKENDS:
        assert backend_id in errors[0]


def test_shipped_divergences_never_touch_a_users_suite(
    tiny_suite: TinySuite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's ``test_crud.py`` shares a suite name with the conformance suites; the shipped
    backend files' divergences describe those suites only, so they must not apply here."""
    monkeypatch.delenv("DBPARITY_BACKENDS_DIR", raising=False)
    tiny_suite.pytester.makefile(".ini", pytest=INI.replace("dbparity_suite = conformance", ""))
    tiny_suite.write_tests(
        "test_crud.py",
        """
        async def test_server_timestamp_default_is_timezone_aware(session):
            '''Same name as a conformance case the SQLite files declare as diverging.'''
        """,
    )
    result = tiny_suite.run("sqlite-memory", shipped_backends=True)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert tiny_suite.outcomes("sqlite-memory") == {
        "crud.server_timestamp_default_is_timezone_aware": "conforms"
    }
