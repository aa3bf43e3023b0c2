"""reports/results.json is described by the JSON Schema shipped in the package."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dbparity import results as results_format
from dbparity.report import load_inputs, merge, render_json
from dbparity.report.jsondata import schema

DATA = Path(__file__).parent / "data" / "report"
LITE_FILE = results_format.BackendInfo(
    "sqlite-file", "SQLite, in a file (aiosqlite)", "sqlite", "aiosqlite"
)
CASES = {
    "shards": ["pg.json", "lite-a.json", "lite-b.json"],
    "conflict": ["pg.json", "lite-a.json", "lite-conflict.json"],
    "versions and not run": ["pg.json", "pg16.json", "pg-not-run.json"],
    "only a stand-in": ["lite-b.json"],
}


def validator() -> jsonschema.protocols.Validator:
    loaded = schema()
    cls = jsonschema.validators.validator_for(loaded)
    cls.check_schema(loaded)
    return cls(loaded, format_checker=cls.FORMAT_CHECKER)


def document(names: list[str]) -> dict[str, Any]:
    merged = merge(load_inputs([DATA / n for n in names]), expected=[LITE_FILE])
    loaded: dict[str, Any] = json.loads(render_json(merged))
    return loaded


@pytest.mark.parametrize("names", CASES.values(), ids=CASES.keys())
def test_merged_results_validate(names: list[str]) -> None:
    validator().validate(document(names))


def _bad_outcome(doc: dict[str, Any]) -> None:
    doc["cases"][0]["cells"]["postgres-asyncpg@PostgreSQL 15.18"]["outcome"] = "maybe"


def _conflict_without_claims(doc: dict[str, Any]) -> None:
    for case in doc["cases"]:
        for cell in case["cells"].values():
            if cell["outcome"] == "conflict":
                del cell["claims"]


def _missing_counts(doc: dict[str, Any]) -> None:
    del doc["columns"][0]["counts"]["conflict"]


def _foreign_format(doc: dict[str, Any]) -> None:
    doc["format"] = "dbparity-results/1"


@pytest.mark.parametrize(
    "spoil", [_bad_outcome, _conflict_without_claims, _missing_counts, _foreign_format]
)
def test_the_schema_rejects_what_the_report_never_writes(spoil: Any) -> None:
    doc = copy.deepcopy(document(CASES["conflict"]))
    spoil(doc)
    assert not validator().is_valid(doc)
