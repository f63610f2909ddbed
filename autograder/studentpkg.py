"""Build the student package `rnn_checks` (student/rnn_checks/) from autograder/checks.

The judging code exists once, in autograder/checks; the student package is generated:

- the shared engine (`SHARED`: plain data, comparison, the call runner, Case/Check/report,
  recorded data) is copied as it is;
- every other module of autograder/checks (the topic modules and gradients.py) is copied
  without what only the instructor has: the `function`, `make_cases`, `numeric` and
  `derive_*` members of each class, and every module-level name that only those use
  (input generators, the reference's helpers, hidden inputs such as texts); whatever is
  left must not reach the reference, or the build stops and names the line;
- `INSTRUCTOR_ONLY` modules are left out (seeds, the computed source, input makers, the
  reference's helper tables: the public cases carry them recorded);
- `data/public.json` + `data/public.npz` record every public case with its expected output
  and derived values (`recorded.py`), and each check's public and hidden points.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKS_DIR = ROOT / "autograder" / "checks"
PACKAGE = "rnn_checks"
SHARED = ("plain.py", "compare.py", "calling.py", "core.py", "recorded.py")
INSTRUCTOR_ONLY = ("__init__.py", "computed.py", "helpers.py", "inputs.py", "seeds.py")
# Modules a student-package module may never use (after stripping).
FORBIDDEN_IMPORTS = ("autograder", ".inputs", ".seeds", ".computed", ".helpers")


class BuildError(ValueError):
    """Judge-side code reaches instructor-only code: it cannot go to students."""


def _header(name: str) -> str:
    return (f"# Generated from autograder/checks/{name} by `python -m autograder release`: "
            "do not edit.\n")


def _instructor_member(stmt: ast.stmt) -> bool:
    from autograder.checks.core import DERIVE, INSTRUCTOR_MEMBERS

    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return stmt.name in INSTRUCTOR_MEMBERS or stmt.name.startswith(DERIVE)
    targets = stmt.targets if isinstance(stmt, ast.Assign) else \
        [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
    return any(isinstance(t, ast.Name) and t.id in INSTRUCTOR_MEMBERS for t in targets)


def _names_used(nodes) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


def _bound(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    return set()


def _span(stmt: ast.stmt) -> tuple[int, int]:
    first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
    return first, stmt.end_lineno


def _import_line(stmt: ast.ImportFrom, keep: list[ast.alias]) -> str:
    names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in keep)
    line = f"from {'.' * stmt.level}{stmt.module or ''} import {names}"
    if len(line) <= 100:
        return line
    return f"from {'.' * stmt.level}{stmt.module or ''} import (\n    {names},\n)"


def strip_module(source: str, filename: str) -> str:
    """The module without its instructor-only members and what only they reach."""
    tree = ast.parse(source)
    lines = source.splitlines()
    delete: list[tuple[int, int]] = []
    replace: dict[int, tuple[int, str]] = {}
    roots: list[ast.AST] = []
    candidates: list[ast.stmt] = []
    for index, stmt in enumerate(tree.body):
        if index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # the docstring
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            continue
        if isinstance(stmt, ast.ClassDef):
            for member in stmt.body:
                if _instructor_member(member):
                    delete.append(_span(member))
                else:
                    roots.append(member)
            roots += stmt.bases + stmt.decorator_list + stmt.keywords
        elif isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.Assign,
                               ast.AnnAssign, ast.AsyncFunctionDef)):
            candidates.append(stmt)
        else:
            roots.append(stmt)
    reachable = _names_used(roots)
    changed = True
    while changed:
        changed = False
        for stmt in candidates:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) or not _bound(stmt) & reachable:
                continue
            more = _names_used([stmt]) - reachable
            if more:
                reachable |= more
                changed = True
    for stmt in candidates:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            keep = [a for a in stmt.names if (a.asname or a.name).split(".")[0] in reachable]
            module = ("." * stmt.level + (stmt.module or "")) if isinstance(
                stmt, ast.ImportFrom) else ",".join(a.name for a in stmt.names)
            if keep and any(module == f or module.startswith(f + ".") for f in
                            FORBIDDEN_IMPORTS):
                raise BuildError(
                    f"{filename}:{stmt.lineno}: judge-side code uses "
                    f"{', '.join(a.name for a in keep)} from {module}: a judge or hint may "
                    "use only the case, the output, self.expected/self.derived and numpy "
                    "(write a derive_<key> method for a reference-derived value)")
            if not keep:
                delete.append(_span(stmt))
            elif len(keep) < len(stmt.names):
                if not isinstance(stmt, ast.ImportFrom):
                    raise BuildError(f"{filename}:{stmt.lineno}: split this import")
                replace[stmt.lineno] = (stmt.end_lineno, _import_line(stmt, keep))
        elif not _bound(stmt) & reachable:
            delete.append(_span(stmt))
    gone = set()
    for first, last in sorted(delete):
        gone.update(range(first, last + 1))
        # no run of blank lines where the statement was: drop the blank line after it when
        # the last line kept before it is blank too (or there is none)
        before = first - 1
        while before in gone:
            before -= 1
        if last < len(lines) and not lines[last].strip() and \
                (before == 0 or not lines[before - 1].strip()):
            gone.add(last + 1)
    out = []
    number = 1
    while number <= len(lines):
        if number in replace:
            last, text = replace[number]
            out.append(text)
            number = last + 1
            continue
        if number not in gone:
            out.append(lines[number - 1])
        number += 1
    text = "\n".join(out) + "\n"
    text = re.sub(r"\n{4,}", "\n\n\n", text)           # at most two blank lines
    text = re.sub(r"(\n    [^\n]*\n)\n{2,}(    )", r"\1\n\2", text)  # one inside a class
    return text.rstrip("\n") + "\n"


def source_files() -> dict[str, str]:
    """{file name in rnn_checks: text} for the code of the student package."""
    files: dict[str, str] = {}
    topics = []
    for path in sorted(CHECKS_DIR.glob("*.py")):
        if path.name in INSTRUCTOR_ONLY:
            continue
        source = path.read_text(encoding="utf-8")
        text = source if path.name in SHARED else strip_module(source, path.name)
        files[path.name] = _header(path.name) + text
        if path.name not in SHARED and "@register" in text:
            topics.append(path.stem)
    files["__init__.py"] = INIT.format(topics=", ".join(topics))
    return files


INIT = '''"""rnn_checks: the public checks of the RNN course, for students.

