"""A character-level language model on the core RNN (in the spirit of min-char-rnn).

The model is rnn.py's RNN with one-hot characters in and a softmax over the next
character out: parameters = init_rnn_parameters(V, n_a, V) for a vocabulary of V
characters. Training reads the text as batch_size parallel streams, cut into windows
of seq_length characters; the hidden state is carried from one window to the next but
the gradient stops at the window's edge (truncated backpropagation through time).

    vocabulary = build_vocabulary(text);  ids = encode(text, vocabulary)
    parameters = init_rnn_parameters(len(vocabulary), 64, len(vocabulary), rng=0)
    parameters, losses = char_lm_train(parameters, ids, steps=1000)
    decode(sample(parameters, ids[0], 200, temperature=0.8, rng=1), vocabulary)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from ._validate import check_array, check_choice, check_parameters, check_positive
from .activations import softmax
from .clipping import clip, clip_by_norm
from .initializers import Rng
from .losses import cross_entropy, perplexity
from .optim import adagrad, adam, sgd
from .rnn import _cell_forward, rnn_backward, rnn_forward

OPTIMIZERS = ("adagrad", "adam", "sgd")


# ------------------------------------------------------------------------ text <-> ids


def build_vocabulary(text: str) -> list[str]:
    """The distinct characters of text, sorted: vocabulary[i] is character number i."""
    if not isinstance(text, str) or not text:
        raise ValueError("build_vocabulary: text must be a non-empty string")
    return sorted(set(text))


def _check_vocabulary(func: str, vocabulary: object) -> None:
    ok = isinstance(vocabulary, (list, tuple)) and vocabulary
    if not ok or not all(isinstance(c, str) and len(c) == 1 for c in vocabulary):
        raise ValueError(f"{func}: vocabulary must be a non-empty list of single characters")
    if len(set(vocabulary)) != len(vocabulary):
        raise ValueError(f"{func}: vocabulary lists a character twice")


def encode(text: str, vocabulary: Sequence[str]) -> np.ndarray:
    """Text -> integer ids (len(text),) (int64); ValueError names an unknown character."""
    func = "encode"
    _check_vocabulary(func, vocabulary)
    if not isinstance(text, str):
        raise ValueError(f"{func}: text must be a string, got {type(text).__name__}")
    index = {c: i for i, c in enumerate(vocabulary)}
    for position, c in enumerate(text):
        if c not in index:
            raise ValueError(
                f"{func}: character {c!r} at position {position} is not in the vocabulary"
            )
    return np.array([index[c] for c in text], dtype=np.int64)


def decode(ids: np.ndarray | Sequence[int], vocabulary: Sequence[str]) -> str:
    """Integer ids (any 1-D sequence) -> text."""
    func = "decode"
    _check_vocabulary(func, vocabulary)
    ids = np.asarray(ids)
    if ids.shape == (0,):
        return ""
    _check_ids(func, "ids", ids, len(vocabulary), (None,), "(T,)")
    return "".join(vocabulary[i] for i in ids)


def one_hot(ids: np.ndarray, n: int) -> np.ndarray:
    """Integer ids of any shape S -> float64 one-hot vectors (n,) + S, along axis 0."""
    func = "one_hot"
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{func}: n must be a positive integer, got {n!r}")
    _check_ids(func, "ids", ids, n, [None] * np.ndim(ids), "any shape")
    out = np.zeros((n,) + ids.shape)
    np.put_along_axis(out, ids[np.newaxis], 1.0, axis=0)
    return out


def _check_ids(func: str, name: str, ids: object, n: int, shape, dims: str) -> np.ndarray:
    check_array(func, name, ids, shape, dims)
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{func}: {name} must hold integer ids, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        raise ValueError(
            f"{func}: {name} holds ids outside [0, {n}) (min {ids.min()}, max {ids.max()})"
        )
    return ids


def _check_model(func: str, parameters: object) -> tuple[int, int]:
    """Validate an RNN language model's parameters; return (V, n_a)."""
    check_parameters(func, parameters, {"Waa": ((None, None), "(n_a, n_a)")})
    n_a = parameters["Waa"].shape[0]
    check_parameters(func, parameters, {"Wya": ((None, n_a), "(V, n_a)")}, f"n_a = {n_a}")
    V = parameters["Wya"].shape[0]
    check_parameters(
        func,
        parameters,
        {
            "Wax": ((n_a, V), "(n_a, V)"),
            "Waa": ((n_a, n_a), "(n_a, n_a)"),
            "ba": ((n_a, 1), "(n_a, 1)"),
            "Wya": ((V, n_a), "(V, n_a)"),
            "by": ((V, 1), "(V, 1)"),
        },
        f"a language model reads and predicts the same V = {V} characters (from Wya), "
        f"n_a = {n_a} from Waa",
    )
    return V, n_a


def _initial_state(func: str, a0: object, n_a: int, m: int) -> np.ndarray:
    if a0 is None:
        return np.zeros((n_a, m))
    return check_array(func, "a0", a0, (n_a, m), "(n_a, m)")


