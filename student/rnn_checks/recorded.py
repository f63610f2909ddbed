# Generated from autograder/checks/recorded.py by `python -m autograder release`: do not edit.
"""Public cases and reference-derived values, recorded at release: what the student
package `rnn_checks` judges with (it has no reference and no hidden cases).

Two files: `public.json` (per check: the public and hidden maximum points, and each public
case with its recorded values) and `public.npz` (the arrays, named by content, compressed,
no pickles, fixed timestamps: the same data gives the same bytes). A Case is written
field by field (`dataclasses.fields`), so a plain-data field added to Case travels
without changes here. Values are plain-data trees:

    {"nd": name}   an array in the npz          {"py": value}   None, bool, int, float, str
    {"tuple": [...]}, {"list": [...]}           {"dict": [[key, node], ...]}
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile

import numpy as np

from .core import Case, Check, Source

FORMAT = 1


def to_tree(value: object, arrays: dict[str, np.ndarray], where: str = "value") -> dict:
    """Plain data -> JSON tree; arrays go into `arrays` under a name made from their bytes."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"py": value}
    if isinstance(value, np.generic):
        return {"py": value.item()}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{where}: array of dtype {value.dtype} is not plain data")
        a = np.ascontiguousarray(value)
        digest = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode() + a.tobytes()).hexdigest()
        arrays[digest[:20]] = a
        return {"nd": digest[:20]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"{where}: dict keys must be strings")
        return {"dict": [[k, to_tree(v, arrays, f"{where}[{k!r}]")] for k, v in value.items()]}
    if isinstance(value, (tuple, list)):
        tag = "tuple" if isinstance(value, tuple) else "list"
        return {tag: [to_tree(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]}
    raise TypeError(f"{where}: {type(value).__name__} is not plain data")


def from_tree(node: dict, arrays: dict[str, np.ndarray]) -> object:
    (tag, value), = node.items()
    if tag == "py":
        return value
    if tag == "nd":
        return arrays[value].copy()
    if tag == "dict":
        return {k: from_tree(v, arrays) for k, v in value}
    items = [from_tree(v, arrays) for v in value]
    return tuple(items) if tag == "tuple" else items


def case_to_tree(case: Case, arrays: dict) -> dict:
    return {f.name: to_tree(getattr(case, f.name), arrays, f"{case.key}.{f.name}")
            for f in dataclasses.fields(Case)}


def case_from_tree(tree: dict, arrays: dict) -> Case:
    names = {f.name for f in dataclasses.fields(Case)}
    unknown = set(tree) - names
    if unknown:
        raise ValueError(f"recorded case has unknown fields {sorted(unknown)}: the data was "
                         "written by a newer version of the checks")
    return Case(**{k: from_tree(v, arrays) for k, v in tree.items()})


def write_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """A compressed npz with fixed timestamps (reproducible bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            data = io.BytesIO()
            np.lib.format.write_array(data, arrays[name], allow_pickle=False)
            zf.writestr(info, data.getvalue())
    return buffer.getvalue()


def read_npz(blob: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


class RecordedSource(Source):
    """Cases and values read from the recorded files; public cases only."""

    def __init__(self, document: dict, arrays: dict[str, np.ndarray]):
        if document.get("format") != FORMAT:
            raise ValueError(f"recorded checks have format {document.get('format')!r}, "
                             f"this package reads format {FORMAT}")
        self.document, self.arrays = document, arrays
        self._cases: dict[str, list[Case]] = {}
        self._values: dict[str, dict] = {}

    @classmethod
    def from_bytes(cls, text: bytes | str, blob: bytes) -> RecordedSource:
        return cls(json.loads(text), read_npz(blob))

    def _entry(self, check: Check) -> dict:
        try:
            return self.document["checks"][check.name]
        except KeyError:
            raise KeyError(f"no recorded cases for check {check.name!r}: reinstall the "
                           "course's checks package (rnn-course-checks)") from None

    def cases(self, check: Check, part: str) -> list[Case]:
        if part != "public":
            raise ValueError(f"{check.name}: the {part} checks run only when your notebook is "
                             "graded; this package holds the public checks")
        if check.name not in self._cases:
            recorded = self._entry(check)["cases"]
            self._cases[check.name] = [case_from_tree(r["case"], self.arrays) for r in recorded]
            self._values[check.name] = {r["case"]["key"]["py"]: r["values"] for r in recorded}
        return self._cases[check.name]

    def derived(self, check: Check, case: Case, key: str) -> object:
        self.cases(check, "public")
        values = self._values[check.name].get(case.key)
        if values is None or key not in values:
            raise KeyError(f"{check.name}: no recorded {key!r} for case {case.key!r}")
        return from_tree(values[key], self.arrays)

    def max_points(self, check: Check, part: str) -> float:
        return float(self._entry(check)[f"{part}_points"])

    def arg_names(self, check: Check) -> tuple:
        return tuple(self._entry(check).get("arg_names", ()))


def record(checks: dict[str, Check], values: dict[str, dict[str, dict[str, object]]],
           points: dict[str, dict[str, float]]) -> tuple[str, bytes]:
    """(json text, npz bytes) for the public cases of `checks`; `values[name][case.key]`
    holds each case's recorded values, `points[name][part]` the maximum points."""
    arrays: dict[str, np.ndarray] = {}
    document: dict = {"format": FORMAT, "checks": {}}
    for name in sorted(checks):
        cases = checks[name].cases("public")
        document["checks"][name] = {
            "public_points": points[name]["public"], "hidden_points": points[name]["hidden"],
            "arg_names": list(checks[name].arg_names()),
            "cases": [{"case": case_to_tree(case, arrays),
                       "values": {k: to_tree(v, arrays, f"{case.key}:{k}")
                                  for k, v in sorted(values[name][case.key].items())}}
                      for case in cases]}
    text = json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n"
    return text, write_npz(arrays)
