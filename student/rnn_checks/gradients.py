# Generated from autograder/checks/gradients.py by `python -m autograder release`: do not edit.
"""Shared pieces of the backward-pass checks: finite differences of the reference's
forward pass, and the sub-check that compares a student's gradients with them."""

from __future__ import annotations

from .compare import BACKWARD, gradient_problems
from .core import Case, Check


class BackwardCheck(Check):
    """A backward function: judged against the reference (sub-checks that name gradient
    keys in `parts`) and against finite differences ("finite differences")."""

    tol = BACKWARD

    def judge_finite_differences(self, case: Case, output: object) -> list[str]:
        return gradient_problems(output, self.derived(case, "numeric"))
