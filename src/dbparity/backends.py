"""Backends are data: one TOML file each, loaded and validated here.

A file names what a backend is (dialect and driver), how its server comes to exist (the
provisioner), and where it is known to diverge from PostgreSQL. Validation is strict: an unknown
key or a missing field is an error naming the file and the key, because a typo in a divergence
table would otherwise silently change what the report claims.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from dbparity import sqlite_settings
from dbparity.divergences import DeclarationError, Divergence, is_own_file, parse

PROVISIONERS = ("sqlite-memory", "sqlite-file", "postgres", "pglite")
FAMILIES = ("sqlite", "postgresql")

_REQUIRED: dict[str, type] = {
    "id": str,
    "label": str,
    "family": str,
    "dialect": str,
    "provision": str,
}
_OPTIONAL: dict[str, type] = {
    "reference": bool,
    "tags": list,
    "postgres": dict,
    "diverges": dict,
    "sqlite": dict,
    "removes": dict,
    "adds": dict,
}
_POSTGRES_KEYS: dict[str, type] = {"image": str}


class BackendConfigError(ValueError):
    """A backend file that is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Backend:
    id: str
    label: str
    family: str
    dialect: str
    provision: str
    source: Path
    reference: bool = False
    tags: tuple[str, ...] = ()
    postgres_image: str = "postgres:16-alpine"
    divergences: dict[str, Divergence] = field(default_factory=dict)
    #: SQLite settings (dbparity.sqlite_settings), resolved against their defaults.
    sqlite: dict[str, bool] = field(default_factory=lambda: sqlite_settings.resolve({}))
    #: setting -> the divergences of plain SQLite it removes (what the report attributes),
    #: and the divergences it adds (what it costs).
    removes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    adds: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def driver(self) -> str:
        """The DBAPI driver: 'asyncpg' for 'postgresql+asyncpg'."""
        return self.dialect.partition("+")[2] or self.dialect

    def divergence_for(self, case_id: str) -> Divergence | None:
        """The declared divergence for a case id, matching either the exact id or its base
        (``suite.name`` without a ``[param]`` suffix)."""
        return self.divergences.get(case_id) or self.divergences.get(case_id.split("[", 1)[0])


def default_backends_dir() -> Path:
    return find_backends_dir()[0]


def find_backends_dir(explicit: Path | None = None) -> tuple[Path, bool]:
    """Where backend files live, and whether they are the copies shipped with dbparity.

    In order: ``explicit``, ``$DBPARITY_BACKENDS_DIR``, ``./backends`` when run from a checkout,
    else the shipped copies."""
    if explicit is not None:
        return explicit, False
    env = os.environ.get("DBPARITY_BACKENDS_DIR")
    if env:
        return Path(env), False
    local = Path.cwd() / "backends"
    if local.is_dir() and any(local.glob("*.toml")):
        return local, False
    return shipped_backends_dir(), True


def shipped_backends_dir() -> Path:
    """The backend files that come with dbparity: inside the wheel, or in the checkout an
    editable install points at."""
    shipped = Path(str(resources.files("dbparity") / "_backends"))
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[2] / "backends"


def without_divergences(backends: dict[str, Backend]) -> dict[str, Backend]:
    """The same backends with no declared divergences.

    The shipped files' divergences describe dbparity's own conformance suites. On a user's
    suite they would turn same-named tests into expected failures (``tests/test_crud.py`` is a
    common name) and make the unknown-case-id check refuse the run, so a run on the shipped
    files uses them for what they are (how to reach each backend) and nothing else."""
    return {key: replace(backend, divergences={}) for key, backend in backends.items()}


def load_backend(path: Path) -> Backend:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise BackendConfigError(f"{path}: no such backend file") from None
    except tomllib.TOMLDecodeError as exc:
        raise BackendConfigError(f"{path}: not valid TOML: {exc}") from None
    return _validate(data, path)


def load_backends(directory: Path | None = None) -> dict[str, Backend]:
    """All backends in a directory, keyed by id, in file-name order."""
    directory = directory or default_backends_dir()
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise BackendConfigError(
            f"{directory}: no backend files (*.toml); set DBPARITY_BACKENDS_DIR or "
            "pass --dbparity-backends to a directory holding them"
        )
    backends: dict[str, Backend] = {}
    for file in files:
        backend = load_backend(file)
        if backend.id in backends:
            raise BackendConfigError(
                f"{file}: id {backend.id!r} is already used by {backends[backend.id].source}"
            )
        backends[backend.id] = backend
    return backends


def _validate(data: dict[str, Any], path: Path) -> Backend:
    # dbparity's own files must say what each divergence means; a user's may leave it out.
    own = is_own_file(path, shipped_backends_dir())
    _check_keys(data, _REQUIRED, _OPTIONAL, path, where="")
    if data["provision"] not in PROVISIONERS:
        raise BackendConfigError(
            f"{path}: key 'provision': unknown provisioner {data['provision']!r}; "
            f"expected one of {', '.join(PROVISIONERS)}"
        )
    if data["family"] not in FAMILIES:
        raise BackendConfigError(
            f"{path}: key 'family': unknown family {data['family']!r}; "
            f"expected one of {', '.join(FAMILIES)}"
        )
    if path.stem != data["id"]:
        raise BackendConfigError(
            f"{path}: key 'id': {data['id']!r} differs from the file name; "
            f"rename the file to {data['id']}.toml or change the id"
        )
    postgres = data.get("postgres", {})
    _check_keys(postgres, {}, _POSTGRES_KEYS, path, where="postgres.")
    divergences: dict[str, Divergence] = {}
    for case_id, entry in data.get("diverges", {}).items():
        try:
            divergences[case_id] = parse(case_id, entry, own=own)
        except DeclarationError as exc:
            raise BackendConfigError(f"{path}: {exc}") from None
    tags = data.get("tags", [])
    if not all(isinstance(t, str) for t in tags):
        raise BackendConfigError(f"{path}: key 'tags' must be a list of strings")
    settings, removes, adds = _sqlite_settings(data, path)
    return Backend(
        id=data["id"],
        label=data["label"],
        family=data["family"],
        dialect=data["dialect"],
        provision=data["provision"],
        source=path,
        reference=data.get("reference", False),
        tags=tuple(tags),
        postgres_image=postgres.get("image", "postgres:16-alpine"),
        divergences=divergences,
        sqlite=settings,
        removes=removes,
        adds=adds,
    )


