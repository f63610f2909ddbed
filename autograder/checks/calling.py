"""Call a student's function on one case: the single implementation both grading paths
use (in-process `core.run_case`, and the sandbox worker, which loads this very file by
path before it hides the course; so it imports nothing but the standard library and
numpy, and nothing from `autograder`).

`call(fn, args, kwargs, spec)` calls `fn(*args, **kwargs)` (the caller passes copies) and
returns a report (a dict). The spec (plain data, every key optional):

- `return_args`: report the arguments as they are after the call (`after`), so that the
  judge can see inputs changed in place.
- `new_output`: report every part of the output that IS an argument object or shares
  memory with an argument array (`shared`), where the notebook asks for new objects.
- `helpers`: {name: [[args, output], ...]}: while `fn` runs, the name `name` in its
  globals (the student's namespace) answers a call whose arguments match one of the
  recorded `args` (tight tolerance) with the recorded `output`, and any other call with
  the student's own function of that name. A correct caller is then judged with a
  correct helper whatever the state of the student's own. For every matched call the
  student's own helper also runs on the same arguments; when its result differs, the
  report says so (`helpers[name]["differs"]`), so that the caller's report can name the
  helper once. In the sandbox the tables stay with the grader: `helpers` is then a list
  of names, and `call(..., answer=...)` asks the grader for each value (`answer(name,
  args)` returns `(True, output)` for a recorded call, `(False, None)` otherwise);
  `table_answer(tables)` is that function for tables held in this process.
- `generators`: {kwarg: seed}: pass `np.random.default_rng(seed)` as that keyword
  argument (a real Generator: plain data cannot hold one); `rng_used` says whether the
  function drew from it.
- `reseed`: [{kwarg: seed}, ...]: call again once per entry, on fresh copies of the
  arguments, with generators of those seeds; their reports are in `again`.

Report keys: `status` ("ok" | "raised"), `output` (the raw return value) or `raised`
([type, message, where]: `where` names the student's line), and, as requested, `after`
([args, kwargs]), `shared` [sentences], `helpers` {name: {hits, misses, differs}},
`rng_used` {kwarg: bool}, `again` [reports]. The caller turns the report into plain data.
"""

from __future__ import annotations

import copy
import inspect
import os
import sys
import sysconfig
import traceback

import numpy as np

MATCH_RTOL, MATCH_ATOL = 1e-9, 1e-12
_THIS = os.path.abspath(__file__)


def call(fn, args: tuple, kwargs: dict, spec: dict | None = None, answer=None) -> dict:
    spec = spec or {}
    if answer is None:  # tables in this process (names alone: nothing recorded here)
        tables = spec.get("helpers")
        answer = table_answer(tables if isinstance(tables, dict) else {})
    fresh = [(copy.deepcopy(args), copy.deepcopy(kwargs)) for _ in spec.get("reseed") or []]
    report = _one_call(fn, args, kwargs, spec, answer)
    if spec.get("return_args"):
        generators = set(spec.get("generators") or {})
        report["after"] = [list(args), {k: v for k, v in kwargs.items() if k not in generators}]
    if spec.get("new_output") and report["status"] == "ok":
        report["shared"] = shared_parts(report["output"], args, kwargs)
    again = []
    for seeds, (args_, kwargs_) in zip(spec.get("reseed") or [], fresh, strict=True):
        more = dict(spec, generators={**(spec.get("generators") or {}), **seeds})
        again.append(_one_call(fn, args_, kwargs_, more, answer))
    if again:
        report["again"] = again
    return report


def _one_call(fn, args, kwargs, spec, answer) -> dict:
    report: dict = {}
    generators = {name: np.random.default_rng(int(seed))
                  for name, seed in (spec.get("generators") or {}).items()}
    states = {name: repr(g.bit_generator.state) for name, g in generators.items()}
    kwargs.update(generators)
    stats = {name: {"hits": 0, "misses": 0, "differs": []} for name in spec.get("helpers") or {}}
    restore = _substitute(fn, list(stats), answer, stats)
    try:
        report["output"] = fn(*args, **kwargs)
        report["status"] = "ok"
    except Exception as error:
        report["status"] = "raised"
        report["raised"] = [type(error).__name__, _text(error), where(error)]
    finally:
        _restore(fn, restore)
    if stats:
        report["helpers"] = stats
    if generators:
        report["rng_used"] = {name: repr(g.bit_generator.state) != states[name]
                              for name, g in generators.items()}
    return report


