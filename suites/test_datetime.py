"""Dates and times in SQL: the server's clock, date arithmetic, truncation and comparison with
text, as PostgreSQL does them (stored values' round trips live in the types suite)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from sqlalchemy import Date, DateTime, cast, extract, func, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from suites._dialect import session_time_zone
from suites.schema import TypedValue

UTC = dt.UTC
STAMP = dt.datetime(2024, 1, 31, 13, 45, 30, 250000)


async def _stored(session: AsyncSession, **values: object) -> TypedValue:
    row = TypedValue(**values)
    session.add(row)
    await session.flush()
    return row


# --- the server's clock ---------------------------------------------------------------------------


async def test_now_is_timezone_aware(session: AsyncSession) -> None:
    """``func.now()`` returns an aware datetime (timestamptz), comparable with aware values."""
    now = await session.scalar(select(func.now()))
    assert isinstance(now, dt.datetime)
    assert now.tzinfo is not None


async def test_now_has_sub_second_precision(session: AsyncSession) -> None:
    """``func.now()`` carries microseconds; two rows written within a second still sort."""
    now = await session.scalar(select(func.now()))
    assert now is not None
    assert now.microsecond != 0  # one chance in a million of a false failure


async def test_current_date_is_a_date(session: AsyncSession) -> None:
    """``func.current_date()`` returns a ``datetime.date``."""
    today = await session.scalar(select(func.current_date()))
    assert type(today) is dt.date


# --- arithmetic ---------------------------------------------------------------------------------


async def test_date_plus_integer_adds_days(session: AsyncSession) -> None:
    """A date plus an integer is the date that many days later (2024-02-26 + 7 is 2024-03-04)."""
    await _stored(session, day=dt.date(2024, 2, 26))
    assert await session.scalar(select(TypedValue.day + 7)) == dt.date(2024, 3, 4)


async def test_date_minus_date_is_a_number_of_days(session: AsyncSession) -> None:
    """Subtracting two dates gives the days between them (2024-03-01 - 2024-01-15 is 46)."""
    await _stored(session, day=dt.date(2024, 3, 1))
    days = await session.scalar(select(TypedValue.day - cast(literal("2024-01-15"), Date)))
    assert days == 46


async def test_timestamp_difference_is_an_interval(session: AsyncSession) -> None:
    """Subtracting two timestamps gives the interval between them as a timedelta."""
    await _stored(session, naive_stamp=STAMP)
    start = dt.datetime(2024, 1, 30, 12, 0)
    span = await session.scalar(select(TypedValue.naive_stamp - literal(start, DateTime)))
    assert span == STAMP - start


async def test_interval_literal_in_raw_sql(session: AsyncSession) -> None:
    """``date + INTERVAL '1 month'`` in raw SQL clamps to the month's end (2024-02-29)."""
    later = await session.scalar(text("SELECT CAST('2024-01-31' AS DATE) + INTERVAL '1 month'"))
    assert later == dt.datetime(2024, 2, 29)


# --- truncating and extracting -------------------------------------------------------------------


async def test_extract_fields_of_a_timestamp(session: AsyncSession) -> None:
    """EXTRACT(hour / minute / dow) reads fields of a timestamp (Wednesday is dow 3)."""
    await _stored(session, naive_stamp=STAMP)
    row = (
        await session.execute(
            select(
                extract("hour", TypedValue.naive_stamp),
                extract("minute", TypedValue.naive_stamp),
                extract("dow", TypedValue.naive_stamp),
            )
        )
    ).one()
    assert tuple(int(v) for v in row) == (13, 45, 3)


async def test_date_of_a_timestamp_groups_by_day(session: AsyncSession) -> None:
    """``func.date(timestamp)`` gives its calendar date, usable to group by day."""
    for hour in (1, 23):
        await _stored(session, naive_stamp=dt.datetime(2024, 5, 1, hour))
    await _stored(session, naive_stamp=dt.datetime(2024, 5, 2, 0, 30))
    day = func.date(TypedValue.naive_stamp)
    rows = await session.execute(select(day, func.count()).group_by(day).order_by(day))
    assert [tuple(r) for r in rows] == [(dt.date(2024, 5, 1), 2), (dt.date(2024, 5, 2), 1)]


async def test_date_trunc_to_month(session: AsyncSession) -> None:
    """``date_trunc('month', ts)`` gives the first instant of its month."""
    await _stored(session, naive_stamp=STAMP)
    first = await session.scalar(select(func.date_trunc("month", TypedValue.naive_stamp)))
    assert first == dt.datetime(2024, 1, 1)


