"""A small encoder-decoder with attention, trained to reverse a sequence of symbols.

To write the reversed sequence the decoder must look, at output step t, at input
position T_x + 1 - t: a good alignment is the anti-diagonal. The model is the
reference's `seq2seq_attention_forward` / `seq2seq_attention_backward` (bidirectional
encoder, additive attention, RNN decoder with teacher forcing), trained with `adam`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from autograder.reference import (
    adam,
    clip_by_norm,
    cross_entropy,
    init_seq2seq_attention_parameters,
    seq2seq_attention_backward,
    seq2seq_attention_forward,
)

SYMBOLS = "ABCDEFGH"
T_X = 6
START = len(SYMBOLS)  # the decoder's first input
CHECKPOINTS = (0, 50, 100, 150, 200, 300, 400)


def one_hot(ids: np.ndarray, n: int) -> np.ndarray:
    """(m, T) integer ids -> (n, m, T) one-hot."""
    out = np.zeros((n, *ids.shape))
    np.put_along_axis(out, ids[None], 1.0, axis=0)
    return out


def batch(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs x (n_x, m, T), decoder inputs y_in (n_yin, m, T), targets (m, T): reversed."""
    targets = ids[:, ::-1]
    previous = np.concatenate([np.full((ids.shape[0], 1), START), targets[:, :-1]], axis=1)
    return one_hot(ids, len(SYMBOLS)), one_hot(previous, len(SYMBOLS) + 1), targets


def loss_and_gradients(parameters: dict, ids: np.ndarray) -> tuple[float, dict, np.ndarray]:
    """Mean cross-entropy of the reversed sequence, gradients, attention weights."""
    x, y_in, targets = batch(ids)
    y_pred, alphas, caches = seq2seq_attention_forward(x, y_in, parameters)
    y = one_hot(targets, len(SYMBOLS))
    dy_pred = -y / (y_pred * targets.size)
    grads = seq2seq_attention_backward(dy_pred, caches)
    grads = {k: v for k, v in grads.items() if k[1:] in parameters}
    return cross_entropy(y_pred, targets), grads, alphas


@lru_cache(maxsize=1)
def train(seed: int = 0, batch_size: int = 32, lr: float = 0.01) -> dict:
    """Train to reverse random sequences; {step: parameters} at CHECKPOINTS, losses."""
    rng = np.random.default_rng(seed)
    n = len(SYMBOLS)
    parameters = init_seq2seq_attention_parameters(n, 16, 32, n + 1, n, rng=seed)
    checkpoints, losses, state = {0: parameters}, [], None
    for step in range(1, CHECKPOINTS[-1] + 1):
        ids = rng.integers(0, n, (batch_size, T_X))
        loss, grads, _ = loss_and_gradients(parameters, ids)
        parameters, state = adam(parameters, clip_by_norm(grads, 5.0), state, learning_rate=lr)
        losses.append(loss)
        if step in CHECKPOINTS:
            checkpoints[step] = parameters
    return {"checkpoints": checkpoints, "losses": np.array(losses)}


def alignment(parameters: dict, word: str) -> dict:
    """Attention weights (T_y, T_x) and predictions for one input `word`."""
    unknown = sorted(set(word) - set(SYMBOLS))
    if unknown or len(word) != T_X:
        raise ValueError(f"alignment: word must be {T_X} symbols from {SYMBOLS}, got {word!r}")
    ids = np.array([[SYMBOLS.index(c) for c in word]])
    x, y_in, targets = batch(ids)
    y_pred, alphas, _ = seq2seq_attention_forward(x, y_in, parameters)
    predicted = "".join(SYMBOLS[i] for i in y_pred[:, 0, :].argmax(axis=0))
    return {"alphas": alphas[0], "predicted": predicted,
            "target": "".join(SYMBOLS[i] for i in targets[0]),
            "p_correct": y_pred[targets[0], 0, np.arange(T_X)]}
