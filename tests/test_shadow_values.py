"""Shadow mode's normalisation rules, one test each: a rule makes values equal only when a user
could not tell them apart by value; a difference a user can see stays one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from dbparity.shadow.statements import driver_sql, ordered, shown_parameters
from dbparity.shadow.values import RULES, clock_reading, rows_differ


def test_every_rule_is_listed() -> None:
    assert RULES == (
        "float-vs-decimal",
        "bytes-like",
        "bool-vs-int",
        "clock-reading",
        "identity-only",
        "unstable-bind",
        "unordered",
        "limit-without-order",
    )


def test_float_vs_decimal_is_the_nearest_double() -> None:
    # SQLite's avg() is a double, PostgreSQL's a numeric with more digits
    avg = [(Decimal("1.6666666666666666667"),)]
    assert rows_differ([(1.6666666666666667,)], avg, False, False) == ""
    assert rows_differ([(0.1,)], [(Decimal("0.1"),)], False, False) == ""
    assert rows_differ([(0.1,)], [(Decimal("0.2"),)], False, False) == "rows"
    # two Decimals are never rounded to doubles: their digits are the value
    assert rows_differ([(Decimal("0.1"),)], [(Decimal("0.1000000000000000001"),)], False, False)


def test_bytes_like_values_are_their_bytes() -> None:
    assert rows_differ([(memoryview(b"ab"),)], [(b"ab",)], False, False) == ""
    assert rows_differ([(bytearray(b"ab"),)], [(b"ac",)], False, False) == "rows"


def test_bool_vs_int() -> None:
    assert rows_differ([(1,), (0,)], [(True,), (False,)], True, False) == ""
    assert rows_differ([(2,)], [(True,)], False, False) == "rows"


def test_clock_reading_a_moment_apart_is_one_reading() -> None:
    now = datetime.now(UTC)
    assert clock_reading(now, now + timedelta(seconds=1))
    assert rows_differ([(now,)], [(now + timedelta(milliseconds=300),)], False, False) == ""
    # not now: a stored date that differs is a difference
    old = datetime(2001, 1, 1, tzinfo=UTC)
    assert not clock_reading(old, old + timedelta(seconds=1))
    # naive against aware is a difference a user sees (comparing them raises)
    assert not clock_reading(now.replace(tzinfo=None), now)
    assert rows_differ([(now.replace(tzinfo=None),)], [(now,)], False, False) == "rows"


def test_unordered_rows_are_a_multiset() -> None:
    assert rows_differ([(1,), (2,)], [(2,), (1,)], ordered=False, limited=False) == ""
    assert rows_differ([(1,), (1,)], [(1,), (2,)], ordered=False, limited=False) == "rows"
    assert rows_differ([(None,), ("b",)], [("b",), (None,)], ordered=True, limited=False) == "order"
    # JSON documents (unhashable) too
    assert rows_differ([({"a": [1]},)], [({"a": [1]},)], False, False) == ""
    assert rows_differ([({"a": [1]},)], [({"a": [2]},)], False, False) == "rows"


def test_limit_without_order_compares_only_the_count() -> None:
    assert rows_differ([(1,)], [(2,)], ordered=False, limited=True) == ""
    assert rows_differ([(1,)], [(1,), (2,)], ordered=False, limited=True) == "row count"
    assert rows_differ([(1,)], [(2,)], ordered=True, limited=True) == "rows"


def test_order_by_counts_only_at_the_top_level() -> None:
    assert ordered(None, "SELECT a FROM t ORDER BY a")
    assert not ordered(None, "SELECT a FROM (SELECT a FROM t ORDER BY a) AS s")
    assert not ordered(None, "SELECT rank() OVER (ORDER BY a) FROM t")


def test_driver_sql_changes_placeholders_outside_quotes_only() -> None:
    sql, params = driver_sql("SELECT ? , '?', '%' WHERE a = ?", (1, 2), "qmark", "numeric_dollar")  # type: ignore[misc]
    assert sql == "SELECT $1 , '?', '%' WHERE a = $2" and params == (1, 2)
    converted = driver_sql("SELECT :a, '%', ':b'", {"a": 1}, "named", "pyformat")
    assert converted == ("SELECT %(a)s, '%%', ':b'", {"a": 1})
    assert driver_sql("SELECT $1", (1,), "numeric_dollar", "qmark") is None


def test_secret_parameters_are_masked() -> None:
    shown = shown_parameters([("bob", "hunter2")], ("name", "password"))
    assert "hunter2" not in shown and "bob" in shown
    assert "hunter2" not in shown_parameters({"user_password": "hunter2", "n": 1})
    assert "s3cret" not in shown_parameters(("postgresql://u:s3cret@h/db",))


class _Hashed:
    """Like sqlalchemy_utils' Password: no ``==`` of its own, so two reads are never equal."""

    def __init__(self, digest: bytes, context: object) -> None:
        self.digest = digest
        self.context = context


class _Slotted:
    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"<_Slotted {self.value} at 0x{id(self):x}>"


def test_identity_only_values_compare_by_their_attributes() -> None:
    """Found in starlette-admin's suite: a Password read back on each side was a 'difference'."""
    context = object
    same = rows_differ(
        [(_Hashed(b"h1", _Hashed(b"c", None)),)],
        [(_Hashed(b"h1", _Hashed(b"c", None)),)],
        True,
        False,
    )
    assert same == ""
    assert rows_differ([(_Hashed(b"h1", context),)], [(_Hashed(b"h2", context),)], True, False)
    # unordered rows (no ORDER BY) go through the multiset comparison
    assert rows_differ([(_Hashed(b"h1", None),)], [(_Hashed(b"h1", None),)], False, False) == ""
    # no attributes to compare: what they print as, without the memory address
    assert rows_differ([(_Slotted(1),)], [(_Slotted(1),)], True, False) == ""
    assert rows_differ([(_Slotted(1),)], [(_Slotted(2),)], True, False) == "rows"
    # a class with its own == is left to it
    assert rows_differ([(Decimal("1.0"),)], [(Decimal("1.00"),)], True, False) == ""


def test_unstable_bind_leaves_each_sides_own_columns_out() -> None:
    from dbparity.shadow.values import without_columns

    stand_in = [("salt1$x", 1, "a")]
    shadow = [("salt2$x", 1, "b")]
    assert rows_differ(stand_in, shadow, True, False) == "rows"
    left_out = frozenset({0})
    assert (
        rows_differ(
            without_columns(stand_in, left_out), without_columns(shadow, left_out), True, False
        )
        == "rows"
    )  # the third column still differs
    left_out = frozenset({0, 2})
    assert (
        rows_differ(
            without_columns(stand_in, left_out), without_columns(shadow, left_out), True, False
        )
        == ""
    )
