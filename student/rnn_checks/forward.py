# Generated from autograder/checks/forward.py by `python -m autograder release`: do not edit.
"""Checks for the forward pass: softmax, one RNN cell, the unrolled RNN, cross-entropy."""

from __future__ import annotations

import numpy as np

from .compare import compare
from .core import Check, register


@register
class Softmax(Check):
    name = "softmax"
    totals = {"public": 2.0, "hidden": 3.0}
    parts = {"over axis 0 (the classes)": None, "3-D input (n_y, m, T_x)": None,
             "large scores, different in every column (stable)": None}

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


@register
class RnnForward(Check):
    name = "rnn_forward"
    totals = {"public": 4.0, "hidden": 3.0}
    names = ("a", "y_pred", ("caches", ("caches[0] (list of cell caches)", "caches[1] (x)")))
    parts = {
        "one step (T_x = 1) starts from a0": ("a", "y_pred"),
        "every time step": ("a", "y_pred"),
        "the caches": ("caches",),
    }

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
    totals = {"public": 2.0, "hidden": 2.0}
    parts = {"one-hot targets": None, "integer targets (m, T)": None,
             "mean over batch and time": None, "exact zeros in y_pred (0 log 0 = 0)": None}

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
    totals = {"public": 1.0, "hidden": 1.0}
    parts = {"exp of the cross-entropy": None}
