"""The time loop shared by recurrent cells that have no output layer of their own."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np


def unroll(cell_forward: Callable, x: np.ndarray, a0: np.ndarray, parameters: dict) -> tuple:
    """Run `cell_forward(xt, a_prev, parameters) -> (a_next, cache)` over every step.

    x (n_x, m, T_x), a0 (n_a, m) -> a (n_a, m, T_x), caches = (list of T_x caches, x).
    """
    n_a, (_, m, T_x) = a0.shape[0], x.shape
    a = np.zeros((n_a, m, T_x))
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, cache = cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        caches.append(cache)
    return a, (caches, x)


def backprop_through_time(
    cell_backward: Callable,
    da: np.ndarray,
    cell_caches: list,
    x: np.ndarray,
    parameters: dict,
    keys: Iterable[str],
) -> dict:
    """Run `cell_backward(da_next, cache) -> grads` from the last step to the first.

    At each step the upstream gradient is da[:, :, t] plus the da_prev that step t + 1
    sent back; the gradients of the parameters named in `keys` are summed over time.
    Returns dx (n_x, m, T_x), da0 (n_a, m) and "d" + key for every key.
    """
    n_x, m, T_x = x.shape
    grads = {"dx": np.zeros((n_x, m, T_x))}
    for key in keys:
        grads["d" + key] = np.zeros(parameters[key].shape)
    da_prevt = np.zeros(da.shape[:2])
    for t in reversed(range(T_x)):
        step = cell_backward(da[:, :, t] + da_prevt, cell_caches[t])
        grads["dx"][:, :, t] = step["dxt"]
        da_prevt = step["da_prev"]
        for key in keys:
            grads["d" + key] += step["d" + key]
    grads["da0"] = da_prevt
    return grads
