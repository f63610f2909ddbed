"""Issue 9, item 10: hidden cases are seeded from the instructor's secret (keyed hash), so
a table of hidden outputs precomputed from the public code scores nothing; grading
without a secret still works but warns, in the log and in the summary."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from test_assignments_roundtrip import solved

from autograder.checks import CHECKS, seeds, set_secret

ROOT = Path(__file__).resolve().parents[1]
SECRET = "correct horse battery staple 42"


@pytest.fixture
def no_secret(monkeypatch):
    monkeypatch.delenv(seeds.ENV, raising=False)
    set_secret(None)
    yield
    set_secret(None)


def _arrays(cases):
    return [np.concatenate([np.ravel(a) for a in case.args if isinstance(a, np.ndarray)])
            for case in cases]


def test_hidden_cases_follow_the_secret_and_public_cases_do_not(no_secret, monkeypatch):
    check = CHECKS["rnn_cell_forward"]
    public, hidden = _arrays(check.cases("public")), _arrays(check.cases("hidden"))
    set_secret("one")
    public_1, hidden_1 = _arrays(check.cases("public")), _arrays(check.cases("hidden"))
    set_secret(None)
    monkeypatch.setenv(seeds.ENV, "two")  # the environment variable works too
    hidden_2 = _arrays(check.cases("hidden"))
    assert all(np.array_equal(a, b) for a, b in zip(public, public_1, strict=True))
    for x, y in ((hidden, hidden_1), (hidden, hidden_2), (hidden_1, hidden_2)):
        assert not any(a.shape == b.shape and np.allclose(a, b) for a in x for b in y)
    set_secret("one")
    assert all(np.array_equal(a, b) for a, b in zip(hidden_1, _arrays(check.cases("hidden")),
                                                      strict=True))
    # points and sub-checks do not depend on the secret (the release records them)
    assert [c.check for c in check.cases("hidden")] == [c.check for c in
                                                        CHECKS["rnn_cell_forward"].cases("hidden")]


def lookup_submission(release, source) -> nbformat.NotebookNode:
    """The released notebook solved honestly except one_hot: a table of every public and
    hidden output computed from the public code without a secret, zeros otherwise."""
    table = {}
    for part in ("public", "hidden"):
        for case in CHECKS["one_hot"].cases(part):
            indices, n = case.args
            expected = CHECKS["one_hot"].expected(case)
            table[(indices.shape, tuple(int(v) for v in indices.ravel()), int(n))] = (
                expected.shape, [float(v) for v in expected.ravel()])
    code = f'''TABLE = {table!r}


def one_hot(indices, n_values):
    key = (indices.shape, tuple(int(v) for v in indices.ravel()), int(n_values))
    if key in TABLE:
        shape, flat = TABLE[key]
        return np.array(flat, dtype=np.float64).reshape(shape)
    return np.zeros((n_values,) + indices.shape)


import os
print("secret seen by the student:", os.environ.get("{seeds.ENV}"))
'''
    return solved(release, source, {"one_hot": code})


def _run(args, course, secret):
    bindir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k not in (seeds.ENV, "RNN_COURSE_DB_URL")}
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    if secret:
        env[seeds.ENV] = secret
    result = subprocess.run(args, cwd=course, env=env, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def _scores(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / '_grading' / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook("notation", "notation", student)
        return {g.name: (g.auto_score, g.max_score) for g in nb.grades if g.cell_type == "code"}


@pytest.mark.grading
def test_a_precomputed_table_earns_only_the_public_points_with_a_secret(tmp_path, no_secret):
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / "notation", course / "solutions" / "notation")
    nbgrader = os.path.join(Path(sys.executable).parent, "nbgrader")
    _run([nbgrader, "generate_assignment", "notation", "--force"], course, None)
    release = nbformat.read(course / "exercises" / "notation" / "notation.ipynb", 4)
    source = nbformat.read(course / "solutions" / "notation" / "notation.ipynb", 4)
    for student, nb in (("lookup", lookup_submission(release, source)),
                        ("solver", solved(release, source))):
        target = course / "_grading" / "submitted" / student / "notation" / "notation.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)

    graded = _run([nbgrader, "autograde", "notation", "--force"], course, SECRET)
    assert "NO COURSE SECRET" not in graded.stderr
    lookup, solver = _scores(course, "lookup"), _scores(course, "solver")
    assert all(score == most for score, most in solver.values()), solver
    public = CHECKS["one_hot"].max_points("public")
    assert lookup["test_one_hot"] == (public, public)
    assert lookup["test_one_hot_hidden"][0] == 0, lookup
    text = (course / "_grading" / "autograded" / "lookup" / "notation" /
            "notation.ipynb").read_text()
    assert "secret seen by the student: None" in text and SECRET not in text
    assert SECRET not in "".join(p.read_text(errors="replace") for p in
                                 (ROOT / "student").rglob("*") if p.is_file())

    # The same table against grading without a secret: it scores, and grading says so.
    summary = _run([sys.executable, "-m", "autograder", "grade", "notation", "--student",
                    "lookup"], course, None).stderr
    assert "NO COURSE SECRET" in summary and "WITHOUT a course secret" in summary, summary
    lookup = _scores(course, "lookup")
    assert lookup["test_one_hot_hidden"][0] == lookup["test_one_hot_hidden"][1] > 0, lookup
