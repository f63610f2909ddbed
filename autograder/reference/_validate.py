"""Input validation shared by every public function of the reference.

Errors name the function, the argument, the shape it had and the shape it needed, so
that a reader never has to decode a numpy broadcasting error from deep inside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

Shape = Sequence[int | None]


def _describe(shape: Shape, dims: str | None) -> str:
    numbers = (
        "("
        + ", ".join("?" if s is None else str(s) for s in shape)
        + (",)" if len(shape) == 1 else ")")
    )
    return f"{dims} = {numbers}" if dims else numbers


def check_array(
    func: str, name: str, x: object, shape: Shape, dims: str | None = None
) -> np.ndarray:
    """Raise ValueError unless `x` is a real numeric array of `shape` (None = any size).

    `dims` names the dimensions for the message, e.g. "(n_a, m)".
    """
    if not isinstance(x, np.ndarray):
        raise ValueError(
            f"{func}: {name} must be a numpy array of shape {_describe(shape, dims)}, "
            f"got {type(x).__name__}"
        )
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise ValueError(f"{func}: {name} must hold real numbers, got dtype {x.dtype}")
    wrong_size = x.ndim == len(shape) and any(
        s is not None and s != d for s, d in zip(shape, x.shape, strict=True)
    )
    if x.ndim != len(shape) or wrong_size:
        raise ValueError(f"{func}: {name} has shape {x.shape}, expected {_describe(shape, dims)}")
    return x


def check_parameters(
    func: str,
    parameters: object,
    shapes: Mapping[str, tuple[Shape, str]],
    sizes_from: str = "",
) -> None:
    """Check that `parameters` holds every key of `shapes` with the right shape.

    `shapes` maps a key to `(shape, dims)`, e.g. {"Waa": ((5, 5), "(n_a, n_a)")};
    `sizes_from` says where the sizes came from, e.g. "n_a = 5 from a_prev".
    """
    if not isinstance(parameters, Mapping):
        raise ValueError(
            f"{func}: parameters must be a dict with keys {', '.join(shapes)}, "
            f"got {type(parameters).__name__}"
        )
    missing = [key for key in shapes if key not in parameters]
    if missing:
        raise ValueError(
            f"{func}: parameters is missing {', '.join(repr(k) for k in missing)} "
            f"(needs {', '.join(shapes)})"
        )
    for key, (shape, dims) in shapes.items():
        try:
            check_array(func, f"parameters[{key!r}]", parameters[key], shape, dims)
        except ValueError as error:
            if not sizes_from:
                raise
            raise ValueError(f"{error} ({sizes_from})") from None


def check_choice(func: str, name: str, value: object, choices: Iterable[object]) -> None:
    """Raise ValueError unless `value` is one of `choices`."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{func}: {name} must be one of {choices}, got {value!r}")


def check_positive(func: str, name: str, value: object) -> float:
    """Raise ValueError unless `value` is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{func}: {name} must be a positive number, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{func}: {name} must be a positive finite number, got {value!r}")
    return float(value)


def check_gradients(func: str, gradients: object) -> Mapping[str, np.ndarray]:
    """Raise ValueError unless `gradients` is a dict of numpy arrays."""
    if not isinstance(gradients, Mapping):
        raise ValueError(
            f"{func}: gradients must be a dict of numpy arrays, got {type(gradients).__name__}"
        )
    for key, value in gradients.items():
        check_array(func, f"gradients[{key!r}]", value, [None] * getattr(value, "ndim", 0))
    return gradients


def check_steps(func: str, T_x: int) -> None:
    """Raise ValueError for a sequence with no time steps."""
    if T_x < 1:
        raise ValueError(f"{func}: x has T_x = {T_x} time steps; a sequence needs at least 1")


def sizes_note(n_a: int, n_x: int) -> str:
    """Where a cell's sizes come from, for parameter shape errors."""
    return f"n_a = {n_a} from the hidden state, n_x = {n_x} from the input"


def check_cell_cache(func: str, cache: object, length: int) -> None:
    """A cell cache is the `length`-tuple the matching forward function returned."""
    if not isinstance(cache, tuple) or len(cache) != length:
        raise ValueError(
            f"{func}: cache must be the {length}-tuple returned by the matching forward "
            f"function, got {type(cache).__name__}"
            + (f" of length {len(cache)}" if isinstance(cache, (tuple, list)) else "")
        )


def check_sequence_caches(func: str, caches: object, length: int) -> tuple[list, np.ndarray]:
    """(cell caches, x) from a sequence's caches, each cell cache checked; T_x must match."""
    if not (isinstance(caches, tuple) and len(caches) == 2 and isinstance(caches[0], list)):
        raise ValueError(
            f"{func}: caches must be the (list of cell caches, x) pair returned by the "
            f"matching forward function, got {type(caches).__name__}"
        )
    cell_caches, x = caches
    check_array(func, "caches[1] (x)", x, (None, None, None), "(n_x, m, T_x)")
    if len(cell_caches) != x.shape[2] or not cell_caches:
        raise ValueError(
            f"{func}: caches holds {len(cell_caches)} cell caches but x has T_x = {x.shape[2]}"
        )
    for cache in cell_caches:
        check_cell_cache(func, cache, length)
    return cell_caches, x