# ----------------------------------------------------------------------------- training


def char_lm_loss(
    parameters: dict, inputs: np.ndarray, targets: np.ndarray, a0: np.ndarray | None = None
) -> tuple[float, dict, np.ndarray]:
    """Loss and gradients on one window.

    inputs, targets: integer ids (m, T); targets[i, t] is the character after inputs[i, t].
    a0 (n_a, m): the state carried over from the previous window (None for zeros).
    Returns the mean cross-entropy per character (nats), the gradients dWax, dWaa, dba,
    dWya, dby, and the last hidden state (n_a, m) to carry to the next window.
    """
    func = "char_lm_loss"
    V, n_a = _check_model(func, parameters)
    _check_ids(func, "inputs", inputs, V, (None, None), "(m, T)")
    _check_ids(func, "targets", targets, V, inputs.shape, "(m, T), like inputs")
    if inputs.size == 0:
        raise ValueError(f"{func}: inputs has shape {inputs.shape}; it needs m, T >= 1")
    m, T = inputs.shape
    a0 = _initial_state(func, a0, n_a, m)

    a, y_pred, caches = rnn_forward(one_hot(inputs, V), a0, parameters)
    loss = cross_entropy(y_pred, targets)
    # Softmax and mean cross-entropy together: d loss / d logits = (y_pred - y) / (m T).
    dz = (y_pred - one_hot(targets, V)) / (m * T)
    grads = rnn_backward(np.einsum("va,vmt->amt", parameters["Wya"], dz), caches)
    grads = {key: grads[key] for key in ("dWax", "dWaa", "dba")}
    grads["dWya"] = np.einsum("vmt,amt->va", dz, a)
    grads["dby"] = dz.sum(axis=(1, 2))[:, None]
    return loss, grads, a[:, :, -1].copy()


def char_lm_train_step(
    parameters: dict,
    inputs: np.ndarray,
    targets: np.ndarray,
    a_prev: np.ndarray | None = None,
    state: dict | None = None,
    optimizer: str = "adagrad",
    learning_rate: float = 0.1,
    clip_value: float | None = None,
    max_norm: float | None = None,
) -> tuple[dict, dict | None, float, np.ndarray]:
    """One step of truncated BPTT on one window, then clipping, then the update.

    clip_value: clip every gradient entry to [-clip_value, clip_value] (None: don't);
    max_norm: rescale the gradients to global norm max_norm (None: don't).
    Neither clips by default. A threshold only acts relative to the gradients' size: the
    loss is a *mean* over the window's m T characters, so its gradient is m T times
    smaller than min-char-rnn's summed-loss gradient and that model's entry clip of 5
    would never act here; on chapter 8's model max_norm=1.0 or a clip_value of about 0.1
    act on the unusually large steps.
    optimizer: "adagrad", "adam" or "sgd"; state: that optimizer's state (None at first).
    Returns (new parameters, new optimizer state, loss before the update, last state a).
    """
    func = "char_lm_train_step"
    check_choice(func, "optimizer", optimizer, OPTIMIZERS)
    check_positive(func, "learning_rate", learning_rate)
    if clip_value is not None:
        check_positive(func, "clip_value", clip_value)
    if max_norm is not None:
        check_positive(func, "max_norm", max_norm)
    loss, grads, a_last = char_lm_loss(parameters, inputs, targets, a_prev)
    if clip_value is not None:
        grads = clip(grads, clip_value)
    if max_norm is not None:
        grads = clip_by_norm(grads, max_norm)
    if optimizer == "sgd":
        return sgd(parameters, grads, learning_rate), None, loss, a_last
    update = adagrad if optimizer == "adagrad" else adam
    new_parameters, state = update(parameters, grads, state, learning_rate)
    return new_parameters, state, loss, a_last


