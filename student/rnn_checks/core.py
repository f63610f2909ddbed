# Generated from autograder/checks/core.py by `python -m autograder release`: do not edit.
"""Cases, results, the Check base class, the registry and the in-process `check()`.

A check is split in three steps so that secure grading never trusts student objects:
make inputs (`Check.cases`, trusted, plain data), call the student's function (in the
student's process or a sandbox), judge the plain output (`Check.judge`, trusted).

This module is shared: it is copied into the student package `rnn_checks` at release.
Cases and reference-derived values come from a `Source`: the instructor's package
computes them from the reference (`autograder.checks.computed`), the student package
reads the public ones recorded at release (`recorded.py`). A judge or hint uses only the
case, the student's plain output, `self.expected(case)`, `self.derived(case, key)` and
plain numpy; it never imports or calls the reference.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import calling
from .compare import FORWARD, Names, Tol, compare, kind
from .plain import Raised, to_plain

PARTS = ("public", "hidden")
# The sub-check every function that receives arrays or dicts has (Case.keep_inputs).
INPUTS = "does not change its inputs"


@dataclass(frozen=True)
class Case:
    """One named sub-check on one input. Every field holds plain data only (the student
    package records public cases field by field). `key` names the case for recorded
    values ("<check>|<part>|<index>"); the source sets it."""

    check: str
    points: float
    args: tuple
    kwargs: dict = field(default_factory=dict)
    key: str = ""
    # How the function is called (all plain data; see autograder.checks.calling):
    keep_inputs: bool = False      # judge the arguments after the call (the INPUTS sub-check)
    new_output: bool = False       # ... and that no part of the output is an argument object
    helpers: dict = field(default_factory=dict)     # name -> [[args, output], ...] recorded
    generators: dict = field(default_factory=dict)  # kwarg -> seed of an np.random.Generator
    reseed: tuple = ()             # extra calls, each with these generator seeds

    def spec(self) -> dict:
        """The call specification (plain data) that both grading paths follow."""
        spec: dict = {}
        if self.keep_inputs:
            spec["return_args"] = True
        if self.new_output:
            spec["new_output"] = True
        if self.helpers:
            spec["helpers"] = self.helpers
        if self.generators:
            spec["generators"] = self.generators
        if self.reseed:
            spec["reseed"] = list(self.reseed)
        return spec


@dataclass
class SubResult:
    check: str
    points: float
    max_points: float
    passed: bool
    message: str
    note: str = ""  # said once per report even when passed (e.g. "fix your helper first")


class Source:
    """Where a check's cases and its reference-derived values come from."""

    def cases(self, check: Check, part: str) -> list[Case]:
        raise NotImplementedError

    def derived(self, check: Check, case: Case, key: str) -> object:
        raise NotImplementedError

    def max_points(self, check: Check, part: str) -> float:
        return float(sum(case.points for case in self.cases(check, part)))

    def arg_names(self, check: Check) -> tuple:
        """Parameter names of the graded function (for messages)."""
        return ()


_SOURCE: list[Source] = []


def use_source(source: Source) -> None:
    """Set where every check gets its cases and expected values (done by the package)."""
    _SOURCE[:] = [source]


def _source() -> Source:
    if not _SOURCE:
        raise RuntimeError("no source of cases: import the checks through their package")
    return _SOURCE[0]


# Members of a Check that only the instructor's package has (they use the reference or
# make hidden inputs); the student package is built without them.
INSTRUCTOR_MEMBERS = ("function", "make_cases", "numeric")
DERIVE = "derive_"  # derive_<key>(case): a reference-derived value, recorded at release


