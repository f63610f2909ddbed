"""Checks for the architectures assignment: bidirectional and stacked RNNs, one attention
step forward and backward. The forward checks judge the hidden states (and the context and
weights), not the caches; attention_backward takes the reference's cache layout."""

from __future__ import annotations

import copy

import numpy as np

from autograder import reference as ref

from .compare import compare
from .core import Case, Check, register
from .gradients import BackwardCheck, finite_differences
from .inputs import inputs_case, normal, sizes


def _direction(r: np.random.Generator, n_x: int, n_a: int, d: str) -> dict:
    return {f"Wax_{d}": normal(r, n_a, n_x, scale=0.7), f"Waa_{d}": normal(r, n_a, n_a, scale=0.5),
            f"ba_{d}": normal(r, n_a, 1, scale=0.5)}


def _first(output: object, label: str) -> tuple[object, list[str]]:
    """The first element of a tuple output, or a problem saying the output is not one."""
    if isinstance(output, (tuple, list)) and len(output) >= 1:
        return output[0], []
    return None, [f"the output should be a tuple ({label}, caches), got {type(output).__name__}"]


@register
class BidirectionalRnnForward(Check):
    name = "bidirectional_rnn_forward"
    function = staticmethod(ref.bidirectional_rnn_forward)
    totals = {"public": 3.0, "hidden": 2.0}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_f, n_b, m = sizes(r, 4)
        T = int(r.integers(3, 6))
        p = {**_direction(r, n_x, n_f, "f"), **_direction(r, n_x, n_b, "b")}
        x = normal(r, n_x, m, T)
        a0_f, a0_b = normal(r, n_f, m), normal(r, n_b, m)
        if part == "public":
            n_s = sizes(r, 1)[0]
            ps = {**_direction(r, n_x, n_s, "f"), **_direction(r, n_x, n_s, "b")}
            return [Case("shapes and types", 1, (x, None, None, p)),
                    Case("forward direction (first n_a_f rows)", 1, (x, None, None, p)),
                    Case("backward direction reads the sequence from the end", 1,
                         (x, None, None, p)),
                    Case("initial states a0_f and a0_b", 1, (x, a0_f, a0_b, p)),
                    Case("merge='sum'", 1, (x, None, None, ps), {"merge": "sum"}),
                    inputs_case((x, a0_f, a0_b, p), points=0.5)]
        n_s = sizes(r, 1)[0]
        ps = {**_direction(r, n_x, n_s, "f"), **_direction(r, n_x, n_s, "b")}
        return [Case("initial states a0_f and a0_b", 1, (x, a0_f, a0_b, p)),
                Case("merge='sum'", 1, (x, None, None, ps), {"merge": "sum"})]

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
    function = staticmethod(ref.stacked_rnn_forward)
    totals = {"public": 3.0, "hidden": 2.0}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_1, n_2, m = sizes(r, 4)
        T = int(r.integers(3, 6))
        layers = [{"Wax": normal(r, n_1, n_x, scale=0.7), "Waa": normal(r, n_1, n_1, scale=0.5),
                   "ba": normal(r, n_1, 1, scale=0.5)},
                  {"Wax": normal(r, n_2, n_1, scale=0.7), "Waa": normal(r, n_2, n_2, scale=0.5),
                   "ba": normal(r, n_2, 1, scale=0.5)}]
        x = normal(r, n_x, m, T)
        n_3 = sizes(r, 1, 2, 5)[0]
        three = layers + [{"Wax": normal(r, n_3, n_2), "Waa": normal(r, n_3, n_3, scale=0.5),
                           "ba": normal(r, n_3, 1)}]
        a0 = [normal(r, n, m) for n in (n_1, n_2, n_3)]
        if part == "public":
            return [Case("shapes and types", 1, (x, None, layers)),
                    Case("layer 1 reads x", 1, (x, None, layers)),
                    Case("layer 2 reads layer 1's states", 1, (x, None, layers)),
                    Case("three layers, given initial states", 1, (x, a0, three)),
                    inputs_case((x, a0, three), points=0.5)]
        r1 = rng(1)
        x1 = normal(r1, n_x, m + 1, T + 1)
        a01 = [normal(r1, n, m + 1) for n in (n_1, n_2, n_3)]
        return [Case("three layers, given initial states", 2, (x1, a01, three))]

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
    function = staticmethod(ref.attention_forward)
    totals = {"public": 3.0, "hidden": 2.0}
    names = ("context", "alpha", "cache")
    parts = {"alpha: softmax over the input positions": ("alpha",),
             "context: alpha-weighted sum of h": ("context",),
             "dot-product score": ("context", "alpha"),
             "large scores, different for every example (stable)": ("context", "alpha")}

    def make_cases(self, part, rng):
        r = rng(0)
        n_s, n_h, n_e, m = sizes(r, 4)
        T = int(r.integers(3, 7))
        p = {"Wq": normal(r, n_e, n_s), "Wk": normal(r, n_e, n_h), "v": normal(r, n_e, 1)}
        args = (normal(r, n_s, m), normal(r, n_h, m, T), p)
        # dot scores of size hundreds, with a different offset per example
        big_s = 5.0 + normal(r, n_h, m) * r.uniform(-400, 400, size=(1, m))
        large = Case("large scores, different for every example (stable)", 1,
                     (big_s, normal(r, n_h, m, T) + 5.0, None), {"score": "dot"})
        dot = Case("dot-product score", 1, (normal(r, n_h, m), normal(r, n_h, m, T), None),
                   {"score": "dot"})
        if part == "public":
            return [Case("shapes and types", 1, args),
                    Case("alpha: softmax over the input positions", 1, args),
                    Case("context: alpha-weighted sum of h", 1, args), dot, large,
                    inputs_case(args, points=0.5)]
        return [Case("alpha: softmax over the input positions", 1,
                     (normal(r, n_s, m), normal(r, n_h, m, T + 1), p)), dot, large]

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
    function = staticmethod(ref.attention_backward)
    totals = {"public": 4.0, "hidden": 2.0}
    parts = {"ds_prev and dh": ("ds_prev", "dh"), "dWq, dWk and dv": ("dWq", "dWk", "dv"),
             "dot-product score": ("ds_prev", "dh")}

    def make_cases(self, part, rng):
        r = rng(0)
        n_s, n_h, n_e, m = sizes(r, 4)
        T = int(r.integers(3, 6))
        p = {"Wq": normal(r, n_e, n_s), "Wk": normal(r, n_e, n_h), "v": normal(r, n_e, 1)}
        _, _, cache = ref.attention_forward(normal(r, n_s, m), normal(r, n_h, m, T), p)
        args = (normal(r, n_h, m), cache)
        _, _, dot = ref.attention_forward(normal(r, n_h, m), normal(r, n_h, m, T), None, "dot")
        if part == "public":
            return [Case("shapes and types", 1, args), Case("ds_prev and dh", 1, args),
                    Case("dWq, dWk and dv", 1, args), Case("finite differences", 1, args),
                    Case("dot-product score", 1, (normal(r, n_h, m), dot)),
                    inputs_case(args, points=0.5)]
        return [Case("dot-product score", 1, (normal(r, n_h, m), dot)),
                Case("finite differences", 1, (normal(r, n_h, m), dot))]

    def numeric(self, case):
        dcontext, cache = copy.deepcopy(case.args)
        s_prev, h, _, _, p, score = cache
        targets = {"ds_prev": s_prev, "dh": h}
        if score == "additive":
            targets.update({"dWq": p["Wq"], "dWk": p["Wk"], "dv": p["v"]})
        return finite_differences(lambda: ref.attention_forward(s_prev, h, p, score)[0],
                                  targets, dcontext)


