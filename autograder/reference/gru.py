"""Gated recurrent unit in Ng's form (the cell of Cho et al., 2014, written as in Ng's notes).

    concat   = [a<t-1>; x<t>]
    u<t>     = sigmoid(Wu concat + bu)                 update gate
    r<t>     = sigmoid(Wr concat + br)                 reset (relevance) gate
    cc<t>    = tanh(Wc [r<t> * a<t-1>; x<t>] + bc)     candidate
    a<t>     = u<t> * cc<t> + (1 - u<t>) * a<t-1>

Here u weights the new candidate, as in Ng's course and Chung et al. (2014); Cho et al.
(2014), CS224d, d2l and PyTorch write an update gate z = 1 - u that weights the old state
(a convention: negating the gate's weights and bias converts one into the other). The
reset gate acts on a<t-1> *before* the matrix product, as in the final version of Cho
et al.'s paper (arXiv v3); its first version (v1) and PyTorch apply it after (see
gru_torch.py), which is a different function. The GRU has no output layer of its own here.
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


def _check_gru_parameters(func: str, parameters: object, n_x: int, n_a: int) -> None:
    shapes = {}
    for g in ("u", "r", "c"):
        shapes[f"W{g}"] = ((n_a, n_a + n_x), "(n_a, n_a + n_x)")
        shapes[f"b{g}"] = ((n_a, 1), "(n_a, 1)")
    check_parameters(func, parameters, shapes, sizes_note(n_a, n_x))


def _cell_forward(xt, a_prev, p):
    concat = np.concatenate([a_prev, xt], axis=0)
    ut = sigmoid(p["Wu"] @ concat + p["bu"])
    rt = sigmoid(p["Wr"] @ concat + p["br"])
    cct = np.tanh(p["Wc"] @ np.concatenate([rt * a_prev, xt], axis=0) + p["bc"])
    a_next = ut * cct + (1.0 - ut) * a_prev
    return a_next, (a_next, a_prev, ut, rt, cct, xt, p)


def _cell_backward(da_next, cache):
    a_next, a_prev, ut, rt, cct, xt, p = cache
    n_a = a_prev.shape[0]
    dzc = da_next * ut * (1.0 - cct**2)
    dzu = da_next * (cct - a_prev) * ut * (1.0 - ut)
    # The candidate saw [r * a_prev; x]: split its input gradient into both parts.
    dconcat_c = p["Wc"].T @ dzc
    d_ra = dconcat_c[:n_a]
    dzr = d_ra * a_prev * rt * (1.0 - rt)
    dconcat = p["Wu"].T @ dzu + p["Wr"].T @ dzr
    concat = np.concatenate([a_prev, xt], axis=0)
    return {
        "dxt": dconcat[n_a:] + dconcat_c[n_a:],
        "da_prev": dconcat[:n_a] + d_ra * rt + da_next * (1.0 - ut),
        "dWu": dzu @ concat.T,
        "dbu": dzu.sum(axis=1, keepdims=True),
        "dWr": dzr @ concat.T,
        "dbr": dzr.sum(axis=1, keepdims=True),
        "dWc": dzc @ np.concatenate([rt * a_prev, xt], axis=0).T,
        "dbc": dzc.sum(axis=1, keepdims=True),
    }


def gru_cell_forward(xt: np.ndarray, a_prev: np.ndarray, parameters: dict) -> tuple:
    """One time step.

    xt (n_x, m), a_prev (n_a, m); parameters Wu, Wr, Wc (n_a, n_a + n_x), bu, br, bc (n_a, 1).
    Returns a_next (n_a, m) and cache = (a_next, a_prev, ut, rt, cct, xt, parameters).
    """
    func = "gru_cell_forward"
    check_array(func, "xt", xt, (None, None), "(n_x, m)")
    check_array(func, "a_prev", a_prev, (None, xt.shape[1]), "(n_a, m)")
    _check_gru_parameters(func, parameters, xt.shape[0], a_prev.shape[0])
    return _cell_forward(xt, a_prev, parameters)


def gru_cell_backward(da_next: np.ndarray, cache: tuple) -> dict:
    """Backward pass of one step: da_next (n_a, m) -> dxt, da_prev, dWu, dbu, dWr, dbr, dWc, dbc."""
    func = "gru_cell_backward"
    check_cell_cache(func, cache, 7)
    check_array(func, "da_next", da_next, cache[0].shape, "(n_a, m)")
    return _cell_backward(da_next, cache)


def gru_forward(x: np.ndarray, a0: np.ndarray, parameters: dict) -> tuple[np.ndarray, tuple]:
    """Unroll the GRU: x (n_x, m, T_x), a0 (n_a, m) -> a (n_a, m, T_x), caches = (list, x)."""
    func = "gru_forward"
    check_array(func, "x", x, (None, None, None), "(n_x, m, T_x)")
    n_x, m, T_x = x.shape
    check_steps(func, T_x)
    check_array(func, "a0", a0, (None, m), "(n_a, m)")
    n_a = a0.shape[0]
    _check_gru_parameters(func, parameters, n_x, n_a)

    return unroll(_cell_forward, x, a0, parameters)


def gru_backward(da: np.ndarray, caches: tuple) -> dict:
    """BPTT for the GRU: da (n_a, m, T_x) -> dx (n_x, m, T_x), da0 (n_a, m), and
    dWu, dbu, dWr, dbr, dWc, dbc summed over time."""
    func = "gru_backward"
    cell_caches, x = check_sequence_caches(func, caches, 7)
    n_x, m, T_x = x.shape
    n_a = cell_caches[0][0].shape[0]
    check_array(func, "da", da, (n_a, m, T_x), "(n_a, m, T_x)")
    parameters = cell_caches[0][6]
    keys = ("Wu", "bu", "Wr", "br", "Wc", "bc")
    return backprop_through_time(_cell_backward, da, cell_caches, x, parameters, keys)
