# Generated from autograder/checks/gates.py by `python -m autograder release`: do not edit.
"""Checks for the gated cells: GRU (Cho et al. / Ng form) and LSTM, forward and backward."""

from __future__ import annotations

import numpy as np

from .core import Check, register
from .gradients import BackwardCheck

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


@register
class GruCellForward(Check):
    name = "gru_cell_forward"
    names = ("a_next", ("cache", GRU_CACHE))
    totals = {"public": 4.0, "hidden": 3.0}
    parts = {"gates u and r (gate order)": ("cache",),
             "a_next = u * c~ + (1 - u) * a_prev": ("a_next",),
             "the cache": ("cache",), "all together": None}

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
    totals = {"public": 2.0, "hidden": 1.0}
    names = ("a", ("caches", ("caches[0] (list of cell caches)", "caches[1] (x)")))
    parts = {"every time step": ("a",), "the caches": ("caches",)}


@register
class GruCellBackward(BackwardCheck):
    name = "gru_cell_backward"
    parts = {"dxt and da_prev": ("dxt", "da_prev"),
             "update gate (dWu, dbu)": ("dWu", "dbu"),
             "reset gate (dWr, dbr)": ("dWr", "dbr"),
             "candidate (dWc, dbc)": ("dWc", "dbc")}

    totals = {"public": 4.0, "hidden": 3.0}


@register
class GruBackward(BackwardCheck):
    name = "gru_backward"
    parts = {"gradient from later steps": ("dx", "da0"),
             "gradients summed over time": ("dWu", "dbu", "dWr", "dbr", "dWc", "dbc")}

    totals = {"public": 3.0, "hidden": 1.0}


# -- LSTM -------------------------------------------------------------------------------


LSTM_GATES = {"ft": 4, "it": 5, "cct": 6, "ot": 7}


@register
class LstmCellForward(Check):
    name = "lstm_cell_forward"
    names = ("a_next", "c_next", "yt_pred", ("cache", LSTM_CACHE))
    totals = {"public": 4.0, "hidden": 3.0}
    parts = {"cell state c_next": ("c_next",), "a_next and yt_pred": ("a_next", "yt_pred"),
             "the cache": ("cache",), "all together": None,
             "large scores Wy a + by (stable softmax)": ("yt_pred",)}

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
    names = ("a", "y", "c", ("caches", ("caches[0] (list of cell caches)", "caches[1] (x)")))
    totals = {"public": 2.0, "hidden": 2.0}
    parts = {"every time step (c0 = 0)": ("a", "y", "c"),
             "starts from a given c0": ("a", "y", "c"), "the caches": ("caches",)}


@register
class LstmCellBackward(BackwardCheck):
    name = "lstm_cell_backward"
    totals = {"public": 4.0, "hidden": 2.0}
    parts = {"dxt, da_prev and dc_prev": ("dxt", "da_prev", "dc_prev"),
             "gate weights (dWf, dWi, dWc, dWo)": ("dWf", "dWi", "dWc", "dWo"),
             "gate biases (dbf, dbi, dbc, dbo)": ("dbf", "dbi", "dbc", "dbo")}


@register
class LstmBackward(BackwardCheck):
    name = "lstm_backward"
    parts = {"gradient from later steps": ("dx", "da0", "dc0"),
             "gradients summed over time": ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo",
                                            "dbo")}

    totals = {"public": 3.0, "hidden": 1.0}
