"""Checks for the character-level language model project: vocabulary and encoding, the
loss with its gradients on one window, the Adagrad update, greedy sampling."""

from __future__ import annotations

import copy

import numpy as np

from autograder import reference as ref

from .compare import compare
from .core import Case, Check, register
from .gradients import BackwardCheck, finite_differences
from .inputs import inputs_case, normal, rnn_parameters, sizes

TEXTS = ("hello world, hello rnn", "the quick brown fox jumps over the lazy dog",
         "to be or not to be", "abracadabra")
UPPER = ("Hello World, HELLO rnn!", "To Be, or NOT to be: Zebra")


def _shuffled(vocabulary: list, r: np.random.Generator) -> list:
    """The same characters in another order (a vocabulary is not always sorted)."""
    order = r.permutation(len(vocabulary))
    while np.all(order == np.arange(len(order))):
        order = r.permutation(len(vocabulary))
    return [vocabulary[int(i)] for i in order]


@register
class BuildVocabulary(Check):
    name = "build_vocabulary"
    function = staticmethod(ref.build_vocabulary)
    totals = {"public": 2.0, "hidden": 2.0}
    parts = {"distinct characters, sorted": None,
             "upper-case letters and punctuation are characters too": None}

    def make_cases(self, part, rng):
        texts = TEXTS[:2] if part == "public" else TEXTS[2:]
        upper = UPPER[0] if part == "public" else UPPER[1]
        return [*(Case("distinct characters, sorted", 1, (t,)) for t in texts),
                Case("upper-case letters and punctuation are characters too", 1, (upper,))]


@register
class Encode(Check):
    name = "encode"
    function = staticmethod(ref.encode)
    totals = {"public": 2.0, "hidden": 1.0}
    parts = {"text to ids": None, "a vocabulary not in sorted order": None,
             "upper-case text": None, "empty text": None}

    def make_cases(self, part, rng):
        r = rng(0)
        text = TEXTS[0] if part == "public" else TEXTS[1]
        vocabulary = ref.build_vocabulary(text)
        upper = UPPER[0] if part == "public" else UPPER[1]
        args = (text, vocabulary)
        cases = [Case("text to ids", 1, args),
                 Case("a vocabulary not in sorted order", 1, (text, _shuffled(vocabulary, r))),
                 Case("upper-case text", 1, (upper, ref.build_vocabulary(upper))),
                 Case("empty text", 0.5, ("", vocabulary))]
        if part == "public":
            return [Case("shapes and types", 1, args), *cases,
                    inputs_case((text, _shuffled(vocabulary, r)), points=0.5)]
        return cases[:2]

    def judge_shapes_and_types(self, case, output):
        return compare(output, self.expected(case), "ids", values=False)


@register
class Decode(Check):
    name = "decode"
    function = staticmethod(ref.decode)
    totals = {"public": 1.0, "hidden": 1.0}
    parts = {"ids to text": None, "a vocabulary not in sorted order": None, "no ids": None}

    def make_cases(self, part, rng):
        r = rng(0)
        text = TEXTS[0] if part == "public" else TEXTS[2]
        vocabulary = ref.build_vocabulary(text)
        shuffled = _shuffled(vocabulary, r)
        cases = [Case("ids to text", 1, (ref.encode(text, vocabulary), vocabulary)),
                 Case("a vocabulary not in sorted order", 1,
                      (ref.encode(text, shuffled), shuffled))]
        if part == "public":
            ids = ref.encode(UPPER[0], ref.build_vocabulary(UPPER[0]))
            return [*cases,
                    Case("ids to text", 0.5, ([int(i) for i in ids],
                                              ref.build_vocabulary(UPPER[0]))),
                    Case("no ids", 0.5, (np.zeros(0, dtype=np.int64), vocabulary)),
                    inputs_case((ref.encode(text, shuffled), shuffled), points=0.5)]
        return cases


def _window(r: np.random.Generator, V: int, n_a: int, m: int, T: int):
    p = rnn_parameters(r, V, n_a, V)
    return p, r.integers(0, V, size=(m, T)), r.integers(0, V, size=(m, T))


