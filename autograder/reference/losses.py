"""Cross-entropy and perplexity of predicted distributions over a vocabulary."""

from __future__ import annotations

import numpy as np

from ._validate import check_array


def _target_probabilities(func: str, y_pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Probability that `y_pred` gives to each target token; shape y_pred.shape[1:]."""
    check_array(func, "y_pred", y_pred, [None] * max(y_pred.ndim, 1), "(n_y, m, T)")
    if y_pred.ndim < 2:
        raise ValueError(f"{func}: y_pred has shape {y_pred.shape}, expected (n_y, m[, T])")
    if not isinstance(y, np.ndarray):
        raise ValueError(f"{func}: y must be a numpy array, got {type(y).__name__}")
    if y.shape == y_pred.shape:  # one-hot targets
        if not np.all((y == 0) | (y == 1)) or not np.all(y.sum(axis=0) == 1):
            raise ValueError(f"{func}: y has the shape of y_pred but is not one-hot over axis 0")
        return np.sum(y_pred * y, axis=0)
    if y.shape == y_pred.shape[1:] and np.issubdtype(y.dtype, np.integer):
        n_y = y_pred.shape[0]
        if y.size and (y.min() < 0 or y.max() >= n_y):
            raise ValueError(f"{func}: y holds class indices outside [0, {n_y})")
        return np.take_along_axis(y_pred, y[np.newaxis], axis=0)[0]
    raise ValueError(
        f"{func}: y has shape {y.shape} (dtype {y.dtype}), expected one-hot {y_pred.shape} "
        f"or integer indices {y_pred.shape[1:]}"
    )


def cross_entropy(y_pred: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood per token, in nats.

    y_pred: (n_y, m, T) probabilities (columns sum to 1); y: one-hot (n_y, m, T) or
    integer class indices (m, T). A 2-D y_pred (n_y, m) with y (m,) works the same way.
    """
    p = _target_probabilities("cross_entropy", y_pred, y)
    # A probability of exactly 0 would give -log 0 = inf; floor it at the smallest float.
    return float(-np.mean(np.log(np.maximum(p, np.finfo(np.float64).tiny))))


def perplexity(y_pred: np.ndarray, y: np.ndarray) -> float:
    """exp(cross-entropy): the effective number of equally likely choices per token."""
    return float(np.exp(cross_entropy(y_pred, y)))