def _sqlite_settings(
    data: dict[str, Any], path: Path
) -> tuple[dict[str, bool], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """The ``[sqlite]`` settings (booleans, SQLite backends only), and the ``[removes]`` and
    ``[adds]`` tables: setting -> case ids of the divergences of plain SQLite it removes, or of
    those it adds; only for settings this file switches on."""
    given = data.get("sqlite", {})
    if given and data["family"] != "sqlite":
        raise BackendConfigError(f"{path}: key 'sqlite' is only for backends of family 'sqlite'")
    known = {name: bool for name in sqlite_settings.SETTINGS}
    _check_keys(given, {}, known, path, where="sqlite.")
    tables: list[dict[str, tuple[str, ...]]] = []
    for table in ("removes", "adds"):
        found: dict[str, tuple[str, ...]] = {}
        for name, ids in data.get(table, {}).items():
            if given.get(name) is not True:
                raise BackendConfigError(
                    f"{path}: key '{table}.{name}': not a setting this file switches on in [sqlite]"
                )
            if not isinstance(ids, list) or not all(isinstance(i, str) and "." in i for i in ids):
                raise BackendConfigError(
                    f"{path}: key '{table}.{name}' must be a list of case ids ('suite.name')"
                )
            found[name] = tuple(ids)
        tables.append(found)
    return sqlite_settings.resolve(given), tables[0], tables[1]


def _check_keys(
    data: dict[str, Any],
    required: Mapping[str, type],
    optional: Mapping[str, type],
    path: Path,
    where: str,
) -> None:
    allowed = {**required, **optional}
    for key, value in data.items():
        if key not in allowed:
            raise BackendConfigError(
                f"{path}: unknown key '{where}{key}'; allowed here: {', '.join(sorted(allowed))}"
            )
        if not isinstance(value, allowed[key]):
            raise BackendConfigError(
                f"{path}: key '{where}{key}' must be a {allowed[key].__name__}, "
                f"not {type(value).__name__}"
            )
    for key in required:
        if key not in data:
            raise BackendConfigError(f"{path}: missing required key '{where}{key}'")


#: Keys that make a file a whole backend; a file with none of them extends a shipped one.
_WHOLE_KEYS = frozenset(_REQUIRED) - {"id"}


def load_for_run(explicit: Path | None, suite_kind: str) -> dict[str, Backend]:
    """The backends a test run may use: the shipped ones, extended by the project's files.

    A project's directory (``explicit``, ``$DBPARITY_BACKENDS_DIR`` or ``./backends``) may hold
    whole new backends, whole replacements of shipped ones, or files with only ``[diverges]``
    entries for a shipped backend id (named ``<id>.toml``); everything else comes from the
    shipped files. The shipped declarations describe dbparity's conformance suites, so a
    user's (``application``) suite never inherits them."""
    directory, is_shipped = find_backends_dir(explicit)
    shipped_dir = shipped_backends_dir()
    if not is_shipped and directory.resolve() == shipped_dir.resolve():
        is_shipped = True  # dbparity's own checkout: ./backends are the shipped files
    base = load_backends(shipped_dir)
    if suite_kind != "conformance":
        base = without_divergences(base)
    if is_shipped:
        return base
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise BackendConfigError(
            f"{directory}: no backend files (*.toml); put <backend-id>.toml files with "
            "[diverges] entries (or whole backends) there, or leave the option out"
        )
    backends = dict(base)
    for file in files:
        data = _read(file)
        if not _WHOLE_KEYS.intersection(data):
            extension = _extend(base, data, file, suite_kind)
            backends[extension.id] = extension
        else:
            backend = _validate(data, file)
            backends[backend.id] = backend
    return backends


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BackendConfigError(f"{path}: not valid TOML: {exc}") from None


def _extend(base: dict[str, Backend], data: dict[str, Any], path: Path, suite_kind: str) -> Backend:
    """A shipped backend with a project's own declarations added to it, and any settings
    table (``[sqlite]``, ``[postgres]``) it gives merged key by key over the shipped one."""
    backend_id = data.get("id", path.stem)
    if backend_id != path.stem:
        raise BackendConfigError(
            f"{path}: key 'id': {backend_id!r} differs from the file name; "
            f"rename the file to {backend_id}.toml or change the id"
        )
    if backend_id not in base:
        raise BackendConfigError(
            f"{path}: {backend_id!r} is no shipped backend ({', '.join(sorted(base))}), so "
            "this file must describe a whole backend: add the keys id, label, family, "
            "dialect and provision"
        )
    shipped = _read(base[backend_id].source)
    merged = {key: value for key, value in shipped.items() if key != "diverges"}
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "diverges":
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    backend = _validate(merged, path)
    if suite_kind == "conformance":
        backend = replace(
            backend, divergences={**base[backend_id].divergences, **backend.divergences}
        )
    return backend