@register
class CharLmLoss(BackwardCheck):
    name = "char_lm_loss"
    function = staticmethod(ref.char_lm_loss)
    totals = {"public": 5.0, "hidden": 2.0}
    names = ("loss", "grads", "a_last")

    def make_cases(self, part, rng):
        r = rng(0)
        V, n_a, m = sizes(r, 3, 2, 8)
        T = int(r.integers(3, 6))
        p, inputs, targets = _window(r, V, n_a, m, T)
        args = (p, inputs, targets)
        if part == "public":
            a0 = {"a0": normal(r, n_a, m)}
            return [Case("shapes and types", 1, args), Case("the loss", 1, args),
                    Case("output layer gradients (dWya, dby)", 1, args),
                    Case("recurrent gradients (dWax, dWaa, dba)", 1, args),
                    Case("carried state a0 and the last state", 1, args, a0),
                    Case("finite differences", 1, args), inputs_case(args, a0, points=0.5)]
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
    totals = {"public": 2.0, "hidden": 1.0}
    names = ("parameters", "state")
    parts = {"first step (no state yet)": None, "second step adds to the state": None}

    def make_cases(self, part, rng):
        r = rng(0 if part == "public" else 1)
        n_x, n_a, n_y = sizes(r, 3)
        p = rnn_parameters(r, n_x, n_a, n_y)
        g = {"d" + k: normal(r, *v.shape) for k, v in p.items()}
        _, state = ref.adagrad(p, {"d" + k: normal(r, *v.shape) for k, v in p.items()})
        second = Case("second step adds to the state", 1, (p, g, state), {"learning_rate": 0.2})
        if part == "public":
            return [Case("shapes and types", 1, (p, g)),
                    Case("first step (no state yet)", 1, (p, g), {"learning_rate": 0.05}),
                    second,
                    inputs_case((p, g), {"learning_rate": 0.05}, new_output=True, points=0.5),
                    inputs_case((p, g, state), {"learning_rate": 0.2}, new_output=True,
                                points=0.5)]
        return [second]


# -- sampling ------------------------------------------------------------------------------

DRAWS = 4000          # draws per distribution test
DRAW_TOLERANCE = 0.05  # Hoeffding: P(|freq - p| >= 0.05) <= 2 exp(-2 * 4000 * 0.05**2) = 4e-9


def _iid_model(r: np.random.Generator, V: int, n_a: int) -> dict:
    """Wax = Waa = 0: after the prompt the state is tanh(ba) at every step, so the draws
    are independent, each from the same softmax(z / temperature), z = Wya tanh(ba) + by."""
    p = rnn_parameters(r, V, n_a, V)
    p["Wax"][:] = 0.0
    p["Waa"][:] = 0.0
    p["by"] = np.linspace(2.0, -1.5, V)[:, None] + normal(r, V, 1, scale=0.1)
    p["Wya"] *= 0.2
    return p


@register
class Sample(Check):
    name = "sample"
    function = staticmethod(ref.sample)
    totals = {"public": 2.0, "hidden": 1.0}
    parts = {"temperature 0 picks the most likely character": None,
             "a longer prompt sets the state first": None}

    def make_cases(self, part, rng):
        r = rng(0)
        V, n_a = sizes(r, 2, 4, 9)
        p = rnn_parameters(r, V, n_a, V)
        p["Waa"] *= 2.0  # a lively state, so that the greedy path changes character
        iid = _iid_model(r, V, n_a)
        follows = "temperature > 0: draws follow softmax(z / temperature)"
        from_rng = "draws come from the rng you pass (same seed, same draws)"
        seed = int(r.integers(1, 10_000))
        if part == "public":
            return [Case("shapes and types", 1, (p, 1, 8), {"temperature": 0.0}),
                    Case("temperature 0 picks the most likely character", 1, (p, 0, 12),
                         {"temperature": 0.0}),
                    Case("a longer prompt sets the state first", 1, (p, [2, 0, 3, 1], 10),
                         {"temperature": 0.0}),
                    Case(follows, 1, (iid, 0, DRAWS), {"temperature": 0.5, "rng": seed}),
                    Case(follows, 1, (iid, [1, 2], DRAWS), {"temperature": 2.0},
                         generators={"rng": seed + 1}),
                    Case(from_rng, 1, (p, 0, 60), {"temperature": 1.0},
                         generators={"rng": seed}, reseed=({"rng": seed}, {"rng": seed + 7})),
                    inputs_case((p, [0, 1], 5), {"temperature": 0.5}, generators={"rng": 3},
                                points=0.5)]
        return [Case("a longer prompt sets the state first", 1, (p, [3, 1, 0], 12),
                     {"temperature": 0.0}),
                Case(follows, 1, (iid, 1, DRAWS), {"temperature": 1.5, "rng": seed}),
                Case(from_rng, 1, (p, [1, 0], 50), {"temperature": 0.8},
                     generators={"rng": seed}, reseed=({"rng": seed}, {"rng": seed + 3}))]

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
