"""Checks for the vanishing/exploding-gradients assignment: the global norm, clipping by
value and by norm, and the ReLU RNN cell (the IRNN's cell) forward and backward."""

from __future__ import annotations

import copy

import numpy as np

from autograder import reference as ref

from .compare import compare
from .core import Case, Check, register
from .gradients import BackwardCheck, finite_differences
from .helpers import global_norm_of, with_helpers
from .inputs import inputs_case, normal, rnn_parameters, sizes


def _gradients(r: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
    n_x, n_a, n_y = sizes(r, 3)
    return {"dWax": normal(r, n_a, n_x, scale=scale), "dWaa": normal(r, n_a, n_a, scale=scale),
            "dWya": normal(r, n_y, n_a, scale=scale), "dba": normal(r, n_a, 1, scale=scale),
            "dby": normal(r, n_y, 1, scale=scale)}


@register
class GlobalNorm(Check):
    name = "global_norm"
    function = staticmethod(ref.global_norm)
    totals = {"public": 2.0, "hidden": 2.0}
    parts = {"all gradients together": None, "a single gradient": None,
             "all-zero gradients": None}

    def make_cases(self, part, rng):
        r = rng(0)
        if part == "public":
            g = _gradients(r, 1.0)
            return [Case("shapes and types", 1, (g,)), Case("all gradients together", 1, (g,)),
                    Case("a single gradient", 1, ({"dW": normal(r, 4, 3)},)),
                    Case("all-zero gradients", 0.5, ({k: 0 * v for k, v in g.items()},)),
                    inputs_case((g,), points=0.5)]
        return [Case("all gradients together", 1, (_gradients(r, 3.0),)),
                Case("a single gradient", 1, ({"dW": normal(r, 5, 2)},))]

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
    function = staticmethod(ref.clip)
    totals = {"public": 3.0, "hidden": 2.0}
    parts = {"small entries unchanged": None, "large entries clipped to +max_value": None,
             "negative entries clipped to -max_value": None, "mixed entries": None}

    def make_cases(self, part, rng):
        r = rng(0)
        if part == "public":
            g = _gradients(r, 3.0)
            small = _gradients(r, 0.3)
            return [Case("shapes and types", 1, (g, 2.0)),
                    Case("small entries unchanged", 1, (small, 5.0)),
                    Case("large entries clipped to +max_value", 1,
                         ({k: np.abs(v) + 1.0 for k, v in g.items()}, 1.5)),
                    Case("negative entries clipped to -max_value", 1,
                         ({k: -np.abs(v) - 1.0 for k, v in g.items()}, 2.5)),
                    Case("mixed entries", 1, (g, 2.0)),
                    inputs_case((g, 2.0), new_output=True, points=0.5),
                    inputs_case((small, 5.0), new_output=True, points=0.5)]
        g = _gradients(r, 4.0)
        return [Case("negative entries clipped to -max_value", 1,
                     ({k: -np.abs(v) - 1.0 for k, v in g.items()}, 2.5)),
                Case("mixed entries", 1, (g, 3.0)),
                inputs_case((g, 3.0), new_output=True, points=0.5)]

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
    function = staticmethod(ref.clip_by_norm)
    totals = {"public": 3.0, "hidden": 1.0}
    parts = {"norm already small: unchanged": None, "large norm rescaled to max_norm": None,
             "one scale for all gradients": None, "all-zero gradients": None}

    def make_cases(self, part, rng):
        r = rng(0)
        if part == "public":
            g = _gradients(r, 2.0)
            small = _gradients(r, 0.1)
            cases = [Case("shapes and types", 1, (g, 1.0)),
                     Case("norm already small: unchanged", 1, (small, 10.0)),
                     Case("large norm rescaled to max_norm", 1, (g, 1.0)),
                     Case("one scale for all gradients", 1,
                          ({**g, "dby": g["dby"] * 0.01}, 1.5)),
                     Case("all-zero gradients", 1, ({k: 0 * v for k, v in g.items()}, 1.0)),
                     inputs_case((g, 1.0), new_output=True, points=0.5),
                     inputs_case((small, 10.0), new_output=True, points=0.5)]
        else:
            g = _gradients(r, 2.0)
            g["dby"] = g["dby"] * 0.01  # gradients of very different sizes
            cases = [Case("one scale for all gradients", 1, (g, 2.0)),
                     Case("all-zero gradients", 0.5, ({k: 0 * v for k, v in g.items()}, 2.0))]
        return with_helpers(cases, "global_norm", global_norm_of)

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
    function = staticmethod(ref.rnn_cell_forward)
    totals = {"public": 3.0, "hidden": 2.0}
    names = ("a_next", "yt_pred", ("cache", ("cache[0] (a_next)", "cache[1] (a_prev)",
                                              "cache[2] (xt)", "cache[3] (parameters)")))
    parts = {"relu: max(z, 0)": ("a_next", "yt_pred"), "tanh is still the default":
             ("a_next", "yt_pred"), "the cache": ("cache",)}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, n_y, m = sizes(r, 4)
        args = (normal(r, n_x, m), normal(r, n_a, m), rnn_parameters(r, n_x, n_a, n_y))
        relu = {"activation": "relu"}
        if part == "public":
            return [Case("shapes and types", 1, args, relu), Case("relu: max(z, 0)", 1, args, relu),
                    Case("tanh is still the default", 1, args),
                    Case("the cache", 1, args, relu), inputs_case(args, relu, points=0.5)]
        return [Case("relu: max(z, 0)", 1, args, relu), Case("the cache", 1, args, relu)]

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
    function = staticmethod(ref.rnn_cell_backward)
    totals = {"public": 2.0, "hidden": 3.0}
    parts = {"relu derivative [z > 0]": ("dxt", "da_prev", "dWax", "dWaa", "dba"),
             "tanh is still the default": ("dxt", "da_prev", "dWax", "dWaa", "dba")}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, n_y, m = sizes(r, 4)
        p = rnn_parameters(r, n_x, n_a, n_y)
        xt, a_prev = normal(r, n_x, m), normal(r, n_a, m)
        _, _, relu_cache = ref.rnn_cell_forward(xt, a_prev, p, activation="relu")
        _, _, tanh_cache = ref.rnn_cell_forward(xt, a_prev, p)
        da = normal(r, n_a, m)
        if part == "public":
            return [Case("shapes and types", 1, (da, relu_cache), {"activation": "relu"}),
                    Case("relu derivative [z > 0]", 1, (da, relu_cache), {"activation": "relu"}),
                    Case("tanh is still the default", 1, (da, tanh_cache)),
                    Case("finite differences", 1, (da, relu_cache), {"activation": "relu"}),
                    inputs_case((da, relu_cache), {"activation": "relu"}, points=0.5)]
        return [Case("relu derivative [z > 0]", 1, (da, relu_cache), {"activation": "relu"}),
                Case("tanh is still the default", 1, (da, tanh_cache)),
                Case("finite differences", 1, (da, relu_cache), {"activation": "relu"})]

    def numeric(self, case):
        da_next, cache = copy.deepcopy(case.args)
        _, a_prev, xt, p = cache
        return finite_differences(
            lambda: ref.rnn_cell_forward(xt, a_prev, p, activation="relu")[0],
            {"dxt": xt, "da_prev": a_prev, "dWax": p["Wax"], "dWaa": p["Waa"], "dba": p["ba"]},
            da_next)

    def hints(self, case, output, expected):
        da, cache = case.args
        if isinstance(output, dict) and isinstance(output.get("dba"), np.ndarray) and \
                case.kwargs.get("activation") == "relu":
            tanh_like = (da * (1 - cache[0] ** 2)).sum(axis=1, keepdims=True)
            if output["dba"].shape == tanh_like.shape and np.allclose(output["dba"], tanh_like):
                return ["that is the tanh derivative 1 - a**2: for relu use (a_next > 0)"]
        return []
