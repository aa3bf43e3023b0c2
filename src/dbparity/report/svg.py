"""pygal's rendered SVG made static and reproducible, for both of the report's charts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pygal.etree import etree  # type: ignore[import-untyped]

#: pygal's leading comments ("Generated with pygal 3.1.3 (etree) ©Kozea 2012-2026 on
#: 2026-11-24" and its links): today's date and the installed version, not the inputs.
_PYGAL_COMMENTS = re.compile(
    r"<!--(?:Generated with pygal|http://(?:www\.)?(?:pygal\.org|github\.com/Kozea)).*?-->", re.S
)
_SCRIPTS = re.compile(r"<script\b.*?</script>", re.S)


def static_svg(chart: Any, element_id: str) -> str:
    """The chart as inline SVG that runs no code and is a pure function of its data.

    pygal always embeds its tooltip configuration as a script (which does nothing without its
    external tooltip library), a random id, and the day it was rendered; and it serialises
    through lxml when that happens to be installed, else through the standard library, which
    writes other bytes: always the standard library here, so the machine does not matter."""
    with _standard_library_xml():
        svg = str(chart.render(is_unicode=True))
    svg = _SCRIPTS.sub("", svg)
    svg = _PYGAL_COMMENTS.sub("", svg)
    return svg.replace(str(chart.uuid), element_id)


@contextmanager
def _standard_library_xml() -> Iterator[None]:
    """pygal's module-wide choice of XML library set to the standard library's for one render,
    and restored after."""
    saved = (etree._etree, etree.lxml)
    etree.to_etree()
    try:
        yield
    finally:
        etree._etree, etree.lxml = saved
