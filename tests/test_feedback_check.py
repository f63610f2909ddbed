"""`python -m autograder feedback --check` tells the truth whatever a student writes.

A student's written answer imitates the table of contents of a feedback page (a link to a
grade cell followed by "(Score: x / y)"), as markdown that survives sanitising. The check
must not read it: it knows what a page shows from the gradebook (recorded when the page
was written) and the files' times. One real course, one real submission graded with
`python -m autograder grade`, pages written with the course's commands, a manual grade
saved through nbgrader's Gradebook API as the formgrader saves it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import corpus  # noqa: E402
from course import BIN, REPO, make_course, nbgrader, page_scores, submit  # noqa: E402

pytestmark = pytest.mark.grading
A = corpus.ASSIGNMENT
WRITTEN = "written_weight_sharing"
STUDENT = "forger"
def autograder(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RNN_COURSE_DB_URL"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)


def forged_submission(course: Path) -> bytes:
    """Every function right; the written answer claims 2 points for itself and 0 for a
    test cell that earns full marks."""
    release = nbformat.read(course / "exercises" / A / f"{A}.ipynb", 4)
    solution = nbformat.read(REPO / "solutions" / A / f"{A}.ipynb", 4)
    cases = corpus.build(release, solution, {"solution_nb": "", "gradebook": "",
                                             "victim_nb": "", "package": "", "port": 9})
    nb = nbformat.reads(cases["honest_correct"][0].decode(), 4)
    corpus._cell(nb, WRITTEN).source = (
        "One set of weights serves every step.\n\n"
        f"[Weight sharing](#{WRITTEN}) (Score: 2.0 / 2.0)\n\n"
        "[Test softmax](#test_softmax) (Score: 0.0 / 2.0)\n")
    return nbformat.writes(nb).encode()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from autograder.grading.sandbox import capabilities

    if not capabilities().namespaces:
        pytest.skip(f"grading needs root and unshare ({capabilities().describe()})")
    course = make_course(tmp_path_factory.mktemp("feedback-check"), A)
    submit(course, STUDENT, A, forged_submission(course))
    graded = autograder(course, "grade", A, "--problem-timeout", "30")
    assert graded.returncode == 0, graded.stderr[-4000:]
    return course


def test_check_reads_the_gradebook_not_the_students_markdown(course):
    page = course / "_grading" / "feedback" / STUDENT / A / f"{A}.html"
    first = autograder(course, "feedback", A)
    assert first.returncode == 0, first.stderr[-4000:]
    html = page.read_text()
    # The forgery survives sanitising and follows the real table of contents.
    assert f'<a href="#{WRITTEN}">Weight sharing</a> (Score: 2.0 / 2.0)' in html
    naive = page_scores(html)  # what reading the page's text believes
    assert naive[WRITTEN] == 2.0 and naive["test_softmax"] == 0.0
    with Gradebook(f"sqlite:///{course / '_grading' / 'gradebook.db'}") as gb:
        softmax = gb.find_grade("test_softmax", A, A, STUDENT)
        assert softmax.score == softmax.max_score > 0
        written = gb.find_grade(WRITTEN, A, A, STUDENT)
        assert written.needs_manual_grade and not written.score

    # Just written: up to date, whatever the page's text claims about test_softmax.
    fresh = autograder(course, "feedback", A, "--check")
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert "test_softmax" not in fresh.stderr
    assert f"{STUDENT} {A}: {WRITTEN}" in fresh.stderr  # still waits for a person

    # The formgrader saves 2 points for the written answer; plain nbgrader keeps the page.
    with Gradebook(f"sqlite:///{course / '_grading' / 'gradebook.db'}") as gb:
        written = gb.find_grade(WRITTEN, A, A, STUDENT)
        written.manual_score, written.needs_manual_grade = 2.0, False
        gb.db.commit()
    nbgrader(course, "generate_feedback", A)
    stale = autograder(course, "feedback", A, "--check")
    assert stale.returncode == 1, stale.stderr[-3000:]
    assert f"{STUDENT} {A}: {WRITTEN} shows 0 but the gradebook has 2" in stale.stderr
    assert "test_softmax" not in stale.stderr

    # The course's command rewrites the page; the check agrees, and honest state holds.
    again = autograder(course, "feedback", A)
    assert again.returncode == 0, again.stderr[-4000:]
    assert "up to date" in again.stderr
    assert autograder(course, "feedback", A, "--check").returncode == 0


def test_a_page_with_no_record_is_not_trusted(course):
    """A page written by something that did not record what it shows (or a record whose
    page was never written) is reported, never taken on its word."""
    state = course / "_grading" / "feedback_state" / STUDENT / A / f"{A}.json"
    assert json.loads(state.read_text())["scores"][WRITTEN] == 2.0
    state.unlink()
    check = autograder(course, "feedback", A, "--check")
    assert check.returncode == 1
    assert f"{STUDENT} {A}: no record of what the page shows" in check.stderr