# -- the student's line -------------------------------------------------------------------

def _library_roots() -> tuple:
    roots = {os.path.dirname(os.path.abspath(np.__file__)), _THIS}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(os.path.abspath(path))
    here = os.path.dirname(os.path.dirname(_THIS))  # the autograder (or rnn_checks) package
    roots.add(here)
    course = sys.modules.get("autograder")  # the course's own code, if loaded (never imported)
    if getattr(course, "__file__", None):
        roots.add(os.path.dirname(os.path.abspath(course.__file__)))
    return tuple(roots)


def where(error: BaseException) -> str:
    """'in <function>, line N: <source>' for the deepest frame of the student's own code."""
    try:
        frames = traceback.extract_tb(error.__traceback__)
        roots = _library_roots()
        own = [f for f in frames if not os.path.abspath(f.filename).startswith(roots)
               or f.filename.startswith("<")]
        own = [f for f in own if os.path.abspath(f.filename) != _THIS]
        if not own:
            return ""
        frame = own[-1]
        line = (frame.line or "").strip()
        return f"in {frame.name}, line {frame.lineno}" + (f": {line}" if line else "")
    except Exception:
        return ""


def _text(error: BaseException) -> str:
    try:
        return str(error)[:2000]
    except Exception:
        return "<message unavailable>"


# -- outputs that are the inputs ------------------------------------------------------------

def _walk(obj, path, depth=0):
    """(path, object) for obj and everything inside dicts, lists and tuples."""
    yield path, obj
    if depth > 32:
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _walk(value, f"{path}[{key!r}]", depth + 1)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _walk(value, f"{path}[{i}]", depth + 1)


def shared_parts(output, args, kwargs) -> list:
    """Sentences naming each part of `output` that is an argument's dict/list or shares
    memory with an argument's array."""
    inputs = list(_walk(list(args), "args"))
    inputs += list(_walk(kwargs, "kwargs"))
    containers = {id(obj): path for path, obj in inputs if isinstance(obj, (dict, list))}
    arrays = [(path, obj) for path, obj in inputs if isinstance(obj, np.ndarray)]
    found = []
    for path, obj in _walk(output, "output"):
        if isinstance(obj, (dict, list)) and id(obj) in containers:
            found.append(f"{path} is the very {type(obj).__name__} you were given "
                         f"({containers[id(obj)]})")
        elif isinstance(obj, np.ndarray):
            for in_path, array in arrays:
                if np.shares_memory(obj, array):
                    found.append(f"{path} shares memory with the input {in_path}")
                    break
    return found


# -- helper substitution ------------------------------------------------------------------

def table_answer(tables: dict):
    """`answer` for recorded tables {name: [[args, output], ...]} held in this process."""
    def answer(name: str, given: list):
        for recorded_args, recorded_output in tables.get(name) or []:
            if close(given, list(recorded_args)):
                return True, copy.deepcopy(recorded_output)
        return False, None
    return answer


def _substitute(fn, names: list, answer, stats: dict) -> list:
    namespace = getattr(fn, "__globals__", None)
    if not names or not isinstance(namespace, dict):
        return []
    restore = []
    for name in names:
        had = name in namespace
        own = namespace.get(name)
        restore.append((name, had, own))
        namespace[name] = _lookup(name, own, answer, stats[name])
    return restore


def _restore(fn, restore: list) -> None:
    namespace = getattr(fn, "__globals__", None)
    for name, had, own in reversed(restore):
        if had:
            namespace[name] = own
        else:
            namespace.pop(name, None)


