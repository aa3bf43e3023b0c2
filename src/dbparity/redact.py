"""Passwords never leave the process: every text dbparity prints or writes goes through here.

A libpq or SQLAlchemy connection string can carry a password in three places, and all three are
masked: the userinfo of a URL (``postgresql://user:secret@host/db``), a query parameter
(``?password=secret``, also ``sslpassword``) and a key=value DSN (``host=h password='se cret'``).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

MASK = "***"

#: ``scheme://user:password@`` -> ``scheme://user:***@`` (the password ends at the last ``@``
#: before the host, so an unencoded ``@`` inside it is masked too).
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*):(?P<secret>[^\s/?#]*)@")
#: ``password=...`` in a URL query or a key=value DSN, quoted or not; also PGPASSWORD=...
_KEYWORD = re.compile(
    r"(?P<head>\b(?:ssl)?password\s*=\s*|\bPGPASSWORD\s*=\s*)"
    r"(?P<secret>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s&;'\",)]+)",
    re.IGNORECASE,
)

T = TypeVar("T")


def redact(text: str) -> str:
    """``text`` with every password in a connection string replaced by ``***``."""
    if "password" not in text.lower() and "@" not in text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@", text)
    return _KEYWORD.sub(lambda m: f"{m['head']}{MASK}", text)


def redact_all(value: T) -> T:
    """Redact every string inside nested dicts, lists and tuples (results, report data)."""
    result: Any
    if isinstance(value, str):
        result = redact(value)
    elif isinstance(value, dict):
        result = {redact_all(k): redact_all(v) for k, v in value.items()}
    elif isinstance(value, list):
        result = [redact_all(v) for v in value]
    elif isinstance(value, tuple):
        result = tuple(redact_all(v) for v in value)
    else:
        result = value
    return result  # type: ignore[no-any-return]
