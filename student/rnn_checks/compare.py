# Generated from autograder/checks/compare.py by `python -m autograder release`: do not edit.
"""Compare a student's plain output with the expected one and say what differs.

Every function here returns a list of problems (empty = fine), each a sentence that names
the output, e.g. "a_next has shape (4, 3), expected (3, 4)" or "dWaa differs: largest
difference 0.31 at index (2, 0) ...". Values are judged with `np.testing.assert_allclose`
at stated tolerances; gradients against finite differences with CS231n's relative error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tol:
    """Tolerances for np.testing.assert_allclose: |got - expected| <= atol + rtol * |expected|."""

    rtol: float = 1e-7
    atol: float = 1e-9

    def __str__(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


FORWARD = Tol(1e-7, 1e-9)
BACKWARD = Tol(1e-6, 1e-8)
# Finite differences: the largest CS231n relative error accepted between an analytic and a
# numerical gradient, and the absolute floor below which two entries count as equal (a
# central difference of a float64 function is only good to about 1e-10 absolute).
FD_REL_ERROR = 1e-5
FD_ABS_FLOOR = 1e-9

Names = tuple  # element names of a tuple output: str, or (str, Names) for a nested tuple


def kind(x: object) -> str:
    """A short description of a plain value's type, for messages."""
    if isinstance(x, np.ndarray):
        return f"a {x.dtype} array of shape {x.shape}"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of length {len(x)}"
    if isinstance(x, dict):
        return f"a dict with keys {sorted(x)}"
    if x is None:
        return "None"
    return f"a {type(x).__name__} ({x!r})" if isinstance(x, (bool, int, float)) else \
        f"a {type(x).__name__}"


def _fmt_index(index: tuple) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def value_problem(got: np.ndarray, expected: np.ndarray, name: str, tol: Tol) -> str | None:
    """None if allclose, else a sentence with the largest difference and where it is."""
    try:
        np.testing.assert_allclose(got, expected, rtol=tol.rtol, atol=tol.atol)
        return None
    except AssertionError:
        pass
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    diff = np.abs(got - expected)
    bad = diff > tol.atol + tol.rtol * np.abs(expected)
    if got.ndim == 0:
        return (f"{name} differs: got {float(got):.6g}, expected {float(expected):.6g} "
                f"(difference {float(diff):.3g}; {tol})")
    index = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return (
        f"{name} differs: largest difference {diff[index]:.3g} at {_fmt_index(index)} "
        f"(got {got[index]:.6g}, expected {expected[index]:.6g}); "
        f"{int(bad.sum())} of {bad.size} entries outside {tol}"
    )


def compare(got: object, expected: object, name: str, tol: Tol = FORWARD,
            values: bool = True, names: Names | None = None) -> list[str]:
    """Problems with `got` compared with `expected` (both plain data), recursively.

    Arrays must be numpy arrays of the same shape with a matching dtype (float64 for float
    arrays) and finite entries; with `values` their entries must be allclose at `tol`.
    Dicts must hold every expected key (extra keys are ignored). Tuples and lists must
    have the expected length; `names` labels their elements in messages.
    """
    if isinstance(expected, np.ndarray):
        return _compare_array(got, expected, name, tol, values)
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{name or 'the output'} should be a dict with keys {sorted(expected)}, "
                    f"got {kind(got)}"]
        problems = []
        missing = [k for k in expected if k not in got]
        if missing:
            keys = ", ".join(map(repr, missing))
            problems.append(f"{name or 'the output'} is missing the key(s) {keys}")
        for key in expected:
            if key in got:
                problems += compare(got[key], expected[key], f"{name}[{key!r}]" if name else key,
                                    tol, values)
        return problems
    if isinstance(expected, (tuple, list)):
        labels = [_label(names, i, f"{name}[{i}]") for i in range(len(expected))]
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            what = " (" + ", ".join(label for label, _ in labels) + ")" if names else ""
            return [f"{name} should be a {type(expected).__name__} of {len(expected)}"
                    f"{what}, got {kind(got)}"]
        problems = []
        for (label, sub), g, e in zip(labels, got, expected, strict=True):
            problems += compare(g, e, label, tol, values, sub)
        return problems
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        if type(got) is not type(expected):
            return [f"{name} should be {expected!r}, got {kind(got)}"]
        if values and got != expected:
            return [f"{name} is {got!r}, expected {expected!r}"]
        return []
    if isinstance(expected, int):
        if isinstance(got, bool) or not isinstance(got, int):
            return [f"{name} should be an int, got {kind(got)}"]
        if values and got != expected:
            return [f"{name} is {got}, expected {expected}"]
        return []
    if isinstance(expected, float):
        number = _as_float(got)
        if number is None:
            return [f"{name} should be a float, got {kind(got)}"]
        if not np.isfinite(number):
            return [f"{name} is {number}, expected a finite number"]
        problem = value_problem(np.float64(number), np.float64(expected), name, tol) \
            if values else None
        return [problem] if problem else []
    raise TypeError(f"compare: cannot compare expected value of type {type(expected).__name__}")


