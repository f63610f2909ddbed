"""Attention, and an encoder-decoder that uses it (Bahdanau et al., 2015; Luong et al., 2015).

One attention step: the decoder's previous state s (n_s, m) scores every encoder state
h<t'> (n_h, m), the scores become weights over the T_x input positions, and the
context is the weighted average of the encoder states:

    e<t'>   = v^T tanh(Wq s + Wk h<t'>)     score="additive" (Bahdanau): Wq (n_e, n_s),
                                            Wk (n_e, n_h), v (n_e, 1)
    e<t'>   = s . h<t'>                     score="dot" (Luong): no parameters, n_s = n_h
    alpha   = softmax over t' of e          (m, T_x), each row sums to 1
    context = sum over t' of alpha<t'> h<t'>   (n_h, m)

The encoder-decoder (teacher forcing: the decoder reads the given y_in<t>, e.g. the
previous target):

    h        = bidirectional RNN of x, states concatenated      (n_h = 2 n_a, m, T_x)
    for t = 1 .. T_y:
        context<t>, alpha<t> = attention(s<t-1>, h)
        s<t>     = tanh(Wdx [context<t>; y_in<t>] + Wdd s<t-1> + bd)   (the core RNN cell)
        y_hat<t> = softmax(Wy s<t> + by)

Parameters (one flat dict): the encoder's Wax_f, Waa_f, ba_f, Wax_b, Waa_b, ba_b
(bidirectional.py), the attention's Wq, Wk, v (additive only), and the decoder's
Wdx (n_s, n_h + n_yin), Wdd (n_s, n_s), bd (n_s, 1), Wy (n_y, n_s), by (n_y, 1).
"""

from __future__ import annotations

import numpy as np

from ._validate import check_array, check_choice, check_parameters, check_steps
from .activations import softmax
from .bidirectional import (
    bidirectional_rnn_backward,
    bidirectional_rnn_forward,
    init_bidirectional_rnn_parameters,
)
from .initializers import Rng
from .rnn import rnn_cell_backward, rnn_cell_forward

SCORES = ("additive", "dot")
ENCODER_KEYS = ("Wax_f", "Waa_f", "ba_f", "Wax_b", "Waa_b", "ba_b")
ATTENTION_KEYS = ("Wq", "Wk", "v")
DECODER_KEYS = ("Wdx", "Wdd", "bd", "Wy", "by")


def _check_attention_parameters(
    func: str, parameters: object, score: str, n_s: int, n_h: int
) -> None:
    if score == "dot":
        if n_s != n_h:
            raise ValueError(
                f"{func}: score='dot' needs the decoder state and the encoder states to have "
                f"the same size, got n_s = {n_s} and n_h = {n_h}"
            )
        return
    check_parameters(func, parameters, {"Wq": ((None, n_s), "(n_e, n_s)")}, f"n_s = {n_s}")
    n_e = parameters["Wq"].shape[0]
    check_parameters(
        func,
        parameters,
        {
            "Wq": ((n_e, n_s), "(n_e, n_s)"),
            "Wk": ((n_e, n_h), "(n_e, n_h)"),
            "v": ((n_e, 1), "(n_e, 1)"),
        },
        f"n_e = {n_e} from Wq, n_s = {n_s}, n_h = {n_h}",
    )


def _attention_forward(s_prev, h, p, score):
    if score == "dot":
        e = np.einsum("hm,hmt->mt", s_prev, h)
        pre = None
    else:
        pre = np.tanh(np.einsum("eh,hmt->emt", p["Wk"], h) + (p["Wq"] @ s_prev)[:, :, None])
        e = np.einsum("e,emt->mt", p["v"][:, 0], pre)
    alpha = softmax(e.T).T  # softmax over the T_x positions of each example
    context = np.einsum("hmt,mt->hm", h, alpha)
    return context, alpha, (s_prev, h, alpha, pre, p, score)


def _attention_backward(dcontext, cache):
    s_prev, h, alpha, pre, p, score = cache
    dh = dcontext[:, :, None] * alpha[None]
    dalpha = np.einsum("hm,hmt->mt", dcontext, h)
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=1, keepdims=True))  # softmax backward
    if score == "dot":
        return {
            "ds_prev": np.einsum("mt,hmt->hm", de, h),
            "dh": dh + s_prev[:, :, None] * de[None],
        }
    dz = p["v"][:, :, None] * de[None] * (1.0 - pre**2)  # (n_e, m, T_x), before the tanh
    dz_s = dz.sum(axis=2)  # Wq s was added at every position
    return {
        "ds_prev": p["Wq"].T @ dz_s,
        "dh": dh + np.einsum("eh,emt->hmt", p["Wk"], dz),
        "dWq": dz_s @ s_prev.T,
        "dWk": np.einsum("emt,hmt->eh", dz, h),
        "dv": np.einsum("emt,mt->e", pre, de)[:, None],
    }


