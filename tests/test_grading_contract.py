"""Every assignment can be graded securely: its test cells follow the contract, their
points match the checks, and the instructor's solutions score full marks in the sandbox."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autograder.checks import CHECKS
from autograder.grading.notebook import grade_notebook, is_test_cell
from autograder.grading.sandbox import Limits
from autograder.grading.testcells import parse_test_cell

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "solutions").glob("*/*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_test_cells_follow_the_contract(path):
    nb = nbformat.read(path, as_version=4)
    tests = [cell for cell in nb.cells if is_test_cell(cell)]
    assert tests, f"{path.name} has no test cells"
    defined = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    for cell in tests:
        calls = parse_test_cell(cell.source)  # raises TestCellError naming the problem
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        points = sum(CHECKS[c.name].max_points(c.part) for c in calls)
        assert points == cell.metadata["nbgrader"]["points"], (
            f"{grade_id}: the cell is worth {cell.metadata['nbgrader']['points']} points "
            f"but its checks give {points}")
        for c in calls:
            assert f"def {c.function}(" in defined, f"{grade_id}: {c.function} is not defined"


@pytest.mark.grading
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_solutions_score_full_marks_in_the_sandbox(path):
    nb = nbformat.read(path, as_version=4)
    summary = grade_notebook(nb, Limits(problem_timeout=120, submission_timeout=600))
    wrong = {k: p for k, p in summary["problems"].items() if p["score"] != p["max_points"]}
    assert not wrong, wrong
    reports = [cell.outputs[0]["text"] for cell in nb.cells if is_test_cell(cell)]
    assert all("FAIL" not in text for text in reports), reports
