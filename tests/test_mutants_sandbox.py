"""Secure grading judges exactly as the in-process checks do: a mutant of every category
(inputs changed in place, degenerate inputs, sampling, a wrong helper, an ordinary
mistake, an exception) graded in the sandbox (`grade_notebook`) gets the same score,
cell by cell, and the same failing sub-checks as through `run_case`."""

from __future__ import annotations

import ast
import copy
import re

import nbformat
import pytest
from mutants.edits import BLAME, EDIT_MUTANTS
from mutants.student import ROOT, Edit, namespace

from autograder.checks import CHECKS, run_case
from autograder.checks.core import INPUTS
from autograder.grading.notebook import grade_notebook, is_test_cell
from autograder.grading.sandbox import Limits
from autograder.grading.testcells import parse_test_cell

pytestmark = pytest.mark.grading


def _edit(label: str) -> Edit:
    return next(m.edit for m in EDIT_MUTANTS if m.label == label)


RAISES = Edit("forward_pass", "rnn_cell_forward", (), '''
def rnn_cell_forward(xt, a_prev, parameters):
    a_next = np.tanh(parameters["Waa"] @ a_prev + parameters["Wax"] @ xt + parameters["ba"])
    yt_pred = softmax(parameters["Wya"] @ a_next + parameters["b_y"])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)
''')
# one notebook per assignment, several mistakes in it (each in its own function)
CASES = [
    # degenerate (0 log 0) in cross_entropy, which perplexity calls (blame); an exception
    # in rnn_cell_forward, which rnn_forward calls (blame)
    ("degenerate, blame, exception", [_edit("cross-entropy 0 log 0"), RAISES]),
    # in-place in clip; a wrong global_norm under a correct clip_by_norm (blame)
    ("in-place, blame", [_edit("clip writing back into the dict"), BLAME[6][1]]),
    ("sampling", [_edit("sampler drawing from np.random")]),
    # an ordinary carrying mistake (costs once) and an in-place backward
    ("ordinary, in-place", [_edit("LSTM backward without the dc carry"),
                            _edit("GRU backward adding the carry into da")]),
]


def _notebook(assignment: str, replace: dict) -> nbformat.NotebookNode:
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in replace:
            cell.source = replace[grade_id]
    return nb


@pytest.mark.parametrize("category, edits", CASES, ids=[c[0] for c in CASES])
def test_sandbox_and_in_process_agree(category, edits):
    assignment = edits[0].assignment
    replace = {edit.cell: edit.apply() for edit in edits}
    nb = _notebook(assignment, replace)
    grade_notebook(nb, Limits(problem_timeout=120, submission_timeout=600))
    ns = namespace(assignment, replace)
    lost = 0.0
    for cell in nb.cells:
        if not is_test_cell(cell):
            continue
        text = cell.outputs[0]["text"]
        sandbox_score = float(cell.outputs[1]["data"]["text/plain"])
        local, failed = 0.0, set()
        for call in parse_test_cell(cell.source):
            check = CHECKS[call.name]
            for case in check.cases(call.part):
                result = run_case(check, case, ns[call.function])
                local += result.points
                if not result.passed:
                    failed.add(result.check)
        assert sandbox_score == pytest.approx(local), (cell.metadata["nbgrader"], text)
        shown = set(re.findall(r"FAIL  (.+?)  +[\d.]+/", text))
        assert {s.strip() for s in shown} == failed, text
        lost += cell.metadata["nbgrader"]["points"] - sandbox_score
        # (cross_entropy's 0 log 0 mistake does not show on perplexity's inputs: no note)
        if "blame" in category and ('"rnn_forward"' in cell.source
                                    or '"clip_by_norm"' in cell.source):
            assert "first (its own checks say what is wrong)" in text, text
            assert "FAIL" not in text, text
        if "exception" in category and '"rnn_cell_forward"' in cell.source:
            # once per report (one test cell per part), with the student's line
            assert text.count("KeyError") == 1, text
            assert "in rnn_cell_forward, line" in text and "yt_pred = softmax(" in text
    assert lost > 0, f"{category}: the mutant lost no points in the sandbox"


def _returning_none(source: str) -> str:
    """A solution cell with the body of every function replaced by `return None`."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.body = [ast.Return(ast.Constant(None))]
    return ast.unparse(tree)


@pytest.mark.parametrize("assignment", ["notation", "forward_pass", "bptt",
                                        "vanishing_gradients", "gru_lstm", "architectures",
                                        "char_lm"])
def test_functions_that_return_none_earn_nothing_in_the_sandbox(assignment):
    """Real grading (public and hidden test cells, in the sandbox) of a notebook whose every
    function does nothing: "does not change its inputs" fails in every cell that has it
    and the notebook scores 0."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = _returning_none(cell.source)
    grade_notebook(nb, Limits(problem_timeout=60, submission_timeout=300))
    tested = [cell for cell in nb.cells if is_test_cell(cell)]
    scores = {cell.metadata["nbgrader"]["grade_id"]: float(cell.outputs[1]["data"]["text/plain"])
              for cell in tested}
    assert scores and all(score == 0.0 for score in scores.values()), scores
    texts = [cell.outputs[0]["text"] for cell in tested]
    judged = [re.findall(rf"^ +(PASS|FAIL) +{INPUTS} ", text, re.M) for text in texts]
    assert sum(map(len, judged)) >= 3 and "PASS" not in sum(judged, []), texts
    assert all("must return an output of the right kind" in text
               for text, marks in zip(texts, judged, strict=True) if marks)
