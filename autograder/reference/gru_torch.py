"""The GRU as PyTorch's nn.GRU computes it.

    r<t> = sigmoid(Wir x<t> + bir + Whr h<t-1> + bhr)       reset gate
    z<t> = sigmoid(Wiz x<t> + biz + Whz h<t-1> + bhz)       update gate (weights h<t-1>)
    n<t> = tanh(Win x<t> + bin + r<t> * (Whn h<t-1> + bhn))  candidate
    h<t> = (1 - z<t>) * n<t> + z<t> * h<t-1>

Two differences from gru.py: the reset gate multiplies Whn h<t-1> *after* the matrix
product (so it has its own bias bhn inside; Cho et al.'s arXiv v1), and z weights the
old state as in Cho et al. (2014), so it plays the role of 1 - u. The weights
are split into input (W_i*, (n_a, n_x)) and hidden (W_h*, (n_a, n_a)) parts, as in
PyTorch; torch_convert.py maps them to and from PyTorch's state dict.
"""

from __future__ import annotations

import numpy as np

from ._unroll import backprop_through_time, unroll
from ._validate import (
    check_array,
    check_cell_cache,
    check_parameters,
    check_sequence_caches,
    check_steps,
    sizes_note,
)
from .activations import sigmoid

PARAMETER_KEYS = (
    "Wir",
    "Wiz",
    "Win",
    "Whr",
    "Whz",
    "Whn",
    "bir",
    "biz",
    "bin",
    "bhr",
    "bhz",
    "bhn",
)


def _check_gru_torch_parameters(func: str, parameters: object, n_x: int, n_a: int) -> None:
    shapes = {}
    for g in ("r", "z", "n"):
        shapes[f"Wi{g}"] = ((n_a, n_x), "(n_a, n_x)")
        shapes[f"Wh{g}"] = ((n_a, n_a), "(n_a, n_a)")
        shapes[f"bi{g}"] = ((n_a, 1), "(n_a, 1)")
        shapes[f"bh{g}"] = ((n_a, 1), "(n_a, 1)")
    check_parameters(func, parameters, shapes, sizes_note(n_a, n_x))


def _cell_forward(xt, h_prev, p):
    rt = sigmoid(p["Wir"] @ xt + p["bir"] + p["Whr"] @ h_prev + p["bhr"])
    zt = sigmoid(p["Wiz"] @ xt + p["biz"] + p["Whz"] @ h_prev + p["bhz"])
    hn = p["Whn"] @ h_prev + p["bhn"]
    nt = np.tanh(p["Win"] @ xt + p["bin"] + rt * hn)
    h_next = (1.0 - zt) * nt + zt * h_prev
    return h_next, (h_next, h_prev, rt, zt, nt, hn, xt, p)


def _cell_backward(dh_next, cache):
    h_next, h_prev, rt, zt, nt, hn, xt, p = cache
    dzn = dh_next * (1.0 - zt) * (1.0 - nt**2)
    dzz = dh_next * (h_prev - nt) * zt * (1.0 - zt)
    dhn = dzn * rt
    dzr = dzn * hn * rt * (1.0 - rt)
    grads = {
        "dxt": p["Wir"].T @ dzr + p["Wiz"].T @ dzz + p["Win"].T @ dzn,
        "da_prev": dh_next * zt + p["Whr"].T @ dzr + p["Whz"].T @ dzz + p["Whn"].T @ dhn,
    }
    for g, d_in, d_hidden in (("r", dzr, dzr), ("z", dzz, dzz), ("n", dzn, dhn)):
        grads[f"dWi{g}"] = d_in @ xt.T
        grads[f"dbi{g}"] = d_in.sum(axis=1, keepdims=True)
        grads[f"dWh{g}"] = d_hidden @ h_prev.T
        grads[f"dbh{g}"] = d_hidden.sum(axis=1, keepdims=True)
    return grads


def gru_torch_cell_forward(xt: np.ndarray, a_prev: np.ndarray, parameters: dict) -> tuple:
    """One step: xt (n_x, m), a_prev (n_a, m) -> a_next (n_a, m),
    cache = (a_next, a_prev, rt, zt, nt, hn, xt, parameters)."""
    func = "gru_torch_cell_forward"
    check_array(func, "xt", xt, (None, None), "(n_x, m)")
    check_array(func, "a_prev", a_prev, (None, xt.shape[1]), "(n_a, m)")
    _check_gru_torch_parameters(func, parameters, xt.shape[0], a_prev.shape[0])
    return _cell_forward(xt, a_prev, parameters)


def gru_torch_cell_backward(da_next: np.ndarray, cache: tuple) -> dict:
    """Backward pass of one step: da_next (n_a, m) -> dxt, da_prev and dW*/db* for every
    key of PARAMETER_KEYS."""
    func = "gru_torch_cell_backward"
    check_cell_cache(func, cache, 8)
    check_array(func, "da_next", da_next, cache[0].shape, "(n_a, m)")
    return _cell_backward(da_next, cache)


def gru_torch_forward(x: np.ndarray, a0: np.ndarray, parameters: dict) -> tuple[np.ndarray, tuple]:
    """Unroll: x (n_x, m, T_x), a0 (n_a, m) -> a (n_a, m, T_x), caches = (list, x)."""
    func = "gru_torch_forward"
    check_array(func, "x", x, (None, None, None), "(n_x, m, T_x)")
    n_x, m, T_x = x.shape
    check_steps(func, T_x)
    check_array(func, "a0", a0, (None, m), "(n_a, m)")
    n_a = a0.shape[0]
    _check_gru_torch_parameters(func, parameters, n_x, n_a)

    return unroll(_cell_forward, x, a0, parameters)


def gru_torch_backward(da: np.ndarray, caches: tuple) -> dict:
    """BPTT: da (n_a, m, T_x) -> dx (n_x, m, T_x), da0 (n_a, m), every dW*/db* summed over time."""
    func = "gru_torch_backward"
    cell_caches, x = check_sequence_caches(func, caches, 8)
    n_x, m, T_x = x.shape
    n_a = cell_caches[0][0].shape[0]
    check_array(func, "da", da, (n_a, m, T_x), "(n_a, m, T_x)")
    parameters = cell_caches[0][7]
    return backprop_through_time(_cell_backward, da, cell_caches, x, parameters, PARAMETER_KEYS)
