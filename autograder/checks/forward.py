"""Checks for the forward pass: softmax, one RNN cell, the unrolled RNN, cross-entropy."""

from __future__ import annotations

import numpy as np

from autograder import reference as ref

from .compare import compare
from .core import Case, Check, register
from .helpers import cross_entropy_of, rnn_cells, softmax_in_cell, with_helpers
from .inputs import inputs_case, large_columns, normal, rnn_parameters, sizes, zeroed


@register
class Softmax(Check):
    name = "softmax"
    function = staticmethod(ref.softmax)
    totals = {"public": 2.0, "hidden": 3.0}
    parts = {"over axis 0 (the classes)": None, "3-D input (n_y, m, T_x)": None,
             "large scores, different in every column (stable)": None}

    def make_cases(self, part, rng):
        r = rng(0)
        n_y, m, T = sizes(r, 3)
        stable = "large scores, different in every column (stable)"
        if part == "public":
            return [
                Case("shapes and types", 1, (normal(r, n_y, m),)),
                Case("over axis 0 (the classes)", 1, (normal(r, n_y, m, scale=2),)),
                Case("3-D input (n_y, m, T_x)", 1, (normal(r, n_y, m, T + 1),)),
                Case(stable, 1, (large_columns(r, n_y, m),)),
                inputs_case((normal(r, n_y, m, T),), points=0.5),
            ]
        return [
            Case("over axis 0 (the classes)", 1, (normal(r, m, n_y, scale=3),)),
            Case("3-D input (n_y, m, T_x)", 1, (normal(r, n_y, m, T),)),
            Case(stable, 1, (large_columns(r, n_y, m, T),)),
        ]

    def hints(self, case, output, expected):
        z = case.args[0]
        if not (isinstance(output, np.ndarray) and output.shape == z.shape and z.ndim >= 2):
            return []
        if not np.all(np.isfinite(output)):
            best = np.unravel_index(int(np.argmax(z)), z.shape)[1:]
            column = (slice(None), *best)
            if np.all(np.isfinite(output[column])) and np.allclose(output[column],
                                                                   expected[column]):
                return ["the column holding the largest score is right but others are not: "
                        "subtract each column's own maximum (z.max(axis=0, keepdims=True)), "
                        "not one maximum of the whole array"]
            return ["exp overflowed or underflowed: subtract the column maximum (each "
                    "column's own) before exp"]
        if np.allclose(output.sum(axis=1), 1.0) or np.isclose(output.sum(), 1.0):
            return ["your columns do not sum to 1: softmax must normalise over axis 0 "
                    "(the classes), not another axis or the whole array"]
        return []


class _RnnCellBase(Check):
    names = ("a_next", "yt_pred", ("cache", ("cache[0] (a_next)", "cache[1] (a_prev)",
                                              "cache[2] (xt)", "cache[3] (parameters)")))


@register
class RnnCellForward(_RnnCellBase):
    name = "rnn_cell_forward"
    function = staticmethod(ref.rnn_cell_forward)
    totals = {"public": 6.0, "hidden": 4.0}
    parts = {
        "only the bias term": ("a_next", "yt_pred"),
        "only x_t (Wax x_t)": ("a_next", "yt_pred"),
        "only a_prev (Waa a_prev)": ("a_next", "yt_pred"),
        "all terms together": ("a_next", "yt_pred"),
        "one example (m = 1)": ("a_next", "yt_pred"),
        "large scores Wya a + by (stable softmax)": ("a_next", "yt_pred"),
        "the cache": ("cache",),
    }

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, n_y, m = sizes(r, 4)
        p = rnn_parameters(r, n_x, n_a, n_y)
        xt, a_prev = normal(r, n_x, m), normal(r, n_a, m)
        large = {**p, "Wya": normal(r, n_y, n_a, scale=3000.0)}
        stable = "large scores Wya a + by (stable softmax)"
        if part == "public":
            cases = [
                Case("shapes and types", 1, (xt, a_prev, p)),
                Case("only the bias term", 1, (xt, a_prev, zeroed(p, "Wax", "Waa"))),
                Case("only x_t (Wax x_t)", 1, (xt, a_prev, zeroed(p, "Waa", "ba"))),
                Case("only a_prev (Waa a_prev)", 1, (xt, a_prev, zeroed(p, "Wax", "ba"))),
                Case("all terms together", 1, (xt, a_prev, p)),
                Case("the cache", 1, (xt, a_prev, p)),
                Case("one example (m = 1)", 1, (xt[:, :1].copy(), a_prev[:, :1].copy(), p)),
                Case(stable, 1, (xt, a_prev, large)),
                inputs_case((xt, a_prev, p), points=0.5),
            ]
        else:
            r1 = rng(1)
            n_x1, n_a1, n_y1 = sizes(r1, 3)
            p1 = rnn_parameters(r1, n_x1, n_a1, n_y1)
            cases = [
                Case("all terms together", 1.5, (xt, a_prev, p)),
                Case("one example (m = 1)", 1, (normal(r1, n_x1, 1), normal(r1, n_a1, 1), p1)),
                Case("the cache", 0.75, (xt, a_prev, p)),
                Case(stable, 0.75, (normal(r1, n_x1, 3), normal(r1, n_a1, 3),
                                    {**p1, "Wya": normal(r1, n_y1, n_a1, scale=3000.0)})),
            ]
        return with_helpers(cases, "softmax", softmax_in_cell)


