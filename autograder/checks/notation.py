"""Checks for the notation assignment: one-hot vectors, padding sequences of different
lengths T_x^(i), the parameter count of an RNN, and the stacked matrix [Waa | Wax].

These small helpers are not part of the reference; their expected values come from the
short definitions below (and from the reference's own parameter shapes)."""

from __future__ import annotations

import numpy as np

from autograder import reference as ref

from .compare import compare
from .core import Case, Check, register
from .inputs import inputs_case, normal, sizes


def one_hot(indices: np.ndarray, n_values: int) -> np.ndarray:
    """indices (m, T_x) ints -> (n_values, m, T_x) float64 with a 1 at each index."""
    return (np.arange(n_values)[:, None, None] == indices[None]).astype(np.float64)


def pad_sequences(sequences: list[list[int]], pad_value: int = 0) -> tuple:
    """Lists of token indices of lengths T_x^(i) -> (indices (m, T_max) int64, mask bool)."""
    T = max(len(s) for s in sequences)
    indices = np.full((len(sequences), T), pad_value, dtype=np.int64)
    mask = np.zeros((len(sequences), T), dtype=bool)
    for i, s in enumerate(sequences):
        indices[i, : len(s)] = s
        mask[i, : len(s)] = True
    return indices, mask


def count_parameters(n_x: int, n_a: int, n_y: int) -> int:
    """Number of learnable numbers in an RNN's Wax, Waa, Wya, ba, by."""
    return int(sum(v.size for v in ref.init_rnn_parameters(n_x, n_a, n_y, 0).values()))


def stack_weights(Waa: np.ndarray, Wax: np.ndarray) -> np.ndarray:
    """[Waa | Wax] (n_a, n_a + n_x): the matrix acting on the concatenation [a_prev; x_t]."""
    return np.concatenate([Waa, Wax], axis=1)


@register
class OneHot(Check):
    name = "one_hot"
    function = staticmethod(one_hot)
    totals = {"public": 2.0, "hidden": 2.0}
    parts = {"a 1 at each index, 0 elsewhere": None, "one sequence (m = 1)": None}

    def make_cases(self, part, rng):
        r = rng(0)
        n, m, T = sizes(r, 3, 2, 9)
        if part == "public":
            idx = r.integers(0, n, size=(m, T))
            return [Case("shapes and types", 1, (idx, n)),
                    Case("a 1 at each index, 0 elsewhere", 1, (idx, n)),
                    Case("a 1 at each index, 0 elsewhere", 0.5, (idx.astype(np.int32), n)),
                    Case("one sequence (m = 1)", 1, (r.integers(0, n, size=(1, T + 1)), n)),
                    inputs_case((idx, n), points=0.5)]
        return [Case("a 1 at each index, 0 elsewhere", 1, (r.integers(0, n, size=(m, T)), n)),
                Case("one sequence (m = 1)", 1, (r.integers(0, n, size=(1, T)), n))]

    def hints(self, case, output, expected):
        if isinstance(output, np.ndarray) and output.ndim == 3 and output.shape != expected.shape:
            return ["the vocabulary axis comes first: (n_values, m, T_x)"]
        return []


@register
class PadSequences(Check):
    name = "pad_sequences"
    function = staticmethod(pad_sequences)
    totals = {"public": 3.0, "hidden": 1.0}
    names = ("indices", "mask")
    parts = {"indices": ("indices",), "mask": ("mask",), "another padding value": None,
             "tokens equal to the padding value": None}

    def make_cases(self, part, rng):
        r = rng(0 if part == "public" else 1)
        m = int(r.integers(3, 6))
        seqs = [[int(v) for v in r.integers(1, 20, size=int(r.integers(1, 8)))] for _ in range(m)]
        seqs[0] = seqs[0] + [1] * (max(len(s) for s in seqs) + 1 - len(seqs[0]))  # the longest
        with_pad = [[int(v) for v in r.integers(0, 3, size=len(s))] for s in seqs]
        with_pad[1] = [0] + with_pad[1] + [0]  # a real 0 first and last
        same = "tokens equal to the padding value"
        if part == "public":
            return [Case("shapes and types", 1, (seqs,)), Case("indices", 1, (seqs,)),
                    Case("mask", 1, (seqs,)),
                    Case("another padding value", 1, (seqs,), {"pad_value": -1}),
                    Case(same, 1, (with_pad,)), inputs_case((seqs,), points=0.5)]
        return [Case("another padding value", 1, (seqs,), {"pad_value": 7}),
                Case(same, 1, (with_pad,), {"pad_value": 1})]

    def judge_shapes_and_types(self, case, output):
        return compare(output, self.expected(case), "the output", values=False,
                       names=self.names)


@register
class CountParameters(Check):
    name = "count_parameters"
    function = staticmethod(count_parameters)
    totals = {"public": 1.0, "hidden": 2.0}
    parts = {"Wax, Waa, Wya, ba and by": None}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, n_y = sizes(r, 3, 2, 50)
        cases = [Case("Wax, Waa, Wya, ba and by", 1, (n_x, n_a, n_y))]
        if part == "hidden":
            cases.append(Case("Wax, Waa, Wya, ba and by", 1, tuple(sizes(r, 3, 51, 500))))
        return cases

    def hints(self, case, output, expected):
        n_x, n_a, n_y = case.args
        if isinstance(output, int) and output == expected - n_a - n_y:
            return ["the biases ba (n_a, 1) and by (n_y, 1) are parameters too"]
        return []


@register
class StackWeights(Check):
    name = "stack_weights"
    function = staticmethod(stack_weights)
    totals = {"public": 2.0, "hidden": 1.0}
    parts = {"Waa first, then Wax": None}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a = sizes(r, 2)
        args = (normal(r, n_a, n_a), normal(r, n_a, n_x))
        if part == "public":
            return [Case("shapes and types", 1, args), Case("Waa first, then Wax", 1, args),
                    inputs_case(args, points=0.5)]
        r1 = rng(1)
        n_x1, n_a1 = sizes(r1, 2)
        return [Case("Waa first, then Wax", 1, (normal(r1, n_a1, n_a1), normal(r1, n_a1, n_x1)))]

    def hints(self, case, output, expected):
        Waa, Wax = case.args
        if isinstance(output, np.ndarray) and output.shape == expected.shape and \
                np.allclose(output, np.concatenate([Wax, Waa], axis=1)):
            return ["the first n_a columns act on a_prev: put Waa first, then Wax"]
        return []
