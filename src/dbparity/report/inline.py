"""Case titles come from docstrings, written in reStructuredText: ````code```` (a literal) and
```code``` (the default role, which Sphinx projects render as code too). Both reports show
those spans as code, never as backquotes.

:func:`segments` splits a title into plain text and code; the renderers escape each for their
own format (a code span in markdown must not be HTML-escaped: ``&lt;`` would show literally).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup, escape

_CODE = re.compile(r"``(.+?)``|`([^`]+)`")


def segments(text: str) -> list[tuple[bool, str]]:
    """``(is_code, text)`` pieces of ``text``, in order; a lone backquote stays plain text."""
    pieces: list[tuple[bool, str]] = []
    at = 0
    for match in _CODE.finditer(text):
        if match.start() > at:
            pieces.append((False, text[at : match.start()]))
        pieces.append((True, match.group(1) or match.group(2)))
        at = match.end()
    if at < len(text):
        pieces.append((False, text[at:]))
    return pieces


def markdown(text: str, plain: Callable[[str], str]) -> str:
    """``text`` for a markdown table cell: ``plain`` (a function) escapes the plain pieces;
    code pieces become code spans (fenced with more backquotes than they hold, pipes escaped
    for the table)."""
    out = []
    for is_code, piece in segments(" ".join(text.split())):
        if not is_code:
            out.append(plain(piece))
            continue
        fence = "`" * (max((len(r) for r in re.findall(r"`+", piece)), default=0) + 1)
        pad = " " if piece.startswith("`") or piece.endswith("`") else ""
        out.append(f"{fence}{pad}{piece.replace('|', chr(92) + '|')}{pad}{fence}")
    return "".join(out)


def html(text: str) -> Markup:
    """``text`` as HTML: plain pieces escaped, code pieces in ``<code>``."""
    return Markup("").join(
        Markup("<code>{}</code>").format(piece) if is_code else escape(piece)
        for is_code, piece in segments(text)
    )
