"""Long short-term memory (Hochreiter & Schmidhuber), in the notation of Ng's notes.

    concat   = [a<t-1>; x<t>]                      (n_a + n_x, m)
    f<t>     = sigmoid(Wf concat + bf)             forget gate
    i<t>     = sigmoid(Wi concat + bi)             update (input) gate
    cc<t>    = tanh(Wc concat + bc)                candidate cell state
    c<t>     = f<t> * c<t-1> + i<t> * cc<t>
    o<t>     = sigmoid(Wo concat + bo)             output gate
    a<t>     = o<t> * tanh(c<t>)
    y_hat<t> = softmax(Wy a<t> + by)

The cell functions say each equation once, plainly. The sequence functions compute the
same numbers faster: the four gates in one matrix product, the input projections of all
time steps in one product before the loop, and the weight gradients of all steps in one
product after it. Tests check both give the same results.
"""

from __future__ import annotations

import numpy as np

from ._validate import (
    check_array,
    check_cell_cache,
    check_parameters,
    check_sequence_caches,
    check_steps,
    sizes_note,
)
from .activations import sigmoid, softmax

GATES = ("f", "i", "o", "c")  # the order of the stacked weights inside this module


def _check_lstm_parameters(func: str, parameters: object, n_x: int, n_a: int) -> None:
    n_y = None
    if isinstance(parameters, dict) and isinstance(parameters.get("Wy"), np.ndarray):
        n_y = parameters["Wy"].shape[0]
    shapes = {}
    for g in ("f", "i", "c", "o"):
        shapes[f"W{g}"] = ((n_a, n_a + n_x), "(n_a, n_a + n_x)")
        shapes[f"b{g}"] = ((n_a, 1), "(n_a, 1)")
    shapes["Wy"] = ((n_y, n_a), "(n_y, n_a)")
    shapes["by"] = ((n_y, 1), "(n_y, 1)")
    check_parameters(func, parameters, shapes, sizes_note(n_a, n_x))


def lstm_cell_forward(
    xt: np.ndarray, a_prev: np.ndarray, c_prev: np.ndarray, parameters: dict
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """One time step.

    xt (n_x, m), a_prev (n_a, m), c_prev (n_a, m); parameters Wf, Wi, Wc, Wo
    (n_a, n_a + n_x), bf, bi, bc, bo (n_a, 1), Wy (n_y, n_a), by (n_y, 1).
    Returns a_next (n_a, m), c_next (n_a, m), yt_pred (n_y, m) and
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters).
    """
    func = "lstm_cell_forward"
    check_array(func, "xt", xt, (None, None), "(n_x, m)")
    check_array(func, "a_prev", a_prev, (None, xt.shape[1]), "(n_a, m)")
    check_array(func, "c_prev", c_prev, a_prev.shape, "(n_a, m)")
    _check_lstm_parameters(func, parameters, xt.shape[0], a_prev.shape[0])
    p = parameters

    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])
    it = sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    c_next = ft * c_prev + it * cct
    ot = sigmoid(p["Wo"] @ concat + p["bo"])
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p)


def lstm_cell_backward(da_next: np.ndarray, dc_next: np.ndarray, cache: tuple) -> dict:
    """Backward pass of one time step.

    da_next, dc_next (n_a, m): gradients with respect to a_next and c_next.
    Returns dxt (n_x, m), da_prev, dc_prev (n_a, m), and dWf, dWi, dWc, dWo
    (n_a, n_a + n_x), dbf, dbi, dbc, dbo (n_a, 1).
    """
    func = "lstm_cell_backward"
    check_cell_cache(func, cache, 10)
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p = cache
    check_array(func, "da_next", da_next, a_next.shape, "(n_a, m)")
    check_array(func, "dc_next", dc_next, a_next.shape, "(n_a, m)")
    n_a = a_next.shape[0]

    tanh_c = np.tanh(c_next)
    # c_next reaches the loss directly (dc_next) and through a_next = ot * tanh(c_next).
    dc = dc_next + da_next * ot * (1.0 - tanh_c**2)
    # Gradients with respect to each gate's pre-activation.
    dzo = da_next * tanh_c * ot * (1.0 - ot)
    dzc = dc * it * (1.0 - cct**2)
    dzi = dc * cct * it * (1.0 - it)
    dzf = dc * c_prev * ft * (1.0 - ft)

    concat = np.concatenate([a_prev, xt], axis=0)
    dconcat = p["Wf"].T @ dzf + p["Wi"].T @ dzi + p["Wc"].T @ dzc + p["Wo"].T @ dzo
    grads = {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft}
    for g, dz in (("f", dzf), ("i", dzi), ("c", dzc), ("o", dzo)):
        grads[f"dW{g}"] = dz @ concat.T
        grads[f"db{g}"] = dz.sum(axis=1, keepdims=True)
    return grads