class Check:
    """One graded function. Subclasses set `name`, `function` (the reference), `names`
    (labels of a tuple output), and write `make_cases(part, rng)`; a sub-check named in a
    Case is judged by the method `judge_<sub-check>` (default: compare the parts named in
    `parts`). A value a judge or hint needs from the reference beyond the expected output
    is written as `derive_<key>(self, case)` and read with `self.derived(case, key)`."""

    name: str = ""
    function: Callable | None = None   # the reference implementation
    names: Names | None = None          # labels of the output (tuple outputs)
    tol: Tol = FORWARD
    # sub-check name -> top-level output parts whose values it compares (None = all)
    parts: dict[str, tuple | None] = {}
    # points per part: a notebook test cell is worth exactly these; the cases' own points
    # are then relative weights, scaled to this total (None: the cases' points as given)
    totals: dict[str, float] | None = None

    # -- inputs ------------------------------------------------------------------------
    def cases(self, part: str) -> list[Case]:
        """The deterministic list of cases for `part` ("public" or "hidden")."""
        if part not in PARTS:
            raise ValueError(f"{self.name}: part must be 'public' or 'hidden', got {part!r}")
        return _source().cases(self, part)

    def max_points(self, part: str) -> float:
        return _source().max_points(self, part)

    # -- judging -----------------------------------------------------------------------
    def expected(self, case: Case) -> object:
        """The reference's output on the case, as plain data."""
        return self.derived(case, "expected")

    def derived(self, case: Case, key: str) -> object:
        """A reference-derived value for the case: "expected", or what `derive_<key>`
        gives (computed in the instructor's package, recorded in the student's)."""
        return _source().derived(self, case, key)

    def judge(self, case: Case, output: object, info: dict | None = None) -> SubResult:
        """Judge the plain `output` of the student's function (or a `Raised`) on `case`.
        `info` is the rest of the plain call report (arguments after the call, shared
        outputs, helper and generator use; see `calling`)."""
        info = info or {}
        if isinstance(output, BaseException):
            output = Raised.from_exception(output)
        if isinstance(output, Raised):
            problems = [output.describe()]
        else:
            try:
                with _quiet():
                    if case.keep_inputs:
                        problems = self.input_problems(case, output, info)
                    else:
                        judge = getattr(self, "judge_" + _ident(case.check), None)
                        problems = judge(case, output, info) if _takes_info(judge) else \
                            judge(case, output) if judge else self.compare_parts(case, output)
            except Exception as error:  # an output so odd that comparing it failed
                problems = [f"the output could not be judged ({type(error).__name__}: {error})"]
        try:  # info may come from the sandbox: anything odd in it is simply not used
            note = self.helper_note(info)
            if problems:
                problems += self.helper_hints(info)
        except Exception:
            note = ""
        passed = not problems
        return SubResult(case.check, case.points if passed else 0.0, case.points, passed,
                         "ok" if passed else "\n".join(problems), note)

    def judge_report(self, case: Case, report: object) -> SubResult:
        """Judge a plain call report (from `calling.plain_report`, possibly untrusted)."""
        try:
            output, info = unpack_report(report)
        except (TypeError, KeyError, ValueError, IndexError):
            return SubResult(case.check, 0.0, case.points, False,
                             "the sandbox returned an invalid call report")
        return self.judge(case, output, info)

    # -- in-place changes and outputs that are inputs ---------------------------------------
    def input_problems(self, case: Case, output: object, info: dict) -> list[str]:
        """The INPUTS sub-check: the output is of the right kind (a function that returns
        nothing changes nothing, and earns nothing for it), every argument is as it was,
        and (case.new_output) no part of the output is an argument object."""
        wrong = self.kind_problems(case, output)
        if wrong:
            return [f"{self.name} must return an output of the right kind before this "
                    "sub-check counts:", *wrong]
        if "after_unplain" in info:
            return [f"an argument holds something that is not plain data after the call: "
                    f"{info['after_unplain']}"]
        after = info.get("after")
        if not (isinstance(after, (list, tuple)) and len(after) == 2):
            return ["the arguments after the call were not reported"]
        problems = []
        names = self.arg_names()
        for i, (before, now) in enumerate(zip(case.args, after[0], strict=False)):
            label = names[i] if i < len(names) else f"argument {i + 1}"
            problems += changed(before, now, label)
        for key, before in case.kwargs.items():
            problems += changed(before, after[1].get(key, _MISSING), key)
        if problems:
            problems.append(f"{self.name} must not change the arrays or dicts it is given: "
                            "build new ones (e.g. `x = x + d` or `x.copy()`, not `x += d` or "
                            "`x[...] = ...`)")
        shared = info.get("shared") or []
        if case.new_output and shared:
            problems += [f"{s}: return new arrays and dicts (copies), not the ones you were "
                         "given" for s in shared[:3]]
        return problems

    def kind_problems(self, case: Case, output: object) -> list[str]:
        """What is wrong with the kind of `output`: its type, structure, shapes and dtypes
        (never its values), judged as the "shapes and types" sub-check judges them (a
        check's own judge or `compare_parts`), against the reference's output on `case`."""
        judge = getattr(self, "judge_shapes_and_types", None)
        if judge is not None:
            return judge(case, output)
        return self.compare_parts(dataclasses.replace(case, check="shapes and types"), output)

    def arg_names(self) -> tuple:
        """Parameter names of the graded function, for messages."""
        names = getattr(self, "_arg_names", None)
        return tuple(names) if names is not None else _source().arg_names(self)

    # -- helpers (graded functions this one calls) ---------------------------------------------
    def helper_note(self, info: dict) -> str:
        """Said once when the student's own helper gives another result than a correct one
        on the very inputs this function handed it."""
        notes = []
        for name, stat in sorted((info.get("helpers") or {}).items()):
            differs = stat.get("differs") if isinstance(stat, dict) else None
            if differs:
                notes.append(f"{self.name} is judged with a correct {name} in its place; your "
                             f"own {name} gives another result on the same inputs "
                             f"({differs[0]}): fix {name} first (its own checks say what is "
                             "wrong)")
        return "\n".join(notes)

    def helper_hints(self, info: dict) -> list[str]:
        hints = []
        for name, stat in sorted((info.get("helpers") or {}).items()):
            if isinstance(stat, dict) and stat.get("misses") and not stat.get("hits"):
                hints.append(f"{self.name} never called {name} on the inputs a correct "
                             f"{self.name} hands it (the first call already differs)")
            elif isinstance(stat, dict) and stat.get("misses"):
                hints.append(f"{stat['misses']} of the calls to {name} got inputs a correct "
                             f"{self.name} would not pass")
        return hints

    def compare_parts(self, case: Case, output: object) -> list[str]:
        """Compare the parts named for this sub-check (all of them if none are named)."""
        expected = self.expected(case)
        if case.check == "shapes and types":
            return compare(output, expected, self.output_label(expected), self.tol, values=False,
                           names=self.names)
        wanted = self.parts.get(case.check)
        if wanted is None:
            problems = compare(output, expected, self.output_label(expected), self.tol,
                               names=self.names)
        else:
            problems = []
            for part in wanted:
                got, exp, label, sub = self.select(output, expected, part)
                if got is _MISSING:
                    return [label]
                problems += compare(got, exp, label, self.tol, names=sub)
        return problems + (self.hints(case, output, expected) if problems else [])

    def hints(self, case: Case, output: object, expected: object) -> list[str]:
        """Extra sentences that name a likely mistake, given a failed comparison."""
        return []

    def output_label(self, expected: object = None) -> str:
        # dict outputs (gradients) are labelled by their keys alone
        return "" if isinstance(expected, dict) else f"the output of {self.name}"

    def select(self, output: object, expected: object, part: str):
        """(got, expected, label, sub-names) of one named top-level part of the output."""
        if isinstance(expected, dict):
            if not isinstance(output, dict):
                return _MISSING, None, f"the output should be a dict, got {kind(output)}", None
            if part not in output:
                return _MISSING, None, f"the output is missing the key {part!r}", None
            return output[part], expected[part], part, None
        labels = [n if isinstance(n, str) else n[0] for n in self.names]
        i = labels.index(part)
        if not isinstance(output, (tuple, list)) or len(output) != len(expected):
            return (_MISSING, None, f"the output should be a tuple ({', '.join(labels)}), "
                    f"got {kind(output)}", None)
        sub = None if isinstance(self.names[i], str) else self.names[i][1]
        return output[i], expected[i], part, sub


