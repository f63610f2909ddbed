"""Checks for the gated cells: GRU (Cho et al. / Ng form) and LSTM, forward and backward."""

from __future__ import annotations

import copy

import numpy as np

from autograder import reference as ref

from .core import Case, Check, register
from .gradients import BackwardCheck, finite_differences
from .helpers import (
    gru_cells,
    gru_cells_backward,
    lstm_cells,
    lstm_cells_backward,
    with_helpers,
)
from .inputs import gated_parameters, inputs_case, last_step_only, normal, sizes

GRU_CACHE = ("cache[0] (a_next)", "cache[1] (a_prev)", "cache[2] (ut)", "cache[3] (rt)",
             "cache[4] (cct)", "cache[5] (xt)", "cache[6] (parameters)")
LSTM_CACHE = ("cache[0] (a_next)", "cache[1] (c_next)", "cache[2] (a_prev)", "cache[3] (c_prev)",
              "cache[4] (ft)", "cache[5] (it)", "cache[6] (cct)", "cache[7] (ot)",
              "cache[8] (xt)", "cache[9] (parameters)")


def swapped_gates(got: tuple, expected: tuple, slots: dict[str, int]) -> list[str]:
    """Hints naming cache slots that hold another gate's values (gates swapped)."""
    hints = []
    for name, i in slots.items():
        g = got[i] if isinstance(got, (tuple, list)) and len(got) > i else None
        if not isinstance(g, np.ndarray) or g.shape != expected[i].shape:
            continue
        if np.allclose(g, expected[i]):
            continue
        for other, j in slots.items():
            if j != i and np.allclose(g, expected[j]):
                weight = "Wc" if name == "cct" else f"W{name[0]}"
                hints.append(f"your {name} holds the values of {other}: gate order or gate "
                             f"weights swapped? (use {weight} for {name})")
    return hints


def _own_gates(output: object, index: int, expected_cache: tuple, slots: tuple) -> list:
    """The student's own gate values from their cache (the expected ones where their cache
    does not hold an array of the right shape), so that a hint about one line of the cell
    is judged on the student's own gates, not on ours."""
    cache = _cache_of(output, index)
    own = []
    for i in slots:
        got = cache[i] if isinstance(cache, (tuple, list)) and len(cache) > i else None
        ok = isinstance(got, np.ndarray) and got.shape == expected_cache[i].shape
        own.append(got if ok else expected_cache[i])
    return own


def _cache_of(output: object, index: int) -> object:
    if isinstance(output, (tuple, list)) and len(output) > index:
        return output[index]
    return None


# -- GRU --------------------------------------------------------------------------------

def _sequence_backward_cases(part: str, da: np.ndarray, caches: tuple,
                             no_carry: tuple) -> list[Case]:
    """The cases of a gated sequence's backward check, from one upstream gradient da.
    `no_carry` are caches in which nothing flows back to earlier steps: the sums over
    time are judged there, apart from carrying the gradient (a mistake costs once)."""
    if part == "public":
        return [Case("shapes and types", 1, (da, caches)),
                Case("gradient from later steps", 1, (last_step_only(da), caches)),
                Case("gradients summed over time", 1, (da, no_carry)),
                Case("finite differences", 1, (da, caches)),
                inputs_case((da, caches), points=0.5)]
    return [Case("gradient from later steps", 1, (last_step_only(da), caches)),
            Case("gradients summed over time", 1, (da, no_carry)),
            Case("finite differences", 1, (da, caches))]


def _no_carry(parameters: dict, gates: str, n_a: int, closed: str, bias: float) -> dict:
    """The gate matrices with zero columns on a_prev, and gate `closed` saturated by `bias`
    (so that no gradient reaches the previous step at all)."""
    out = {k: v.copy() for k, v in parameters.items()}
    for g in gates:
        out["W" + g][:, :n_a] = 0.0
    out["b" + closed][:] = bias
    return out


def _gru_inputs(r, n_x, n_a, m):
    return normal(r, n_x, m), normal(r, n_a, m), gated_parameters(r, "urc", n_x, n_a)


