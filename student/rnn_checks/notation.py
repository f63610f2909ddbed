# Generated from autograder/checks/notation.py by `python -m autograder release`: do not edit.
"""Checks for the notation assignment: one-hot vectors, padding sequences of different
lengths T_x^(i), the parameter count of an RNN, and the stacked matrix [Waa | Wax].

These small helpers are not part of the reference; their expected values come from the
short definitions below (and from the reference's own parameter shapes)."""

from __future__ import annotations

import numpy as np

from .compare import compare
from .core import Check, register


@register
class OneHot(Check):
    name = "one_hot"
    totals = {"public": 2.0, "hidden": 2.0}
    parts = {"a 1 at each index, 0 elsewhere": None, "one sequence (m = 1)": None}

    def hints(self, case, output, expected):
        if isinstance(output, np.ndarray) and output.ndim == 3 and output.shape != expected.shape:
            return ["the vocabulary axis comes first: (n_values, m, T_x)"]
        return []


@register
class PadSequences(Check):
    name = "pad_sequences"
    totals = {"public": 3.0, "hidden": 1.0}
    names = ("indices", "mask")
    parts = {"indices": ("indices",), "mask": ("mask",), "another padding value": None,
             "tokens equal to the padding value": None}

    def judge_shapes_and_types(self, case, output):
        return compare(output, self.expected(case), "the output", values=False,
                       names=self.names)


@register
class CountParameters(Check):
    name = "count_parameters"
    totals = {"public": 1.0, "hidden": 2.0}
    parts = {"Wax, Waa, Wya, ba and by": None}

    def hints(self, case, output, expected):
        n_x, n_a, n_y = case.args
        if isinstance(output, int) and output == expected - n_a - n_y:
            return ["the biases ba (n_a, 1) and by (n_y, 1) are parameters too"]
        return []


@register
class StackWeights(Check):
    name = "stack_weights"
    totals = {"public": 2.0, "hidden": 1.0}
    parts = {"Waa first, then Wax": None}

    def hints(self, case, output, expected):
        Waa, Wax = case.args
        if isinstance(output, np.ndarray) and output.shape == expected.shape and \
                np.allclose(output, np.concatenate([Wax, Waa], axis=1)):
            return ["the first n_a columns act on a_prev: put Waa first, then Wax"]
        return []