_MISSING = object()


def _takes_info(judge) -> bool:
    if judge is None:
        return False
    try:
        return len(inspect.signature(judge).parameters) >= 3
    except (TypeError, ValueError):
        return False


def fit_points(cases: list[Case], total: float) -> list[Case]:
    """The cases with their points (relative weights) scaled to sum to exactly `total`,
    each a multiple of 1/8 (exact in binary) and at least 1/8."""
    weight = sum(c.points for c in cases)
    raw = [8 * total * c.points / weight for c in cases]
    eighths = [max(1, int(x)) for x in raw]
    # the eighths left over go to the cases that lost most to rounding down (Hamilton)
    for i in sorted(range(len(raw)), key=lambda i: eighths[i] - raw[i]):
        if sum(eighths) >= round(8 * total):
            break
        eighths[i] += 1
    while sum(eighths) > round(8 * total) and max(eighths) > 1:
        eighths[eighths.index(max(eighths))] -= 1
    if min(eighths) < 1 or sum(eighths) != round(8 * total):
        raise ValueError(f"cannot fit {len(cases)} cases into {total} points")
    return [dataclasses.replace(c, points=q / 8) for c, q in zip(cases, eighths, strict=True)]


def changed(before: object, now: object, label: str) -> list[str]:
    """Sentences naming what differs between an argument before and after the call."""
    if now is _MISSING:
        return [f"the argument {label} is gone after the call"]
    if isinstance(before, np.ndarray):
        if not isinstance(now, np.ndarray) or now.shape != before.shape \
                or now.dtype != before.dtype:
            return [f"your function replaced the contents of {label}"]
        same = (before == now) | (np.isnan(before) & np.isnan(now)) \
            if before.dtype.kind == "f" else before == now
        if not np.all(same):
            return [f"your function changed its input {label} in place ({int(np.sum(~same))} "
                    f"of {before.size} entries differ after the call)"]
        return []
    if isinstance(before, dict):
        if not isinstance(now, dict):
            return [f"your function replaced {label}"]
        problems = []
        added = [k for k in now if k not in before]
        removed = [k for k in before if k not in now]
        if added:
            problems.append(f"your function added the key(s) {', '.join(map(repr, added))} to "
                            f"its input {label}")
        if removed:
            problems.append(f"your function removed the key(s) {', '.join(map(repr, removed))} "
                            f"from its input {label}")
        for key in before:
            if key in now:
                problems += changed(before[key], now[key], f"{label}[{key!r}]")
        return problems
    if isinstance(before, (list, tuple)):
        if not isinstance(now, (list, tuple)) or len(now) != len(before):
            return [f"your function changed the length of its input {label}"]
        problems = []
        for i, (b, n) in enumerate(zip(before, now, strict=True)):
            problems += changed(b, n, f"{label}[{i}]")
        return problems
    return [] if type(before) is type(now) and before == now else \
        [f"your function changed its input {label}"]


