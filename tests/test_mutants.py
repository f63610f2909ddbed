"""Wrong implementations lose points with a message that points at the mistake; correct
ones written differently get full marks; a wrong helper costs its correct caller nothing.

Two kinds of mutants: functions (mutants/wrong.py) and a student's edits of the
notebooks' own solution cells (mutants/edits.py), run in a namespace built from the
solution notebook, so that helpers are found by their global names as in a kernel. All
in-process through `run_case`, the same call runner the sandbox uses; a mutant of each
category also goes through real `nbgrader autograde` (test_assignments_roundtrip.py).
"""

from __future__ import annotations

import collections
import re

import pytest
from mutants.alternative import ALTERNATIVES
from mutants.alternatives_nb import EDIT_ALTERNATIVES
from mutants.edits import BLAME, EDIT_MUTANTS
from mutants.student import CATEGORIES, ROOT, Edit, namespace
from mutants.wrong import MUTANTS

from autograder.checks import CHECKS, PARTS, report, run_case
from autograder.checks.core import INPUTS

# function mutants of wrong.py that test an edge of the inputs rather than a plain mistake
DEGENERATE = {"softmax without subtracting the max", "relative error without the 1e-8 floor"}


def _assignment_of_checks() -> dict[str, str]:
    out = {}
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for name in re.findall(r'check\(\\?"(\w+)\\?"', path.read_text()):
            out[name] = path.parent.name
    return out


CHECK_ASSIGNMENT = _assignment_of_checks()


def _results(check_name, fn):
    check = CHECKS[check_name]
    return [run_case(check, case, fn) for part in PARTS for case in check.cases(part)]


def _all_mutants() -> list[tuple[str, str, str]]:
    """(label, category, assignment) of every mutant."""
    rows = [(m[0], "degenerate" if m[0] in DEGENERATE else "ordinary", CHECK_ASSIGNMENT[m[1]])
            for m in MUTANTS]
    rows += [(m.label, m.category, m.edit.assignment) for m in EDIT_MUTANTS]
    rows += [(b[0], "blame", b[1].assignment) for b in BLAME]
    return rows


def test_enough_mutants_in_every_category_and_assignment():
    rows = _all_mutants()
    assert len(rows) >= 150 and len({r[0] for r in rows}) == len(rows)
    per_category = collections.Counter(r[1] for r in rows)
    per_assignment = collections.Counter(r[2] for r in rows)
    print("mutants per category:", dict(per_category))
    print("mutants per assignment:", dict(per_assignment))
    assert set(per_category) == set(CATEGORIES)
    assert all(per_category[c] >= 5 for c in CATEGORIES), per_category
    assert len(per_assignment) == 7 and min(per_assignment.values()) >= 10, per_assignment
    assert len(ALTERNATIVES) + len(EDIT_ALTERNATIVES) >= 30


def _assert_caught(label, results, subcheck, fragment, once=False, also=()):
    earned = sum(r.points for r in results)
    total = sum(r.max_points for r in results)
    assert earned < total, f"{label}: not caught ({earned}/{total})"
    named = [r for r in results if r.check == subcheck]
    assert named, f"{label}: no sub-check named {subcheck!r}"
    assert not all(r.passed for r in named), f"{label}: sub-check {subcheck!r} passed"
    messages = "\n".join(r.message for r in named if not r.passed)
    assert fragment in messages, f"{label}: message does not mention {fragment!r}:\n{messages}"
    if subcheck != "shapes and types" and "shapes and types" not in also:
        shapes = [r for r in results if r.check == "shapes and types"]
        assert all(r.passed for r in shapes), f"{label}: shapes failed too: {shapes}"
    if once:  # one mistake costs points once: in its own sub-check (and finite differences)
        failed = {r.check for r in results if not r.passed}
        extra = failed - {subcheck, "finite differences", *also}
        assert not extra, f"{label}: also failed {sorted(extra)}"


@pytest.mark.parametrize("label, check_name, subcheck, fragment, fn", MUTANTS,
                         ids=[m[0] for m in MUTANTS])
def test_mutant_loses_points_with_a_pointed_message(label, check_name, subcheck, fragment, fn):
    _assert_caught(label, _results(check_name, fn), subcheck, fragment)


