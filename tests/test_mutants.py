"""Wrong implementations lose points with a message that points at the mistake; correct
ones written differently get full marks. In-process through the checks' own judge (fast);
a few mutants also go through real nbgrader autograde in test_assignments_roundtrip.py."""

from __future__ import annotations

import pytest
from mutants.alternative import ALTERNATIVES
from mutants.wrong import MUTANTS

from autograder.checks import CHECKS, PARTS, run_case


def _results(check_name, fn):
    check = CHECKS[check_name]
    return [run_case(check, case, fn) for part in PARTS for case in check.cases(part)]


def test_enough_mutants_across_assignments():
    assert len(MUTANTS) >= 20
    assert len({m[1] for m in MUTANTS}) >= 15


@pytest.mark.parametrize("label, check_name, subcheck, fragment, fn", MUTANTS,
                         ids=[m[0] for m in MUTANTS])
def test_mutant_loses_points_with_a_pointed_message(label, check_name, subcheck, fragment, fn):
    results = _results(check_name, fn)
    earned = sum(r.points for r in results)
    total = sum(r.max_points for r in results)
    assert earned < total, f"{label}: not caught ({earned}/{total})"
    named = [r for r in results if r.check == subcheck]
    assert named, f"no sub-check named {subcheck!r} in {check_name}"
    assert not all(r.passed for r in named), f"{label}: sub-check {subcheck!r} passed"
    messages = "\n".join(r.message for r in named if not r.passed)
    assert fragment in messages, f"{label}: message does not mention {fragment!r}:\n{messages}"
    # the mistake is pinned on the sub-check about it: shapes still pass unless shapes
    # are the mistake
    if subcheck != "shapes and types":
        shapes = [r for r in results if r.check == "shapes and types"]
        assert all(r.passed for r in shapes), f"{label}: shapes failed too: {shapes}"


@pytest.mark.parametrize("check_name, fn", ALTERNATIVES, ids=[a[1].__name__ for a in ALTERNATIVES])
def test_correct_alternative_gets_full_marks(check_name, fn):
    results = _results(check_name, fn)
    failed = [f"{r.check}: {r.message}" for r in results if not r.passed]
    assert not failed, failed
