"""Shared pieces of the backward-pass checks: finite differences of the reference's
forward pass, and the sub-check that compares a student's gradients with them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder import reference as ref

from .compare import BACKWARD, gradient_problems
from .core import Case, Check


def finite_differences(run: Callable[[], np.ndarray], targets: dict[str, np.ndarray],
                       df: np.ndarray) -> dict[str, np.ndarray]:
    """Numerical gradient of sum(run() * df) with respect to each array in `targets`.

    `run` must read the very arrays in `targets` (they are perturbed in place, one entry
    at a time, and restored).
    """
    return {key: ref.numerical_gradient(lambda _: run(), array, df)
            for key, array in targets.items()}


class BackwardCheck(Check):
    """A backward function: judged against the reference (sub-checks that name gradient
    keys in `parts`) and against finite differences ("finite differences")."""

    tol = BACKWARD

    def numeric(self, case: Case) -> dict[str, np.ndarray]:
        """Finite-difference gradients for the case (keys as in the function's output)."""
        raise NotImplementedError

    def derive_numeric(self, case: Case) -> dict[str, np.ndarray] | None:
        """Recorded for the "finite differences" sub-check only (None for the others)."""
        return self.numeric(case) if case.check == "finite differences" else None

    def judge_finite_differences(self, case: Case, output: object) -> list[str]:
        return gradient_problems(output, self.derived(case, "numeric"))