def attention_forward(
    s_prev: np.ndarray, h: np.ndarray, parameters: dict | None = None, score: str = "additive"
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One attention step: query s_prev (n_s, m) over encoder states h (n_h, m, T_x).

    parameters: Wq (n_e, n_s), Wk (n_e, n_h), v (n_e, 1) for score="additive";
    unused (may be None) for score="dot", which needs n_s = n_h.
    Returns context (n_h, m), alpha (m, T_x) and a cache.
    """
    func = "attention_forward"
    check_choice(func, "score", score, SCORES)
    check_array(func, "h", h, (None, None, None), "(n_h, m, T_x)")
    n_h, m, T_x = h.shape
    check_steps(func, T_x)
    check_array(func, "s_prev", s_prev, (None, m), "(n_s, m)")
    _check_attention_parameters(func, parameters, score, s_prev.shape[0], n_h)
    return _attention_forward(s_prev, h, parameters, score)


def attention_backward(dcontext: np.ndarray, cache: tuple) -> dict:
    """Backward pass of one attention step: dcontext (n_h, m) ->
    ds_prev (n_s, m), dh (n_h, m, T_x), and dWq, dWk, dv for score="additive"."""
    func = "attention_backward"
    if not (isinstance(cache, tuple) and len(cache) == 6 and cache[5] in SCORES):
        raise ValueError(
            f"{func}: cache must be the 6-tuple returned by attention_forward, "
            f"got {type(cache).__name__}"
        )
    n_h, m, _ = cache[1].shape
    check_array(func, "dcontext", dcontext, (n_h, m), "(n_h, m)")
    return _attention_backward(dcontext, cache)


def _decoder(parameters: dict) -> dict:
    """The core RNN cell's parameter dict for the decoder."""
    p = parameters
    return {"Wax": p["Wdx"], "Waa": p["Wdd"], "ba": p["bd"], "Wya": p["Wy"], "by": p["by"]}


def seq2seq_attention_forward(
    x: np.ndarray,
    y_in: np.ndarray,
    parameters: dict,
    score: str = "additive",
    s0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Encode x (n_x, m, T_x), then decode T_y steps with attention.

    y_in (n_yin, m, T_y): the decoder's input at each step (teacher forcing);
    s0 (n_s, m): the decoder's initial state, None for zeros.
    Returns y_pred (n_y, m, T_y), alphas (m, T_y, T_x) (alphas[i] is example i's
    alignment: row t says where output t looked) and a cache.
    """
    func = "seq2seq_attention_forward"
    check_choice(func, "score", score, SCORES)
    check_array(func, "x", x, (None, None, None), "(n_x, m, T_x)")
    n_x, m, T_x = x.shape
    check_steps(func, T_x)
    check_array(func, "y_in", y_in, (None, m, None), "(n_yin, m, T_y)")
    n_yin, _, T_y = y_in.shape
    if T_y < 1:
        raise ValueError(f"{func}: y_in has T_y = {T_y} steps; the decoder needs at least 1")
    check_parameters(
        func,
        parameters,
        {
            "Waa_f": ((None, None), "(n_a_f, n_a_f)"),
            "Waa_b": ((None, None), "(n_a_b, n_a_b)"),
            "Wdd": ((None, None), "(n_s, n_s)"),
            "Wy": ((None, None), "(n_y, n_s)"),
        },
    )
    n_h = parameters["Waa_f"].shape[0] + parameters["Waa_b"].shape[0]
    n_s, n_y = parameters["Wdd"].shape[0], parameters["Wy"].shape[0]
    check_parameters(
        func,
        parameters,
        {
            "Wdx": ((n_s, n_h + n_yin), "(n_s, n_h + n_yin)"),
            "Wdd": ((n_s, n_s), "(n_s, n_s)"),
            "bd": ((n_s, 1), "(n_s, 1)"),
            "Wy": ((n_y, n_s), "(n_y, n_s)"),
            "by": ((n_y, 1), "(n_y, 1)"),
        },
        f"n_s = {n_s} from Wdd, n_h = {n_h} from Waa_f and Waa_b, n_yin = {n_yin} from y_in",
    )
    _check_attention_parameters(func, parameters, score, n_s, n_h)
    if s0 is None:
        s0 = np.zeros((n_s, m))
    check_array(func, "s0", s0, (n_s, m), "(n_s, m)")

    h, encoder_cache = bidirectional_rnn_forward(x, None, None, parameters)
    decoder = _decoder(parameters)
    y_pred = np.zeros((n_y, m, T_y))
    alphas = np.zeros((m, T_y, T_x))
    steps = []
    s_prev = s0
    for t in range(T_y):
        context, alphas[:, t, :], attention_cache = _attention_forward(s_prev, h, parameters, score)
        s_prev, y_pred[:, :, t], cell_cache = rnn_cell_forward(
            np.concatenate([context, y_in[:, :, t]], axis=0), s_prev, decoder
        )
        steps.append((attention_cache, cell_cache))
    return y_pred, alphas, (encoder_cache, steps, y_pred, parameters, score, n_h)


def seq2seq_attention_backward(dy_pred: np.ndarray, caches: tuple) -> dict:
    """Backward pass from dy_pred (n_y, m, T_y), the gradient on the predicted
    probabilities (for the mean cross-entropy loss this is -y / (y_pred * m * T_y)).

    Returns dx (n_x, m, T_x), dy_in (n_yin, m, T_y), ds0 (n_s, m) and "d" + every key of
    parameters that the model uses (the encoder's, Wq, Wk, v if additive, the decoder's).
    """
    func = "seq2seq_attention_backward"
    if not (isinstance(caches, tuple) and len(caches) == 6 and caches[4] in SCORES):
        raise ValueError(
            f"{func}: caches must be the 6-tuple returned by seq2seq_attention_forward, "
            f"got {type(caches).__name__}"
        )
    encoder_cache, steps, y_pred, p, score, n_h = caches
    check_array(func, "dy_pred", dy_pred, y_pred.shape, "(n_y, m, T_y)")
    T_y = y_pred.shape[2]
    n_yin = steps[0][1][2].shape[0] - n_h

    keys = DECODER_KEYS + (ATTENTION_KEYS if score == "additive" else ())
    grads = {"d" + key: np.zeros(p[key].shape) for key in keys}
    dh = np.zeros(steps[0][0][1].shape)  # on the encoder states h (n_h, m, T_x)
    dy_in = np.zeros((n_yin, y_pred.shape[1], T_y))
    ds_next = np.zeros_like(steps[0][1][1])  # gradient on s<t> from step t + 1
    for t in reversed(range(T_y)):
        attention_cache, cell_cache = steps[t]
        s_t = cell_cache[0]
        y_t, dy_t = y_pred[:, :, t], dy_pred[:, :, t]
        dz = y_t * (dy_t - np.sum(dy_t * y_t, axis=0, keepdims=True))  # softmax backward
        grads["dWy"] += dz @ s_t.T
        grads["dby"] += dz.sum(axis=1, keepdims=True)
        cell = rnn_cell_backward(p["Wy"].T @ dz + ds_next, cell_cache)
        grads["dWdx"] += cell["dWax"]
        grads["dWdd"] += cell["dWaa"]
        grads["dbd"] += cell["dba"]
        dy_in[:, :, t] = cell["dxt"][n_h:]
        att = _attention_backward(cell["dxt"][:n_h], attention_cache)
        dh += att["dh"]
        for key in ATTENTION_KEYS if score == "additive" else ():
            grads["d" + key] += att["d" + key]
        ds_next = cell["da_prev"] + att["ds_prev"]

    encoder = bidirectional_rnn_backward(dh, encoder_cache)
    grads.update({"d" + key: encoder["d" + key] for key in ENCODER_KEYS})
    grads.update({"dx": encoder["dx"], "dy_in": dy_in, "ds0": ds_next})
    return grads


def init_seq2seq_attention_parameters(
    n_x: int,
    n_a: int,
    n_s: int,
    n_yin: int,
    n_y: int,
    n_e: int | None = None,
    score: str = "additive",
    rng: Rng = 0,
) -> dict:
    """Random parameters for seq2seq_attention_forward: encoder width n_a per direction
    (n_h = 2 n_a), decoder width n_s (must be 2 n_a for score="dot"), attention width
    n_e (additive only; default n_s), decoder input size n_yin, n_y output classes."""
    func = "init_seq2seq_attention_parameters"
    check_choice(func, "score", score, SCORES)
    for name, value in (("n_x", n_x), ("n_a", n_a), ("n_s", n_s), ("n_yin", n_yin), ("n_y", n_y)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{func}: {name} must be a positive integer, got {value!r}")
    if score == "dot" and n_s != 2 * n_a:
        raise ValueError(f"{func}: score='dot' needs n_s = 2 * n_a = {2 * n_a}, got {n_s}")
    g = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    n_h, n_e = 2 * n_a, n_s if n_e is None else n_e
    parameters = init_bidirectional_rnn_parameters(n_x, n_a, g)
    if score == "additive":
        parameters["Wq"] = g.standard_normal((n_e, n_s)) / np.sqrt(n_s)
        parameters["Wk"] = g.standard_normal((n_e, n_h)) / np.sqrt(n_h)
        parameters["v"] = g.standard_normal((n_e, 1)) / np.sqrt(n_e)
    parameters["Wdx"] = g.standard_normal((n_s, n_h + n_yin)) / np.sqrt(n_h + n_yin)
    parameters["Wdd"] = g.standard_normal((n_s, n_s)) / np.sqrt(n_s)
    parameters["bd"] = np.zeros((n_s, 1))
    parameters["Wy"] = g.standard_normal((n_y, n_s)) / np.sqrt(n_s)
    parameters["by"] = np.zeros((n_y, 1))
    return parameters
