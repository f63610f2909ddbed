"""The hostile corpus through the real `nbgrader autograde` and `generate_feedback`.

Every case in tests/hostile/corpus.py is submitted as its own student; one plain
`nbgrader autograde forward_pass` grades them all. Each must get exactly the points it
deserves, the batch must finish within its cap, no file outside the graded output may
change, nothing may reach the network, and the gradebook must stay consistent.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from html import unescape as html_unescape
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import corpus  # noqa: E402
from course import REPO, make_course, nbgrader, scores, submit  # noqa: E402

pytestmark = pytest.mark.grading
ASSIGNMENT = corpus.ASSIGNMENT
LIMITS = ["--SecureExecute.problem_timeout=6", "--SecureExecute.cell_timeout=10",
          "--SecureExecute.submission_timeout=90", "--SecureExecute.workers=2"]
BATCH_CAP = 420.0  # seconds for the whole corpus (~30 submissions, several time out)


def _snapshot(*roots: Path, skip: tuple = ()) -> dict[str, str]:
    out = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            rel = str(path)
            if path.is_file() and not any(part in rel for part in skip):
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


class Canary:
    """A TCP server on loopback that records every connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not (REPO / "solutions" / ASSIGNMENT).exists():
        pytest.fail(f"solutions/{ASSIGNMENT} is missing")
    from autograder.grading.sandbox import capabilities

    if not capabilities().namespaces:
        pytest.skip("the full sandbox needs root and unshare (here: "
                    f"{capabilities().describe()}); the degraded mode is tested in "
                    "test_grading_sandbox.py")
    course = make_course(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    release = nbformat.read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    solution_path = course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    solution = nbformat.read(solution_path, 4)
    canary = Canary()
    victim = course / "_grading" / "submitted" / "honest_correct" / ASSIGNMENT / \
        f"{ASSIGNMENT}.ipynb"
    paths = {"solution_nb": str(solution_path), "gradebook": str(course / "_grading" /
                                                                  "gradebook.db"),
             "victim_nb": str(victim), "package": str(REPO / "autograder"),
             "port": canary.port}
    cases = corpus.build(release, solution, paths)
    for student, (data, _) in cases.items():
        submit(course, student, ASSIGNMENT, data)
    skip = ("_grading/autograded", "_grading/gradebook.db", ".nbgrader.log",
            "_grading/feedback", "__pycache__")
    watched = [course, REPO / "autograder" / "reference"]
    before = _snapshot(*watched, skip=skip)
    start = time.monotonic()
    proc = nbgrader(course, "autograde", ASSIGNMENT, "--force", *LIMITS, check=False)
    seconds = time.monotonic() - start
    after = _snapshot(*watched, skip=skip)
    canary.close()
    return {"course": course, "cases": cases, "proc": proc, "seconds": seconds,
            "before": before, "after": after, "canary": canary}


def _deserved(name: str, source: str) -> tuple[float, float]:
    """What an honest function with this behaviour scores (public, hidden), in-process."""
    from autograder.checks import check

    namespace = {"np": np}
    exec(source, namespace)  # our own corpus code, not a submission
    with contextlib.redirect_stdout(io.StringIO()):
        return check(name, namespace[name], "public"), check(name, namespace[name], "hidden")


def _scores(course: Path) -> dict[str, dict[str, float]]:
    return scores(course, ASSIGNMENT)


def test_batch_finishes_in_time_and_without_errors(graded):
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stderr[-6000:]
    assert graded["seconds"] < BATCH_CAP, f"batch took {graded['seconds']:.0f} s"
    print(f"\ncorpus of {len(graded['cases'])} graded in {graded['seconds']:.1f} s")


def test_each_submission_gets_exactly_what_it_deserves(graded):
    scores = _scores(graded["course"])
    assert set(scores) == set(graded["cases"])
    full = {}
    with Gradebook(f"sqlite:///{graded['course'] / '_grading' / 'gradebook.db'}") as gb:
        for cell in gb.find_notebook(ASSIGNMENT, ASSIGNMENT).grade_cells:
            if cell.cell_type == "code":  # autograded; written answers wait for a person
                full[cell.name] = cell.max_score
    assert full.get(corpus.TARGET_TEST) and full.get(corpus.LAST_TEST)
    wrong = []
    for student, (_, expected) in graded["cases"].items():
        want = {k: (0.0 if expected == "zero-all" else v) for k, v in full.items()}
        if isinstance(expected, dict):
            # A problem has a public test cell G and a hidden one G_hidden: what the corpus
            # says of G holds for both, unless it names G_hidden itself.
            for grade_id, value in expected.items():
                hidden = grade_id + "_hidden"
                if isinstance(value, tuple):
                    want[grade_id], deserved = _deserved(corpus.TARGET, value[1])
                    if hidden in full and hidden not in expected:
                        want[hidden] = deserved
                    continue
                want[grade_id] = full[grade_id] if value == corpus.FULL else value
                if hidden in full and hidden not in expected:
                    want[hidden] = value if value != corpus.FULL else full[hidden]
        got = scores[student]
        if any(abs(got.get(k, -1) - v) > 1e-6 for k, v in want.items()):
            wrong.append(f"{student}: got {got}, expected {want}")
    assert not wrong, "\n".join(wrong)


def test_no_file_outside_the_graded_output_changes(graded):
    before, after = graded["before"], graded["after"]
    changed = [p for p in set(before) | set(after) if before.get(p) != after.get(p)]
    assert not changed, changed
    assert not Path("/tmp/pwned-by-student").exists()


def test_nothing_reaches_the_network(graded):
    assert graded["canary"].connections == 0


def test_gradebook_is_consistent(graded):
    url = f"sqlite:///{graded['course'] / '_grading' / 'gradebook.db'}"
    with Gradebook(url) as gb:
        notebook = gb.find_notebook(ASSIGNMENT, ASSIGNMENT)
        names = {c.name for c in notebook.grade_cells}
        total = sum(c.max_score for c in notebook.grade_cells)
        assert "bonus_points" not in names
        for sub in gb.notebook_submissions(ASSIGNMENT, ASSIGNMENT):
            assert {g.name for g in sub.grades} == names
            assert all(g.auto_score is not None for g in sub.grades), sub.student.id
            assert sub.max_score == total
            assert 0 <= sub.score <= total


def test_failures_are_recorded_with_their_reason(graded):
    course = graded["course"]

    def meta(student):
        path = course / "_grading" / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        return json.loads(path.read_text())["metadata"]["rnn_grading"]

    assert "NotJSONError" in meta("malformed_json")["rejected"]
    assert "SchemaTooNew" in meta("unknown_schema")["rejected"]
    problems = meta("infinite_loop")["result"]["problems"]
    assert problems[corpus.TARGET_TEST]["status"] == "timeout"
    assert meta("exit_kernel")["result"]["problems"][corpus.TARGET_TEST]["status"] == "crashed"
    deleted = meta("delete_test_cell")["result"]["problems"][corpus.TARGET_TEST]["error"]
    assert "deleted" in deleted


def test_feedback_shows_scores_but_no_hidden_tests_or_solutions(graded):
    course = graded["course"]
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--student", "blank", "--force")
    html = (course / "_grading" / "feedback" / "blank" / ASSIGNMENT /
            f"{ASSIGNMENT}.html").read_text()
    text = html_unescape(re.sub(r"<[^>]+>", "", html))  # what a reader sees
    assert "public checks" in text and "Score" in text  # the scores and check reports
    assert "HIDDEN TESTS" not in text and 'part="hidden"' not in text
    assert 'check("softmax", softmax)' in text  # the public test cell's code is shown
    solution = nbformat.read(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    release = nbformat.read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    public = "\n".join(cell.source for cell in release.cells)
    for source in corpus.solution_sources(solution).values():
        secret = [line.strip() for line in source.splitlines()
                  if len(line.strip()) > 20 and line.strip() not in public]
        assert secret, "nothing to look for"
        leaked = [line for line in secret if line in text]
        assert not leaked, leaked


def test_integrity_report_flags_the_attacks(graded):
    course = graded["course"]
    proc = subprocess.run([sys.executable, "-m", "autograder", "integrity", ASSIGNMENT],
                          cwd=course, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    flags = json.loads((course / "_grading" / "integrity" / f"{ASSIGNMENT}.json").read_text())
    reasons: dict[str, str] = {}
    for flag in flags:
        reasons[flag["student"]] = reasons.get(flag["student"], "") + flag["reason"] + "\n"
    assert "imports the course package" in reasons["import_reference"]
    assert "calls exec()" in reasons["read_reference_source"]
    assert "patches numpy comparison" in reasons["patch_allclose"]
    assert "IPython" in reasons["input_transformer"]
    assert "ctypes" in reasons["segfault"]
    assert "network" in reasons["network"]
    assert "near-copy of other submissions" in reasons["kill_everything"]  # same code
    assert "near-copy of the instructor's solution" in reasons["honest_correct"]
    assert "blank" not in reasons and "malformed_json" not in reasons


def test_cli_grades_in_parallel_with_progress_and_summary(graded):
    """Last in this module: re-grades a few submissions with `python -m autograder`."""
    course = graded["course"]
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--student", "honest_*",
         "--workers", "2"], cwd=course, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    err = proc.stderr
    assert "3/3" in err and "Graded 3 of 3 submissions" in err, err[-3000:]
    assert "full marks 3" in err and "Integrity report" in err
    assert _scores(course)["honest_noisy"][corpus.TARGET_TEST] > 0
