"""Sections other modules add to both compatibility reports, after the differences and before
what needs attention: the place for a per-stand-in overview (agreement against speed).

:func:`extra_sections` is called with the merged data and the speed report (None without
benchmark files); each :class:`Section` carries its markdown (a ``## `` heading first) and its
HTML (trusted: rendered unescaped, inside ``<section id="...">``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dbparity.report.merge import Merged
    from dbparity.report.speed import SpeedReport


@dataclass(frozen=True)
class Section:
    id: str
    markdown: str
    html: str


def extra_sections(merged: Merged, speed: SpeedReport | None) -> list[Section]:
    """Add a section here (one call, one module of its own per section)."""
    from dbparity.report import standins, versions

    found = [standins.standins_section(merged, speed), versions.section(merged)]
    return [s for s in found if s is not None]
