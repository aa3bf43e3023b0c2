"""Comparing rows as Python values, with the rules for values that differ in representation only.

Each rule is a named function with a test of its own (tests/test_shadow_values.py). A rule
makes two values compare equal only when a user's code could not tell them apart by value; a
difference a user could see (a timezone, a padded string, a float4's precision) stays one.

- ``float-vs-decimal``: a column that is a float on one side and a Decimal on the other (SQLite
  computes ``avg()`` and decimal literals in doubles, PostgreSQL in ``numeric``) compares as
  the nearest double of both;
- ``bytes-like``: a ``memoryview`` or ``bytearray`` is its bytes;
- ``bool-vs-int``: ``True``/``False`` against ``1``/``0`` (SQLite has no boolean type: raw SQL
  comparisons return integers); Python already treats them as equal, this rule says so;
- ``clock-reading``: two datetimes of the same kind (both naive or both aware) within
  ``CLOCK_TOLERANCE`` of each other and of the wall clock are the same reading of the clock
  (``now()``, ``CURRENT_TIMESTAMP`` or a Python default evaluated a moment apart); a naive value
  against an aware one stays a difference;
- ``identity-only``: two values of one class that has no value equality of its own (its
  ``==`` is identity: ``sqlalchemy_utils``' ``Password``) are compared by their attributes,
  under these same rules, or by what they print as without their memory address;
- ``unstable-bind``: a column whose type turns the same value into a new one each time it
  is written (a salted password hash, a random token in a ``TypeDecorator``) holds each side's
  own value: it is left out of the comparison (``without_columns``);
- ``unordered``: without ORDER BY the rows are a multiset; with ORDER BY, a list;
- ``limit-without-order``: with LIMIT or OFFSET and no ORDER BY, which rows come back is
  arbitrary on both sides: only their number is compared.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

Rows = list[tuple[Any, ...]]

RULES = (
    "float-vs-decimal",
    "bytes-like",
    "bool-vs-int",
    "clock-reading",
    "identity-only",
    "unstable-bind",
    "unordered",
    "limit-without-order",
)
#: How far apart two readings of the clock may be (a slow test, a loaded machine).
CLOCK_TOLERANCE = timedelta(minutes=5)


def bytes_like(value: Any) -> Any:
    """Rule ``bytes-like``: a buffer is its bytes."""
    if isinstance(value, (memoryview, bytearray)):
        return bytes(value)
    return value


def bool_vs_int(value: Any) -> Any:
    """Rule ``bool-vs-int``: a bool is the integer SQLite would have returned."""
    if isinstance(value, bool):
        return int(value)
    return value


def float_vs_decimal(value: Any) -> Any:
    """Rule ``float-vs-decimal`` for one value of a column that is a float on one side and a
    Decimal on the other: the nearest double (NaN and infinities kept as they are)."""
    if isinstance(value, Decimal) and value.is_finite():
        return float(value)
    return value


def clock_reading(left: Any, right: Any, now: datetime | None = None) -> bool:
    """Rule ``clock-reading``: whether two datetimes are one reading of the clock."""
    if not (isinstance(left, datetime) and isinstance(right, datetime)):
        return False
    if (left.tzinfo is None) != (right.tzinfo is None):
        return False
    near: list[datetime]
    if now is not None:
        near = [now]
    elif left.tzinfo is None:  # naive: SQLite's CURRENT_TIMESTAMP is UTC, a default local
        near = [datetime.now(UTC).replace(tzinfo=None), datetime.now()]
    else:
        near = [datetime.now(UTC)]
    if abs(left - right) > CLOCK_TOLERANCE:
        return False
    return any(abs(left - n) <= CLOCK_TOLERANCE for n in near)


def _kinds(rows: Rows, index: int) -> set[type]:
    return {type(row[index]) for row in rows if index < len(row) and row[index] is not None}


def normalise(stand_in: Rows, shadow: Rows) -> tuple[Rows, Rows]:
    """Both sides' rows with every rule applied (the column-wise ones looking at both)."""
    width = max((len(r) for r in (*stand_in, *shadow)), default=0)
    as_float = set()
    for index in range(width):
        one, other = _kinds(stand_in, index), _kinds(shadow, index)
        if (float in one and Decimal in other) or (Decimal in one and float in other):
            as_float.add(index)

    def fix(row: Sequence[Any]) -> tuple[Any, ...]:
        values = []
        for index, value in enumerate(row):
            value = bool_vs_int(bytes_like(value))
            if index in as_float:
                value = float_vs_decimal(value)
            values.append(value)
        return tuple(values)

    return [fix(r) for r in stand_in], [fix(r) for r in shadow]


