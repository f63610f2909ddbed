"""The instructor's workflow, step by step, with the commands README and
book/instructors.md give, on a throw-away copy of the course that is its own git
repository:

1. release: `nbgrader generate_assignment forward_pass --force`;
2. collect: an LMS zip (Canvas, Moodle and plain file names) in
   `_grading/downloaded/forward_pass/archive/`, then `nbgrader zip_collect forward_pass`;
3. grade: `python -m autograder grade forward_pass` (no SQLAlchemy warnings), then
   `--student` for one student (the integrity report keeps the whole class);
4. feedback before manual grading: `python -m autograder feedback forward_pass` warns
   that written answers still need a person;
5. manual grading: `jupyter lab --config=jupyter_server_config.py` from the course root;
   Chromium (every request that would leave the machine blocked) opens the formgrader's
   submissions list and a submission, whose math renders, types a score for a written
   answer and saves it; the gradebook has it;
6. feedback again: `nbgrader generate_feedback` without --force keeps the stale page,
   `python -m autograder feedback --check` says so, `python -m autograder feedback`
   regenerates it with the new score; the page renders its math offline in Chromium and
   its long check messages fit their boxes;
7. export: `nbgrader export` writes `_grading/grades.csv`;
and `git status --porcelain` shows nothing: all of it stayed in the git-ignored _grading/.
"""

from __future__ import annotations

import copy
import csv
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.grading.ids import slug
from autograder.grading.textsafe import md_text

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import corpus  # noqa: E402
from course import BIN, REPO, make_course, nbgrader, page_scores  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.browser]
A = corpus.ASSIGNMENT
ANN = slug("Ann Lee")  # a name that is no safe id: filed under a stable slug
# LMS file name -> (student id nbgrader files it under, which notebook)
ZIP = {
    "smithjohn_123_456_forward_pass.ipynb": ("smithjohn", "full"),            # Canvas
    "doejane_LATE_124_457_forward_pass-1.ipynb": ("doejane", "blank"),        # Canvas, late
    "Ann Lee_125_assignsubmission_file_forward_pass.ipynb": (ANN, "wrong"),  # Moodle
    "bo_chen/forward_pass.ipynb": ("bo_chen", "full"),                        # plain folder
    "README.txt": (None, None),                                               # skipped
}
WRITTEN = "written_weight_sharing"
# Only these may be requested by a page: the local Jupyter server or the page itself.
LOCAL = ("data:", "blob:", "about:")