In an assignment notebook, after writing `softmax`:

    from rnn_checks import check
    check("softmax", softmax)

prints what each public sub-check found and returns the points earned. The hidden checks
run only when the notebook is graded. This package holds the public cases and the
reference's outputs on them, recorded when the assignment was released; it holds no
reference implementation and no hidden cases.
"""
# Generated by `python -m autograder release`: do not edit.

from importlib import resources as _resources

from . import {topics}  # noqa: F401  (they register checks)
from .compare import Tol
from .core import CHECKS, PARTS, Case, Check, SubResult, check, report, run_case, use_source
from .plain import Raised, to_plain
from .recorded import RecordedSource

_DATA = _resources.files(__name__) / "data"
use_source(RecordedSource.from_bytes((_DATA / "public.json").read_bytes(),
                                     (_DATA / "public.npz").read_bytes()))

__all__ = ["CHECKS", "PARTS", "Case", "Check", "Raised", "SubResult", "Tol", "check",
           "report", "run_case", "to_plain"]
'''


def data_files() -> dict[str, bytes]:
    """{file name in rnn_checks/data: bytes}: the recorded public cases and values."""
    from autograder.checks import CHECKS
    from autograder.checks.computed import derive_keys
    from autograder.checks.recorded import record

    values: dict = {}
    points: dict = {}
    for name, check in CHECKS.items():
        keys = ["expected", *derive_keys(check)]
        values[name] = {case.key: {k: check.derived(case, k) for k in keys}
                        for case in check.cases("public")}
        points[name] = {part: check.max_points(part) for part in ("public", "hidden")}
    text, blob = record(CHECKS, values, points)
    return {"public.json": text.encode(), "public.npz": blob}


def build(target: Path) -> list[Path]:
    """Write the package's code and data under target/rnn_checks; return the files."""
    package = target / PACKAGE
    (package / "data").mkdir(parents=True, exist_ok=True)
    written = []
    wanted = set()
    for name, text in source_files().items():
        path = package / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
        wanted.add(path)
    for name, blob in data_files().items():
        path = package / "data" / name
        path.write_bytes(blob)
        written.append(path)
        wanted.add(path)
    for stale in list(package.glob("*.py")) + list((package / "data").glob("*")):
        if stale not in wanted:
            stale.unlink()
    return written