@register
class BidirectionalRnnBackward(BackwardCheck):
    name = "bidirectional_rnn_backward"
    function = staticmethod(ref.bidirectional_rnn_backward)
    totals = {"public": 4.0, "hidden": 2.0}
    parts = {"forward direction (dWax_f, dWaa_f, dba_f, da0_f)":
             ("dWax_f", "dWaa_f", "dba_f", "da0_f"),
             "backward direction (dWax_b, dWaa_b, dba_b, da0_b)":
             ("dWax_b", "dWaa_b", "dba_b", "da0_b"),
             "dx from both directions": ("dx",), "merge='sum'": None}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_f, n_b, m = sizes(r, 4)
        T = int(r.integers(3, 6))
        p = {**_direction(r, n_x, n_f, "f"), **_direction(r, n_x, n_b, "b")}
        x = normal(r, n_x, m, T)
        _, caches = ref.bidirectional_rnn_forward(x, normal(r, n_f, m), normal(r, n_b, m), p)
        args = (normal(r, n_f + n_b, m, T), caches)
        ps = {**_direction(r, n_x, n_f, "f"), **_direction(r, n_x, n_f, "b")}
        _, sum_caches = ref.bidirectional_rnn_forward(x, None, None, ps, merge="sum")
        if part == "public":
            return [Case("shapes and types", 1, args),
                    Case("forward direction (dWax_f, dWaa_f, dba_f, da0_f)", 1, args),
                    Case("backward direction (dWax_b, dWaa_b, dba_b, da0_b)", 1, args),
                    Case("dx from both directions", 1, args),
                    Case("merge='sum'", 1, (normal(r, n_f, m, T), sum_caches)),
                    Case("finite differences", 1, args), inputs_case(args, points=0.5)]
        return [Case("merge='sum'", 1, (normal(r, n_f, m, T), sum_caches)),
                Case("finite differences", 1, args)]

    def numeric(self, case):
        da, caches = copy.deepcopy(case.args)
        cache_f, cache_b, n_f, n_b, activation, merge = caches
        x = cache_f[1]
        a0_f, a0_b = cache_f[0][0][1], cache_b[0][0][1]
        pf, pb = cache_f[0][0][3], cache_b[0][0][3]
        p = {"Wax_f": pf["Wax"], "Waa_f": pf["Waa"], "ba_f": pf["ba"],
             "Wax_b": pb["Wax"], "Waa_b": pb["Waa"], "ba_b": pb["ba"]}
        targets = {"dx": x, "da0_f": a0_f, "da0_b": a0_b}
        targets.update({f"d{k}": v for k, v in p.items()})
        return finite_differences(
            lambda: ref.bidirectional_rnn_forward(x, a0_f, a0_b, p, activation, merge)[0],
            targets, da)

    def derive_unflipped_dWaa_b(self, case):
        """dWaa_b if the backward RNN's upstream gradient is not reversed in time (for the
        hints of the "backward direction" sub-checks; None for the others)."""
        if not case.check.startswith("backward direction"):
            return None
        da, caches = case.args
        return ref.rnn_backward(np.ascontiguousarray(da[caches[2]:]), caches[1])["dWaa"]

    def hints(self, case, output, expected):
        if case.check.startswith("backward direction") and isinstance(output, dict):
            unflipped = self.derived(case, "unflipped_dWaa_b")
            got = output.get("dWaa_b")
            if isinstance(got, np.ndarray) and got.shape == unflipped.shape and \
                    np.allclose(got, unflipped):
                return ["the backward RNN ran on the reversed sequence: reverse its upstream "
                        "gradient in time too (da[n_a_f:, :, ::-1])"]
        return []
