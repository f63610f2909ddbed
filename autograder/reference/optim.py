"""Parameter updates: SGD, Adagrad, Adam, on parameter dicts.

`parameters` maps names to arrays ("Wax", ...); `gradients` uses the reference's
backward-pass names, "d" + name ("dWax", ...); extra gradients (such as "dx" or "da0")
are ignored. Every function returns new dicts and leaves its inputs untouched.
An optimizer's `state` starts as None and is whatever the previous call returned.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._validate import check_array, check_positive


def _check(func: str, parameters: object, gradients: object) -> None:
    if not isinstance(parameters, Mapping) or not parameters:
        raise ValueError(f"{func}: parameters must be a non-empty dict of numpy arrays")
    if not isinstance(gradients, Mapping):
        raise ValueError(
            f"{func}: gradients must be a dict of numpy arrays, got {type(gradients).__name__}"
        )
    for key, value in parameters.items():
        check_array(func, f"parameters[{key!r}]", value, [None] * getattr(value, "ndim", 0))
        if "d" + key not in gradients:
            raise ValueError(f"{func}: gradients is missing {'d' + key!r} for parameter {key!r}")
        check_array(func, f"gradients[{'d' + key!r}]", gradients["d" + key], value.shape)


def _check_state(func: str, state: object, keys: tuple[str, ...]) -> None:
    if state is not None and (not isinstance(state, Mapping) or any(k not in state for k in keys)):
        raise ValueError(
            f"{func}: state must be None or the state dict this function returned "
            f"(keys {', '.join(keys)})"
        )


def sgd(parameters: dict, gradients: dict, learning_rate: float = 1e-2) -> dict:
    """Plain gradient descent: W <- W - learning_rate * dW."""
    _check("sgd", parameters, gradients)
    lr = check_positive("sgd", "learning_rate", learning_rate)
    return {k: w - lr * gradients["d" + k] for k, w in parameters.items()}


def adagrad(
    parameters: dict,
    gradients: dict,
    state: dict | None = None,
    learning_rate: float = 1e-1,
    eps: float = 1e-8,
) -> tuple[dict, dict]:
    """Adagrad (Duchi et al., 2011), the optimiser of min-char-rnn (which adds eps inside the root):

        G <- G + dW**2,   W <- W - learning_rate * dW / (sqrt(G) + eps).

    state: None or {"G": {name: sum of squared gradients}}. Returns (parameters, state).
    """
    func = "adagrad"
    _check(func, parameters, gradients)
    _check_state(func, state, ("G",))
    lr = check_positive(func, "learning_rate", learning_rate)
    eps = check_positive(func, "eps", eps)
    G_old = state["G"] if state is not None else {}
    new_parameters, G = {}, {}
    for key, w in parameters.items():
        g = gradients["d" + key]
        G[key] = G_old.get(key, np.zeros(w.shape)) + g * g
        new_parameters[key] = w - lr * g / (np.sqrt(G[key]) + eps)
    return new_parameters, {"G": G}


def adam(
    parameters: dict,
    gradients: dict,
    state: dict | None = None,
    learning_rate: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[dict, dict]:
    """Adam (Kingma & Ba, 2015) with bias correction, step t = 1, 2, ...:

        m <- beta1 m + (1 - beta1) dW,    v <- beta2 v + (1 - beta2) dW**2,
        W <- W - learning_rate * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps).

    state: None or {"t": steps taken, "m": {...}, "v": {...}}. Returns (parameters, state).
    """
    func = "adam"
    _check(func, parameters, gradients)
    _check_state(func, state, ("t", "m", "v"))
    lr = check_positive(func, "learning_rate", learning_rate)
    eps = check_positive(func, "eps", eps)
    for name, beta in (("beta1", beta1), ("beta2", beta2)):
        number = isinstance(beta, (int, float, np.number)) and not isinstance(beta, bool)
        if not (number and 0.0 <= beta < 1.0):
            raise ValueError(f"{func}: {name} must lie in [0, 1), got {beta!r}")
    t = (state["t"] if state is not None else 0) + 1
    m_old = state["m"] if state is not None else {}
    v_old = state["v"] if state is not None else {}
    new_parameters, m, v = {}, {}, {}
    for key, w in parameters.items():
        g = gradients["d" + key]
        m[key] = beta1 * m_old.get(key, np.zeros(w.shape)) + (1.0 - beta1) * g
        v[key] = beta2 * v_old.get(key, np.zeros(w.shape)) + (1.0 - beta2) * g * g
        m_hat = m[key] / (1.0 - beta1**t)
        v_hat = v[key] / (1.0 - beta2**t)
        new_parameters[key] = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return new_parameters, {"t": t, "m": m, "v": v}