@register
class GruCellForward(Check):
    name = "gru_cell_forward"
    function = staticmethod(ref.gru_cell_forward)
    names = ("a_next", ("cache", GRU_CACHE))
    totals = {"public": 4.0, "hidden": 3.0}
    parts = {"gates u and r (gate order)": ("cache",),
             "a_next = u * c~ + (1 - u) * a_prev": ("a_next",),
             "the cache": ("cache",), "all together": None}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, m = sizes(r, 3)
        args = _gru_inputs(r, n_x, n_a, m)
        if part == "public":
            return [Case("shapes and types", 1, args),
                    Case("gates u and r (gate order)", 1, args),
                    Case("reset gate on a_prev inside the candidate", 1, args),
                    Case("a_next = u * c~ + (1 - u) * a_prev", 1, args),
                    Case("all together", 1, args), Case("the cache", 1, args),
                    inputs_case(args, points=0.5)]
        r1 = rng(1)
        n_x1, n_a1, m1 = sizes(r1, 3)
        return [Case("reset gate on a_prev inside the candidate", 1,
                     _gru_inputs(r1, n_x1, n_a1, m1)),
                Case("all together", 1, _gru_inputs(r1, n_x1, n_a1, m1)),
                Case("the cache", 1, args)]

    def judge_gates_u_and_r__gate_order_(self, case, output):
        return self._cache_slots(case, output, {"ut": 2, "rt": 3})

    def judge_reset_gate_on_a_prev_inside_the_candidate(self, case, output):
        problems = self._cache_slots(case, output, {"cct": 4}, hint=False)
        if problems:
            problems.append("the candidate is c~ = tanh(Wc [r * a_prev; x_t] + bc): the reset "
                            "gate multiplies a_prev before the matrix product")
        return problems

    def _cache_slots(self, case, output, slots, hint=True):
        from .compare import compare
        expected = self.expected(case)
        cache, exp_cache = _cache_of(output, 1), expected[1]
        if not isinstance(cache, (tuple, list)) or len(cache) != len(exp_cache):
            return [f"cache should be a tuple of {len(exp_cache)} "
                    f"(a_next, a_prev, ut, rt, cct, xt, parameters), got "
                    f"{type(cache).__name__}"]
        problems = []
        for i in slots.values():
            problems += compare(cache[i], exp_cache[i], GRU_CACHE[i], self.tol)
        if problems and hint:
            problems += swapped_gates(cache, exp_cache, {"ut": 2, "rt": 3})
        return problems

    def hints(self, case, output, expected):
        a = _cache_of(output, 0)
        xt, a_prev, p = case.args
        if isinstance(a, np.ndarray) and a.shape == expected[0].shape:
            ut, cct = _own_gates(output, 1, expected[1], (2, 4))  # your own u and c~
            if np.allclose(a, (1 - ut) * cct + ut * a_prev):
                return ["u and 1 - u are swapped: a_next = u * c~ + (1 - u) * a_prev"]
        return []


@register
class GruForward(Check):
    name = "gru_forward"
    function = staticmethod(ref.gru_forward)
    totals = {"public": 2.0, "hidden": 1.0}
    names = ("a", ("caches", ("caches[0] (list of cell caches)", "caches[1] (x)")))
    parts = {"every time step": ("a",), "the caches": ("caches",)}

    def make_cases(self, part, rng):
        r = rng(0 if part == "public" else 1)
        n_x, n_a, m = sizes(r, 3)
        T = int(r.integers(3, 6))
        args = (normal(r, n_x, m, T), normal(r, n_a, m), gated_parameters(r, "urc", n_x, n_a))
        if part == "public":
            cases = [Case("shapes and types", 1, args), Case("every time step", 1, args),
                     Case("the caches", 1, args), inputs_case(args, points=0.5)]
        else:
            cases = [Case("every time step", 1, args), Case("the caches", 1, args)]
        return with_helpers(cases, "gru_cell_forward", gru_cells)


@register
class GruCellBackward(BackwardCheck):
    name = "gru_cell_backward"
    function = staticmethod(ref.gru_cell_backward)
    parts = {"dxt and da_prev": ("dxt", "da_prev"),
             "update gate (dWu, dbu)": ("dWu", "dbu"),
             "reset gate (dWr, dbr)": ("dWr", "dbr"),
             "candidate (dWc, dbc)": ("dWc", "dbc")}

    totals = {"public": 4.0, "hidden": 3.0}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, m = sizes(r, 3)
        _, cache = ref.gru_cell_forward(*_gru_inputs(r, n_x, n_a, m))
        args = (normal(r, n_a, m), cache)
        if part == "public":
            return [Case("shapes and types", 1, args), Case("dxt and da_prev", 1, args),
                    Case("update gate (dWu, dbu)", 1, args),
                    Case("reset gate (dWr, dbr)", 1, args), Case("candidate (dWc, dbc)", 1, args),
                    Case("finite differences", 1, args), inputs_case(args, points=0.5)]
        return [Case("reset gate (dWr, dbr)", 1, args), Case("candidate (dWc, dbc)", 1, args),
                Case("finite differences", 1, args)]

    def numeric(self, case):
        da_next, cache = copy.deepcopy(case.args)
        _, a_prev, _, _, _, xt, p = cache
        targets = {"dxt": xt, "da_prev": a_prev}
        targets.update({f"d{k}": p[k] for k in ("Wu", "bu", "Wr", "br", "Wc", "bc")})
        return finite_differences(lambda: ref.gru_cell_forward(xt, a_prev, p)[0], targets,
                                  da_next)


