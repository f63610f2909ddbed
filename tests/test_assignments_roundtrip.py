"""The assignments' round trip through the real nbgrader commands, in a copy of the course.

One session-scoped course directory (nbgrader_config.py + solutions/ + exercises/ copied to
a tmp dir) is shared by every test: generate every assignment, submit two students per
assignment ("solver": the released notebook with the solution cells filled in; "blank":
the released notebook unchanged), autograde everything in one call, generate feedback,
export grades to CSV. The tests then read the gradebook, the feedback HTML and
the CSV.
"""

from __future__ import annotations

import copy
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from mutants.notebook import CATEGORY_MUTANTS, NOTEBOOK_MUTANTS

from autograder.course import load

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = list(load().assignments)
STUDENTS = ("solver", "blank")  # every assignment; "mutant" for those in NOTEBOOK_MUTANTS

pytestmark = pytest.mark.grading


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    bindir = str(Path(sys.executable).parent)  # nbgrader shells out to `alembic` on PATH
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    env.pop("RNN_COURSE_DB_URL", None)  # always the course copy's own sqlite gradebook
    result = subprocess.run([os.path.join(bindir, "nbgrader"), *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stderr[-4000:]}"
    return result


def _nb(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def solved(release: nbformat.NotebookNode, source: nbformat.NotebookNode,
           replace: dict[str, str] | None = None):
    """The released notebook as a student who wrote the solutions would hand it in
    (`replace` swaps in other code for some solution cells, by grade_id)."""
    answers = {_nbgrader_meta(c).get("grade_id"): c.source for c in source.cells
               if _nbgrader_meta(c).get("solution")}
    answers.update(replace or {})
    out = nbformat.from_dict(copy.deepcopy(release))
    for cell in out.cells:
        meta = _nbgrader_meta(cell)
        if meta.get("solution"):
            cell.source = answers[meta["grade_id"]]
    return out


@pytest.fixture(scope="session")
def course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    shutil.copytree(ROOT / "exercises", course / "exercises")
    # nbgrader regenerates the release from scratch (the committed one is compared below)
    shutil.rmtree(course / "exercises")
    # One nbgrader call per stage for every assignment and student at once ("*" is a glob).
    _nbgrader(course, "generate_assignment", "*", "--force")
    for name in ASSIGNMENTS:
        source = _nb(course / "solutions" / name / f"{name}.ipynb")
        release = _nb(course / "exercises" / name / f"{name}.ipynb")
        submissions = [("solver", solved(release, source)), ("blank", release)]
        if name in NOTEBOOK_MUTANTS:
            cell, wrong, _, _ = NOTEBOOK_MUTANTS[name]
            submissions.append(("mutant", solved(release, source, {cell: wrong})))
        for student, (assignment, replace, _, _, _) in CATEGORY_MUTANTS.items():
            if assignment == name:
                submissions.append((student, solved(release, source, replace)))
        for student, notebook in submissions:
            target = course / "_grading" / "submitted" / student / name / f"{name}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)
    _nbgrader(course, "autograde", "*", "--force")
    _nbgrader(course, "generate_feedback", "*", "--force")
    _nbgrader(course, "export")  # to _grading/grades.csv (nbgrader_config.py; it wins over --to)
    return course


def _grades(course: Path, name: str, student: str) -> list:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / '_grading' / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(name, name, student)
        return [(g.name, g.cell_type, g.auto_score, g.max_score, g.needs_manual_grade)
                for g in notebook.grades]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_exercises_are_the_current_release(course, name):
    """The committed exercises/ equal a fresh `nbgrader generate_assignment`."""
    fresh = _nb(course / "exercises" / name / f"{name}.ipynb")
    committed = _nb(ROOT / "exercises" / name / f"{name}.ipynb")
    assert committed == fresh, (
        f"exercises/{name} is out of date with solutions/{name}: run "
        f"`nbgrader generate_assignment {name} --force` from the repo root and commit it")


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solutions_get_full_marks(course, name):
    grades = _grades(course, name, "solver")
    autograded = [g for g in grades if g[1] == "code"]
    assert autograded, f"{name} has no autograded cells"
    for cell, _, score, max_score, _ in autograded:
        assert score == max_score, f"{name}/{cell}: solution scored {score} of {max_score}"
    manual = [g for g in grades if g[1] == "markdown"]
    assert 1 <= len(manual) <= 2 and all(g[4] for g in manual), f"{name}: written answers"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_released_notebook_scores_zero(course, name):
    grades = _grades(course, name, "blank")
    assert (course / "_grading" / "autograded" / "blank" / name / f"{name}.ipynb").exists()
    autograded = [g for g in grades if g[1] == "code"]
    assert autograded and all(g[2] == 0 for g in autograded), autograded


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_feedback_has_scores_and_messages_but_no_hidden_tests(course, name):
    for student in STUDENTS:
        html = (course / "_grading" / "feedback" / student / name / f"{name}.html").read_text()
        assert "BEGIN HIDDEN TESTS" not in html and "part=&quot;hidden&quot;" not in html
        assert 'part="hidden"' not in html
        assert "hidden checks" in html and "points" in html
        if student == "solver":
            assert "hidden checks passed" in html and "FAIL" not in html
        else:
            assert "not implemented yet" in html and "hidden checks passed" not in html


@pytest.mark.parametrize("name", sorted(NOTEBOOK_MUTANTS))
def test_mutant_loses_points_in_real_autograde(course, name):
    _, _, test_cell, fragment = NOTEBOOK_MUTANTS[name]
    grades = {g[0]: g for g in _grades(course, name, "mutant")}
    _, _, score, max_score, _ = grades[test_cell]
    assert score < max_score, f"{name}: the mutant kept all {max_score} points of {test_cell}"
    full = [g for g in grades.values() if g[1] == "code" and g[2] == g[3]]
    assert full, f"{name}: the mutant lost every cell, not just the one it breaks"
    html = (course / "_grading" / "feedback" / "mutant" / name / f"{name}.html").read_text()
    assert fragment in html.replace("&#39;", "'").replace("&quot;", '"')


@pytest.mark.parametrize("student", sorted(CATEGORY_MUTANTS))
def test_mutant_of_each_category_in_real_autograde(course, student):
    """In-place, degenerate, sampling and blame mistakes through `nbgrader autograde`: the
    function with the mistake loses points with a message naming it; a correct caller of a
    wrong helper keeps all its points and its feedback names the helper."""
    name, _, test_cell, fragment, intact = CATEGORY_MUTANTS[student]
    grades = {g[0]: g for g in _grades(course, name, student)}
    _, _, score, max_score, _ = grades[test_cell]
    assert score < max_score, f"{student}: {test_cell} kept all {max_score} points"
    html = (course / "_grading" / "feedback" / student / name / f"{name}.html").read_text()
    assert fragment in html.replace("&#39;", "'").replace("&quot;", '"'), student
    if intact:
        _, _, score, max_score, _ = grades[intact]
        assert score == max_score, f"{student}: {intact} lost points for another function"


def test_grades_export_to_csv(course):
    with open(course / "_grading" / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    seen = {(r["assignment"], r["student_id"]) for r in rows}
    # nbgrader lists every student for every assignment (no submission: score 0)
    assert seen == {(a, s) for a in ASSIGNMENTS
                    for s in (*STUDENTS, "mutant", *CATEGORY_MUTANTS)}
    for row in rows:
        student, assignment = row["student_id"], row["assignment"]
        if (student == "mutant" and assignment not in NOTEBOOK_MUTANTS) or (
                student in CATEGORY_MUTANTS and CATEGORY_MUTANTS[student][0] != assignment):
            assert float(row["score"]) == 0.0
            continue
        auto = sum(g[2] for g in _grades(course, row["assignment"], row["student_id"])
                   if g[1] == "code")
        assert float(row["raw_score"]) == pytest.approx(auto)
        assert float(row["max_score"]) > 0
        if row["student_id"] == "blank":
            assert float(row["score"]) == 0.0
