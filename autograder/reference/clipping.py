"""Gradient clipping, by value and by global norm."""

from __future__ import annotations

import numpy as np

from ._validate import check_gradients, check_positive


def clip(gradients: dict[str, np.ndarray], max_value: float) -> dict[str, np.ndarray]:
    """Clip every entry of every gradient to [-max_value, max_value].

    Entries already inside the interval are returned unchanged; the input is not modified.
    """
    check_gradients("clip", gradients)
    max_value = check_positive("clip", "max_value", max_value)
    return {key: np.clip(g, -max_value, max_value) for key, g in gradients.items()}


def global_norm(gradients: dict[str, np.ndarray]) -> float:
    """L2 norm of all gradients taken together, sqrt(sum of every squared entry)."""
    check_gradients("global_norm", gradients)
    return float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in gradients.values())))


def clip_by_norm(gradients: dict[str, np.ndarray], max_norm: float) -> dict[str, np.ndarray]:
    """Rescale all gradients together so that their global norm is at most max_norm.

    The direction of the full gradient is kept; if the norm is already small enough the
    gradients are returned unchanged (as copies).
    """
    check_gradients("clip_by_norm", gradients)
    max_norm = check_positive("clip_by_norm", "max_norm", max_norm)
    norm = global_norm(gradients)
    scale = max_norm / norm if norm > max_norm else 1.0
    return {key: g * scale for key, g in gradients.items()}
