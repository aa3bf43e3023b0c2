"""Numbered notes: each distinct reason in the matrix gets one number, in reading order (rows
top to bottom, columns left to right), so two backends diverging for the same documented
reason share a note and the numbers read 1, 2, 3 down the page."""

from __future__ import annotations

from dbparity.report.merge import Merged


def number_notes(merged: Merged) -> dict[str, int]:
    """Reason text -> note number, for every cell that carries a reason."""
    numbers: dict[str, int] = {}
    for suite in merged.suites:
        for row in merged.rows_of(suite):
            for column in merged.columns:
                reason = row.cells[column.key].reason
                if reason and reason not in numbers:
                    numbers[reason] = len(numbers) + 1
    return numbers
