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
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .compare import FORWARD, Names, Tol, compare, kind
from .plain import Raised, to_plain

PARTS = ("public", "hidden")


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


@dataclass
class SubResult:
    check: str
    points: float
    max_points: float
    passed: bool
    message: str


class Source:
    """Where a check's cases and its reference-derived values come from."""

    def cases(self, check: Check, part: str) -> list[Case]:
        raise NotImplementedError

    def derived(self, check: Check, case: Case, key: str) -> object:
        raise NotImplementedError

    def max_points(self, check: Check, part: str) -> float:
        return float(sum(case.points for case in self.cases(check, part)))


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

    def judge(self, case: Case, output: object) -> SubResult:
        """Judge the plain `output` of the student's function (or a `Raised`) on `case`."""
        if isinstance(output, BaseException):
            output = Raised.from_exception(output)
        if isinstance(output, Raised):
            problems = [output.describe()]
        else:
            try:
                with _quiet():
                    judge = getattr(self, "judge_" + _ident(case.check), None)
                    problems = judge(case, output) if judge else self.compare_parts(case, output)
            except Exception as error:  # an output so odd that comparing it failed
                problems = [f"the output could not be judged ({type(error).__name__}: {error})"]
        passed = not problems
        return SubResult(case.check, case.points if passed else 0.0, case.points, passed,
                         "ok" if passed else "\n".join(problems))

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
    """Call `fn` on a copy of the case's inputs in this process and judge its output."""
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    try:
        with _quiet():
            output = to_plain(fn(*args, **kwargs))
    except Exception as error:
        output = Raised.from_exception(error)
    return check_.judge(case, output)


def report(name: str, part: str, results: list[SubResult]) -> str:
    """The text a student reads: one line per sub-check, what differs, the total."""
    earned = sum(r.points for r in results)
    total = sum(r.max_points for r in results)
    lines = [f"{name}: {part} checks, {_num(earned)} / {_num(total)} points"]
    hidden = CHECKS[name].max_points("hidden") if part == "public" and name in CHECKS else 0
    if hidden:
        lines[0] += f" (and {_num(hidden)} points of hidden checks at grading)"
    width = max((len(r.check) for r in results), default=0)
    for r in results:
        mark = "PASS" if r.passed else "FAIL"
        lines.append(f"  {mark}  {r.check:<{width}}  {_num(r.points)}/{_num(r.max_points)}")
        if not r.passed:
            lines += [f"        {line}" for line in r.message.splitlines()]
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