@pytest.mark.parametrize("mutant", EDIT_MUTANTS, ids=[m.label for m in EDIT_MUTANTS])
def test_student_edit_loses_points_with_a_pointed_message(mutant):
    fn = mutant.edit.function(mutant.function)
    results = _results(mutant.check_name, fn)
    _assert_caught(mutant.label, results, mutant.subcheck, mutant.fragment, mutant.once,
                   mutant.also)
    if mutant.category == "in-place":
        assert mutant.subcheck == INPUTS


@pytest.mark.parametrize("label, edit, helper_check, caller, caller_check", BLAME,
                         ids=[b[0] for b in BLAME])
def test_wrong_helper_costs_the_caller_nothing_and_is_named(label, edit, helper_check, caller,
                                                            caller_check):
    ns = namespace(edit.assignment, {edit.cell: edit.apply()})
    helper = edit.cell if edit.cell in ns else helper_check
    # the helper itself loses points in its own check ...
    own = _results(helper_check, ns[helper])
    assert sum(r.points for r in own) < sum(r.max_points for r in own), label
    # ... and the correct caller, calling it by name, keeps every point
    results = _results(caller_check, ns[caller])
    failed = [f"{r.check}: {r.message}" for r in results if not r.passed]
    assert not failed, f"{label}: {failed}"
    text = report(caller_check, "public", results)
    assert f"fix {helper} first" in text and f"your own {helper}" in text, text
    assert text.count(f"fix {helper} first") == 1, text  # said once


def test_wrong_caller_still_fails_in_its_own_name():
    ns = namespace("forward_pass", {"perplexity": '''
def perplexity(y_pred, y):
    return float(np.exp(cross_entropy(y_pred, y) / 2))
'''})
    results = _results("perplexity", ns["perplexity"])
    assert not any(r.passed for r in results if r.check == "exp of the cross-entropy")
    assert not any(r.note for r in results)  # the student's cross_entropy is fine


def test_an_exception_is_reported_once_with_the_students_line():
    ns = namespace("forward_pass", {"rnn_cell_forward": '''
def rnn_cell_forward(xt, a_prev, parameters):
    a_next = np.tanh(parameters["Waa"] @ a_prev + parameters["Wax"] @ xt + parameters["ba"])
    yt_pred = softmax(parameters["Wya"] @ a_next + parameters["b_y"])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)
'''})
    results = _results("rnn_cell_forward", ns["rnn_cell_forward"])
    text = report("rnn_cell_forward", "public", results)
    assert text.count("KeyError") == 1, text
    assert "in rnn_cell_forward, line 4: yt_pred = softmax(" in text, text
    assert "the same problem as in 'shapes and types' above" in text


@pytest.mark.parametrize("check_name, fn", ALTERNATIVES, ids=[a[1].__name__ for a in ALTERNATIVES])
def test_correct_alternative_gets_full_marks(check_name, fn):
    results = _results(check_name, fn)
    failed = [f"{r.check}: {r.message}" for r in results if not r.passed]
    assert not failed, failed


@pytest.mark.parametrize("label, edit, function, check_name", EDIT_ALTERNATIVES,
                         ids=[a[0] for a in EDIT_ALTERNATIVES])
def test_correct_student_variant_gets_full_marks(label, edit, function, check_name):
    results = _results(check_name, edit.function(function))
    failed = [f"{r.check}: {r.message}" for r in results if not r.passed]
    assert not failed, failed
    assert not any(r.note for r in results)


def test_lstm_c_next_hint_judges_the_students_own_gates():
    """Gates swapped in the weights but a correct c_next line: the hint about the c_next
    line must stay silent (it compares with the student's own gates, not ours)."""
    ns = namespace("gru_lstm", {"lstm_cell_forward": Edit(
        "gru_lstm", "lstm_cell_forward",
        (('ft = sigmoid(p["Wf"] @ concat + p["bf"])', 'ft = sigmoid(p["Wi"] @ concat + p["bi"])'),
         ('it = sigmoid(p["Wi"] @ concat + p["bi"])', 'it = sigmoid(p["Wf"] @ concat + p["bf"])'),
         )).apply()})
    results = _results("lstm_cell_forward", ns["lstm_cell_forward"])
    messages = "\n".join(r.message for r in results if not r.passed)
    assert "holds the values of" in messages  # the gates are blamed ...
    assert "forget gate on the old cell state" not in messages  # ... not the c_next line
