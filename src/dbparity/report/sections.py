"""Sections other modules add to both compatibility reports, after the differences and before
what needs attention (a per-stand-in overview: agreement against speed), or, marked ``lead``,
above the differences (the three-line answer).

:func:`extra_sections` is called with the merged data and the speed report (None without
benchmark files); each :class:`Section` carries its markdown (a ``## `` heading first) and its
HTML (trusted: rendered unescaped, inside ``<section id="...">``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dbparity.report.merge import Merged
    from dbparity.report.speed import SpeedReport


@dataclass(frozen=True)
class Section:
    id: str
    markdown: str
    html: str
    #: Placed above the differences, first thing after the reference (the answer), instead
    #: of after them.
    lead: bool = False


def extra_sections(
    merged: Merged, speed: SpeedReport | None, backends_dir: Path | None = None
) -> list[Section]:
    """Add a section here (one call, one module of its own per section)."""
    from dbparity.report import answer, standins, statements, versions

    found = [
        answer.section(merged, speed, backends_dir),
        standins.standins_section(merged, speed, backends_dir),
        versions.section(merged),
        statements.section(merged),
    ]
    return [s for s in found if s is not None]
