# Generated from autograder/checks/bptt.py by `python -m autograder release`: do not edit.
"""Checks for backpropagation through time: one RNN cell backward, the whole sequence,
and the relative error used to compare gradients."""

from __future__ import annotations

import numpy as np

from .compare import compare
from .core import Check, register
from .gradients import BackwardCheck


@register
class RnnCellBackward(BackwardCheck):
    name = "rnn_cell_backward"
    totals = {"public": 4.0, "hidden": 3.0}
    parts = {"dxt and da_prev": ("dxt", "da_prev"), "dWax, dWaa and dba": ("dWax", "dWaa", "dba")}

    def hints(self, case, output, expected):
        da_next, (a_next, *_rest) = case.args
        if isinstance(output, dict) and isinstance(output.get("dba"), np.ndarray):
            if np.allclose(output["dba"], da_next.sum(axis=1, keepdims=True)):
                return ["the gradient skipped the tanh: multiply by 1 - a_next**2 first"]
        return []


@register
class RnnBackward(BackwardCheck):
    name = "rnn_backward"
    totals = {"public": 5.0, "hidden": 4.0}
    parts = {
        "one step (T_x = 1)": None,
        "gradient from later steps": ("dx", "da0"),
        "gradients summed over time": ("dWax", "dWaa", "dba"),
        "dx at every step": ("dx",),
    }

    def hints(self, case, output, expected):
        if not isinstance(output, dict):
            return []
        hints = []
        dx = output.get("dx")
        exp_dx = expected["dx"]
        if (isinstance(dx, np.ndarray) and dx.shape == exp_dx.shape and dx.shape[2] > 1
                and np.allclose(dx[:, :, :-1], 0) and not np.allclose(exp_dx[:, :, :-1], 0)):
            hints.append("dx is zero before the last step: the gradient coming back from step "
                         "t+1 (da_prev) must be added to da[:, :, t]")
        if case.check != "gradients summed over time":
            return hints
        steps = self.derived(case, "step_gradients")
        for key in ("dWax", "dWaa", "dba"):
            got = output.get(key)
            if not isinstance(got, np.ndarray) or got.shape != expected[key].shape:
                continue
            for t in (0, len(steps) - 1):
                if np.allclose(got, steps[t][key]) and not np.allclose(got, expected[key]):
                    hints.append(f"{key} equals the gradient of step {t} alone: parameter "
                                 "gradients must be summed over all time steps")
                    break
        return hints


@register
class RelError(Check):
    name = "rel_error"
    totals = {"public": 2.0, "hidden": 2.0}
    parts = {"two random arrays": None, "zeros compare as 0 (the 1e-8 floor)": None,
             "one tiny difference": None, "opposite signs": None,
             "entries near the 1e-8 floor": None}

    def judge_shapes_and_types(self, case, output):
        return compare(output, 1.0, "the relative error", values=False)

    def hints(self, case, output, expected):
        if case.check.startswith("entries near") and isinstance(output, float):
            return ["near zero the denominator is max(1e-8, |x| + |y|): the floor 1e-8 "
                    "replaces |x| + |y| when that is smaller (it is not added to it)"]
        if case.check == "opposite signs" and isinstance(output, float):
            return ["the denominator is |x| + |y| (each absolute value), not |x + y|"]
        return []
