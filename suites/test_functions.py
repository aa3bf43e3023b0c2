"""Built-in functions applications call in raw SQL or through ``func``: each returns what
PostgreSQL's manual says. A function the stand-in lacks fails there with "no such function"
(a false alarm); one it has under the same name may still compute something else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from suites._dialect import sqlstate

UTC = dt.UTC

TEXT_FUNCTIONS: dict[str, tuple[str, Any]] = {
    "lpad": ("lpad('7', 3, '0')", "007"),
    "rpad": ("rpad('ab', 4, '.')", "ab.."),
    "repeat": ("repeat('ab', 3)", "ababab"),
    "reverse": ("reverse('abc')", "cba"),
    "initcap": ("initcap('hello world')", "Hello World"),
    "split_part": ("split_part('a,b,c', ',', 2)", "b"),
    "strpos": ("strpos('hello', 'l')", 3),
    "position": ("position('l' IN 'hello')", 3),
    "translate": ("translate('abc', 'ab', 'xy')", "xyc"),
    "btrim": ("btrim('xxhixx', 'x')", "hi"),
    "concat_ws": ("concat_ws('-', 'a', NULL, 'b')", "a-b"),
    "md5": ("md5('abc')", "900150983cd24fb0d6963f7d28e17f72"),
    "starts_with": ("starts_with('hello', 'he')", True),
    "octet_length": ("octet_length('é')", 2),
    "ascii": ("ascii('A')", 65),
    "chr": ("chr(65)", "A"),
    "to_hex": ("to_hex(255)", "ff"),
    "replace": ("replace('a-b-c', '-', '+')", "a+b+c"),
    "trim": ("trim(both 'x' from 'xxhixx')", "hi"),
    "substring_from_for": ("substring('hello' from 2 for 3)", "ell"),
}

MATH_FUNCTIONS: dict[str, tuple[str, Any]] = {
    "div": ("div(7, 2)", 3),
    "mod": ("mod(7, 3)", 1),
    "gcd": ("gcd(12, 18)", 6),
    "factorial": ("factorial(5)", 120),
    "cbrt": ("abs(cbrt(27.0) - 3) < 1e-9", True),
    "power": ("power(2, 10)", 1024),
    "trunc": ("trunc(2.7)", 2),
    "ceil": ("ceil(2.1)", 3),
    "sign": ("sign(-3.5)", -1),
    "width_bucket": ("width_bucket(5.35, 0.024, 10.06, 5)", 3),
}

DATE_FUNCTIONS: dict[str, tuple[str, Any]] = {
    "make_date": ("make_date(2024, 2, 29)", dt.date(2024, 2, 29)),
    "to_date": ("to_date('05 Dec 2000', 'DD Mon YYYY')", dt.date(2000, 12, 5)),
    "date_part": ("date_part('year', DATE '2024-05-06')", 2024),
    "age": ("age(DATE '2024-03-01', DATE '2024-01-01') = INTERVAL '2 months'", True),
    "to_timestamp": ("to_timestamp(0)", dt.datetime(1970, 1, 1, tzinfo=UTC)),
    "make_interval": ("make_interval(days => 3) = INTERVAL '3 days'", True),
    "isfinite": ("isfinite(DATE '2024-01-01')", True),
}

AGGREGATES: dict[str, tuple[str, Any]] = {
    "bool_and": ("bool_and(v > 1)", False),
    "bool_or": ("bool_or(v > 1)", True),
    "every": ("every(v > 0)", True),
    "array_agg": ("array_agg(v ORDER BY v)", [1, 2, 3]),
    "stddev_samp": ("stddev_samp(v)", 1),
    "variance": ("variance(v)", 1),
    "bit_or": ("bit_or(v)", 3),
    "count_filter": ("count(*) FILTER (WHERE v > 1)", 2),
}

JSON_FUNCTIONS: dict[str, tuple[str, Any]] = {
    "json_typeof": ("""json_typeof(CAST('{"a": 1}' AS JSON))""", "object"),
    "json_extract_path_text": (
        """json_extract_path_text(CAST('{"a": {"b": "x"}}' AS JSON), 'a', 'b')""",
        "x",
    ),
    "json_array_length": ("json_array_length(CAST('[1, 2, 3]' AS JSON))", 3),
    "json_build_object": ("json_build_object('a', 1)::text", '{"a" : 1}'),
}


async def _value(session: AsyncSession, expression: str) -> Any:
    return await session.scalar(text(f"SELECT {expression}"))


@pytest.mark.parametrize("name", TEXT_FUNCTIONS)
async def test_text_function(session: AsyncSession, name: str) -> None:
    """A PostgreSQL text function returns what its manual says."""
    expression, expected = TEXT_FUNCTIONS[name]
    assert await _value(session, expression) == expected


@pytest.mark.parametrize("name", MATH_FUNCTIONS)
async def test_math_function(session: AsyncSession, name: str) -> None:
    """A PostgreSQL mathematical function returns what its manual says."""
    expression, expected = MATH_FUNCTIONS[name]
    assert await _value(session, expression) == expected


@pytest.mark.parametrize("name", DATE_FUNCTIONS)
async def test_date_function(session: AsyncSession, name: str) -> None:
    """A PostgreSQL date/time function returns what its manual says."""
    expression, expected = DATE_FUNCTIONS[name]
    assert await _value(session, expression) == expected


@pytest.mark.parametrize("name", AGGREGATES)
async def test_aggregate_function(session: AsyncSession, name: str) -> None:
    """A PostgreSQL aggregate over the values 1, 2, 3 returns what its manual says."""
    expression, expected = AGGREGATES[name]
    values = "SELECT 1 AS v UNION ALL SELECT 2 UNION ALL SELECT 3"
    found = await session.scalar(text(f"SELECT {expression} FROM ({values}) AS t"))
    assert found == expected


@pytest.mark.parametrize("name", JSON_FUNCTIONS)
async def test_json_function(session: AsyncSession, name: str) -> None:
    """A PostgreSQL json function returns what its manual says."""
    expression, expected = JSON_FUNCTIONS[name]
    assert await _value(session, expression) == expected


async def test_numeric_literals_add_exactly(session: AsyncSession) -> None:
    """``0.1 + 0.2 = 0.3`` is true: decimal literals are exact numerics, not binary floats."""
    assert await _value(session, "0.1 + 0.2 = 0.3") is True


async def test_numeric_division_keeps_the_fraction(session: AsyncSession) -> None:
    """``CAST(1 AS NUMERIC) / 3`` is 0.333... to 20 places, not the integer 0."""
    found = await _value(session, "CAST(1 AS NUMERIC) / 3")
    assert found == Decimal("0.33333333333333333333")


async def test_round_to_negative_places_rounds_to_tens(session: AsyncSession) -> None:
    """``round(365.25, -1)`` rounds to tens: 370."""
    assert await _value(session, "round(365.25, -1)") == 370


async def test_square_root_of_a_negative_number_is_an_error(session: AsyncSession) -> None:
    """``sqrt(-1)`` raises invalid_argument_for_power_function (2201F), not NULL."""
    await _expect_error(session, "sqrt(-1.0)", "2201F")


async def test_logarithm_of_zero_is_an_error(session: AsyncSession) -> None:
    """``ln(0)`` raises invalid_argument_for_logarithm (2201E), not NULL."""
    await _expect_error(session, "ln(0.0)", "2201E")


async def test_fraction_divided_by_zero_is_an_error(session: AsyncSession) -> None:
    """``1.5 / 0`` raises division_by_zero (22012), like integer division, not NULL."""
    await _expect_error(session, "1.5 / 0", "22012")


async def test_negative_integer_division_truncates_toward_zero(session: AsyncSession) -> None:
    """``-7 / 2`` is -3 and ``-7 % 2`` is -1 (truncation toward zero); both databases agree."""
    assert tuple((await session.execute(text("SELECT -7 / 2, -7 % 2"))).one()) == (-3, -1)


async def test_cast_of_fractional_text_to_integer_is_refused(session: AsyncSession) -> None:
    """``CAST('4.5' AS INTEGER)`` raises invalid_text_representation (22P02), not 4."""
    await _expect_error(session, "CAST('4.5' AS INTEGER)", "22P02")


async def test_cast_to_smallint_out_of_range_is_refused(session: AsyncSession) -> None:
    """``CAST(40000 AS SMALLINT)`` raises numeric_value_out_of_range (22003)."""
    await _expect_error(session, "CAST(40000 AS SMALLINT)", "22003")


async def test_cast_to_varchar_n_truncates(session: AsyncSession) -> None:
    """An explicit ``CAST('abcdef' AS VARCHAR(3))`` truncates to 'abc' (the SQL standard)."""
    assert await _value(session, "CAST('abcdef' AS VARCHAR(3))") == "abc"


async def test_cast_to_numeric_with_scale_rounds(session: AsyncSession) -> None:
    """``CAST(2.345 AS NUMERIC(4, 2))`` rounds to the scale: 2.35."""
    assert await _value(session, "CAST(2.345 AS NUMERIC(4, 2))") == Decimal("2.35")


async def test_cast_to_char_n_pads_with_spaces(session: AsyncSession) -> None:
    """``CAST('ab' AS CHAR(4))`` is blank-padded to four characters."""
    assert await _value(session, "CAST('ab' AS CHAR(4))") == "ab  "


async def test_cast_of_a_boolean_to_text_is_true(session: AsyncSession) -> None:
    """``CAST(1 = 1 AS TEXT)`` is 'true', not '1'."""
    assert await _value(session, "CAST(1 = 1 AS TEXT)") == "true"


async def _expect_error(session: AsyncSession, expression: str, code: str) -> None:
    with pytest.raises(DBAPIError) as caught:
        await _value(session, expression)
    assert sqlstate(caught.value) == code


async def test_double_precision_sum_of_tenths_is_inexact(session: AsyncSession) -> None:
    """Binary floats add 0.1 and 0.2 to 0.30000000000000004 on both databases (use NUMERIC
    where exact decimals matter)."""
    found = await _value(session, "CAST(0.1 AS DOUBLE PRECISION) + CAST(0.2 AS DOUBLE PRECISION)")
    assert found == 0.1 + 0.2
