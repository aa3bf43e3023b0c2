"""pygal's rendered SVG made static and reproducible, for both of the report's charts."""

from __future__ import annotations

import re
from typing import Any

#: pygal's leading comments ("Generated with pygal 3.1.3 (etree) ©Kozea 2012-2026 on
#: 2026-11-24" and its links): today's date and the installed version, not the inputs.
_PYGAL_COMMENTS = re.compile(
    r"<!--(?:Generated with pygal|http://(?:www\.)?(?:pygal\.org|github\.com/Kozea)).*?-->", re.S
)
_SCRIPTS = re.compile(r"<script\b.*?</script>", re.S)


def static_svg(chart: Any, element_id: str) -> str:
    """The chart as inline SVG that runs no code and is a pure function of its data.

    pygal always embeds its tooltip configuration as a script (which does nothing without its
    external tooltip library), a random id, and the day it was rendered."""
    svg = str(chart.render(is_unicode=True))
    svg = _SCRIPTS.sub("", svg)
    svg = _PYGAL_COMMENTS.sub("", svg)
    return svg.replace(str(chart.uuid), element_id)
