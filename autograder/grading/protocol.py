"""Plain data across the sandbox boundary: a JSON tree plus an `.npz` of arrays.

The trusted grader writes each case's arguments this way, and reads the student's return
values back the same way. Nothing is unpickled: arrays are read with
`np.load(..., allow_pickle=False)`, only real or boolean dtypes are accepted, the JSON tree
is validated node by node, and sizes are checked before anything is loaded. The sandbox
side of the protocol lives in `_worker.py` (which must not import this package).

Tree nodes (each a one-key dict):
    {"nd": key}                    an array stored in the npz under `key`
    {"py": value}                  None, bool, int, float or str
    {"tuple": [node, ...]}, {"list": [node, ...]}, {"dict": [[str, node], ...]}
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

MAX_DEPTH = 32
MAX_NODES = 100_000
MAX_STR = 20_000
MAX_JSON_BYTES = 8 << 20
MAX_ARRAY_BYTES = 256 << 20  # uncompressed total of one npz


class ProtocolError(ValueError):
    """The sandbox wrote something that is not plain data in the agreed format."""


def encode(obj: object, arrays: dict[str, np.ndarray], _depth: int = 0) -> dict:
    """Trusted side: turn plain data (the checks' `Case.args`) into a tree, arrays aside."""
    if _depth > MAX_DEPTH:
        raise TypeError(f"encode: nested more than {MAX_DEPTH} levels deep")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"py": obj}
    if isinstance(obj, np.generic):
        return {"py": obj.item()}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"encode: array of dtype {obj.dtype} is not plain data")
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"nd": key}
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise TypeError("encode: dict keys must be strings")
        return {"dict": [[k, encode(v, arrays, _depth + 1)] for k, v in obj.items()]}
    if isinstance(obj, (tuple, list)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {kind: [encode(v, arrays, _depth + 1) for v in obj]}
    raise TypeError(f"encode: {type(obj).__name__} is not plain data")


def decode(tree: object, arrays: dict[str, np.ndarray]) -> object:
    """Trusted side: rebuild plain data from an untrusted tree, validating every node."""
    count = [0]
    return _decode(tree, arrays, 0, count)


def _decode(node: object, arrays: dict, depth: int, count: list) -> object:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise ProtocolError(f"more than {MAX_NODES} values")
    if depth > MAX_DEPTH:
        raise ProtocolError(f"nested more than {MAX_DEPTH} levels deep")
    if not isinstance(node, dict) or len(node) != 1:
        raise ProtocolError("malformed value node")
    (tag, value), = node.items()
    if tag == "py":
        if value is None or type(value) in (bool, int, float):
            return value
        if type(value) is str and len(value) <= MAX_STR:
            return value
        raise ProtocolError("malformed scalar")
    if tag == "nd":
        if type(value) is not str or value not in arrays:
            raise ProtocolError(f"unknown array {value!r}")
        return arrays[value].copy()
    if tag in ("tuple", "list"):
        if not isinstance(value, list):
            raise ProtocolError(f"malformed {tag}")
        items = [_decode(v, arrays, depth + 1, count) for v in value]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict":
        if not isinstance(value, list):
            raise ProtocolError("malformed dict")
        out = {}
        for pair in value:
            if not (isinstance(pair, list) and len(pair) == 2 and type(pair[0]) is str):
                raise ProtocolError("malformed dict entry")
            out[pair[0]] = _decode(pair[1], arrays, depth + 1, count)
        return out
    raise ProtocolError(f"unknown node type {tag!r}")


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays uncompressed (the sandbox reads them with allow_pickle=False)."""
    np.savez(path, **arrays)


def load_arrays(blob: bytes) -> dict[str, np.ndarray]:
    """Read an untrusted npz (its bytes): no pickles, real/bool dtypes only, bounded size."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise ProtocolError(f"unreadable array file: {error}") from None
    if total > MAX_ARRAY_BYTES:
        raise ProtocolError(f"array file too large ({total} bytes uncompressed)")
    out = {}
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            for key in data.files:
                array = data[key]
                if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
                    raise ProtocolError(f"array {key!r} has dtype {array.dtype}, not plain data")
                out[key] = np.array(array, copy=True, subok=False)
    except ProtocolError:
        raise
    except Exception as error:  # ValueError for object arrays, zip errors, bad headers
        raise ProtocolError(f"unreadable array file: {type(error).__name__}: {error}") from None
    return out


def load_json(path: Path) -> object:
    """Read an untrusted JSON file of bounded size."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise ProtocolError(f"{path.name} is too large ({size} bytes)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError(f"{path.name} is not valid JSON: {error}") from None