@register
class GruBackward(BackwardCheck):
    name = "gru_backward"
    function = staticmethod(ref.gru_backward)
    parts = {"gradient from later steps": ("dx", "da0"),
             "gradients summed over time": ("dWu", "dbu", "dWr", "dbr", "dWc", "dbc")}

    totals = {"public": 3.0, "hidden": 1.0}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, m = sizes(r, 3)
        T = int(r.integers(3, 5))
        p = gated_parameters(r, "urc", n_x, n_a)
        x, a0 = normal(r, n_x, m, T), normal(r, n_a, m)
        _, caches = ref.gru_forward(x, a0, p)
        _, no_carry = ref.gru_forward(x, a0, _no_carry(p, "urc", n_a, "u", 800.0))
        cases = _sequence_backward_cases(part, normal(r, n_a, m, T), caches, no_carry)
        return with_helpers(cases, "gru_cell_backward", gru_cells_backward)

    def numeric(self, case):
        da, (cell_caches, x) = copy.deepcopy(case.args)
        a0, p = cell_caches[0][1], cell_caches[0][6]
        targets = {"dx": x, "da0": a0}
        targets.update({f"d{k}": p[k] for k in ("Wu", "bu", "Wr", "br", "Wc", "bc")})
        return finite_differences(lambda: ref.gru_forward(x, a0, p)[0], targets, da)


# -- LSTM -------------------------------------------------------------------------------

def _lstm_inputs(r, n_x, n_a, n_y, m):
    return (normal(r, n_x, m), normal(r, n_a, m), normal(r, n_a, m),
            gated_parameters(r, "fico", n_x, n_a, n_y))


LSTM_GATES = {"ft": 4, "it": 5, "cct": 6, "ot": 7}


@register
class LstmCellForward(Check):
    name = "lstm_cell_forward"
    function = staticmethod(ref.lstm_cell_forward)
    names = ("a_next", "c_next", "yt_pred", ("cache", LSTM_CACHE))
    totals = {"public": 4.0, "hidden": 3.0}
    parts = {"cell state c_next": ("c_next",), "a_next and yt_pred": ("a_next", "yt_pred"),
             "the cache": ("cache",), "all together": None,
             "large scores Wy a + by (stable softmax)": ("yt_pred",)}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, n_y, m = sizes(r, 4)
        args = _lstm_inputs(r, n_x, n_a, n_y, m)
        stable = "large scores Wy a + by (stable softmax)"
        large = args[:3] + ({**args[3], "Wy": normal(r, n_y, n_a, scale=5000.0)},)
        if part == "public":
            return [Case("shapes and types", 1, args),
                    Case("gate order (ft, it, cct, ot)", 1, args),
                    Case("cell state c_next", 1, args),
                    Case("a_next and yt_pred", 1, args),
                    Case("all together", 1, args), Case("the cache", 1, args),
                    Case(stable, 1, large), inputs_case(args, points=0.5)]
        r1 = rng(1)
        n_x1, n_a1, n_y1, m1 = sizes(r1, 4)
        args1 = _lstm_inputs(r1, n_x1, n_a1, n_y1, m1)
        return [Case("gate order (ft, it, cct, ot)", 1, args1),
                Case("all together", 1, args1),
                Case("the cache", 0.5, args),
                Case(stable, 0.5, args1[:3] + ({**args1[3], "Wy": normal(r1, n_y1, n_a1,
                                                                        scale=5000.0)},))]

    def judge_gate_order__ft__it__cct__ot_(self, case, output):
        from .compare import compare
        expected = self.expected(case)
        cache, exp_cache = _cache_of(output, 3), expected[3]
        if not isinstance(cache, (tuple, list)) or len(cache) != len(exp_cache):
            return ["cache should be a tuple of 10 (a_next, c_next, a_prev, c_prev, ft, it, "
                    f"cct, ot, xt, parameters), got {type(cache).__name__}"]
        problems = []
        for _, i in LSTM_GATES.items():
            problems += compare(cache[i], exp_cache[i], LSTM_CACHE[i], self.tol)
        return problems + (swapped_gates(cache, exp_cache, LSTM_GATES) if problems else [])

    def hints(self, case, output, expected):
        c = _cache_of(output, 1)
        if isinstance(c, np.ndarray) and c.shape == expected[1].shape:
            c_prev = case.args[2]
            ft, it, cct = _own_gates(output, 3, expected[3], (4, 5, 6))  # your own gates
            if np.allclose(c, it * c_prev + ft * cct) and not np.allclose(c, expected[1]):
                return ["c_next = ft * c_prev + it * cct: forget gate on the old cell state, "
                        "input gate on the candidate"]
        return []


