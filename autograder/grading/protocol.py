"""Plain data across the sandbox boundary: a JSON tree plus an `.npz` of arrays.

The trusted grader writes each case's arguments this way, and reads the student's return
values back the same way. Nothing is unpickled: arrays are read with
`np.load(..., allow_pickle=False)`, only real or boolean dtypes are accepted, the JSON tree
is validated node by node, and sizes are checked before anything is loaded. Reading back
is bounded: `ArrayFile` loads an array only when a value the grader asked for refers to
it, and a `Budget` charges every reference's bytes (an array referenced a thousand times
costs a thousand times), per step and per notebook. The sandbox side of the protocol lives
in `_worker.py` (which must not import this package).

Tree nodes (each a one-key dict):
    {"nd": key}                    an array stored in the npz under `key`
    {"py": value}                  None, bool, int, float or str
    {"tuple": [node, ...]}, {"list": [node, ...]}, {"dict": [[str, node], ...]}
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import numpy as np

MAX_DEPTH = 32
MAX_NODES = 100_000
MAX_STR = 20_000
MAX_JSON_BYTES = 4 << 20      # one step's record
MAX_ARRAY_BYTES = 64 << 20    # one step's npz (as sent, and uncompressed)
MAX_STEP_DECODED = 64 << 20   # bytes of values decoded from one step
MAX_JOB_BYTES = 256 << 20     # bytes read back from one notebook's sandbox, all steps
MAX_JOB_DECODED = 256 << 20   # bytes of values decoded for one notebook, all steps


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


class Budget:
    """Bytes that decoding may still produce: `step` for the current step, `job` for the
    whole notebook (`for_step()` starts a step)."""

    def __init__(self, job: int = MAX_JOB_DECODED, step: int = MAX_STEP_DECODED):
        self.job, self.step_limit, self.step = job, step, step

    def for_step(self) -> Budget:
        self.step = self.step_limit
        return self

    def charge(self, nbytes: int) -> None:
        if nbytes > self.step or nbytes > self.job:
            raise ProtocolError("the values returned exceed the grader's cap of "
                                f"{self.step_limit >> 20} MiB per problem (shared arrays "
                                "count once per reference)")
        self.step -= nbytes
        self.job -= nbytes


def decode(tree: object, arrays, budget: Budget | None = None) -> object:
    """Trusted side: rebuild plain data from an untrusted tree, validating every node.
    `arrays` maps keys to arrays (a dict or an `ArrayFile`); each reference is a fresh
    copy charged to `budget`."""
    count = [0]
    return _decode(tree, arrays, 0, count, budget or Budget())


def _decode(node: object, arrays, depth: int, count: list, budget: Budget) -> object:
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
            budget.charge(len(value))
            return value
        raise ProtocolError("malformed scalar")
    if tag == "nd":
        if type(value) is not str or value not in arrays:
            raise ProtocolError(f"unknown array {value!r}")
        array = arrays[value]
        budget.charge(array.nbytes)
        return array.copy()
    if tag in ("tuple", "list"):
        if not isinstance(value, list):
            raise ProtocolError(f"malformed {tag}")
        items = [_decode(v, arrays, depth + 1, count, budget) for v in value]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict":
        if not isinstance(value, list):
            raise ProtocolError("malformed dict")
        out = {}
        for pair in value:
            if not (isinstance(pair, list) and len(pair) == 2 and type(pair[0]) is str):
                raise ProtocolError("malformed dict entry")
            out[pair[0]] = _decode(pair[1], arrays, depth + 1, count, budget)
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


class ArrayFile:
    """An untrusted npz (its bytes), read lazily: an array is loaded (no pickles, real or
    boolean dtype, its declared size checked first) only when a key is looked up."""

    def __init__(self, blob: bytes, limit: int = MAX_ARRAY_BYTES):
        self.limit, self.loaded, self.names = limit, {}, {}
        if not blob:
            return
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(blob))
            self.names = {info.filename[:-4]: info for info in self.zip.infolist()
                          if info.filename.endswith(".npy")}
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise ProtocolError(f"unreadable array file: {error}") from None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self.names

    def __getitem__(self, key: str) -> np.ndarray:
        if key in self.loaded:
            return self.loaded[key]
        info = self.names[key]
        if info.file_size > self.limit:
            raise ProtocolError(f"array {key!r} too large ({info.file_size} bytes)")
        self.limit -= info.file_size
        fmt = np.lib.format
        try:
            with self.zip.open(info) as f:
                version = fmt.read_magic(f)
                header = (fmt.read_array_header_1_0 if version == (1, 0)
                          else fmt.read_array_header_2_0)
                shape, fortran, dtype = header(f)
                if dtype.kind not in "biuf" or dtype.hasobject or dtype.fields:
                    raise ProtocolError(f"array {key!r} has dtype {dtype}, not plain data")
                nbytes = dtype.itemsize * math.prod(shape)
                if nbytes > info.file_size:
                    raise ProtocolError(f"array {key!r} claims more bytes than it holds")
                data = f.read(nbytes)
        except ProtocolError:
            raise
        except Exception as error:  # zip errors, bad headers
            raise ProtocolError(f"unreadable array {key!r}: {type(error).__name__}: "
                                f"{error}") from None
        if len(data) != nbytes:
            raise ProtocolError(f"array {key!r} is truncated")
        array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
        self.loaded[key] = array
        return array


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