@register
class RnnForward(Check):
    name = "rnn_forward"
    function = staticmethod(ref.rnn_forward)
    totals = {"public": 4.0, "hidden": 3.0}
    names = ("a", "y_pred", ("caches", ("caches[0] (list of cell caches)", "caches[1] (x)")))
    parts = {
        "one step (T_x = 1) starts from a0": ("a", "y_pred"),
        "every time step": ("a", "y_pred"),
        "the caches": ("caches",),
    }

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, n_y, m = sizes(r, 4)
        T = int(r.integers(3, 6))
        p = rnn_parameters(r, n_x, n_a, n_y)
        x, a0 = normal(r, n_x, m, T), normal(r, n_a, m)
        if part == "public":
            cases = [
                Case("shapes and types", 1, (x, a0, p)),
                Case("one step (T_x = 1) starts from a0", 1, (x[:, :, :1].copy(), a0, p)),
                Case("every time step", 2, (x, a0, p)),
                Case("the caches", 1, (x, a0, p)),
                inputs_case((x, a0, p), points=0.5),
            ]
        else:
            r1 = rng(1)
            n_x1, n_a1, n_y1, m1 = sizes(r1, 4)
            args1 = (normal(r1, n_x1, m1, T + 1), normal(r1, n_a1, m1),
                     rnn_parameters(r1, n_x1, n_a1, n_y1))
            cases = [
                Case("every time step", 2, args1),
                Case("the caches", 1, args1),
            ]
        return with_helpers(cases, "rnn_cell_forward", rnn_cells)

    def hints(self, case, output, expected):
        if not isinstance(output, (tuple, list)) or not output:
            return []
        a, a_exp = output[0], expected[0]
        if not isinstance(a, np.ndarray) or a.shape != a_exp.shape or a.shape[2] < 2:
            return []
        if np.allclose(a[:, :, 1:], a_exp[:, :, :-1]) or np.allclose(a[:, :, :-1], a_exp[:, :, 1:]):
            return ["a is shifted by one step in time: a[:, :, t] must be the state after "
                    "reading x[:, :, t], starting from a0"]
        return []


def _with_zeros(r: np.random.Generator, y_pred: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """y_pred with exact zeros on some wrong classes (columns renormalised)."""
    target = np.arange(y_pred.shape[0])[:, None, None] == idx[None]
    zero = (r.random(y_pred.shape) < 0.5) & ~target
    out = np.where(zero, 0.0, y_pred)
    return out / out.sum(axis=0, keepdims=True)


def _one_hot(idx: np.ndarray, n: int) -> np.ndarray:
    return (np.arange(n)[:, None, None] == idx[None]).astype(np.float64)


@register
class CrossEntropy(Check):
    name = "cross_entropy"
    function = staticmethod(ref.cross_entropy)
    totals = {"public": 2.0, "hidden": 2.0}
    parts = {"one-hot targets": None, "integer targets (m, T)": None,
             "mean over batch and time": None, "exact zeros in y_pred (0 log 0 = 0)": None}

    def make_cases(self, part, rng):
        r = rng(0)
        n_y, m, T = sizes(r, 3)
        y_pred = ref.softmax(normal(r, n_y, m, T, scale=2))
        idx = r.integers(0, n_y, size=(m, T))
        zeros = "exact zeros in y_pred (0 log 0 = 0)"
        if part == "public":
            return [
                Case("shapes and types", 1, (y_pred, _one_hot(idx, n_y))),
                Case("one-hot targets", 1, (y_pred, _one_hot(idx, n_y))),
                Case("integer targets (m, T)", 1, (y_pred, idx)),
                Case("integer targets (m, T)", 0.5, (y_pred, idx.astype(np.int32))),
                Case("mean over batch and time", 1, (y_pred, idx)),
                Case(zeros, 1, (_with_zeros(r, y_pred, idx), _one_hot(idx, n_y))),
                inputs_case((y_pred, _one_hot(idx, n_y)), points=0.5),
            ]
        r1 = rng(1)
        n_y1, m1, T1 = sizes(r1, 3, 3, 9)
        y1 = ref.softmax(normal(r1, n_y1, m1, T1, scale=2))
        idx1 = r1.integers(0, n_y1, size=(m1, T1))
        return [
            Case("integer targets (m, T)", 1, (y1, idx1.astype(np.int32))),
            Case("mean over batch and time", 1, (y1, idx1)),
            Case(zeros, 1, (_with_zeros(r1, y1, idx1), _one_hot(idx1, n_y1))),
        ]

    def judge_shapes_and_types(self, case, output):
        return compare(output, 1.0, "the loss", values=False)

    def hints(self, case, output, expected):
        if isinstance(output, float) and np.isnan(output):
            return ["0 * log(0) gave nan: take the log of the probability of the correct "
                    "class only (pick it out first), not y * log(y_pred) over every class"]
        if isinstance(output, (int, float)) and expected:
            size = case.args[0].shape[-1] * case.args[0].shape[-2]
            if np.isclose(output, expected * size):
                return ["that is the sum over tokens: take the mean over batch and time"]
            if np.isclose(output, -expected):
                return ["the sign is flipped: cross-entropy is minus the mean log-probability"]
        return []


@register
class Perplexity(Check):
    name = "perplexity"
    function = staticmethod(ref.perplexity)
    totals = {"public": 1.0, "hidden": 1.0}
    parts = {"exp of the cross-entropy": None}

    def make_cases(self, part, rng):
        r = rng(0 if part == "public" else 1)
        n_y, m, T = sizes(r, 3)
        y_pred = ref.softmax(normal(r, n_y, m, T))
        idx = r.integers(0, n_y, size=(m, T))
        cases = [Case("exp of the cross-entropy", 1, (y_pred, idx))]
        if part == "public":
            cases += [Case("exp of the cross-entropy", 1, (y_pred, _one_hot(idx, n_y))),
                      inputs_case((y_pred, idx), points=0.5)]
        return with_helpers(cases, "cross_entropy", cross_entropy_of)
