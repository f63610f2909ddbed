"""Checks for the forward pass: softmax, one RNN cell, the unrolled RNN, cross-entropy."""

from __future__ import annotations

import numpy as np

from autograder import reference as ref

from .compare import compare
from .core import Case, Check, register
from .inputs import normal, rnn_parameters, sizes, zeroed


@register
class Softmax(Check):
    name = "softmax"
    function = staticmethod(ref.softmax)
    parts = {"over axis 0 (the classes)": None, "3-D input (n_y, m, T_x)": None,
             "large logits (numerically stable)": None}

    def make_cases(self, part, rng):
        if part == "public":
            r = rng(0)
            n_y, m = sizes(r, 2)
            return [
                Case("shapes and types", 1, (normal(r, n_y, m),)),
                Case("over axis 0 (the classes)", 1, (normal(r, n_y, m, scale=2),)),
            ]
        r = rng(0)
        n_y, m, T = sizes(r, 3)
        return [
            Case("over axis 0 (the classes)", 1, (normal(r, m, n_y, scale=3),)),
            Case("3-D input (n_y, m, T_x)", 1, (normal(r, n_y, m, T),)),
            Case("large logits (numerically stable)", 1,
                 (normal(r, n_y, m, scale=5) + np.array([[800.0]]),)),
        ]

    def hints(self, case, output, expected):
        z = case.args[0]
        if isinstance(output, np.ndarray) and output.shape == z.shape and z.ndim >= 2:
            if np.allclose(output.sum(axis=1), 1.0) or np.isclose(output.sum(), 1.0):
                return ["your columns do not sum to 1: softmax must normalise over axis 0 "
                        "(the classes), not another axis or the whole array"]
            if not np.all(np.isfinite(output)):
                return ["exp overflowed: subtract the column maximum before exp"]
        return []


class _RnnCellBase(Check):
    names = ("a_next", "yt_pred", ("cache", ("cache[0] (a_next)", "cache[1] (a_prev)",
                                              "cache[2] (xt)", "cache[3] (parameters)")))


@register
class RnnCellForward(_RnnCellBase):
    name = "rnn_cell_forward"
    function = staticmethod(ref.rnn_cell_forward)
    parts = {
        "only the bias term": ("a_next", "yt_pred"),
        "only x_t (Wax x_t)": ("a_next", "yt_pred"),
        "only a_prev (Waa a_prev)": ("a_next", "yt_pred"),
        "all terms together": ("a_next", "yt_pred"),
        "one example (m = 1)": ("a_next", "yt_pred"),
        "the cache": ("cache",),
    }

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, n_y, m = sizes(r, 4)
        p = rnn_parameters(r, n_x, n_a, n_y)
        xt, a_prev = normal(r, n_x, m), normal(r, n_a, m)
        if part == "public":
            return [
                Case("shapes and types", 1, (xt, a_prev, p)),
                Case("only the bias term", 1, (xt, a_prev, zeroed(p, "Wax", "Waa"))),
                Case("only x_t (Wax x_t)", 1, (xt, a_prev, zeroed(p, "Waa", "ba"))),
                Case("only a_prev (Waa a_prev)", 1, (xt, a_prev, zeroed(p, "Wax", "ba"))),
                Case("all terms together", 1, (xt, a_prev, p)),
                Case("the cache", 1, (xt, a_prev, p)),
            ]
        r1 = rng(1)
        n_x1, n_a1, n_y1 = sizes(r1, 3)
        p1 = rnn_parameters(r1, n_x1, n_a1, n_y1)
        return [
            Case("all terms together", 2, (xt, a_prev, p)),
            Case("one example (m = 1)", 1, (normal(r1, n_x1, 1), normal(r1, n_a1, 1), p1)),
            Case("the cache", 1, (xt, a_prev, p)),
        ]


@register
class RnnForward(Check):
    name = "rnn_forward"
    function = staticmethod(ref.rnn_forward)
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
            return [
                Case("shapes and types", 1, (x, a0, p)),
                Case("one step (T_x = 1) starts from a0", 1, (x[:, :, :1].copy(), a0, p)),
                Case("every time step", 2, (x, a0, p)),
            ]
        return [
            Case("every time step", 2, (x, a0, p)),
            Case("the caches", 1, (x, a0, p)),
        ]

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


@register
class CrossEntropy(Check):
    name = "cross_entropy"
    function = staticmethod(ref.cross_entropy)
    parts = {"one-hot targets": None, "integer targets (m, T)": None,
             "mean over batch and time": None}

    def make_cases(self, part, rng):
        r = rng(0)
        n_y, m, T = sizes(r, 3)
        y_pred = ref.softmax(normal(r, n_y, m, T, scale=2))
        idx = r.integers(0, n_y, size=(m, T))
        onehot = (np.arange(n_y)[:, None, None] == idx[None]).astype(np.float64)
        if part == "public":
            return [
                Case("shapes and types", 1, (y_pred, onehot)),
                Case("one-hot targets", 1, (y_pred, onehot)),
            ]
        r1 = rng(1)
        n_y1, m1, T1 = sizes(r1, 3, 3, 9)
        y1 = ref.softmax(normal(r1, n_y1, m1, T1, scale=2))
        idx1 = r1.integers(0, n_y1, size=(m1, T1))
        return [
            Case("integer targets (m, T)", 1, (y_pred, idx)),
            Case("mean over batch and time", 1, (y1, idx1)),
        ]

    def judge_shapes_and_types(self, case, output):
        return compare(output, 1.0, "the loss", values=False)

    def hints(self, case, output, expected):
        if isinstance(output, (int, float)) and expected:
            size = case.args[1].shape[-1] * case.args[1].shape[-2]
            if np.isclose(output, expected * size):
                return ["that is the sum over tokens: take the mean over batch and time"]
            if np.isclose(output, -expected):
                return ["the sign is flipped: cross-entropy is minus the mean log-probability"]
        return []


@register
class Perplexity(Check):
    name = "perplexity"
    function = staticmethod(ref.perplexity)
    parts = {"exp of the cross-entropy": None}

    def make_cases(self, part, rng):
        r = rng(0)
        n_y, m, T = sizes(r, 3)
        y_pred = ref.softmax(normal(r, n_y, m, T))
        idx = r.integers(0, n_y, size=(m, T))
        return [Case("exp of the cross-entropy", 1, (y_pred, idx))]