def _positional(own, args: tuple, kwargs: dict):
    """The call's arguments in the helper's parameter order (None if they do not bind)."""
    if not kwargs:
        return list(args)
    try:
        bound = inspect.signature(own).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    return list(bound.args) + [v for k, v in bound.kwargs.items()]


def _lookup(name: str, own, answer, stat: dict):
    def helper(*args, **kwargs):
        given = _positional(own, args, kwargs) if callable(own) else list(args)
        found, output = answer(name, given) if given is not None else (False, None)
        if found:
            stat["hits"] += 1
            if len(stat["differs"]) < 1:
                _compare_own(name, own, args, kwargs, output, stat)
            return output
        stat["misses"] += 1
        if not callable(own):
            raise NameError(f"name {name!r} is not defined")
        return own(*args, **kwargs)

    helper.__name__ = name
    helper.__wrapped__ = own
    return helper


def _compare_own(name, own, args, kwargs, expected, stat) -> None:
    if not callable(own):
        stat["differs"].append(f"{name} is not defined")
        return
    try:
        got = own(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except Exception as error:
        stat["differs"].append(f"your {name} raised {type(error).__name__}: {_text(error)}")
        return
    problem = difference(got, expected, "the result")
    if problem:
        stat["differs"].append(problem)


def close(a, b) -> bool:
    """Plain structures equal up to a tight tolerance (tuples and lists alike)."""
    return difference(a, b, "") is None


def difference(got, expected, path: str) -> str | None:
    """None if `got` matches `expected` tightly, else a short sentence saying where not."""
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray) or got.shape != expected.shape:
            return f"{path}: shape {getattr(got, 'shape', type(got).__name__)}, expected " \
                   f"{expected.shape}"
        if expected.dtype.kind in "biuf" and got.dtype.kind in "biuf":
            if np.allclose(got, expected, rtol=MATCH_RTOL, atol=MATCH_ATOL):
                return None
            with np.errstate(all="ignore"):
                diff = np.abs(got.astype(float) - expected.astype(float))
            diff = np.where(np.isnan(diff), np.inf, diff)
            i = np.unravel_index(int(np.argmax(diff)), diff.shape)
            return f"{path}{list(i) if got.ndim else ''}: got {got[i]!r}, expected {expected[i]!r}"
        return None if np.array_equal(got, expected) else f"{path} differs"
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return f"{path}: not a dict with keys {sorted(expected)}"
        for key in expected:
            problem = difference(got[key], expected[key], f"{path}[{key!r}]")
            if problem:
                return problem
        return None
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            return f"{path}: not a sequence of length {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            problem = difference(g, e, f"{path}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return None if got == expected and type(got) is type(expected) else f"{path}: got " \
            f"{got!r}, expected {expected!r}"
    if isinstance(expected, (int, float)):
        try:
            value = float(got)
        except (TypeError, ValueError):
            return f"{path}: got {type(got).__name__}, expected a number"
        if np.isclose(value, float(expected), rtol=MATCH_RTOL, atol=MATCH_ATOL):
            return None
        return f"{path}: got {value:.6g}, expected {float(expected):.6g}"
    return None if got == expected else f"{path} differs"


def plain_report(report: dict, convert) -> dict:
    """The report as plain data: `convert` copies a value into plain data (raising
    TypeError for anything else); an output it refuses gives status "unplain"."""
    out: dict = {"status": report["status"]}
    if report["status"] == "ok":
        try:
            out["output"] = convert(report["output"])
        except Exception as error:
            out["status"], out["unplain"] = "unplain", _text(error)
    else:
        out["raised"] = [str(v) for v in report["raised"]]
    if "after" in report:
        try:
            out["after"] = convert(report["after"])
        except Exception as error:
            out["after_unplain"] = _text(error)
    for key in ("shared", "helpers", "rng_used"):
        if key in report:
            out[key] = convert(report[key])
    if "again" in report:
        out["again"] = [plain_report(r, convert) for r in report["again"]]
    return out


__all__ = ["call", "plain_report", "close", "difference", "shared_parts", "table_answer",
           "where"]
