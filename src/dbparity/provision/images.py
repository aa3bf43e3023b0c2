"""The PostgreSQL image a container runs: the one asked for, else one built from Debian.

In order: the image named (``--postgres-image`` / ``DBPARITY_POSTGRES_IMAGE``, else the
backend's, with its major version swapped for ``--postgres-version``) when the engine has it
or can pull it; else ``dbparity/postgres:NN``, built by ``image/build.sh`` from the Debian suite
that ships that major version (13, 15, 17), and saved as a tarball in the cache so the next run
(and the next engine: one dbparity starts has an empty data root) only loads it.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbparity.provision.initdb_cache import cache_root

BUILT_REPOSITORY = "dbparity/postgres"
DEBIAN_MAJORS = {13: "bullseye", 15: "bookworm", 17: "trixie"}
IMAGE_DIR = Path(__file__).parent / "image"
BUILD_SCRIPT = IMAGE_DIR / "build.sh"
BUILD_TIMEOUT_S = 900.0
_MAJOR = re.compile(r":(\d+)")


class ImageError(RuntimeError):
    """No usable image; the message says what was tried."""


@dataclass(frozen=True)
class Resolved:
    """The image to run and how it came to be on the engine (for the report and the timings)."""

    image: str
    how: str  # "present" | "pulled" | "loaded" | "built"
    seconds: float


def requested_image(explicit: str | None, backend_image: str, version: int | None) -> str:
    """The image name asked for: explicit wins; else the backend's, at ``version`` if given."""
    if explicit:
        return explicit
    if version is None:
        return backend_image
    if _MAJOR.search(backend_image):
        return _MAJOR.sub(f":{version}", backend_image, count=1)
    return f"postgres:{version}"


def major_of(image: str) -> int | None:
    found = _MAJOR.search(image)
    return int(found[1]) if found else None


def built_tag(major: int) -> str:
    return f"{BUILT_REPOSITORY}:{major}"


def tarball_path(major: int) -> Path:
    """Where the built image is kept; the name changes when the build script does."""
    digest = hashlib.sha256()
    for part in sorted(IMAGE_DIR.iterdir()):
        digest.update(part.name.encode() + part.read_bytes())
    return (
        cache_root()
        / "images"
        / f"postgres-{major}-{DEBIAN_MAJORS[major]}-{digest.hexdigest()[:12]}.tar"
    )


def _has(client: Any, image: str) -> bool:
    import docker.errors

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return False
    return True


def _pull(client: Any, image: str) -> str:
    """Empty on success, else why the pull failed (one line)."""
    import docker.errors

    try:
        client.images.pull(image)
    except docker.errors.DockerException as exc:
        return str(exc).splitlines()[0][:300]
    return ""


def resolve(
    client: Any, environment: dict[str, str], requested: str, version: int | None
) -> Resolved:
    """Make sure the engine has an image to run, and say which."""
    started = time.perf_counter()
    if _has(client, requested):
        return Resolved(requested, "present", 0.0)
    pull_error = _pull(client, requested)
    if not pull_error:
        return Resolved(requested, "pulled", time.perf_counter() - started)
    major = version if version is not None else major_of(requested)
    if major not in DEBIAN_MAJORS:
        raise ImageError(
            f"image {requested} could not be pulled ({pull_error}), and no Debian suite ships "
            f"PostgreSQL {major or '?'} to build one from (13, 15 and 17 can be built)"
        )
    tag = built_tag(major)
    if _has(client, tag):
        return Resolved(tag, "present", time.perf_counter() - started)
    tarball = tarball_path(major)
    if tarball.exists():
        with open(tarball, "rb") as data:
            client.images.load(data)
        if _has(client, tag):
            return Resolved(tag, "loaded", time.perf_counter() - started)
    build(major, tag, tarball, environment)
    return Resolved(tag, "built", time.perf_counter() - started)


def build(major: int, tag: str, tarball: Path | None, environment: dict[str, str]) -> None:
    """Run ``image/build.sh`` (root, debootstrap, a Docker engine); ImageError on failure."""
    import os

    from dbparity.provision.docker_engine import EngineError, apt_install

    try:
        apt_install("debootstrap", "debootstrap")
    except EngineError as exc:
        raise ImageError(f"cannot build {tag}: {exc}") from exc
    tarball_arg = [str(tarball)] if tarball is not None else []
    if tarball is not None:
        tarball.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        done = subprocess.run(
            ["sh", str(BUILD_SCRIPT), str(major), tag, *tarball_arg],
            capture_output=True,
            env={**os.environ, **environment, **_scratch_env()},
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ImageError(f"building {tag} took over {BUILD_TIMEOUT_S:.0f}s") from exc
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip()[-800:]
        raise ImageError(f"building {tag} from Debian failed (exit {done.returncode}): {tail}")
    if tarball is not None:  # tarballs of earlier build scripts are never loaded again
        for old in tarball.parent.glob(f"postgres-{major}-{DEBIAN_MAJORS[major]}-*.tar"):
            if old != tarball:
                old.unlink(missing_ok=True)


def _scratch_env() -> dict[str, str]:
    """Build the root file system in memory when there is room: debootstrap and dpkg sync every
    file they write, which on a busy disk is most of a build's time."""
    from dbparity.provision.local_cluster import temp_root

    root = temp_root()
    return {"TMPDIR": root} if root else {}
