"""The instructor's source of cases: `make_cases` with seeded generators (hidden ones
from the course secret, `seeds.py`) and reference-derived values computed on demand
(`Check.function` for "expected", `Check.derive_<key>` for the rest), memoised per case."""

from __future__ import annotations

import copy
import dataclasses
import inspect

import numpy as np

from .core import Case, Check, Source, fit_points
from .plain import to_plain
from .seeds import fingerprint, rng_for


class ComputedSource(Source):
    def __init__(self) -> None:
        self._cases: dict[tuple, list[Case]] = {}
        self._derived: dict[tuple, object] = {}

    def cases(self, check: Check, part: str) -> list[Case]:
        key = (check.name, part, fingerprint() if part == "hidden" else "")
        if key not in self._cases:
            made = check.make_cases(part, lambda i: rng_for(check.name, part, i))
            if check.totals is not None:
                made = fit_points(made, check.totals[part])
            tag = f"|{key[2]}" if key[2] else ""
            self._cases[key] = [dataclasses.replace(case, key=f"{check.name}|{part}|{i}{tag}")
                                for i, case in enumerate(made)]
        return self._cases[key]

    def derived(self, check: Check, case: Case, key: str) -> object:
        memo = (check.name, case.key, key)
        if case.key and memo in self._derived:
            return self._derived[memo]
        value = compute(check, case, key)
        if case.key:
            self._derived[memo] = value
        return value

    def arg_names(self, check: Check) -> tuple:
        try:
            return tuple(inspect.signature(check.function).parameters)
        except (TypeError, ValueError):
            return ()


def compute(check: Check, case: Case, key: str) -> object:
    """Reference-derived value `key` of a case, as plain data."""
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    if key == "expected":  # seeded generators as the call gets them (calling.py)
        kwargs.update({name: np.random.default_rng(int(seed))
                       for name, seed in case.generators.items()})
        return to_plain(check.function(*args, **kwargs))
    method = getattr(check, "derive_" + key, None)
    if method is None:
        raise KeyError(f"{check.name}: no derived value {key!r} (write derive_{key})")
    return to_plain(method(dataclasses.replace(case, args=args, kwargs=kwargs)))


def derive_keys(check: Check) -> list[str]:
    """The derived values a check can give besides "expected"."""
    return sorted(name[len("derive_"):] for name in dir(check) if name.startswith("derive_"))