def lstm_forward(
    x: np.ndarray, a0: np.ndarray, parameters: dict, c0: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """Unroll the LSTM over T_x steps.

    x (n_x, m, T_x), a0 (n_a, m), c0 (n_a, m) or None for zeros.
    Returns a (n_a, m, T_x), y (n_y, m, T_x), c (n_a, m, T_x) and
    caches = (list of T_x cell caches, x).
    """
    func = "lstm_forward"
    check_array(func, "x", x, (None, None, None), "(n_x, m, T_x)")
    n_x, m, T_x = x.shape
    check_steps(func, T_x)
    check_array(func, "a0", a0, (None, m), "(n_a, m)")
    n_a = a0.shape[0]
    if c0 is None:
        c0 = np.zeros((n_a, m))
    check_array(func, "c0", c0, (n_a, m), "(n_a, m)")
    _check_lstm_parameters(func, parameters, n_x, n_a)
    p = parameters

    W = np.concatenate([p[f"W{g}"] for g in GATES], axis=0)  # (4 n_a, n_a + n_x)
    b = np.concatenate([p[f"b{g}"] for g in GATES], axis=0)  # (4 n_a, 1)
    W_a, W_x = W[:, :n_a], W[:, n_a:]
    # Input projections of every step at once, time-major: (T_x, 4 n_a, m).
    zx = W_x @ x.transpose(2, 0, 1) + b

    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    caches = []
    a_prev, c_prev = a0, c0
    for t in range(T_x):
        z = zx[t] + W_a @ a_prev
        gates = sigmoid(z[: 3 * n_a])
        ft, it, ot = gates[:n_a], gates[n_a : 2 * n_a], gates[2 * n_a :]
        cct = np.tanh(z[3 * n_a :])
        c_next = ft * c_prev + it * cct
        a_next = ot * np.tanh(c_next)
        caches.append((a_next, c_next, a_prev, c_prev, ft, it, cct, ot, x[:, :, t], p))
        a[:, :, t], c[:, :, t] = a_next, c_next
        a_prev, c_prev = a_next, c_next
    y = softmax(np.einsum("ya,amt->ymt", p["Wy"], a) + p["by"][:, :, None])
    return a, y, c, (caches, x)


def lstm_backward(da: np.ndarray, caches: tuple, dc: np.ndarray | None = None) -> dict:
    """Backpropagation through time for the LSTM.

    da (n_a, m, T_x): gradient with respect to every hidden state from the outputs;
    dc (n_a, m, T_x) or None: extra gradient on every cell state (e.g. from a decoder).
    Returns dx (n_x, m, T_x), da0, dc0 (n_a, m), and every dW (n_a, n_a + n_x) and
    db (n_a, 1), each summed over all time steps.
    """
    func = "lstm_backward"
    cell_caches, x = check_sequence_caches(func, caches, 10)
    n_x, m, T_x = x.shape
    p = cell_caches[0][9]
    n_a = cell_caches[0][0].shape[0]
    check_array(func, "da", da, (n_a, m, T_x), "(n_a, m, T_x)")
    if dc is not None:
        check_array(func, "dc", dc, (n_a, m, T_x), "(n_a, m, T_x)")

    W = np.concatenate([p[f"W{g}"] for g in GATES], axis=0)
    W_a_T = W[:, :n_a].T.copy()
    dz = np.empty((T_x, 4 * n_a, m))  # pre-activation gradients, gate order f, i, o, c
    a_prevs = np.empty((T_x, n_a, m))
    da_next = np.zeros((n_a, m))  # gradient arriving from step t + 1
    dc_next = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        a_next, c_next, a_prev, c_prev, ft, it, cct, ot, _, _ = cell_caches[t]
        da_t = da[:, :, t] + da_next
        tanh_c = np.tanh(c_next)
        dc_t = dc_next + da_t * ot * (1.0 - tanh_c**2)
        if dc is not None:
            dc_t = dc_t + dc[:, :, t]
        dz[t, :n_a] = dc_t * c_prev * ft * (1.0 - ft)
        dz[t, n_a : 2 * n_a] = dc_t * cct * it * (1.0 - it)
        dz[t, 2 * n_a : 3 * n_a] = da_t * tanh_c * ot * (1.0 - ot)
        dz[t, 3 * n_a :] = dc_t * it * (1.0 - cct**2)
        a_prevs[t] = a_prev
        da_next = W_a_T @ dz[t]
        dc_next = dc_t * ft

    # Sum over time (and batch) in single products.
    dW_a = np.tensordot(dz, a_prevs, axes=([0, 2], [0, 2]))  # (4 n_a, n_a)
    dW_x = np.tensordot(dz, x, axes=([0, 2], [2, 1]))  # (4 n_a, n_x)
    dW = np.concatenate([dW_a, dW_x], axis=1)
    db = dz.sum(axis=(0, 2))[:, None]
    dx = (W[:, n_a:].T @ dz).transpose(1, 2, 0)

    grads = {"dx": np.ascontiguousarray(dx), "da0": da_next, "dc0": dc_next}
    for k, g in enumerate(GATES):
        grads[f"dW{g}"] = dW[k * n_a : (k + 1) * n_a]
        grads[f"db{g}"] = db[k * n_a : (k + 1) * n_a]
    return grads
