# Generated from autograder/checks/char_lm.py by `python -m autograder release`: do not edit.
"""Checks for the character-level language model project: vocabulary and encoding, the
loss with its gradients on one window, the Adagrad update, greedy sampling."""

from __future__ import annotations

import numpy as np

from .compare import compare
from .core import Check, register
from .gradients import BackwardCheck


@register
class BuildVocabulary(Check):
    name = "build_vocabulary"
    parts = {"distinct characters, sorted": None}


@register
class Encode(Check):
    name = "encode"
    parts = {"text to ids": None}

    def judge_shapes_and_types(self, case, output):
        return compare(output, self.expected(case), "ids", values=False)


@register
class Decode(Check):
    name = "decode"
    parts = {"ids to text": None}


@register
class CharLmLoss(BackwardCheck):
    name = "char_lm_loss"
    names = ("loss", "grads", "a_last")

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


@register
class Adagrad(Check):
    name = "adagrad"
    names = ("parameters", "state")
    parts = {"first step (no state yet)": None, "second step adds to the state": None}


@register
class Sample(Check):
    name = "sample"
    parts = {"temperature 0 picks the most likely character": None,
             "a longer prompt sets the state first": None}

    def judge_shapes_and_types(self, case, output):
        return compare(output, self.expected(case), "the sampled ids", values=False)
