"""Checks for the character-level language model project: vocabulary and encoding, the
loss with its gradients on one window, the Adagrad update, greedy sampling."""

from __future__ import annotations

import copy

import numpy as np

from autograder import reference as ref

from .compare import compare
from .core import Case, Check, register
from .gradients import BackwardCheck, finite_differences
from .inputs import normal, rnn_parameters, sizes

TEXTS = ("hello world, hello rnn", "the quick brown fox jumps over the lazy dog",
         "to be or not to be", "abracadabra")


@register
class BuildVocabulary(Check):
    name = "build_vocabulary"
    function = staticmethod(ref.build_vocabulary)
    parts = {"distinct characters, sorted": None}

    def make_cases(self, part, rng):
        texts = TEXTS[:2] if part == "public" else TEXTS[2:]
        return [Case("distinct characters, sorted", 1, (t,)) for t in texts]


@register
class Encode(Check):
    name = "encode"
    function = staticmethod(ref.encode)
    parts = {"text to ids": None}

    def make_cases(self, part, rng):
        text = TEXTS[0] if part == "public" else TEXTS[1]
        args = (text, ref.build_vocabulary(text))
        if part == "public":
            return [Case("shapes and types", 1, args), Case("text to ids", 1, args)]
        return [Case("text to ids", 1, args)]

    def judge_shapes_and_types(self, case, output):
        return compare(output, self.expected(case), "ids", values=False)


@register
class Decode(Check):
    name = "decode"
    function = staticmethod(ref.decode)
    parts = {"ids to text": None}

    def make_cases(self, part, rng):
        text = TEXTS[0] if part == "public" else TEXTS[2]
        vocabulary = ref.build_vocabulary(text)
        return [Case("ids to text", 1, (ref.encode(text, vocabulary), vocabulary))]


def _window(r: np.random.Generator, V: int, n_a: int, m: int, T: int):
    p = rnn_parameters(r, V, n_a, V)
    return p, r.integers(0, V, size=(m, T)), r.integers(0, V, size=(m, T))


@register
class CharLmLoss(BackwardCheck):
    name = "char_lm_loss"
    function = staticmethod(ref.char_lm_loss)
    names = ("loss", "grads", "a_last")

    def make_cases(self, part, rng):
        r = rng(0)
        V, n_a, m = sizes(r, 3, 2, 8)
        T = int(r.integers(3, 6))
        p, inputs, targets = _window(r, V, n_a, m, T)
        args = (p, inputs, targets)
        if part == "public":
            return [Case("shapes and types", 1, args), Case("the loss", 1, args),
                    Case("output layer gradients (dWya, dby)", 1, args),
                    Case("recurrent gradients (dWax, dWaa, dba)", 1, args),
                    Case("finite differences", 1, args)]
        a0 = normal(r, n_a, m)
        return [Case("carried state a0 and the last state", 1, args, {"a0": a0}),
                Case("finite differences", 1, args, {"a0": a0})]

    def compare_parts(self, case, output):
        expected = self.expected(case)
        if not isinstance(output, (tuple, list)) or len(output) != 3:
            return [f"the output should be a tuple (loss, grads, a_last), got "
                    f"{type(output).__name__}"]
        loss, grads, a_last = output
        if case.check == "shapes and types":
            return compare(output, expected, "the output", values=False, names=self.names)
        if case.check == "the loss":
            problems = compare(loss, expected[0], "loss", self.tol)
            if problems and isinstance(loss, float):
                m, T = case.args[1].shape
                if np.isclose(loss, expected[0] * m * T):
                    problems.append("that is the sum over the window: take the mean per "
                                    "character")
            return problems
        if case.check.startswith("output layer"):
            return self._grads(grads, expected[1], ("dWya", "dby"))
        if case.check.startswith("recurrent"):
            return self._grads(grads, expected[1], ("dWax", "dWaa", "dba"))
        return (compare(loss, expected[0], "loss", self.tol)
                + compare(a_last, expected[2], "a_last", self.tol))

    def _grads(self, grads, expected, keys):
        if not isinstance(grads, dict):
            return [f"grads should be a dict, got {type(grads).__name__}"]
        return compare(grads, {k: expected[k] for k in keys}, "grads", self.tol)

    def judge_finite_differences(self, case, output):
        grads = output[1] if isinstance(output, (tuple, list)) and len(output) == 3 else output
        return [f"grads: {p}" if not p.startswith("grads") else p
                for p in super().judge_finite_differences(case, grads)]

    def numeric(self, case):
        p, inputs, targets = copy.deepcopy(case.args)
        a0 = copy.deepcopy(case.kwargs.get("a0"))
        targets_ = {"d" + k: p[k] for k in ("Wax", "Waa", "ba", "Wya", "by")}
        return finite_differences(
            lambda: np.array(ref.char_lm_loss(p, inputs, targets, a0)[0]), targets_,
            np.array(1.0))


@register
class Adagrad(Check):
    name = "adagrad"
    function = staticmethod(ref.adagrad)
    names = ("parameters", "state")
    parts = {"first step (no state yet)": None, "second step adds to the state": None}

    def make_cases(self, part, rng):
        r = rng(0)
        n_x, n_a, n_y = sizes(r, 3)
        p = rnn_parameters(r, n_x, n_a, n_y)
        g = {"d" + k: normal(r, *v.shape) for k, v in p.items()}
        if part == "public":
            return [Case("shapes and types", 1, (p, g)),
                    Case("first step (no state yet)", 1, (p, g), {"learning_rate": 0.05})]
        _, state = ref.adagrad(p, {"d" + k: normal(r, *v.shape) for k, v in p.items()})
        return [Case("second step adds to the state", 1, (p, g, state), {"learning_rate": 0.2})]


@register
class Sample(Check):
    name = "sample"
    function = staticmethod(ref.sample)
    parts = {"temperature 0 picks the most likely character": None,
             "a longer prompt sets the state first": None}

    def make_cases(self, part, rng):
        r = rng(0)
        V, n_a = sizes(r, 2, 4, 9)
        p = rnn_parameters(r, V, n_a, V)
        p["Waa"] *= 2.0  # a lively state, so that the greedy path changes character
        if part == "public":
            return [Case("shapes and types", 1, (p, 1, 8), {"temperature": 0.0}),
                    Case("temperature 0 picks the most likely character", 1, (p, 0, 12),
                         {"temperature": 0.0})]
        return [Case("a longer prompt sets the state first", 1, (p, [2, 0, 3, 1], 10),
                     {"temperature": 0.0})]

    def judge_shapes_and_types(self, case, output):
        return compare(output, self.expected(case), "the sampled ids", values=False)
