"""A small character RNN trained on words written without spaces (Elman, 1990).

The stream is words of a tiny lexicon in random order, e.g. "manyyearsagoaboy...".
Inside a word the next letter is predictable; at a word boundary it is not, so a
trained network's prediction error rises at the start of each word: it has found the
words without being told where they are. Training uses the reference: `char_lm_loss`
(the letter model's loss and gradients, built on `rnn_forward` / `rnn_backward`),
`clip_by_norm` and `adam`, on random windows of the stream.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from autograder.reference import adam, char_lm_loss, clip_by_norm, one_hot, rnn_forward

LEXICON = ("many", "years", "ago", "a", "boy", "and", "girl", "lived", "by", "the", "sea",
           "they", "played", "happily")
ALPHABET = sorted(set("".join(LEXICON)))
TEST_TEXTS = ("manyyearsagoaboyandagirllivedbythesea", "theyplayedhappilybythesea",
              "agirlandaboyplayedhappily")
CHECKPOINTS = (0, 10, 25, 50, 100, 200, 400)
N_A = 32


def word_stream(n_words: int, seed: int) -> str:
    """Words of the lexicon in random order, concatenated without spaces."""
    rng = np.random.default_rng(seed)
    return "".join(LEXICON[i] for i in rng.integers(0, len(LEXICON), n_words))


def encode(text: str) -> np.ndarray:
    """Letter indices of `text` (every letter must be in ALPHABET)."""
    unknown = sorted(set(text) - set(ALPHABET))
    if unknown:
        raise ValueError(f"encode: letters {unknown} are not in the lexicon's alphabet")
    return np.array([ALPHABET.index(c) for c in text], dtype=int)


def initial_parameters(seed: int = 0) -> dict:
    """Small random weights for the letter RNN."""
    rng = np.random.default_rng(seed)
    n = len(ALPHABET)
    return {"Wax": rng.standard_normal((N_A, n)) * 0.3,
            "Waa": rng.standard_normal((N_A, N_A)) * 0.3 / np.sqrt(N_A),
            "Wya": rng.standard_normal((n, N_A)) * 0.3 / np.sqrt(N_A),
            "ba": np.zeros((N_A, 1)), "by": np.zeros((n, 1))}


@lru_cache(maxsize=2)
def train(seed: int = 0, steps: int = CHECKPOINTS[-1], batch: int = 32, T: int = 24,
          lr: float = 0.01) -> tuple[dict[int, dict], list[float]]:
    """Train with Adam; returns ({iteration: parameters} at CHECKPOINTS, loss per step)."""
    rng = np.random.default_rng(seed)
    data = encode(word_stream(4000, seed))
    parameters = initial_parameters(seed)
    state = None
    snapshots = {0: {k: v.copy() for k, v in parameters.items()}}
    losses = []
    for step in range(1, steps + 1):
        starts = rng.integers(0, len(data) - T - 1, batch)
        window = np.stack([data[s : s + T + 1] for s in starts])
        loss, grads, _ = char_lm_loss(parameters, window[:, :-1], window[:, 1:])
        parameters, state = adam(parameters, clip_by_norm(grads, 5.0), state, learning_rate=lr)
        losses.append(float(loss))
        if step in CHECKPOINTS:
            snapshots[step] = {k: v.copy() for k, v in parameters.items()}
    return snapshots, losses


def surprisal(parameters: dict, text: str) -> dict:
    """Run the RNN over `text`; the prediction for each next letter and its error.

    Returns hidden states a (n_a, T-1), predicted distributions p (n_letters, T-1)
    for letters 2..T, and error[t] = -log p(actual letter t+1) in nats.
    """
    idx = encode(text)
    x = one_hot(idx[None, :-1], len(ALPHABET))  # (n_letters, 1, T - 1)
    a, y_pred, _ = rnn_forward(x, np.zeros((parameters["Waa"].shape[0], 1)), parameters)
    p = y_pred[:, 0, :]
    error = -np.log(p[idx[1:], np.arange(len(idx) - 1)])
    return {"a": a[:, 0, :], "p": p, "error": error}


def word_starts(text: str) -> list[int]:
    """Positions in `text` where a lexicon word starts (greedy longest-match parse)."""
    starts, i = [], 0
    words = sorted(LEXICON, key=len, reverse=True)
    while i < len(text):
        for w in words:
            if text.startswith(w, i):
                starts.append(i)
                i += len(w)
                break
        else:
            raise ValueError(f"word_starts: {text[i:]!r} does not start with a lexicon word")
    return starts
