"""Random inputs for the cases: distinct sizes (so a transpose cannot pass), non-zero
biases (so a forgotten bias cannot pass), float64 everywhere."""

from __future__ import annotations

import numpy as np


def sizes(rng: np.random.Generator, count: int, low: int = 2, high: int = 7) -> list[int]:
    """`count` distinct integers in [low, high]."""
    return [int(v) for v in rng.choice(np.arange(low, high + 1), size=count, replace=False)]


def normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return scale * rng.standard_normal(shape)


def rnn_parameters(rng: np.random.Generator, n_x: int, n_a: int, n_y: int) -> dict:
    """Wax, Waa, Wya, ba, by with every entry random (biases included)."""
    return {
        "Wax": normal(rng, n_a, n_x, scale=0.7),
        "Waa": normal(rng, n_a, n_a, scale=0.5),
        "Wya": normal(rng, n_y, n_a),
        "ba": normal(rng, n_a, 1, scale=0.5),
        "by": normal(rng, n_y, 1, scale=0.5),
    }


def gated_parameters(rng: np.random.Generator, gates: str, n_x: int, n_a: int,
                     n_y: int | None = None) -> dict:
    """W<g> (n_a, n_a + n_x) and b<g> (n_a, 1) for each gate letter, plus Wy, by if n_y.

    Each gate gets its own bias offset so that gates swapped by mistake differ clearly.
    """
    parameters = {}
    for k, g in enumerate(gates):
        parameters[f"W{g}"] = normal(rng, n_a, n_a + n_x, scale=0.6)
        parameters[f"b{g}"] = normal(rng, n_a, 1, scale=0.3) + 0.4 * (k - 1)
    if n_y is not None:
        parameters["Wy"] = normal(rng, n_y, n_a)
        parameters["by"] = normal(rng, n_y, 1, scale=0.5)
    return parameters


def zeroed(parameters: dict, *keys: str) -> dict:
    """A copy of `parameters` with the named entries set to zero."""
    out = {k: v.copy() for k, v in parameters.items()}
    for key in keys:
        out[key] = np.zeros_like(out[key])
    return out


def last_step_only(da: np.ndarray) -> np.ndarray:
    """da (n_a, m, T) kept on the last step only, zeros before it: every gradient that
    reaches an earlier step must then have flowed back through a_prev."""
    last = np.zeros_like(da)
    last[:, :, -1] = da[:, :, -1]
    return last


def inputs_case(args: tuple, kwargs: dict | None = None, new_output: bool = False,
                points: float = 1.0, **fields):
    """The sub-check "does not change its inputs" on these arguments (and, with
    `new_output`, that no part of the output is one of them)."""
    from .core import INPUTS, Case

    return Case(INPUTS, points, args, kwargs or {}, keep_inputs=True, new_output=new_output,
                **fields)


def large_columns(rng: np.random.Generator, *shape: int, spread: float = 900.0) -> np.ndarray:
    """Scores whose columns sit at very different large offsets (positive and negative):
    exp overflows or underflows unless each column's own maximum is subtracted."""
    z = normal(rng, *shape, scale=3.0)
    offsets = rng.uniform(-spread, spread, size=(1, *shape[1:]))
    return z + offsets
