"""The course manifest (`course.toml` at the repository root): chapters in reading order,
their demos, diagrams and assignment, and the functions each assignment grades.

Standard library only, so the book's extensions, the demos' catalogue, the release, the
live-site builder and the tests can all read it:

    from autograder.course import load
    course = load()
    [c.name for c in course.chapters]        # '01_why_sequences', ...
    course.assignments                        # {'notation': Chapter(...), ...}
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "course.toml"


@dataclass(frozen=True)
class Demo:
    module: str    # the module in book/demos, e.g. "bptt"
    function: str  # the factory that returns the widget, e.g. "truncation_demo"
    section: str   # the '## ' heading of the chapter that teaches what it shows


@dataclass(frozen=True)
class Graded:
    check: str     # the name in autograder.checks.CHECKS
    function: str  # the function the notebook defines and the test cell passes


@dataclass(frozen=True)
class Chapter:
    name: str                   # file stem in book/, e.g. "04_bptt"
    demos: tuple[Demo, ...]
    diagrams: tuple[str, ...]   # MyST names of the figures book/diagrams draws
    assignment: str | None      # folder in solutions/ and exercises/
    functions: tuple[Graded, ...]

    @property
    def docname(self) -> str:
        return f"book/{self.name}"


@dataclass(frozen=True)
class Course:
    chapters: tuple[Chapter, ...]
    root: str                   # the front page, e.g. "intro"
    reference: tuple[str, ...]  # pages after the chapters

    @property
    def assignments(self) -> dict[str, Chapter]:
        """Assignment name -> its chapter, in reading order."""
        return {c.assignment: c for c in self.chapters if c.assignment}

    @property
    def docnames(self) -> list[str]:
        """Every page of the book as a Sphinx docname, in _toc.yml's order."""
        return ([f"book/{self.root}"] + [c.docname for c in self.chapters]
                + [f"book/{page}" for page in self.reference])


def _graded(entry: str) -> Graded:
    check, _, function = entry.partition(":")
    return Graded(check, function or check)


def _demo(entry: dict) -> Demo:
    module, _, function = entry["demo"].partition(".")
    if not function:
        raise ValueError(f"course.toml: demo {entry['demo']!r} must be 'module.function'")
    return Demo(module, function, entry["section"])


def _chapter(entry: dict) -> Chapter:
    known = {"name", "demos", "diagrams", "assignment", "functions"}
    unknown = set(entry) - known
    if unknown:
        raise ValueError(f"course.toml: chapter {entry.get('name')!r} has unknown keys "
                         f"{sorted(unknown)}; allowed: {sorted(known)}")
    if bool(entry.get("assignment")) != bool(entry.get("functions")):
        raise ValueError(f"course.toml: chapter {entry['name']!r} needs both an assignment "
                         "and its functions, or neither")
    return Chapter(entry["name"], tuple(_demo(d) for d in entry.get("demos", ())),
                   tuple(entry.get("diagrams", ())), entry.get("assignment"),
                   tuple(_graded(f) for f in entry.get("functions", ())))


@cache
def load(path: Path = MANIFEST) -> Course:
    """The manifest, checked for unknown keys and half-declared assignments."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    pages = data.get("pages", {})
    return Course(tuple(_chapter(c) for c in data["chapter"]), pages.get("root", "intro"),
                  tuple(pages.get("reference", ())))