def run(course: Path, *cmd: str, env: dict | None = None, check: bool = True):
    full = {k: v for k, v in os.environ.items() if k != "RNN_COURSE_DB_URL"}
    full["PATH"] = f"{BIN}{os.pathsep}{full.get('PATH', '')}"
    full.update(env or {})
    proc = subprocess.run(list(cmd), cwd=course, env=full, capture_output=True, text=True,
                          timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited with {proc.returncode}:\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def autograder(course: Path, *args: str, check: bool = True):
    return run(course, sys.executable, "-m", "autograder", *args, check=check)


def notebooks(course: Path) -> dict[str, bytes]:
    """full: every function and both written answers; blank: the release; wrong: a wrong
    rnn_cell_forward (long check messages) and an importlib trick (an integrity flag)."""
    release = nbformat.read(course / "exercises" / A / f"{A}.ipynb", 4)
    solution = nbformat.read(REPO / "solutions" / A / f"{A}.ipynb", 4)
    cases = corpus.build(release, solution, {"solution_nb": "", "gradebook": "",
                                             "victim_nb": "", "package": "", "port": 9})
    full = nbformat.reads(cases["honest_correct"][0].decode(), 4)
    for cell in full.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "markdown" and grade_id.startswith("written_") \
                and not grade_id.endswith("_question"):
            cell.source = ("One set of weights serves every time step, so the network "
                           "handles sequences of any length with $W_{aa}$ learned once.")
    wrong = copy.deepcopy(full)
    for cell in wrong.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "rnn_cell_forward":
            cell.source = cell.source.replace("np.tanh(Waa @ a_prev + Wax @ xt + ba)",
                                              "np.tanh(Wax @ xt + ba)")
            cell.source = "import importlib\n" + cell.source
    return {"full": nbformat.writes(full).encode(), "blank": cases["blank"][0],
            "wrong": nbformat.writes(wrong).encode()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_jupyter(course: Path, tmp: Path) -> tuple[subprocess.Popen, str, str]:
    """`jupyter lab --config=jupyter_server_config.py` from the course root, as documented,
    on loopback with a random port and token and private config/runtime folders."""
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
               JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"))
    env.pop("RNN_COURSE_DB_URL", None)
    cmd = [str(BIN / "jupyter"), "lab", "--config=jupyter_server_config.py", "--no-browser",
           "--ip=127.0.0.1", f"--port={port}", f"--ServerApp.token={token}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp / "jupyter.log", "w")  # noqa: SIM115  (closed when the server stops)
    proc = subprocess.Popen(cmd, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise AssertionError("jupyter lab exited:\n" + (tmp / "jupyter.log").read_text())
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                return proc, base, token
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError("jupyter lab did not answer in 90 s:\n"
                                     + (tmp / "jupyter.log").read_text()) from None
            time.sleep(0.3)


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()


def offline_context(browser, allowed: str):
    """A browser context that blocks (and records) every request not to `allowed`."""
    context = browser.new_context(service_workers="block")
    blocked: list[str] = []

    def route(route):
        url = route.request.url
        if url.startswith((allowed, *LOCAL)):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    return context, blocked


def grade_in_formgrader(browser, base: str, token: str, student: str) -> dict:
    """Open the submissions list and `student`'s submission; type 2 points for WRITTEN."""
    context, blocked = offline_context(browser, base)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # The tokened URL straight to a formgrader page (what "Loading, please wait..."
        # used to hang on): the list loads.
        page.goto(f"{base}/formgrader/manage_submissions/{A}?token={token}")
        page.wait_for_selector(f"td:has-text('{student}')", timeout=30000)
        assert "Loading, please wait" not in page.inner_text("table")
        page.goto(f"{base}/formgrader/gradebook/{A}/{A}")
        link = f"a.name-shown:has-text('{student}')"
        page.wait_for_selector(link, state="attached", timeout=30000)
        page.goto(base + page.get_attribute(link, "href"))
        page.wait_for_selector(f"#{WRITTEN}", timeout=30000)
        # The written answer's math renders with no network (MathJax inlined), and
        # nbgrader's own script sees MathJax finish (MathJax.loaded).
        page.wait_for_function("window.MathJax && MathJax.loaded === true", timeout=30000)
        assert page.evaluate("document.querySelectorAll('mjx-container').length") > 0

        def typed(response):
            body = (response.request.post_data or "").replace(" ", "")
            return ("/formgrader/api/grade/" in response.url
                    and response.request.method == "PUT" and '"manual_score":"2"' in body)

        with page.expect_response(typed) as saved:
            page.fill(f"#{WRITTEN}", "2")
            page.press(f"#{WRITTEN}", "Tab")
        assert saved.value.status == 200
        answer = saved.value.json()
    finally:
        context.close()
    assert blocked == [], f"formgrader pages requested: {blocked}"
    assert errors == [], errors
    return answer


def check_feedback_page(browser, page_path: Path) -> None:
    """The page renders its math from its own file and its check messages fit."""
    context, blocked = offline_context(browser, "file:")
    page = context.new_page()
    page.set_viewport_size({"width": 700, "height": 900})  # a narrow window or a phone
    try:
        page.goto(page_path.as_uri())
        page.wait_for_function("document.querySelectorAll('mjx-container').length > 0",
                               timeout=30000)
        longest = page.evaluate("""() => Math.max(...Array.from(
            document.querySelectorAll('div.output_area pre'))
            .flatMap(e => e.textContent.split('\\n').map(l => l.length)))""")
        clipped = page.evaluate("""() => Array.from(
            document.querySelectorAll('div.output_wrapper, div.output_wrapper *'))
            .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
            .map(e => `${e.tagName}.${e.className} ${e.scrollWidth} > ${e.clientWidth}`)""")
    finally:
        context.close()
    assert blocked == [], f"the feedback page requested: {blocked}"
    assert longest > 110  # there are long check messages to fit ...
    assert clipped == []  # ... and none overflows its box


def test_instructor_workflow_as_documented(tmp_path, browser):
    # 1. Release, in a course that is its own git repository.
    course = make_course(tmp_path / "course", A)
    for name in (".gitignore", "jupyter_server_config.py"):
        shutil.copy(REPO / name, course / name)
    run(course, "git", "init", "-q")
    run(course, "git", "add", "-A")
    run(course, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "course")

    # 2. Collect from an LMS: its zip goes in _grading/downloaded/<assignment>/archive/.
    sources = notebooks(course)
    archive = course / "_grading" / "downloaded" / A / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as zf:
        for name, (_, kind) in ZIP.items():
            zf.writestr(name, sources[kind] if kind else b"not a submission")
    nbgrader(course, "zip_collect", A)
    submitted = course / "_grading" / "submitted"
    students = {s for s, _ in ZIP.values() if s}
    assert {p.name for p in submitted.iterdir()} == students
    for student, kind in ZIP.values():
        if student:
            assert (submitted / student / A / f"{A}.ipynb").read_bytes() == sources[kind]

    # 3. Grade: no SQLAlchemy warnings; the integrity report survives --student.
    graded = autograder(course, "grade", A, "--problem-timeout", "30")
    assert "SAWarning" not in graded.stderr and "sqlalchemy" not in graded.stderr.lower()
    report = course / "_grading" / "integrity" / f"{A}.md"
    # The report is Markdown with every student-derived value escaped as text.
    assert f"## {md_text(ANN)}" in report.read_text() and "importlib" in report.read_text()
    autograder(course, "grade", A, "--student", "smithjohn", "--problem-timeout", "30")
    assert f"## {md_text(ANN)}" in report.read_text(), "--student replaced the class's report"
    db = f"sqlite:///{course / '_grading' / 'gradebook.db'}"

    def score(student: str, grade_id: str) -> float:
        with Gradebook(db) as gb:
            return gb.find_grade(grade_id, A, A, student).score

    assert score("smithjohn", "test_rnn_forward") > 0 and score("doejane", "test_softmax") == 0

    # 4. Feedback before manual grading: a warning names what is still to grade.
    early = autograder(course, "feedback", A)
    assert "need manual grading" in early.stderr and f"smithjohn {A}: {WRITTEN}" in early.stderr
    page = course / "_grading" / "feedback" / "smithjohn" / A / f"{A}.html"
    assert page_scores(page.read_text())[WRITTEN] == 0

    # 5. Manual grading in the formgrader, in a real browser, offline.
    server, base, token = start_jupyter(course, tmp_path)
    try:
        answer = grade_in_formgrader(browser, base, token, "smithjohn")
    finally:
        stop(server)
    assert answer["manual_score"] == 2 and answer["name"] == WRITTEN
    assert score("smithjohn", WRITTEN) == 2

    # 6. Feedback again: plain nbgrader keeps the stale page; the course's command warns
    #    and regenerates.
    nbgrader(course, "generate_feedback", A)
    assert page_scores(page.read_text())[WRITTEN] == 0
    check = autograder(course, "feedback", A, "--check", check=False)
    assert check.returncode == 1
    assert f"smithjohn {A}: {WRITTEN} shows 0 but the gradebook has 2" in check.stderr
    autograder(course, "feedback", A)
    assert page_scores(page.read_text())[WRITTEN] == 2
    check_feedback_page(browser, course / "_grading" / "feedback" / ANN / A / f"{A}.html")

    # 7. Export into _grading/, and nothing of the class outside it.
    nbgrader(course, "export")
    assert not (course / "grades.csv").exists()
    with open(course / "_grading" / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["student_id"] for r in rows} == students
    smith = next(r for r in rows if r["student_id"] == "smithjohn")
    with Gradebook(db) as gb:
        total = gb.find_submission(A, "smithjohn").score
    assert float(smith["score"]) == pytest.approx(total) and total > 2
    status = run(course, "git", "status", "--porcelain", "--untracked-files=all").stdout
    assert status == "", f"files outside _grading/:\n{status}"

