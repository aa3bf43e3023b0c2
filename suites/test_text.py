"""Text: pattern matching, case folding, substrings, regular expressions and quoting, as
PostgreSQL treats them (ORM operators first, ``text()`` where applications write raw SQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, literal, select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from suites._dialect import sqlstate
from suites.schema import Project

NAMES = ["Apollo", "apollo 11", "Artemis", "a_b", "axb", "the cat sat", "concatenate"]


@pytest.fixture
async def names(session: AsyncSession) -> None:
    await session.execute(insert(Project), [{"name": n} for n in NAMES])


async def _matching(session: AsyncSession, criterion: object) -> list[str]:
    return sorted((await session.scalars(select(Project.name).where(criterion))).all())


# --- LIKE-based operators ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "argument", "expected"),
    [
        ("startswith", "apo", ["apollo 11"]),
        ("endswith", "LLO", []),
        ("contains", "POLL", []),
    ],
    ids=["startswith", "endswith", "contains"],
)
async def test_like_operator_is_case_sensitive(
    session: AsyncSession, names: None, operator: str, argument: str, expected: list[str]
) -> None:
    """``startswith`` / ``endswith`` / ``contains`` match letter case exactly."""
    assert await _matching(session, getattr(Project.name, operator)(argument)) == expected


async def test_like_backslash_is_the_default_escape(session: AsyncSession, names: None) -> None:
    """In LIKE, a backslash escapes the next character by default: 'a\\_b' matches only 'a_b'."""
    assert await _matching(session, Project.name.like("a\\_b")) == ["a_b"]


# --- case folding ---------------------------------------------------------------------------------


async def test_upper_folds_non_ascii_letters(session: AsyncSession) -> None:
    """upper() changes accented letters too: 'émile zoë' becomes 'ÉMILE ZOË'."""
    assert await session.scalar(select(func.upper(literal("émile zoë")))) == "ÉMILE ZOË"


async def test_case_insensitive_equality_via_lower_matches_non_ascii(session: AsyncSession) -> None:
    """``lower(name) == lower(value)`` finds 'ÉCOLE' when searching for 'école'."""
    session.add(Project(name="ÉCOLE"))
    await session.flush()
    found = await _matching(session, func.lower(Project.name) == func.lower("école"))
    assert found == ["ÉCOLE"]


# --- substrings and lengths ----------------------------------------------------------------------


async def test_substr_counts_from_one(session: AsyncSession) -> None:
    """substr('hello', 2, 3) is 'ell': positions start at 1."""
    assert await session.scalar(select(func.substr(literal("hello"), 2, 3))) == "ell"


async def test_substr_with_negative_start_does_not_count_from_the_end(
    session: AsyncSession,
) -> None:
    """substr('hello', -3) is the whole string: a start before 1 is clipped, never counted from
    the end."""
    assert await session.scalar(select(func.substr(literal("hello"), -3))) == "hello"


async def test_char_length_counts_characters(session: AsyncSession) -> None:
    """char_length('é👍') is 2, the standard spelling of length()."""
    assert await session.scalar(select(func.char_length(literal("é👍")))) == 2


async def test_left_takes_leading_characters(session: AsyncSession) -> None:
    """left('Apollo', 3) is 'Apo'."""
    assert await session.scalar(text("SELECT left('Apollo', 3)")) == "Apo"


# --- regular expressions -------------------------------------------------------------------------


async def test_regexp_match_filters_rows(session: AsyncSession, names: None) -> None:
    """``regexp_match`` keeps the rows whose text matches the pattern."""
    assert await _matching(session, Project.name.regexp_match("^A[a-z]+$")) == [
        "Apollo",
        "Artemis",
    ]


async def test_regexp_match_case_insensitive_flag(session: AsyncSession, names: None) -> None:
    """``regexp_match(..., flags='i')`` ignores letter case."""
    assert await _matching(session, Project.name.regexp_match("^apollo", flags="i")) == [
        "Apollo",
        "apollo 11",
    ]


async def test_regexp_backslash_b_is_not_a_word_boundary(
    session: AsyncSession, names: None
) -> None:
    """In PostgreSQL's regular expressions ``\\y`` marks a word boundary; ``\\b`` is a backspace,
    so ``\\bcat\\b`` matches nothing."""
    assert await _matching(session, Project.name.regexp_match(r"\bcat\b")) == []
    assert await _matching(session, Project.name.regexp_match(r"\ycat\y")) == ["the cat sat"]


async def test_regexp_replace_replaces_first_match_only(session: AsyncSession) -> None:
    """regexp_replace without the 'g' flag replaces only the first match."""
    replaced = await session.scalar(select(func.regexp_replace(literal("banana"), "a", "o")))
    assert replaced == "bonana"


async def test_match_operator_runs_full_text_search(session: AsyncSession, names: None) -> None:
    """``.match()`` is full-text search: 'cat' finds the word in 'the cat sat' but not inside
    'concatenate'."""
    assert await _matching(session, Project.name.match("cat")) == ["the cat sat"]


# --- quoting and identifiers ---------------------------------------------------------------------


async def test_double_quoted_string_is_an_identifier(session: AsyncSession, names: None) -> None:
    """In raw SQL, "Apollo" in double quotes names a column, so a typo-ed string literal is
    an undefined_column error (42703) instead of a string comparison."""
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(text('SELECT count(*) FROM projects WHERE name = "Apollo"'))
    assert sqlstate(caught.value) == "42703"


async def test_collate_c_orders_by_code_point(session: AsyncSession, names: None) -> None:
    """``collate('C')`` sorts by code point whatever the database's locale: capitals first."""
    ordered = await session.scalars(select(Project.name).order_by(Project.name.collate("C")))
    assert ordered.all()[:3] == ["Apollo", "Artemis", "a_b"]


async def test_like_keeps_non_ascii_case_apart(session: AsyncSession) -> None:
    """``'Äpfel' LIKE 'äpfel'`` is false: LIKE compares non-ASCII letters by case too (SQLite's
    case-blind LIKE folds ASCII only, so here both databases agree)."""
    assert await session.scalar(select(literal("Äpfel").like("äpfel"))) is False