@register
class LstmForward(Check):
    name = "lstm_forward"
    function = staticmethod(ref.lstm_forward)
    names = ("a", "y", "c", ("caches", ("caches[0] (list of cell caches)", "caches[1] (x)")))
    totals = {"public": 2.0, "hidden": 2.0}
    parts = {"every time step (c0 = 0)": ("a", "y", "c"),
             "starts from a given c0": ("a", "y", "c"), "the caches": ("caches",)}

    def make_cases(self, part, rng):
        r = rng(0 if part == "public" else 1)
        n_x, n_a, n_y, m = sizes(r, 4)
        T = int(r.integers(3, 6))
        p = gated_parameters(r, "fico", n_x, n_a, n_y)
        x, a0 = normal(r, n_x, m, T), normal(r, n_a, m)
        c0 = {"c0": normal(r, n_a, m)}
        if part == "public":
            cases = [Case("shapes and types", 1, (x, a0, p)),
                     Case("every time step (c0 = 0)", 1, (x, a0, p)),
                     Case("starts from a given c0", 1, (x, a0, p), c0),
                     Case("the caches", 1, (x, a0, p)),
                     inputs_case((x, a0, p), c0, points=0.5)]
        else:
            cases = [Case("starts from a given c0", 1, (x, a0, p), c0),
                     Case("every time step (c0 = 0)", 1, (x, a0, p)),
                     Case("the caches", 1, (x, a0, p))]
        return with_helpers(cases, "lstm_cell_forward", lstm_cells)


@register
class LstmCellBackward(BackwardCheck):
    name = "lstm_cell_backward"
    function = staticmethod(ref.lstm_cell_backward)
    totals = {"public": 4.0, "hidden": 2.0}
    parts = {"dxt, da_prev and dc_prev": ("dxt", "da_prev", "dc_prev"),
             "gate weights (dWf, dWi, dWc, dWo)": ("dWf", "dWi", "dWc", "dWo"),
             "gate biases (dbf, dbi, dbc, dbo)": ("dbf", "dbi", "dbc", "dbo")}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, n_y, m = sizes(r, 4)
        *_, cache = ref.lstm_cell_forward(*_lstm_inputs(r, n_x, n_a, n_y, m))
        args = (normal(r, n_a, m), normal(r, n_a, m), cache)
        if part == "public":
            return [Case("shapes and types", 1, args),
                    Case("dxt, da_prev and dc_prev", 1, args),
                    Case("gate weights (dWf, dWi, dWc, dWo)", 1, args),
                    Case("gate biases (dbf, dbi, dbc, dbo)", 1, args),
                    Case("finite differences", 1, args), inputs_case(args, points=0.5)]
        return [Case("gate biases (dbf, dbi, dbc, dbo)", 1, args),
                Case("finite differences", 1, args)]

    def numeric(self, case):
        da_next, dc_next, cache = copy.deepcopy(case.args)
        _, _, a_prev, c_prev, _, _, _, _, xt, p = cache
        targets = {"dxt": xt, "da_prev": a_prev, "dc_prev": c_prev}
        targets.update({f"d{k}": p[k] for k in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")})

        def run():
            a_next, c_next, _, _ = ref.lstm_cell_forward(xt, a_prev, c_prev, p)
            return np.concatenate([a_next, c_next])
        return finite_differences(run, targets, np.concatenate([da_next, dc_next]))


@register
class LstmBackward(BackwardCheck):
    name = "lstm_backward"
    function = staticmethod(ref.lstm_backward)
    parts = {"gradient from later steps": ("dx", "da0", "dc0"),
             "gradients summed over time": ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo",
                                            "dbo")}

    totals = {"public": 3.0, "hidden": 1.0}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, n_y, m = sizes(r, 4)
        T = int(r.integers(3, 5))
        p = gated_parameters(r, "fico", n_x, n_a, n_y)
        x, a0, c0 = normal(r, n_x, m, T), normal(r, n_a, m), normal(r, n_a, m)
        *_, caches = ref.lstm_forward(x, a0, p, c0)
        *_, no_carry = ref.lstm_forward(x, a0, _no_carry(p, "fico", n_a, "f", -800.0), c0)
        cases = _sequence_backward_cases(part, normal(r, n_a, m, T), caches, no_carry)
        return with_helpers(cases, "lstm_cell_backward", lstm_cells_backward)

    def numeric(self, case):
        da, (cell_caches, x) = copy.deepcopy(case.args)
        _, _, a0, c0, *_rest, p = cell_caches[0]
        targets = {"dx": x, "da0": a0, "dc0": c0}
        targets.update({f"d{k}": p[k] for k in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")})
        return finite_differences(lambda: ref.lstm_forward(x, a0, p, c0)[0], targets, da)