async def test_at_time_zone_converts_an_instant(session: AsyncSession) -> None:
    """``timezone('Asia/Tokyo', timestamptz)`` gives the wall-clock time in Tokyo."""
    await _stored(session, stamp=dt.datetime(2024, 1, 31, 22, 0, tzinfo=UTC))
    tokyo = await session.scalar(select(func.timezone("Asia/Tokyo", TypedValue.stamp)))
    assert tokyo == dt.datetime(2024, 2, 1, 7, 0)


# --- comparing with text -------------------------------------------------------------------------


async def test_iso_string_with_t_compares_as_a_timestamp(session: AsyncSession) -> None:
    """A raw-SQL comparison with '2024-01-31T12:00:00' (isoformat's 'T') compares instants."""
    await _stored(session, naive_stamp=STAMP)
    count = await session.scalar(
        text("SELECT count(*) FROM typed_values WHERE naive_stamp >= '2024-01-31T12:00:00'")
    )
    assert count == 1


async def test_timestamp_written_in_raw_sql_equals_the_same_datetime(
    session: AsyncSession,
) -> None:
    """A timestamp written by raw SQL ('2024-01-31 13:45:00') matches an ORM filter on the
    equal ``datetime``."""
    await session.execute(
        text("INSERT INTO typed_values (naive_stamp) VALUES ('2024-01-31 13:45:00')")
    )
    found = await session.scalar(
        select(func.count())
        .select_from(TypedValue)
        .where(TypedValue.naive_stamp == dt.datetime(2024, 1, 31, 13, 45))
    )
    assert found == 1


async def test_date_column_equals_a_midnight_datetime(session: AsyncSession) -> None:
    """A DATE compared with the datetime at its midnight is equal (the date is widened)."""
    await _stored(session, day=dt.date(2024, 2, 29))
    found = await session.scalar(
        select(func.count())
        .select_from(TypedValue)
        .where(TypedValue.day == cast(literal(dt.datetime(2024, 2, 29)), DateTime))
    )
    assert found == 1


@pytest.mark.parametrize(
    "written",
    [dt.datetime(2024, 1, 1, 12, 0), dt.datetime(2024, 1, 1, 12, 0, 0, 1)],
    ids=["whole-second", "microsecond"],
)
async def test_timestamps_order_by_instant(session: AsyncSession, written: dt.datetime) -> None:
    """Timestamps with and without fractional seconds sort by time, not by their text."""
    await _stored(session, naive_stamp=written, text="written")
    await _stored(session, naive_stamp=dt.datetime(2024, 1, 1, 12, 0, 0, 500000), text="half")
    order = (await session.scalars(select(TypedValue.text).order_by(TypedValue.naive_stamp))).all()
    assert order == ["written", "half"]


async def test_to_char_formats_a_timestamp(session: AsyncSession) -> None:
    """``to_char(ts, 'YYYY-MM')`` formats a timestamp as text (e.g. to group by month)."""
    await _stored(session, naive_stamp=STAMP)
    assert (
        await session.scalar(select(func.to_char(TypedValue.naive_stamp, "YYYY-MM"))) == "2024-01"
    )


async def test_aware_datetime_in_a_naive_column_is_stored_in_the_session_time_zone(
    session: AsyncSession,
) -> None:
    """An aware datetime written to a timestamp WITHOUT time zone column is converted to the
    session's time zone (12:00+02:00 is stored as 10:00 when the session runs in UTC)."""
    zone_name = await session_time_zone(session)
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pytest.skip(f"the server's TimeZone {zone_name!r} is not a zone name Python knows")
    written = dt.datetime(2024, 6, 30, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    row = await _stored(session, naive_stamp=written)
    session.expunge_all()
    stored = await session.scalar(select(TypedValue.naive_stamp).where(TypedValue.id == row.id))
    assert stored == written.astimezone(zone).replace(tzinfo=None)


async def test_epoch_of_an_aware_timestamp_counts_from_utc(session: AsyncSession) -> None:
    """``extract('epoch', stamp)`` of 12:00 at UTC+2 counts the seconds to 10:00 UTC."""
    offset = dt.timezone(dt.timedelta(hours=2))
    row = await _stored(session, stamp=dt.datetime(2024, 1, 1, 12, 0, tzinfo=offset))
    epoch = await session.scalar(
        select(extract("epoch", TypedValue.stamp)).where(TypedValue.id == row.id)
    )
    assert epoch == 1704103200


async def test_date_plus_one_month_clamps_to_the_month_end(session: AsyncSession) -> None:
    """January 31st plus one month is February 29th (2024), not March 2nd."""
    found = await session.scalar(text("SELECT DATE '2024-01-31' + INTERVAL '1 month'"))
    assert found == dt.datetime(2024, 2, 29)
