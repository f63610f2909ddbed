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
    totals = {"public": 2.0, "hidden": 2.0}
    parts = {"distinct characters, sorted": None,
             "upper-case letters and punctuation are characters too": None}


@register
class Encode(Check):
    name = "encode"
    totals = {"public": 2.0, "hidden": 1.0}
    parts = {"text to ids": None, "a vocabulary not in sorted order": None,
             "upper-case text": None, "empty text": None}

    def judge_shapes_and_types(self, case, output):
        return compare(output, self.expected(case), "ids", values=False)


@register
class Decode(Check):
    name = "decode"
    totals = {"public": 1.0, "hidden": 1.0}
    parts = {"ids to text": None, "a vocabulary not in sorted order": None, "no ids": None}


@register
class CharLmLoss(BackwardCheck):
    name = "char_lm_loss"
    totals = {"public": 5.0, "hidden": 2.0}
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
    totals = {"public": 2.0, "hidden": 1.0}
    names = ("parameters", "state")
    parts = {"first step (no state yet)": None, "second step adds to the state": None}


# -- sampling ------------------------------------------------------------------------------

DRAW_TOLERANCE = 0.05  # Hoeffding: P(|freq - p| >= 0.05) <= 2 exp(-2 * 4000 * 0.05**2) = 4e-9


@register
class Sample(Check):
    name = "sample"
    totals = {"public": 2.0, "hidden": 1.0}
    parts = {"temperature 0 picks the most likely character": None,
             "a longer prompt sets the state first": None}

    def judge_shapes_and_types(self, case, output):
        return compare(output, self.expected(case), "the sampled ids", values=False)

    def judge_temperature___0__draws_follow_softmax_z___temperature_(self, case, output):
        parameters, _, length = case.args
        problems = compare(output, np.zeros(length, dtype=np.int64), "the sampled ids",
                           values=False)
        if problems:
            return problems
        V = parameters["Wya"].shape[0]
        if output.min() < 0 or output.max() >= V:
            return [f"the sampled ids must lie in [0, {V}), got {output.min()}..{output.max()}"]
        tau = case.kwargs["temperature"]
        z = (parameters["Wya"] @ np.tanh(parameters["ba"]) + parameters["by"])[:, 0]
        want = np.exp(z / tau - np.max(z / tau))
        want /= want.sum()
        freq = np.bincount(output, minlength=V) / length
        worst = int(np.argmax(np.abs(freq - want)))
        if abs(freq[worst] - want[worst]) <= DRAW_TOLERANCE:
            return []
        problem = (f"over {length} draws at temperature {tau:g} character {worst} came "
                   f"{freq[worst]:.3f} of the time; softmax(z / temperature) gives it "
                   f"{want[worst]:.3f} (tolerance {DRAW_TOLERANCE}; a correct sampler fails "
                   "this with probability below 1e-7)")
        hints = []
        for label, other in (("softmax(z), ignoring the temperature", z),
                             ("softmax(z * temperature)", z * tau),
                             ("always the most likely character", None)):
            if other is None:
                q = np.zeros(V)
                q[int(np.argmax(z))] = 1.0
            else:
                q = np.exp(other - other.max())
                q /= q.sum()
            if np.max(np.abs(freq - q)) <= DRAW_TOLERANCE:
                hints.append(f"your draws follow {label}: divide the scores by the "
                             "temperature and draw from the softmax")
                break
        return [problem, *hints]

    def judge_draws_come_from_the_rng_you_pass__same_seed__same_draws_(self, case, output,
                                                                      info):
        problems = compare(output, self.expected(case), "the sampled ids", values=False)
        if problems:
            return problems
        if not info.get("rng_used", {}).get("rng", False):
            return ["the generator passed as rng was never used: draw with it "
                    "(rng.choice, rng.random ...), not with np.random or a new generator"]
        again = info.get("again") or []
        if len(again) != 2:
            return ["the repeated calls were not reported"]
        (same, _), (other, _) = again
        if not (isinstance(same, np.ndarray) and same.shape == output.shape
                and np.array_equal(same, output)):
            return ["two calls with generators of the same seed gave different samples: "
                    "every random draw must come from the rng you are given (not np.random)"]
        if isinstance(other, np.ndarray) and np.array_equal(other, output):
            return ["generators of different seeds gave the same samples: use the rng you "
                    "are given, not a generator with a fixed seed of your own"]
        return []
