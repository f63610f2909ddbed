"""`python -m autograder release <assignment>... | --all`: release assignments.

For each assignment, in its source notebook (solutions/<a>/<a>.ipynb):

- the setup cell (first code cell, locked) installs the student package `rnn_checks` if
  it is missing, on any Jupyter (local, Colab, Binder, JupyterLite);
- each graded function gets a public test cell (`from rnn_checks import check`, worth the
  public points of its check) and a hidden test cell (worth the hidden points, its code
  between BEGIN/END HIDDEN TESTS, so the release shows only a comment). Points come from
  `CHECKS`, so cases added to a check change the cells' points here;

then `nbgrader generate_assignment <a> --force` writes exercises/<a>, and the student
package (student/rnn_checks: code and recorded public data) is rebuilt.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat

from autograder import studentpkg
from autograder.course import load
from autograder.grading.testcells import parse_test_cell

ROOT = studentpkg.ROOT
DISTRIBUTION = "rnn-course-checks"
SETUP_ID = "setup"
HIDDEN_SUFFIX = "_hidden"

SETUP = '''\
# Setup: run this cell first. It installs the course's public checks (`rnn_checks`)
# if they are missing: from a wheel beside this notebook, the JupyterLite site, or GitHub.
import importlib
import pathlib
import sys

_SOURCE = ("{distribution} @ git+{url}"
           "#subdirectory=student")
try:
    import rnn_checks  # noqa: F401
except ImportError:
    _wheels = sorted(pathlib.Path().glob("rnn_course_checks-*.whl")) + sorted(
        pathlib.Path("..").glob("rnn_course_checks-*.whl"))
    if sys.platform == "emscripten":  # JupyterLite: the site serves the wheel
        %pip install {distribution}
    elif _wheels:
        %pip install --quiet "{{_wheels[-1]}}"
    else:
        %pip install --quiet "{{_SOURCE}}"
    importlib.invalidate_caches()
try:
    import rnn_checks  # noqa: F401
    print("rnn_checks is ready: write each function, run the test cell below it, and "
          "validate the notebook before you hand it in.")
except ImportError:
    print(f"Could not install rnn_checks: run  pip install \\"{{_SOURCE}}\\"  in a terminal, "
          "then restart the kernel.")
'''

PUBLIC = '''\
# {functions}: {public} points for the public checks in this cell, {hidden} more for hidden
# checks when your notebook is graded.
from rnn_checks import check

{calls}
'''

HIDDEN = '''\
# Hidden checks of {functions} ({hidden} points): they run when your notebook is graded.
### BEGIN HIDDEN TESTS
from autograder.checks import check

{calls}
### END HIDDEN TESTS
'''


def repository_url(root: Path = ROOT) -> str:
    """repository.url from _config.yml (the course's fork)."""
    text = (root / "_config.yml").read_text(encoding="utf-8")
    match = re.search(r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*(\S+)", text, re.M)
    if not match:
        raise ValueError("_config.yml has no repository.url")
    return match.group(1).strip("\"'")


def _num(x: float) -> str:
    return f"{x:g}"


def _meta(grade_id: str, points: float | None) -> dict:
    meta = {"grade": points is not None, "grade_id": grade_id, "locked": True,
            "schema_version": 3, "solution": False, "task": False}
    if points is not None:
        meta["points"] = int(points) if float(points).is_integer() else points
    return {"nbgrader": meta}


def _cell(grade_id: str, source: str, points: float | None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source.rstrip("\n"), metadata=_meta(grade_id, points))
    cell.id = grade_id.replace("_", "-")
    return cell


def test_cells(grade_id: str, calls: list) -> list[nbformat.NotebookNode]:
    """The public and hidden test cells of one graded function (or a few)."""
    from autograder.checks import CHECKS

    pairs = list(dict.fromkeys((c.name, c.function) for c in calls))
    public = sum(CHECKS[name].max_points("public") for name, _ in pairs)
    hidden = sum(CHECKS[name].max_points("hidden") for name, _ in pairs)
    functions = ", ".join(dict.fromkeys(fn for _, fn in pairs))
    cells = [_cell(grade_id, PUBLIC.format(
        functions=functions, public=_num(public), hidden=_num(hidden),
        calls="\n".join(f'check("{name}", {fn})' for name, fn in pairs)), public)]
    if hidden:
        cells.append(_cell(grade_id + HIDDEN_SUFFIX, HIDDEN.format(
            functions=functions, hidden=_num(hidden),
            calls="\n".join(f'check("{name}", {fn}, part="hidden")' for name, fn in pairs)),
            hidden))
    return cells


def normalise(nb: nbformat.NotebookNode, url: str) -> nbformat.NotebookNode:
    """The source notebook with its setup cell and test cells as the release wants them."""
    from autograder.grading.notebook import is_test_cell

    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if grade_id == SETUP_ID or (is_test_cell(cell) and grade_id.endswith(HIDDEN_SUFFIX)):
            continue  # made again below / with its public partner
        if is_test_cell(cell):
            cells += test_cells(grade_id, parse_test_cell(cell.source))
        else:
            cells.append(cell)
    first_markdown = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), -1)
    cells.insert(first_markdown + 1, _cell(SETUP_ID, SETUP.format(
        distribution=DISTRIBUTION, url=url), None))
    out.cells = cells
    return out


def assignments(root: Path = ROOT) -> list[str]:
    """The course manifest's assignments (sorted), each with its notebook in solutions/."""
    names = sorted(load(root / "course.toml").assignments)
    missing = [n for n in names if not (root / "solutions" / n / f"{n}.ipynb").is_file()]
    if missing:
        raise FileNotFoundError(f"course.toml lists assignments with no source notebook "
                                f"solutions/<name>/<name>.ipynb: {', '.join(missing)}")
    return names


def release(names: list[str], root: Path = ROOT, nbgrader: bool = True) -> None:
    url = repository_url(root)
    for name in names:
        for path in sorted((root / "solutions" / name).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            new = normalise(nb, url)
            if new != nb:
                nbformat.write(new, path)
                print(f"updated {path.relative_to(root)}", file=sys.stderr)
    if nbgrader and names:
        bindir = str(Path(sys.executable).parent)  # nbgrader runs alembic from PATH
        env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
        every = sorted(names) == assignments(root)
        for name in ["*"] if every else names:  # one nbgrader run for all ("*" is a glob)
            subprocess.run([os.path.join(bindir, "nbgrader"), "generate_assignment", name,
                            "--force", "--log-level=ERROR"], cwd=root, env=env, check=True)
    written = studentpkg.build(root / "student")
    print(f"wrote {len(written)} files of the student package in student/{studentpkg.PACKAGE}",
          file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder release",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignment names (or --all)")
    parser.add_argument("--all", action="store_true", help="every assignment in solutions/")
    parser.add_argument("--no-nbgrader", dest="nbgrader", action="store_false",
                        help="only rewrite the source notebooks and the student package")
    args = parser.parse_args(argv)
    names = assignments() if args.all else args.assignments
    unknown = set(names) - set(assignments())
    if unknown:
        parser.error(f"no such assignment(s): {', '.join(sorted(unknown))}")
    if not names and not args.all:
        parser.error("name assignments or give --all")
    release(names, nbgrader=args.nbgrader)
    return 0