def _label(names: Names | None, i: int, default: str) -> tuple[str, Names | None]:
    if names is None or i >= len(names):
        return default, None
    entry = names[i]
    return (entry, None) if isinstance(entry, str) else (entry[0], entry[1])


def _as_float(x: object) -> float | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, np.ndarray) and x.size == 1 and x.dtype.kind in "iuf":
        return float(x.reshape(()))
    return None


def _compare_array(got: object, expected: np.ndarray, name: str, tol: Tol,
                   values: bool) -> list[str]:
    if not isinstance(got, np.ndarray):
        return [f"{name} should be a numpy array of shape {expected.shape}, got {kind(got)}"]
    if got.shape != expected.shape:
        hint = " (transposed?)" if got.shape == expected.shape[::-1] and got.ndim > 1 else ""
        return [f"{name} has shape {got.shape}, expected {expected.shape}{hint}"]
    if expected.dtype.kind == "f" and got.dtype != np.float64:
        return [f"{name} has dtype {got.dtype}, expected float64"]
    if expected.dtype.kind in "iu" and got.dtype.kind not in "iu":
        return [f"{name} has dtype {got.dtype}, expected an integer dtype"]
    if expected.dtype == np.int64 and got.dtype != np.int64:  # e.g. int32 on Windows
        return [f"{name} has dtype {got.dtype}, expected int64 (say so: "
                "np.array(..., dtype=np.int64))"]
    if expected.dtype.kind == "b" and got.dtype.kind != "b":
        return [f"{name} has dtype {got.dtype}, expected bool"]
    if got.dtype.kind == "f" and not np.all(np.isfinite(got)):
        count = int(np.sum(~np.isfinite(got)))
        return [f"{name} has {count} non-finite entr{'y' if count == 1 else 'ies'} (nan or inf)"]
    if not values:
        return []
    if expected.dtype.kind in "biu":
        if not np.array_equal(got, expected):
            index = tuple(np.argwhere(got != expected)[0])
            return [f"{name} differs at {_fmt_index(index)}: got {got[index]!r}, "
                    f"expected {expected[index]!r} ({int(np.sum(got != expected))} of "
                    f"{got.size} entries differ)"]
        return []
    problem = value_problem(got, expected, name, tol)
    return [problem] if problem else []


def gradient_problems(got: object, numeric: dict, name: str = "") -> list[str]:
    """Compare analytic gradients `got` with finite differences `numeric`, key by key.

    An entry passes if its CS231n relative error |a - n| / max(1e-8, |a| + |n|) is at most
    FD_REL_ERROR, or if |a - n| <= FD_ABS_FLOOR (both are round-off small).
    """
    if not isinstance(got, dict):
        return [f"{name or 'the output'} should be a dict of gradients, got {kind(got)}"]
    problems = []
    for key, num in numeric.items():
        label = f"{name}[{key!r}]" if name else key
        structure = compare(got.get(key), num, label, values=False)
        if key not in got:
            problems.append(f"{label} is missing")
            continue
        if structure:
            problems += structure
            continue
        ana = got[key]
        err = np.abs(ana - num) / np.maximum(1e-8, np.abs(ana) + np.abs(num))
        err[np.abs(ana - num) <= FD_ABS_FLOOR] = 0.0
        worst = float(err.max()) if err.size else 0.0
        if worst > FD_REL_ERROR:
            index = np.unravel_index(int(np.argmax(err)), err.shape)
            problems.append(
                f"{label} disagrees with finite differences: relative error {worst:.2g} "
                f"(CS231n measure, accepted <= {FD_REL_ERROR:g}) at {_fmt_index(index)}: "
                f"yours {ana[index]:.6g}, numerical {num[index]:.6g}"
            )
    return problems


__all__ = ["BACKWARD", "FD_REL_ERROR", "FORWARD", "Tol", "compare", "gradient_problems",
           "kind", "value_problem"]
