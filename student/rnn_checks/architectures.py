# Generated from autograder/checks/architectures.py by `python -m autograder release`: do not edit.
"""Checks for the architectures assignment: bidirectional and stacked RNNs, one attention
step forward and backward. The forward checks judge the hidden states (and the context and
weights), not the caches; attention_backward takes the reference's cache layout."""

from __future__ import annotations

import numpy as np

from .compare import compare
from .core import Check, register
from .gradients import BackwardCheck


def _first(output: object, label: str) -> tuple[object, list[str]]:
    """The first element of a tuple output, or a problem saying the output is not one."""
    if isinstance(output, (tuple, list)) and len(output) >= 1:
        return output[0], []
    return None, [f"the output should be a tuple ({label}, caches), got {type(output).__name__}"]


@register
class BidirectionalRnnForward(Check):
    name = "bidirectional_rnn_forward"
    totals = {"public": 3.0, "hidden": 2.0}

    def compare_parts(self, case, output):
        expected = self.expected(case)[0]
        a, problems = _first(output, "a")
        if problems:
            return problems
        if case.check == "shapes and types":
            return compare(a, expected, "a", values=False)
        n_f = case.args[3]["Waa_f"].shape[0]
        if case.check.startswith("forward"):
            return compare(a[:n_f] if isinstance(a, np.ndarray) else a, expected[:n_f],
                           "a[:n_a_f] (forward states)", self.tol)
        if case.check.startswith("backward"):
            got = a[n_f:] if isinstance(a, np.ndarray) else a
            problems = compare(got, expected[n_f:], "a[n_a_f:] (backward states)", self.tol)
            if problems and isinstance(got, np.ndarray) and got.shape == expected[n_f:].shape \
                    and np.allclose(got[:, :, ::-1], expected[n_f:]):
                problems.append("your backward states are in reversed time order: flip them "
                                "back so that a[:, :, t] belongs to step t")
            return problems
        return compare(a, expected, "a", self.tol)


@register
class StackedRnnForward(Check):
    name = "stacked_rnn_forward"
    totals = {"public": 3.0, "hidden": 2.0}

    def compare_parts(self, case, output):
        expected = self.expected(case)[0]
        a, problems = _first(output, "a (list of layer states)")
        if problems:
            return problems
        names = tuple(f"a[{i}] (layer {i + 1})" for i in range(len(expected)))
        if case.check == "shapes and types":
            return compare(a, expected, "a", values=False, names=names)
        if case.check == "layer 1 reads x":
            return compare(a[0] if isinstance(a, (list, tuple)) and a else a, expected[0],
                           names[0], self.tol)
        if case.check == "layer 2 reads layer 1's states":
            got = a[1] if isinstance(a, (list, tuple)) and len(a) > 1 else None
            return compare(got, expected[1], names[1], self.tol)
        return compare(a, expected, "a", self.tol, names=names)


@register
class AttentionForward(Check):
    name = "attention_forward"
    totals = {"public": 3.0, "hidden": 2.0}
    names = ("context", "alpha", "cache")
    parts = {"alpha: softmax over the input positions": ("alpha",),
             "context: alpha-weighted sum of h": ("context",),
             "dot-product score": ("context", "alpha"),
             "large scores, different for every example (stable)": ("context", "alpha")}

    def judge_shapes_and_types(self, case, output):
        expected = self.expected(case)
        if not isinstance(output, (tuple, list)) or len(output) != 3:
            return [f"the output should be a tuple (context, alpha, cache), got "
                    f"{type(output).__name__}"]
        return (compare(output[0], expected[0], "context", values=False)
                + compare(output[1], expected[1], "alpha", values=False))

    def hints(self, case, output, expected):
        alpha = output[1] if isinstance(output, (tuple, list)) and len(output) > 1 else None
        if isinstance(alpha, np.ndarray) and alpha.shape == expected[1].shape \
                and not np.all(np.isfinite(alpha)):
            return ["exp overflowed or underflowed: subtract each example's largest score "
                    "(over the positions) before exp"]
        if isinstance(alpha, np.ndarray) and alpha.shape == expected[1].shape \
                and not np.allclose(alpha.sum(axis=1), 1.0):
            return ["each row of alpha (one example) must sum to 1 over the T_x input "
                    "positions: take the softmax over the time axis, not over the batch"]
        return []


@register
class AttentionBackward(BackwardCheck):
    name = "attention_backward"
    totals = {"public": 4.0, "hidden": 2.0}
    parts = {"ds_prev and dh": ("ds_prev", "dh"), "dWq, dWk and dv": ("dWq", "dWk", "dv"),
             "dot-product score": ("ds_prev", "dh")}


@register
class BidirectionalRnnBackward(BackwardCheck):
    name = "bidirectional_rnn_backward"
    totals = {"public": 4.0, "hidden": 2.0}
    parts = {"forward direction (dWax_f, dWaa_f, dba_f, da0_f)":
             ("dWax_f", "dWaa_f", "dba_f", "da0_f"),
             "backward direction (dWax_b, dWaa_b, dba_b, da0_b)":
             ("dWax_b", "dWaa_b", "dba_b", "da0_b"),
             "dx from both directions": ("dx",), "merge='sum'": None}

    def hints(self, case, output, expected):
        if case.check.startswith("backward direction") and isinstance(output, dict):
            unflipped = self.derived(case, "unflipped_dWaa_b")
            got = output.get("dWaa_b")
            if isinstance(got, np.ndarray) and got.shape == unflipped.shape and \
                    np.allclose(got, unflipped):
                return ["the backward RNN ran on the reversed sequence: reverse its upstream "
                        "gradient in time too (da[n_a_f:, :, ::-1])"]
        return []