def char_lm_windows(
    ids: np.ndarray, seq_length: int, batch_size: int = 1
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One pass over ids (N,) as (inputs, targets) windows, each (batch_size, seq_length).

    The text is cut into batch_size equal streams (row i of every window continues row i
    of the previous one, so the hidden state can be carried); a short last window is kept.
    """
    func = "char_lm_windows"
    for name, value in (("seq_length", seq_length), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{func}: {name} must be a positive integer, got {value!r}")
    check_array(func, "ids", ids, (None,), "(N,)")
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{func}: ids must hold integer ids, got dtype {ids.dtype}")
    stream = (len(ids) - 1) // batch_size  # every stream needs one extra id as the last target
    if stream < 1:
        raise ValueError(
            f"{func}: ids has {len(ids)} characters, too few for {batch_size} streams "
            f"(needs at least {batch_size + 1})"
        )
    inputs = ids[: batch_size * stream].reshape(batch_size, stream)
    targets = ids[1 : batch_size * stream + 1].reshape(batch_size, stream)
    for start in range(0, stream, seq_length):
        yield inputs[:, start : start + seq_length], targets[:, start : start + seq_length]


def char_lm_train(
    parameters: dict,
    ids: np.ndarray,
    steps: int,
    seq_length: int = 25,
    batch_size: int = 1,
    optimizer: str = "adagrad",
    learning_rate: float = 0.1,
    clip_value: float | None = None,
    max_norm: float | None = None,
) -> tuple[dict, list[float]]:
    """Run `steps` training steps over ids (N,), going round the text as often as needed
    (the hidden state restarts from zeros at each pass). Returns (parameters, losses)."""
    func = "char_lm_train"
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"{func}: steps must be a non-negative integer, got {steps!r}")
    V, _ = _check_model(func, parameters)
    _check_ids(func, "ids", ids, V, (None,), "(N,)")
    losses: list[float] = []
    state = None
    while len(losses) < steps:
        a_prev = None
        for inputs, targets in char_lm_windows(ids, seq_length, batch_size):
            if len(losses) == steps:
                break
            parameters, state, loss, a_prev = char_lm_train_step(
                parameters,
                inputs,
                targets,
                a_prev,
                state,
                optimizer,
                learning_rate,
                clip_value,
                max_norm,
            )
            losses.append(loss)
    return parameters, losses


# ------------------------------------------------------------------- sampling, evaluation


def _read_prompt(func: str, parameters, start, temperature, a0) -> tuple[int, np.ndarray]:
    """Validate; return V and the state (n_a, 1) after reading the prompt."""
    V, n_a = _check_model(func, parameters)
    prompt = np.atleast_1d(np.asarray(start))
    _check_ids(func, "start", prompt, V, (None,), "one id or (T,)")
    if prompt.size == 0:
        raise ValueError(f"{func}: start must hold at least one id")
    number = isinstance(temperature, (int, float, np.number)) and not isinstance(temperature, bool)
    if not (number and np.isfinite(temperature) and temperature >= 0):
        raise ValueError(f"{func}: temperature must be a finite number >= 0, got {temperature!r}")
    a = _initial_state(func, a0, n_a, 1)
    # Read the prompt with the core RNN; its last state predicts the first new character.
    a_prompt, _, _ = rnn_forward(one_hot(prompt[None, :], V), a, parameters)
    return V, a_prompt[:, :, -1]


def _distribution(parameters: dict, a: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / temperature) (V,); at temperature 0, all mass on the argmax."""
    logits = (parameters["Wya"] @ a + parameters["by"])[:, 0]
    if temperature == 0:
        p = np.zeros(logits.shape)
        p[int(np.argmax(logits))] = 1.0
        return p
    return softmax(logits / temperature)


def next_char_probabilities(
    parameters: dict,
    start: int | Sequence[int],
    temperature: float = 1.0,
    a0: np.ndarray | None = None,
) -> np.ndarray:
    """The distribution (V,) that sample() draws the character after the prompt from:
    softmax(logits / temperature), or all mass on the most likely one at temperature 0."""
    _, a = _read_prompt("next_char_probabilities", parameters, start, temperature, a0)
    return _distribution(parameters, a, temperature)


def sample(
    parameters: dict,
    start: int | Sequence[int],
    length: int,
    temperature: float = 1.0,
    rng: Rng = None,
    a0: np.ndarray | None = None,
) -> np.ndarray:
    """Generate `length` characters after the prompt `start` (one id or a sequence of ids).

    Each next character is drawn from softmax(logits / temperature): temperature 1 is
    the model's own distribution, < 1 sharper, > 1 flatter, and 0 picks the most likely
    character every time (greedy, no randomness). rng: np.random.Generator or seed.
    Returns the generated ids (length,) (int64), the prompt not included.
    """
    func = "sample"
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"{func}: length must be a non-negative integer, got {length!r}")
    V, a = _read_prompt(func, parameters, start, temperature, a0)
    g = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    out = np.zeros(length, dtype=np.int64)
    for t in range(length):
        p = _distribution(parameters, a, temperature)
        if temperature == 0:
            out[t] = int(np.argmax(p))
        else:  # inverse-CDF draw
            cdf = np.cumsum(p)
            out[t] = min(int(np.searchsorted(cdf, g.random() * cdf[-1], side="right")), V - 1)
        if t + 1 < length:  # feed the new character back (parameters were checked above)
            xt = np.zeros((V, 1))
            xt[out[t]] = 1.0
            a, _, _ = _cell_forward(xt, a, parameters, "tanh")
    return out


def char_lm_perplexity(parameters: dict, ids: np.ndarray, a0: np.ndarray | None = None) -> float:
    """Perplexity of the model on held-out ids (N,), N >= 2: exp of the mean
    cross-entropy of predicting ids[1:] from the characters before them (one sequence)."""
    func = "char_lm_perplexity"
    V, n_a = _check_model(func, parameters)
    _check_ids(func, "ids", ids, V, (None,), "(N,)")
    if len(ids) < 2:
        raise ValueError(f"{func}: ids has {len(ids)} characters; perplexity needs at least 2")
    a0 = _initial_state(func, a0, n_a, 1)
    _, y_pred, _ = rnn_forward(one_hot(ids[None, :-1], V), a0, parameters)
    return perplexity(y_pred, ids[None, 1:])
