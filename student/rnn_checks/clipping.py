# Generated from autograder/checks/clipping.py by `python -m autograder release`: do not edit.
"""Checks for the vanishing/exploding-gradients assignment: the global norm, clipping by
value and by norm, and the ReLU RNN cell (the IRNN's cell) forward and backward."""

from __future__ import annotations

import numpy as np

from .compare import compare
from .core import Check, register
from .gradients import BackwardCheck


@register
class GlobalNorm(Check):
    name = "global_norm"
    totals = {"public": 2.0, "hidden": 2.0}
    parts = {"all gradients together": None, "a single gradient": None,
             "all-zero gradients": None}

    def judge_shapes_and_types(self, case, output):
        return compare(output, 1.0, "the norm", values=False)

    def hints(self, case, output, expected):
        g = case.args[0]
        if isinstance(output, (int, float)):
            if np.isclose(output, sum(np.linalg.norm(v) for v in g.values())):
                return ["that is the sum of each gradient's own norm: the global norm is "
                        "sqrt of the sum of every squared entry of every gradient"]
            if np.isclose(output, expected**2):
                return ["that is the squared norm: take the square root"]
        return []


@register
class Clip(Check):
    name = "clip"
    totals = {"public": 3.0, "hidden": 2.0}
    parts = {"small entries unchanged": None, "large entries clipped to +max_value": None,
             "negative entries clipped to -max_value": None, "mixed entries": None}

    def hints(self, case, output, expected):
        g, max_value = case.args
        if not isinstance(output, dict):
            return []
        if case.check == "small entries unchanged":
            return ["entries already inside [-max_value, max_value] must not change"]
        if any(isinstance(v, np.ndarray) and v.shape == g[k].shape and np.any(v < -max_value)
               for k, v in output.items() if k in g):
            return ["entries below -max_value were not clipped (clip both sides)"]
        return []


@register
class ClipByNorm(Check):
    name = "clip_by_norm"
    totals = {"public": 3.0, "hidden": 1.0}
    parts = {"norm already small: unchanged": None, "large norm rescaled to max_norm": None,
             "one scale for all gradients": None, "all-zero gradients": None}

    def hints(self, case, output, expected):
        g, max_norm = case.args
        if not isinstance(output, dict):
            return []
        if case.check == "all-zero gradients":
            return ["all gradients are zero (global norm 0): return them unchanged; do not "
                    "divide by the norm unless it exceeds max_norm"]
        per_key = {k: v * min(1.0, max_norm / np.linalg.norm(v)) for k, v in g.items()}
        if all(isinstance(output.get(k), np.ndarray) and output[k].shape == v.shape
               and np.allclose(output[k], v) for k, v in per_key.items()):
            return ["each gradient was rescaled by its own norm: use one scale, from the "
                    "global norm of all gradients together"]
        clipped = {k: np.clip(v, -max_norm, max_norm) for k, v in g.items()}
        if all(isinstance(output.get(k), np.ndarray) and output[k].shape == v.shape
               and np.allclose(output[k], v) for k, v in clipped.items()):
            return ["that is clipping by value: rescale every gradient by "
                    "max_norm / global_norm instead"]
        return []


# -- the ReLU RNN (IRNN) cell ------------------------------------------------------------------

@register
class RnnCellForwardRelu(Check):
    """rnn_cell_forward with an activation argument: "relu" for the IRNN, "tanh" default."""

    name = "rnn_cell_forward_relu"
    totals = {"public": 3.0, "hidden": 2.0}
    names = ("a_next", "yt_pred", ("cache", ("cache[0] (a_next)", "cache[1] (a_prev)",
                                              "cache[2] (xt)", "cache[3] (parameters)")))
    parts = {"relu: max(z, 0)": ("a_next", "yt_pred"), "tanh is still the default":
             ("a_next", "yt_pred"), "the cache": ("cache",)}

    def hints(self, case, output, expected):
        a = output[0] if isinstance(output, (tuple, list)) and output else None
        if not (isinstance(a, np.ndarray) and a.shape == expected[0].shape
                and case.kwargs.get("activation") == "relu"):
            return []
        xt, a_prev, p = case.args
        z = p["Waa"] @ a_prev + p["Wax"] @ xt + p["ba"]
        if np.allclose(a, np.abs(z)):
            return ["that is |z|: relu keeps positive z and sets negative z to 0"]
        if np.any(a < 0):
            return ["a_next has negative entries: relu gives max(z, 0)"]
        return []


@register
class RnnCellBackwardRelu(BackwardCheck):
    """rnn_cell_backward with activation="relu": the derivative is [a_next > 0]."""

    name = "rnn_cell_backward_relu"
    totals = {"public": 2.0, "hidden": 3.0}
    parts = {"relu derivative [z > 0]": ("dxt", "da_prev", "dWax", "dWaa", "dba"),
             "tanh is still the default": ("dxt", "da_prev", "dWax", "dWaa", "dba")}

    def hints(self, case, output, expected):
        da, cache = case.args
        if isinstance(output, dict) and isinstance(output.get("dba"), np.ndarray) and \
                case.kwargs.get("activation") == "relu":
            tanh_like = (da * (1 - cache[0] ** 2)).sum(axis=1, keepdims=True)
            if output["dba"].shape == tanh_like.shape and np.allclose(output["dba"], tanh_like):
                return ["that is the tanh derivative 1 - a**2: for relu use (a_next > 0)"]
        return []
