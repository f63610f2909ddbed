"""Random parameter dicts for every cell, float64, reproducible from a seed."""

from __future__ import annotations

import numpy as np

from ._validate import check_positive

Rng = np.random.Generator | int | None


def _rng(rng: Rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _check_sizes(func: str, **sizes: int) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{func}: {name} must be a positive integer, got {value!r}")


def _matrix(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """Gaussian entries with variance 1 / cols (Xavier-style), so activations keep their scale."""
    return rng.standard_normal((rows, cols)) / np.sqrt(cols)


def init_rnn_parameters(n_x: int, n_a: int, n_y: int, rng: Rng = 0) -> dict:
    """Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a); zero biases ba (n_a, 1), by (n_y, 1)."""
    _check_sizes("init_rnn_parameters", n_x=n_x, n_a=n_a, n_y=n_y)
    g = _rng(rng)
    return {
        "Wax": _matrix(g, n_a, n_x),
        "Waa": _matrix(g, n_a, n_a),
        "Wya": _matrix(g, n_y, n_a),
        "ba": np.zeros((n_a, 1)),
        "by": np.zeros((n_y, 1)),
    }


def init_irnn_parameters(n_x: int, n_a: int, n_y: int, rng: Rng = 0, scale: float = 1.0) -> dict:
    """RNN parameters for a ReLU RNN with Waa = scale * identity (Le, Jaitly & Hinton, 2015)."""
    parameters = init_rnn_parameters(n_x, n_a, n_y, rng)
    parameters["Waa"] = check_positive("init_irnn_parameters", "scale", scale) * np.eye(n_a)
    return parameters


def init_lstm_parameters(
    n_x: int, n_a: int, n_y: int, rng: Rng = 0, forget_bias: float = 1.0
) -> dict:
    """Wf, Wi, Wc, Wo (n_a, n_a + n_x), biases (n_a, 1), Wy (n_y, n_a), by (n_y, 1).

    The forget-gate bias starts at `forget_bias` (1 by default) so that the cell
    remembers by default early in training (Jozefowicz et al., 2015).
    """
    _check_sizes("init_lstm_parameters", n_x=n_x, n_a=n_a, n_y=n_y)
    g = _rng(rng)
    parameters = {}
    for gate in ("f", "i", "c", "o"):
        parameters[f"W{gate}"] = _matrix(g, n_a, n_a + n_x)
        parameters[f"b{gate}"] = np.zeros((n_a, 1))
    parameters["bf"] += float(forget_bias)
    parameters["Wy"] = _matrix(g, n_y, n_a)
    parameters["by"] = np.zeros((n_y, 1))
    return parameters


def init_gru_parameters(n_x: int, n_a: int, rng: Rng = 0) -> dict:
    """Wu, Wr, Wc (n_a, n_a + n_x) and zero biases bu, br, bc (n_a, 1)."""
    _check_sizes("init_gru_parameters", n_x=n_x, n_a=n_a)
    g = _rng(rng)
    parameters = {}
    for gate in ("u", "r", "c"):
        parameters[f"W{gate}"] = _matrix(g, n_a, n_a + n_x)
        parameters[f"b{gate}"] = np.zeros((n_a, 1))
    return parameters


def init_gru_torch_parameters(n_x: int, n_a: int, rng: Rng = 0) -> dict:
    """Wir, Wiz, Win (n_a, n_x), Whr, Whz, Whn (n_a, n_a), and small random biases (n_a, 1)."""
    _check_sizes("init_gru_torch_parameters", n_x=n_x, n_a=n_a)
    g = _rng(rng)
    parameters = {}
    for gate in ("r", "z", "n"):
        parameters[f"Wi{gate}"] = _matrix(g, n_a, n_x)
        parameters[f"Wh{gate}"] = _matrix(g, n_a, n_a)
        parameters[f"bi{gate}"] = 0.1 * g.standard_normal((n_a, 1))
        parameters[f"bh{gate}"] = 0.1 * g.standard_normal((n_a, 1))
    return parameters
