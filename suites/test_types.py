"""Column types: which values survive a round trip unchanged, and which ones are refused."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from suites._dialect import sqlstate
from suites.schema import Order, Project, Task, TaskStatus, TypedValue, User, Worker

D = decimal.Decimal
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


async def _round_trip(session: AsyncSession, **values: Any) -> TypedValue:
    """Write one row, forget it, and read it back from the database."""
    row = TypedValue(**values)
    session.add(row)
    await session.flush()
    row_id = row.id
    session.expunge_all()
    stored = await session.get(TypedValue, row_id)
    assert stored is not None
    return stored


# --- numbers -------------------------------------------------------------------------------------


async def test_numeric_keeps_every_digit(session: AsyncSession) -> None:
    """NUMERIC(20, 6) returns a 20-digit Decimal exactly as written."""
    amount = D("12345678901234.123457")
    assert (await _round_trip(session, amount=amount)).amount == amount


async def test_numeric_rounds_half_away_from_zero_at_its_scale(
    session: AsyncSession, user: User
) -> None:
    """NUMERIC(10, 2) stores 2.675 as 2.68 and 1.005 as 1.01 (decimal half away from zero)."""
    session.add_all(
        [Order(user_id=user.id, total=D("2.675")), Order(user_id=user.id, total=D("1.005"))]
    )
    await session.flush()
    session.expunge_all()
    totals = (await session.scalars(select(Order.total).order_by(Order.total.desc()))).all()
    assert totals == [D("2.68"), D("1.01")]


async def test_numeric_overflow_is_refused(session: AsyncSession, user: User) -> None:
    """A value with more integer digits than NUMERIC(10, 2) allows is refused (22003)."""
    session.add(Order(user_id=user.id, total=D("123456789.00")))
    with pytest.raises(DBAPIError) as caught:
        await session.flush()
    assert sqlstate(caught.value) == "22003"  # numeric_value_out_of_range


@pytest.mark.parametrize("value", [INT64_MAX, INT64_MIN, 0], ids=["max", "min", "zero"])
async def test_bigint_round_trips_at_the_64_bit_edges(session: AsyncSession, value: int) -> None:
    """BIGINT stores the largest and smallest 64-bit integers exactly."""
    assert (await _round_trip(session, big=value)).big == value


async def test_bigint_beyond_64_bits_is_refused(session: AsyncSession) -> None:
    """A value one past the 64-bit range is refused with a database error, not stored."""
    session.add(TypedValue(big=INT64_MAX + 1))
    with pytest.raises(DBAPIError):
        await session.flush()


async def test_integer_beyond_32_bits_is_refused(
    session: AsyncSession, project: Project, worker: Worker
) -> None:
    """INTEGER is 32-bit: 2**31 is refused with a database error, not stored."""
    session.add(Task(title="huge", priority=2**31, project_id=project.id, created_by_id=worker.id))
    with pytest.raises(DBAPIError):
        await session.flush()


# --- dates and times ------------------------------------------------------------------------------


async def test_aware_datetime_keeps_its_instant(session: AsyncSession) -> None:
    """A timestamptz written at 12:00+02:00 reads back as an aware datetime for 10:00 UTC."""
    written = dt.datetime(2024, 6, 30, 12, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    stored = (await _round_trip(session, stamp=written)).stamp
    assert stored is not None
    assert stored.tzinfo is not None
    assert stored == written


async def test_naive_datetime_keeps_microseconds(session: AsyncSession) -> None:
    """A timestamp without time zone reads back naive and exact to the microsecond."""
    written = dt.datetime(1999, 12, 31, 23, 59, 59, 999999)
    assert (await _round_trip(session, naive_stamp=written)).naive_stamp == written


@pytest.mark.parametrize(
    "day", [dt.date(2024, 2, 29), dt.date(1, 1, 1), dt.date(9999, 12, 31)], ids=str
)
async def test_date_round_trips(session: AsyncSession, day: dt.date) -> None:
    """DATE stores leap days and the first and last years Python can represent."""
    assert (await _round_trip(session, day=day)).day == day


@pytest.mark.parametrize(
    "span",
    [dt.timedelta(days=400, hours=5, microseconds=7), dt.timedelta(days=-1, seconds=5)],
    ids=["positive", "negative"],
)
async def test_interval_round_trips(session: AsyncSession, span: dt.timedelta) -> None:
    """INTERVAL returns the same timedelta, including microseconds and negative spans."""
    assert (await _round_trip(session, span=span)).span == span


async def test_timestamp_plus_interval_in_sql(session: AsyncSession) -> None:
    """Adding an interval column to a timestamp column in SQL gives the later timestamp."""
    start = dt.datetime(2024, 1, 31, 12, 0, tzinfo=dt.UTC)
    await _round_trip(session, stamp=start, span=dt.timedelta(days=1, hours=2))
    later = await session.scalar(select(TypedValue.stamp + TypedValue.span))
    assert later == dt.datetime(2024, 2, 1, 14, 0, tzinfo=dt.UTC)


# --- documents, keys, enums, booleans, bytes -----------------------------------------------------


async def test_json_round_trips_nested_values(session: AsyncSession) -> None:
    """A JSON document with nesting, Unicode, floats, booleans, nulls and big ints is unchanged."""
    document = {
        "name": "Zoë 🚀",
        "ratio": 0.1,
        "flags": [True, False, None],
        "nested": {"deep": {"list": [1, 2, {"x": "y"}]}},
        "big": 2**53 + 1,
    }
    assert (await _round_trip(session, document=document)).document == document


async def test_json_null_is_not_sql_null(session: AsyncSession) -> None:
    """Writing None to a JSON column stores JSON null, which IS NULL does not match."""
    await _round_trip(session, document=None, text="json-null")
    sql_nulls = await session.scalar(
        select(func.count()).select_from(TypedValue).where(TypedValue.document.is_(None))
    )
    assert sql_nulls == 0


async def test_uuid_round_trips_and_filters(session: AsyncSession) -> None:
    """A UUID column returns uuid.UUID objects and can be filtered by a UUID."""
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    stored = await _round_trip(session, key=key)
    assert stored.key == key
    assert await session.scalar(select(TypedValue.id).where(TypedValue.key == key)) == stored.id


async def test_enum_round_trips(session: AsyncSession) -> None:
    """An Enum column returns the Python enum member that was written."""
    stored = await _round_trip(session, status=TaskStatus.in_progress)
    assert stored.status is TaskStatus.in_progress


async def test_enum_refuses_unknown_label(session: AsyncSession) -> None:
    """An enum column refuses a label it does not define with invalid input (22P02)."""
    with pytest.raises(DBAPIError) as caught:
        await session.execute(text("INSERT INTO typed_values (status) VALUES ('archived')"))
    assert sqlstate(caught.value) == "22P02"  # invalid_text_representation


@pytest.mark.parametrize("flag", [True, False, None], ids=str)
async def test_boolean_round_trips(session: AsyncSession, flag: bool | None) -> None:
    """BOOLEAN returns True, False and NULL as written."""
    assert (await _round_trip(session, flag=flag)).flag is flag


async def test_boolean_refuses_integers(session: AsyncSession) -> None:
    """A BOOLEAN column refuses an integer such as 2 instead of storing it."""
    with pytest.raises(DBAPIError):
        await session.execute(text("INSERT INTO typed_values (flag) VALUES (2)"))


async def test_binary_round_trips_every_byte(session: AsyncSession) -> None:
    """LargeBinary returns all 256 byte values, NUL included, unchanged."""
    blob = bytes(range(256)) * 4
    assert (await _round_trip(session, blob=blob)).blob == blob


# --- text ----------------------------------------------------------------------------------------


async def test_unicode_and_emoji_round_trip(session: AsyncSession) -> None:
    """Text with accents, CJK, right-to-left script and emoji sequences comes back unchanged."""
    value = "Zoë · 東京 · שלום · 👩🏽‍💻 · 🇳🇴"
    assert (await _round_trip(session, text=value)).text == value


async def test_length_counts_code_points(session: AsyncSession) -> None:
    """length() counts code points: 'é👍🏽' is 3, whatever its byte length."""
    await _round_trip(session, text="é👍🏽")
    assert await session.scalar(select(func.length(TypedValue.text))) == 3


async def test_text_refuses_nul_character(session: AsyncSession) -> None:
    """A text value containing the NUL character is refused rather than stored."""
    session.add(TypedValue(text="before\x00after"))
    with pytest.raises(DBAPIError):
        await session.flush()


# --- what a column accepts when raw SQL writes text into it --------------------------------------

MALFORMED = {
    "integer": ("big", "'wxyz'", "22P02"),
    "numeric": ("amount", "'12.5 EUR'", "22P02"),
    "date": ("day", "'not a date'", "22007"),
    "impossible_date": ("day", "'2024-02-30'", "22008"),
    "timestamp": ("naive_stamp", "'yesterday noon'", "22007"),
    "boolean": ("flag", "'maybe'", "22P02"),
    "uuid": ("key", "'not-a-uuid'", "22P02"),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
async def test_column_refuses_malformed_text(session: AsyncSession, kind: str) -> None:
    """Raw SQL writing text that is not a value of the column's type is refused (a 22xxx
    data exception): 'wxyz' into BIGINT, '2024-02-30' into DATE, 'maybe' into BOOLEAN, ..."""
    column, literal_text, code = MALFORMED[kind]
    with pytest.raises(DBAPIError) as caught:
        await session.execute(text(f"INSERT INTO typed_values ({column}) VALUES ({literal_text})"))
    assert sqlstate(caught.value) == code


async def test_digits_in_quotes_are_stored_as_a_number(session: AsyncSession) -> None:
    """Raw SQL writing '1234' (quoted) into a BIGINT column stores the number 1234."""
    await session.execute(text("INSERT INTO typed_values (big) VALUES ('1234')"))
    assert await session.scalar(select(TypedValue.big)) == 1234


@pytest.mark.parametrize("value", [float("inf"), float("-inf")], ids=["inf", "-inf"])
async def test_double_round_trips_infinity(session: AsyncSession, value: float) -> None:
    """DOUBLE PRECISION stores positive and negative infinity."""
    assert (await _round_trip(session, ratio=value)).ratio == value


async def test_double_round_trips_nan(session: AsyncSession) -> None:
    """DOUBLE PRECISION stores NaN as NaN (not as NULL)."""
    stored = (await _round_trip(session, ratio=float("nan"))).ratio
    assert stored is not None
    assert stored != stored  # NaN is the only float unequal to itself


async def test_uuid_matches_hyphenated_text_in_raw_sql(session: AsyncSession) -> None:
    """A UUID stored through the ORM is found by raw SQL comparing it with its usual
    hyphenated text form."""
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    await _round_trip(session, key=key)
    found = await session.scalar(text(f"SELECT count(*) FROM typed_values WHERE key = '{key}'"))
    assert found == 1
