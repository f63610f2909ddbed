"""A student's notebook namespace, built from the solution notebooks: the given cells and
every solution cell run in one dict, as in a kernel, with some solution cells replaced
(a mutant edits the instructor's solution the way a student would err).

`namespace("forward_pass", {"cross_entropy": source})["perplexity"]` is the notebook's
own `perplexity`, calling the edited `cross_entropy` by its global name.
"""

from __future__ import annotations

import functools
import linecache
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def solution_cells(assignment: str) -> tuple:
    """(grade_id, source, is_solution) of the code cells a kernel runs before the checks."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id") or f"cell-{index}"
        if meta.get("solution"):
            cells.append((grade_id, cell.source, True))
        elif grade_id.startswith("given") or cell.source.lstrip().startswith("import"):
            cells.append((grade_id, cell.source, False))
    return tuple(cells)


def solution_source(assignment: str, grade_id: str) -> str:
    for gid, source, _ in solution_cells(assignment):
        if gid == grade_id:
            return source
    raise KeyError(f"{assignment} has no cell {grade_id!r}")


def namespace(assignment: str, replace: dict[str, str] | None = None) -> dict:
    """Run the notebook's given and solution cells (some replaced) in a fresh dict."""
    ns: dict = {"__name__": f"student_{assignment}"}
    for grade_id, source, _ in solution_cells(assignment):
        source = (replace or {}).get(grade_id, source)
        filename = f"<{assignment}:{grade_id}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), ns)  # noqa: S102  (the course's own notebooks)
    return ns


@dataclass(frozen=True)
class Edit:
    """A student's version of one solution cell: text replacements (old, new), in order,
    or a whole new `source`."""

    assignment: str
    cell: str
    edits: tuple = ()
    source: str = ""

    def apply(self) -> str:
        if self.source:
            return self.source
        text = solution_source(self.assignment, self.cell)
        for old, new in self.edits:
            if old not in text:
                raise ValueError(f"{self.assignment}/{self.cell}: {old!r} is not in the solution")
            text = text.replace(old, new)
        return text

    def function(self, name: str):
        return namespace(self.assignment, {self.cell: self.apply()})[name]


@dataclass(frozen=True)
class Mutant:
    """A wrong version of one graded function: the sub-check that must fail and text its
    message must contain. With `once`, no other sub-check may fail (one mistake costs
    points once); `category` is one of CATEGORIES."""

    label: str
    category: str
    edit: Edit
    function: str
    subcheck: str
    fragment: str
    check: str = ""
    once: bool = False
    also: tuple = field(default=())  # other sub-checks allowed to fail with `once`

    @property
    def check_name(self) -> str:
        return self.check or self.function


CATEGORIES = ("ordinary", "in-place", "degenerate", "sampling", "blame")
