"""Elementwise activations and the softmax used by every cell."""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-z)), computed without overflow for large |z|."""
    z = np.asarray(z, dtype=np.float64)
    # exp of a non-positive number never overflows: use exp(-|z|) on both sides.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0)."""
    return np.maximum(np.asarray(z, dtype=np.float64), 0.0)


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over axis 0 (the class axis): z (n_y, ...) -> probabilities (n_y, ...).

    Subtracting the column maximum first leaves the result unchanged and keeps exp finite.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 0:
        raise ValueError("softmax: z must have a class axis 0, got a scalar")
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