def unpack_report(report: dict) -> tuple[object, dict]:
    """(plain output or Raised, info) from a plain call report."""
    status = report["status"]
    if status == "ok":
        output = report["output"]
    elif status == "raised":
        kind, message, place = (list(report["raised"]) + ["", "", ""])[:3]
        output = Raised(str(kind)[:200], str(message)[:2000], str(place)[:500])
    elif status == "unplain":
        output = Raised("NotPlainData", str(report["unplain"])[:2000])
    else:
        raise ValueError(f"unknown status {status!r}")
    info = {k: v for k, v in report.items() if k not in ("status", "output", "raised")}
    if "again" in info:
        info["again"] = [unpack_report(r) for r in info["again"]]
    return output, info


def _ident(check_name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in check_name)


@contextlib.contextmanager
def _quiet():
    """Silence numpy warnings and stderr: nbgrader scores a cell that wrote to stderr as 0."""
    with warnings.catch_warnings(), np.errstate(all="ignore"), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


CHECKS: dict[str, Check] = {}


def register(cls: type[Check]) -> type[Check]:
    """Class decorator: put one instance in CHECKS under its name."""
    if cls.name in CHECKS:
        raise ValueError(f"two checks are named {cls.name!r}")
    CHECKS[cls.name] = cls()
    return cls


def run_case(check_: Check, case: Case, fn: Callable) -> SubResult:
    """Call `fn` on a copy of the case's inputs in this process (as the sandbox does, with
    `calling.call`) and judge its output."""
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    with _quiet():
        report = calling.plain_report(calling.call(fn, args, kwargs, case.spec()), to_plain)
    return check_.judge_report(case, report)


def report(name: str, part: str, results: list[SubResult]) -> str:
    """The text a student reads: one line per sub-check, what differs, the total."""
    earned = sum(r.points for r in results)
    total = sum(r.max_points for r in results)
    lines = [f"{name}: {part} checks, {_num(earned)} / {_num(total)} points"]
    hidden = CHECKS[name].max_points("hidden") if part == "public" and name in CHECKS else 0
    if hidden:
        lines[0] += f" (and {_num(hidden)} points of hidden checks at grading)"
    width = max((len(r.check) for r in results), default=0)
    said: dict[str, str] = {}
    for r in results:
        mark = "PASS" if r.passed else "FAIL"
        lines.append(f"  {mark}  {r.check:<{width}}  {_num(r.points)}/{_num(r.max_points)}")
        if not r.passed:
            if r.message in said:  # e.g. the same exception: said once, with its line
                lines.append(f"        (the same problem as in '{said[r.message]}' above)")
                continue
            said[r.message] = r.check
            lines += [f"        {line}" for line in r.message.splitlines()]
    notes = list({note.split(" (")[0]: note for r in reversed(results) if r.note
                  for note in [r.note]}.values())[::-1]
    lines += [f"  NOTE  {line}" for note in notes for line in note.splitlines()]
    if all(r.passed for r in results):
        lines.append("  public checks passed; hidden checks run at grading" if part == "public"
                     else "  hidden checks passed")
    else:
        failed = sum(not r.passed for r in results)
        lines.append(f"  {failed} of {len(results)} {part} sub-checks failed")
    return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:g}"


def check(name: str, fn: Callable, part: str = "public") -> float:
    """Run every case of check `name` on `fn` in this process, print a report, and return
    the points earned (a test cell's last expression is its nbgrader score). A wrong
    answer never raises; a misspelt check name or part does."""
    if name not in CHECKS:
        raise ValueError(f"check: no check named {name!r}; known: {', '.join(sorted(CHECKS))}")
    if part not in PARTS:
        raise ValueError(f"check: part must be 'public' or 'hidden', got {part!r}")
    if not callable(fn):
        results = [SubResult(c.check, 0.0, c.points, False,
                             f"expected a function, got {type(fn).__name__}")
                   for c in CHECKS[name].cases(part)]
    else:
        results = [run_case(CHECKS[name], case, fn) for case in CHECKS[name].cases(part)]
    print(report(name, part, results))
    return round(sum(r.points for r in results), 6)
