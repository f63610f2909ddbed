"""Bidirectional RNN: one RNN reads the sequence forwards, another reads it backwards.

    a_f<t> = g(Waa_f a_f<t-1> + Wax_f x<t> + ba_f)      t = 1 .. T_x   (a_f<0> = a0_f)
    a_b<t> = g(Waa_b a_b<t+1> + Wax_b x<t> + ba_b)      t = T_x .. 1   (a_b<T_x+1> = a0_b)
    a<t>   = [a_f<t>; a_b<t>]   (merge="concat", the default, as in Ng's notes and PyTorch)
    a<t>   = a_f<t> + a_b<t>    (merge="sum", needs equal widths)

so that a<t> knows the whole sequence, before and after t. Only the recurrent part
is here: an output layer (e.g. softmax(Wy a<t> + by) with Wy (n_y, 2 n_a)) reads `a`.
Each direction is the vanilla RNN of rnn.py (its rnn_forward / rnn_backward);
parameters is one flat dict, keys with suffix _f (forward) and _b (backward):
Wax_f (n_a, n_x), Waa_f (n_a, n_a), ba_f (n_a, 1) and the same with _b.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_array, check_choice, check_parameters, check_steps
from .initializers import Rng, init_rnn_parameters
from .rnn import ACTIVATIONS, rnn_backward, rnn_forward

MERGES = ("concat", "sum")
DIRECTIONS = ("f", "b")


def _direction(parameters: dict, d: str) -> dict:
    """The core RNN's parameter dict for one direction; its output layer is unused (1 unit)."""
    n_a = parameters[f"Waa_{d}"].shape[0]
    return {
        "Wax": parameters[f"Wax_{d}"],
        "Waa": parameters[f"Waa_{d}"],
        "ba": parameters[f"ba_{d}"],
        "Wya": np.zeros((1, n_a)),
        "by": np.zeros((1, 1)),
    }


def _widths(func: str, parameters: object) -> dict[str, int]:
    """n_a of each direction, read from Waa_f and Waa_b."""
    check_parameters(func, parameters, {f"Waa_{d}": ((None, None), "(n_a, n_a)") for d in "fb"})
    return {d: parameters[f"Waa_{d}"].shape[0] for d in DIRECTIONS}


def bidirectional_rnn_forward(
    x: np.ndarray,
    a0_f: np.ndarray | None,
    a0_b: np.ndarray | None,
    parameters: dict,
    activation: str = "tanh",
    merge: str = "concat",
) -> tuple[np.ndarray, tuple]:
    """Run both directions over x (n_x, m, T_x) and merge their hidden states.

    a0_f (n_a_f, m), a0_b (n_a_b, m): initial states (None for zeros); a0_b is the state
    "after" the last step, where the backward RNN starts.
    Returns a (n_a_f + n_a_b, m, T_x) for merge="concat" (forward states first) or
    (n_a, m, T_x) for merge="sum", and caches for bidirectional_rnn_backward.
    """
    func = "bidirectional_rnn_forward"
    check_choice(func, "activation", activation, ACTIVATIONS)
    check_choice(func, "merge", merge, MERGES)
    check_array(func, "x", x, (None, None, None), "(n_x, m, T_x)")
    n_x, m, T_x = x.shape
    check_steps(func, T_x)
    n_a = _widths(func, parameters)
    shapes = {}
    for d in DIRECTIONS:
        shapes[f"Wax_{d}"] = ((n_a[d], n_x), f"(n_a_{d}, n_x)")
        shapes[f"Waa_{d}"] = ((n_a[d], n_a[d]), f"(n_a_{d}, n_a_{d})")
        shapes[f"ba_{d}"] = ((n_a[d], 1), f"(n_a_{d}, 1)")
    check_parameters(
        func, parameters, shapes, f"n_a_f = {n_a['f']}, n_a_b = {n_a['b']} from Waa_f, Waa_b"
    )
    if merge == "sum" and n_a["f"] != n_a["b"]:
        raise ValueError(
            f"{func}: merge='sum' needs equal widths, got n_a_f = {n_a['f']} and n_a_b = {n_a['b']}"
        )
    a0 = {"f": a0_f, "b": a0_b}
    for d in DIRECTIONS:
        if a0[d] is None:
            a0[d] = np.zeros((n_a[d], m))
        check_array(func, f"a0_{d}", a0[d], (n_a[d], m), f"(n_a_{d}, m)")

    a_f, _, cache_f = rnn_forward(x, a0["f"], _direction(parameters, "f"), activation)
    # The backward RNN is the same RNN run on the time-reversed sequence.
    a_b_rev, _, cache_b = rnn_forward(
        np.ascontiguousarray(x[:, :, ::-1]), a0["b"], _direction(parameters, "b"), activation
    )
    a_b = a_b_rev[:, :, ::-1]
    a = np.concatenate([a_f, a_b], axis=0) if merge == "concat" else a_f + a_b
    return a, (cache_f, cache_b, n_a["f"], n_a["b"], activation, merge)


def bidirectional_rnn_backward(da: np.ndarray, caches: tuple) -> dict:
    """Backward pass: da (n_a_f + n_a_b, m, T_x) (or (n_a, m, T_x) for merge="sum"), the
    gradient on every merged hidden state.

    Returns dx (n_x, m, T_x), da0_f, da0_b, and dWax_f, dWaa_f, dba_f, dWax_b, dWaa_b,
    dba_b summed over time.
    """
    func = "bidirectional_rnn_backward"
    if not (isinstance(caches, tuple) and len(caches) == 6 and caches[5] in MERGES):
        raise ValueError(
            f"{func}: caches must be the 6-tuple returned by bidirectional_rnn_forward, "
            f"got {type(caches).__name__}"
        )
    cache_f, cache_b, n_a_f, n_a_b, activation, merge = caches
    _, m, T_x = cache_f[1].shape
    if merge == "concat":
        check_array(func, "da", da, (n_a_f + n_a_b, m, T_x), "(n_a_f + n_a_b, m, T_x)")
        da_f, da_b = da[:n_a_f], da[n_a_f:]
    else:
        check_array(func, "da", da, (n_a_f, m, T_x), "(n_a, m, T_x)")
        da_f = da_b = da

    g_f = rnn_backward(np.ascontiguousarray(da_f), cache_f, activation)
    g_b = rnn_backward(np.ascontiguousarray(da_b[:, :, ::-1]), cache_b, activation)
    grads = {"dx": g_f["dx"] + g_b["dx"][:, :, ::-1], "da0_f": g_f["da0"], "da0_b": g_b["da0"]}
    for d, g in (("f", g_f), ("b", g_b)):
        for key in ("Wax", "Waa", "ba"):
            grads[f"d{key}_{d}"] = g["d" + key]
    return grads


def init_bidirectional_rnn_parameters(n_x: int, n_a: int, rng: Rng = 0) -> dict:
    """Wax_f, Wax_b (n_a, n_x), Waa_f, Waa_b (n_a, n_a), zero ba_f, ba_b (n_a, 1)."""
    g = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    parameters = {}
    for d in DIRECTIONS:
        p = init_rnn_parameters(n_x, n_a, 1, g)
        for key in ("Wax", "Waa", "ba"):
            parameters[f"{key}_{d}"] = p[key]
    return parameters
