"""Plain data: what crosses the line between student code and the trusted judge.

A check never judges an object that student code built. The student's return value is
turned into plain data first (`to_plain`): numpy arrays of a real or boolean dtype, python
scalars and strings, and dicts (string keys), tuples and lists of those. An exception the
student's function raised is described by a `Raised` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_DEPTH = 32
MAX_INT_BITS = 14_000  # as the sandbox's worker: its results are read as JSON, whose
#                        reader keeps Python's 4300-digit limit on int/str conversion


@dataclass(frozen=True)
class Raised:
    """The student's function raised instead of returning: the exception's type and text."""

    type: str
    message: str
    where: str = ""  # the student's line: "in <function>, line N: <source>"

    @classmethod
    def from_exception(cls, error: BaseException) -> Raised:
        try:
            text = str(error)
        except Exception:  # a student's exception whose __str__ fails
            text = "<message unavailable>"
        return cls(type(error).__name__, text[:2000])

    def describe(self) -> str:
        if self.type == "NotImplementedError":
            return "not implemented yet (the function raised NotImplementedError)"
        if self.type == "NotPlainData":
            return f"the function returned something that is not plain data: {self.message}"
        text = f"the function raised {self.type}: {self.message}"
        return text + (f"\n({self.where})" if self.where else "")


def to_plain(obj: object, _depth: int = 0) -> object:
    """Copy `obj` into plain data: arrays, python scalars, str, None, dict/tuple/list.

    numpy scalars become python scalars; ndarray subclasses become ndarrays; arrays keep
    their dtype (so a judge can say "float32, expected float64"). Anything else (objects,
    callables, object or string arrays) raises TypeError naming the type and where it was.
    """
    return _plain(obj, "output", _depth)


def _plain(obj: object, where: str, depth: int) -> object:
    if depth > MAX_DEPTH:
        raise TypeError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        # bool/int/float/str subclasses (e.g. IntEnum) become the builtin type.
        for kind in (bool, int, float, str):
            if isinstance(obj, kind):
                if kind is int and int(obj).bit_length() > MAX_INT_BITS:
                    raise TypeError(f"{where}: an integer of {int(obj).bit_length()} bits "
                                    f"is larger than plain data allows ({MAX_INT_BITS} bits)")
                return kind(obj)
        return None
    if isinstance(obj, np.generic):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"{where}: numpy scalar of dtype {obj.dtype} is not plain data")
        return obj.item()
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"{where}: array of dtype {obj.dtype} is not plain data")
        return np.array(obj, copy=True, subok=False)
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: dict key {key!r} is not a string")
            out[str(key)] = _plain(value, f"{where}[{key!r}]", depth + 1)
        return out
    if isinstance(obj, (tuple, list)):
        items = [_plain(value, f"{where}[{i}]", depth + 1) for i, value in enumerate(obj)]
        return tuple(items) if isinstance(obj, tuple) else items
    raise TypeError(f"{where}: {type(obj).__name__} is not plain data (arrays, numbers, "
                    "strings, dicts, tuples and lists only)")
