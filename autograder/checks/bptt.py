"""Checks for backpropagation through time: one RNN cell backward, the whole sequence,
and the relative error used to compare gradients."""

from __future__ import annotations

import copy

import numpy as np

from autograder import reference as ref

from .compare import compare
from .core import Case, Check, register
from .gradients import BackwardCheck, finite_differences
from .helpers import rnn_cells_backward, with_helpers
from .inputs import inputs_case, last_step_only, normal, rnn_parameters, sizes, zeroed


def _cell_inputs(r: np.random.Generator, n_x: int, n_a: int, n_y: int, m: int):
    p = rnn_parameters(r, n_x, n_a, n_y)
    _, _, cache = ref.rnn_cell_forward(normal(r, n_x, m), normal(r, n_a, m), p)
    return normal(r, n_a, m), cache


@register
class RnnCellBackward(BackwardCheck):
    name = "rnn_cell_backward"
    function = staticmethod(ref.rnn_cell_backward)
    totals = {"public": 4.0, "hidden": 3.0}
    parts = {"dxt and da_prev": ("dxt", "da_prev"), "dWax, dWaa and dba": ("dWax", "dWaa", "dba")}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, n_y, m = sizes(r, 4)
        args = _cell_inputs(r, n_x, n_a, n_y, m)
        if part == "public":
            return [Case("shapes and types", 1, args), Case("dxt and da_prev", 1, args),
                    Case("dWax, dWaa and dba", 1, args), Case("finite differences", 1, args),
                    inputs_case(args, points=0.5)]
        return [Case("dxt and da_prev", 1, args), Case("dWax, dWaa and dba", 1, args),
                Case("finite differences", 1, args)]

    def numeric(self, case):
        da_next, cache = copy.deepcopy(case.args)
        _, a_prev, xt, p = cache
        return finite_differences(
            lambda: ref.rnn_cell_forward(xt, a_prev, p)[0],
            {"dxt": xt, "da_prev": a_prev, "dWax": p["Wax"], "dWaa": p["Waa"], "dba": p["ba"]},
            da_next)

    def hints(self, case, output, expected):
        da_next, (a_next, *_rest) = case.args
        if isinstance(output, dict) and isinstance(output.get("dba"), np.ndarray):
            if np.allclose(output["dba"], da_next.sum(axis=1, keepdims=True)):
                return ["the gradient skipped the tanh: multiply by 1 - a_next**2 first"]
        return []


@register
class RnnBackward(BackwardCheck):
    name = "rnn_backward"
    function = staticmethod(ref.rnn_backward)
    totals = {"public": 5.0, "hidden": 4.0}
    parts = {
        "one step (T_x = 1)": None,
        "gradient from later steps": ("dx", "da0"),
        "gradients summed over time": ("dWax", "dWaa", "dba"),
        "dx at every step": ("dx",),
    }

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, n_y, m = sizes(r, 4)
        T = int(r.integers(3, 6))
        p = rnn_parameters(r, n_x, n_a, n_y)
        x, a0 = normal(r, n_x, m, T), normal(r, n_a, m)
        _, _, caches = ref.rnn_forward(x, a0, p)
        # Waa = 0: nothing flows back through a_prev, so the sums over time are judged
        # apart from carrying the gradient (a mistake costs points once)
        _, _, no_carry = ref.rnn_forward(x, a0, zeroed(p, "Waa"))
        da = normal(r, n_a, m, T)
        last_only = last_step_only(da)
        _, _, one = ref.rnn_forward(x[:, :, :1].copy(), a0, p)
        if part == "public":
            cases = [
                Case("shapes and types", 1, (da, caches)),
                Case("one step (T_x = 1)", 1, (da[:, :, :1].copy(), one)),
                Case("gradient from later steps", 1, (last_only, caches)),
                Case("gradients summed over time", 1, (da, no_carry)),
                Case("dx at every step", 1, (da, caches)),
                Case("finite differences", 1, (da, caches)),
                inputs_case((da, caches), points=0.5),
            ]
        else:
            cases = [
                Case("gradient from later steps", 1, (last_only, caches)),
                Case("gradients summed over time", 1, (da, no_carry)),
                Case("dx at every step", 1, (da, caches)),
                Case("finite differences", 1, (da, caches)),
            ]
        return with_helpers(cases, "rnn_cell_backward", rnn_cells_backward)

    def numeric(self, case):
        da, (cell_caches, x) = copy.deepcopy(case.args)
        a0, p = cell_caches[0][1], cell_caches[0][3]
        return finite_differences(
            lambda: ref.rnn_forward(x, a0, p)[0],
            {"dx": x, "da0": a0, "dWax": p["Wax"], "dWaa": p["Waa"], "dba": p["ba"]}, da)

    def derive_step_gradients(self, case):
        """The reference's per-step contributions to dWax, dWaa, dba (for the hints of
        "gradients summed over time"; None for the other sub-checks)."""
        if case.check != "gradients summed over time":
            return None
        return [{k: g[k] for k in ("dWax", "dWaa", "dba")}
                for _, g in reversed(rnn_cells_backward(*case.args))]

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
    function = staticmethod(ref.rel_error)
    totals = {"public": 2.0, "hidden": 2.0}
    parts = {"two random arrays": None, "zeros compare as 0 (the 1e-8 floor)": None,
             "one tiny difference": None, "opposite signs": None,
             "entries near the 1e-8 floor": None}

    def make_cases(self, part, rng):
        r = rng(0 if part == "public" else 1)
        a, b = sizes(r, 2)
        x = normal(r, a, b)
        y = x.copy()
        y[0, 0] += 1e-6
        tiny = normal(r, a, b, scale=3e-9)
        floor = "entries near the 1e-8 floor"
        cases = [Case("two random arrays", 1, (x, x + normal(r, a, b, scale=1e-3))),
                 Case("zeros compare as 0 (the 1e-8 floor)", 1,
                      (np.zeros((a, b)), np.zeros((a, b)))),
                 Case("opposite signs", 1, (x, -x * r.uniform(0.5, 2.0, size=(a, b)))),
                 Case(floor, 1, (tiny, tiny + normal(r, a, b, scale=2e-9)))]
        if part == "public":
            return [Case("shapes and types", 1, (x, normal(r, a, b))), *cases,
                    Case("one tiny difference", 1, (x, y)), inputs_case((x, y), points=0.5)]
        return [*cases, Case("one tiny difference", 1, (x, y))]

    def judge_shapes_and_types(self, case, output):
        return compare(output, 1.0, "the relative error", values=False)

    def hints(self, case, output, expected):
        if case.check.startswith("entries near") and isinstance(output, float):
            return ["near zero the denominator is max(1e-8, |x| + |y|): the floor 1e-8 "
                    "replaces |x| + |y| when that is smaller (it is not added to it)"]
        if case.check == "opposite signs" and isinstance(output, float):
            return ["the denominator is |x| + |y| (each absolute value), not |x + y|"]
        return []
