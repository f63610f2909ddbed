"""The vanilla (Elman) RNN: one cell, the unrolled sequence, and their backward passes.

    a<t>     = g(Waa a<t-1> + Wax x<t> + ba)        g = tanh (or relu, for the IRNN)
    y_hat<t> = softmax(Wya a<t> + by)

Shapes: x (n_x, m, T_x), hidden states (n_a, m, T_x), predictions (n_y, m, T_x).
"""

from __future__ import annotations

import numpy as np

from ._validate import (
    check_array,
    check_cell_cache,
    check_choice,
    check_parameters,
    check_sequence_caches,
    check_steps,
    sizes_note,
)
from .activations import softmax

ACTIVATIONS = ("tanh", "relu")


def _check_rnn_parameters(func: str, parameters: object, n_x: int, n_a: int) -> None:
    n_y = None
    if isinstance(parameters, dict) and isinstance(parameters.get("Wya"), np.ndarray):
        n_y = parameters["Wya"].shape[0]
    check_parameters(
        func,
        parameters,
        {
            "Wax": ((n_a, n_x), "(n_a, n_x)"),
            "Waa": ((n_a, n_a), "(n_a, n_a)"),
            "Wya": ((n_y, n_a), "(n_y, n_a)"),
            "ba": ((n_a, 1), "(n_a, 1)"),
            "by": ((n_y, 1), "(n_y, 1)"),
        },
        sizes_note(n_a, n_x),
    )


def _cell_forward(xt, a_prev, parameters, activation):
    z = parameters["Waa"] @ a_prev + parameters["Wax"] @ xt + parameters["ba"]
    a_next = np.tanh(z) if activation == "tanh" else np.maximum(z, 0.0)
    yt_pred = softmax(parameters["Wya"] @ a_next + parameters["by"])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def _cell_backward(da_next, cache, activation):
    a_next, a_prev, xt, parameters = cache
    # Both derivatives can be read off the output: tanh' = 1 - a^2, relu' = [a > 0].
    dz = da_next * (1.0 - a_next**2) if activation == "tanh" else da_next * (a_next > 0)
    return {
        "dxt": parameters["Wax"].T @ dz,
        "da_prev": parameters["Waa"].T @ dz,
        "dWax": dz @ xt.T,
        "dWaa": dz @ a_prev.T,
        "dba": dz.sum(axis=1, keepdims=True),
    }


def rnn_cell_forward(
    xt: np.ndarray, a_prev: np.ndarray, parameters: dict, activation: str = "tanh"
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One time step.

    xt (n_x, m), a_prev (n_a, m), parameters Wax (n_a, n_x), Waa (n_a, n_a),
    Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1).
    Returns a_next (n_a, m), yt_pred (n_y, m), cache = (a_next, a_prev, xt, parameters).
    """
    func = "rnn_cell_forward"
    check_choice(func, "activation", activation, ACTIVATIONS)
    check_array(func, "xt", xt, (None, None), "(n_x, m)")
    check_array(func, "a_prev", a_prev, (None, xt.shape[1]), "(n_a, m)")
    _check_rnn_parameters(func, parameters, xt.shape[0], a_prev.shape[0])
    return _cell_forward(xt, a_prev, parameters, activation)


def rnn_cell_backward(da_next: np.ndarray, cache: tuple, activation: str = "tanh") -> dict:
    """Backward pass of one time step.

    da_next (n_a, m): gradient of the loss with respect to a_next (from the output at
    this step and from the next step). cache: from rnn_cell_forward.
    Returns dxt (n_x, m), da_prev (n_a, m), dWax (n_a, n_x), dWaa (n_a, n_a), dba (n_a, 1).
    """
    func = "rnn_cell_backward"
    check_choice(func, "activation", activation, ACTIVATIONS)
    check_cell_cache(func, cache, 4)
    check_array(func, "da_next", da_next, cache[0].shape, "(n_a, m)")
    return _cell_backward(da_next, cache, activation)


def rnn_forward(
    x: np.ndarray, a0: np.ndarray, parameters: dict, activation: str = "tanh"
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Unroll the cell over T_x steps, the same parameters at every step.

    x (n_x, m, T_x), a0 (n_a, m). Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) and
    caches = (list of T_x cell caches, x).
    """
    func = "rnn_forward"
    check_choice(func, "activation", activation, ACTIVATIONS)
    check_array(func, "x", x, (None, None, None), "(n_x, m, T_x)")
    n_x, m, T_x = x.shape
    check_steps(func, T_x)
    check_array(func, "a0", a0, (None, m), "(n_a, m)")
    n_a = a0.shape[0]
    _check_rnn_parameters(func, parameters, n_x, n_a)
    n_y = parameters["Wya"].shape[0]

    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((n_y, m, T_x))
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, y_pred[:, :, t], cache = _cell_forward(x[:, :, t], a_next, parameters, activation)
        a[:, :, t] = a_next
        caches.append(cache)
    return a, y_pred, (caches, x)


def rnn_backward(da: np.ndarray, caches: tuple, activation: str = "tanh") -> dict:
    """Backpropagation through time.

    da (n_a, m, T_x): gradient of the loss with respect to every hidden state, from the
    outputs only. The gradient flowing back from step t+1 is added inside the loop, and
    the parameter gradients are summed over all steps.
    Returns dx (n_x, m, T_x), da0 (n_a, m), dWax, dWaa, dba.
    """
    func = "rnn_backward"
    check_choice(func, "activation", activation, ACTIVATIONS)
    cell_caches, x = check_sequence_caches(func, caches, 4)
    n_x, m, T_x = x.shape
    n_a = cell_caches[0][0].shape[0]
    check_array(func, "da", da, (n_a, m, T_x), "(n_a, m, T_x)")
    parameters = cell_caches[0][3]

    grads = {
        "dx": np.zeros((n_x, m, T_x)),
        "da0": np.zeros((n_a, m)),
        "dWax": np.zeros_like(parameters["Wax"], dtype=np.float64),
        "dWaa": np.zeros_like(parameters["Waa"], dtype=np.float64),
        "dba": np.zeros_like(parameters["ba"], dtype=np.float64),
    }
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = _cell_backward(da[:, :, t] + da_prevt, cell_caches[t], activation)
        grads["dx"][:, :, t] = step["dxt"]
        da_prevt = step["da_prev"]
        for key in ("dWax", "dWaa", "dba"):
            grads[key] += step[key]
    grads["da0"] = da_prevt
    return grads