def without_columns(rows: Rows, left_out: frozenset[int]) -> Rows:
    """Rule ``unstable-bind``: the rows without the columns whose values each side made."""
    if not left_out:
        return rows
    return [tuple(v for i, v in enumerate(row) if i not in left_out) for row in rows]


def rows_differ(stand_in: Rows, shadow: Rows, ordered: bool, limited: bool) -> str:
    """ "" when the rows agree, else what differs: "rows", "row count" or "order"."""
    if limited and not ordered:  # rule limit-without-order
        return "" if len(stand_in) == len(shadow) else "row count"
    left, right = normalise(stand_in, shadow)
    if ordered:
        if _same_list(left, right):
            return ""
        return "order" if _same_multiset(left, right) else "rows"
    return "" if _same_multiset(left, right) else "rows"  # rule unordered


def _same_list(left: Rows, right: Rows) -> bool:
    return len(left) == len(right) and all(
        _same_row(a, b) for a, b in zip(left, right, strict=True)
    )


def _same_row(left: tuple[Any, ...], right: tuple[Any, ...]) -> bool:
    return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right, strict=True))


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
#: How deep ``identity-only`` follows attributes before it calls two objects the same.
IDENTITY_DEPTH = 3


def _identity_equality(value: Any) -> bool:
    """Whether the value's class compares by identity (it inherits ``object.__eq__``)."""
    eq: object = type(value).__eq__
    return eq is object.__eq__


def identity_only(left: Any, right: Any, depth: int = 0) -> bool | None:
    """Rule ``identity-only``: whether two objects of one class without value equality hold the
    same values; None when the rule does not apply (another class, or a class with ``==``)."""
    if type(left) is not type(right) or not _identity_equality(left):
        return None
    if depth >= IDENTITY_DEPTH:
        return True
    left_vars, right_vars = getattr(left, "__dict__", None), getattr(right, "__dict__", None)
    if not isinstance(left_vars, dict) or not isinstance(right_vars, dict):
        return _ADDRESS.sub("", repr(left)) == _ADDRESS.sub("", repr(right))
    return left_vars.keys() == right_vars.keys() and all(
        _same(left_vars[name], right_vars[name], depth + 1) for name in left_vars
    )


def _same(left: Any, right: Any, depth: int = 0) -> bool:
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    if clock_reading(left, right):
        return True
    by_attributes = identity_only(left, right, depth)
    if by_attributes is not None:
        return by_attributes
    try:
        return bool(left == right)
    except Exception:  # a value whose == raises (an odd type): compare what they print as
        return repr(left) == repr(right)


def _same_multiset(left: Rows, right: Rows) -> bool:
    if len(left) != len(right):
        return False
    try:
        if Counter(map(_hashable, left)) == Counter(map(_hashable, right)):
            return True
    except TypeError:  # unhashable values (JSON documents): compare sorted by their text
        pass
    if not any(
        isinstance(v, (datetime, dict, list)) or _identity_equality(v) for row in left for v in row
    ):
        return False
    # values equal only by a rule (a clock reading) or unhashable: pair each row with one
    remaining = list(right)
    for row in left:
        match = next((i for i, other in enumerate(remaining) if _same_row(row, other)), None)
        if match is None:
            return False
        remaining.pop(match)
    return True


def _hashable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(_freeze(v) for v in row)


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _freeze(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("seq", tuple(_freeze(v) for v in value))
    hash(value)
    return value
