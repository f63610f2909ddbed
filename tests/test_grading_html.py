"""Student HTML never runs in the instructor's browser; graded notebooks stay small; one
broken submission never fails the batch; a failed re-grade is reported.

One real `nbgrader autograde` grades tests/hostile/html_corpus.py (payloads in markdown,
written answers, attachments, raw cells, outputs, widget state; a notebook that prints
10 MB; a missing attachment; lone surrogates). Each graded notebook is rendered the way
the formgrader renders it (nbconvert's HTMLExporter with nbgrader's own `formgrade`
template, served with nbgrader's own static files from a loopback server), the feedback
comes from the real `nbgrader generate_feedback`, and both are opened in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import html_corpus  # noqa: E402
from course import REPO, make_course, nbgrader, submit  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.browser]
ASSIGNMENT = html_corpus.ASSIGNMENT
LIMITS = ["--SecureExecute.problem_timeout=20", "--SecureExecute.cell_timeout=20",
          "--SecureExecute.submission_timeout=120", "--SecureExecute.workers=2"]
OUTPUT_CAP = 1_000_000  # c.CapNotebookOutput.max_output_chars in nbgrader_config.py
TIMING: dict[str, float] = {}


def _png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1, 2, 3], [0, 1, 0.5, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _snapshot(root: Path, skip: tuple) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and not any(s in str(p) for s in skip)}


def _graded(course: Path, student: str) -> Path:
    return course / "_grading" / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def _feedback(course: Path, student: str) -> Path:
    return course / "_grading" / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"


class PageServer:
    """Serves rendered pages and nbgrader's formgrader static files on loopback, and
    records every path asked for (a payload that ran would ask for /pwned/...)."""

    def __init__(self, root: Path):
        from nbgrader.server_extensions.formgrader import handlers

        static = Path(handlers.__file__).parent / "static"
        self.paths: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def translate_path(self, path):
                path = path.split("?", 1)[0]
                if path.startswith("/formgrader/static/"):
                    return str(static / path[len("/formgrader/static/"):])
                return str(root / path.lstrip("/"))

            def log_message(self, *args):
                pass

            def send_head(self):
                server.paths.append(self.path)
                return super().send_head()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def render_formgrade(path: Path, student: str) -> str:
    """The formgrader's page for one graded notebook, made exactly as its
    SubmissionHandler does (FormgradeExtension's HTMLExporter configuration)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {"assignment_id": ASSIGNMENT, "notebook_id": ASSIGNMENT,
                 "submission_id": student, "index": 0, "total": 1, "base_url": "",
                 "student": student, "last_name": "L", "first_name": "F",
                 "notebook_path": f"/{path.name}"}
    html, _ = HTMLExporter(config=config).from_filename(str(path), resources=resources)
    return html


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from autograder.grading.sandbox import capabilities

    if not capabilities().namespaces:
        pytest.skip(f"the full sandbox needs root and unshare ({capabilities().describe()})")
    start = time.monotonic()
    course = make_course(tmp_path_factory.mktemp("html"), ASSIGNMENT)
    release = nbformat.read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    solution = nbformat.read(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    png = _png()
    notebooks = html_corpus.build(release, solution, png)
    notebooks["planted_outputs"] = notebooks["xss_outputs"]
    for student, nb in notebooks.items():
        submit(course, student, ASSIGNMENT, json.dumps(nb).encode())
    skip = ("_grading/autograded", "_grading/gradebook.db", ".nbgrader.log",
            "_grading/feedback", "__pycache__")
    before = _snapshot(course, skip) | _snapshot(REPO / "autograder" / "reference", skip)
    t0 = time.monotonic()
    proc = nbgrader(course, "autograde", ASSIGNMENT, "--force", *LIMITS, check=False)
    TIMING["autograde"] = time.monotonic() - t0
    after = _snapshot(course, skip) | _snapshot(REPO / "autograder" / "reference", skip)
    # An autograded notebook as stock nbgrader (or an older pipeline) would leave it:
    # hostile outputs and widget state in place. The feedback step must still cope.
    planted = nbformat.read(_graded(course, "planted_outputs"), 4)
    for cell in planted.cells:
        if cell.cell_type == "code" and "ordinary cell" in cell.source:
            cell.outputs = html_corpus.hostile_outputs()
    planted.cells.insert(3, nbformat.v4.new_raw_cell(
        f'<img src=x onerror="{html_corpus.js("planted_raw")}">'))
    planted.metadata["widgets"] = html_corpus.WIDGET_STATE
    nbformat.write(planted, _graded(course, "planted_outputs"))
    with Gradebook(f"sqlite:///{course / '_grading' / 'gradebook.db'}") as gb:
        for name in html_corpus.WRITTEN:  # what the formgrader's grade API does on "save"
            grade = gb.find_grade(name, ASSIGNMENT, ASSIGNMENT, "xss_markdown")
            grade.manual_score, grade.needs_manual_grade = 1.0, False
        gb.db.commit()
    t0 = time.monotonic()
    feedback = nbgrader(course, "generate_feedback", ASSIGNMENT, "--force", check=False)
    TIMING["feedback"] = time.monotonic() - t0
    TIMING["setup"] = time.monotonic() - start
    return {"path": course, "notebooks": notebooks, "png": png, "autograde": proc,
            "feedback": feedback, "before": before, "after": after}


def _scores(course: Path) -> dict[str, dict[str, tuple]]:
    out = {}
    with Gradebook(f"sqlite:///{course / '_grading' / 'gradebook.db'}") as gb:
        for sub in gb.notebook_submissions(ASSIGNMENT, ASSIGNMENT):
            out[sub.student.id] = {g.name: (g.auto_score, g.manual_score, g.max_score,
                                            g.needs_manual_grade) for g in sub.grades}
    return out


def test_batch_grades_everyone_and_changes_nothing_else(course):
    proc = course["autograde"]
    assert proc.returncode == 0, proc.stderr[-6000:]
    assert course["feedback"].returncode == 0, course["feedback"].stderr[-6000:]
    changed = [p for p in set(course["before"]) | set(course["after"])
               if course["before"].get(p) != course["after"].get(p)]
    assert not changed, changed
    for student in course["notebooks"]:
        assert _graded(course["path"], student).exists(), student
        assert _feedback(course["path"], student).exists(), student
    print(f"\nautograde {TIMING['autograde']:.1f} s, generate_feedback "
          f"{TIMING['feedback']:.1f} s, setup in all {TIMING['setup']:.1f} s")


def test_code_keeps_full_marks_and_written_answers_wait_for_a_person(course):
    scores = _scores(course["path"])
    release = nbformat.read(course["path"] / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                            4)

    def source(nb, grade_id):
        return next(c.source for c in nb.cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)

    for student, nb in course["notebooks"].items():
        for name, (auto, _manual, most, needs) in scores[student].items():
            if name not in html_corpus.WRITTEN:
                assert auto == most, (student, name, auto, most)
            elif source(nb, name) != source(release, name):
                # An edited answer is graded by a person, never automatically (the
                # fixture graded xss_markdown's by hand)...
                assert auto is None and (needs or student == "xss_markdown"), (student, name)
            else:  # ... an untouched one scores zero
                assert auto == 0 and not needs, (student, name, auto)


def test_honest_markdown_is_kept_byte_for_byte(course):
    nb = nbformat.read(_graded(course["path"], "honest_rich"), 4)
    want = html_corpus.honest_answer(course["png"])
    for grade_id in html_corpus.WRITTEN:
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                    == grade_id)
        assert cell.source == want
        assert cell.attachments["plot.png"]["image/png"] == course["png"]
    assert "sanitized" not in nb.metadata.get("rnn_grading", {})


def test_hostile_content_is_gone_from_the_graded_notebooks(course):
    for student in ("xss_markdown", "xss_outputs"):
        nb = nbformat.read(_graded(course["path"], student), 4)
        assert "widgets" not in nb.metadata
        assert nb.metadata["rnn_grading"]["sanitized"], student
        for cell in nb.cells:
            if cell.get("attachments"):
                assert all(set(b) <= {"image/png", "image/jpeg"} for b in
                           cell.attachments.values()), cell.attachments.keys()
            for output in cell.get("outputs", []):
                assert set(output.get("data", {})) <= {"text/plain", "image/png",
                                                       "text/html"}, output


def _open(browser, url: str) -> dict:
    """Open `url` with only the loopback server reachable; what the page did."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    seen = {"dialogs": [], "blocked": [], "requests": [], "console": []}
    origin = url.split("/", 3)[:3]

    def route(route):
        target = route.request.url
        if target.startswith("/".join(origin) + "/") or target.startswith(
                ("data:", "blob:", "about:")):
            route.continue_()
        else:
            seen["blocked"].append(target)
            route.abort("blockedbyclient")

    context.route("**/*", route)

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("console", lambda m: seen["console"].append(m.text))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(1000)  # onerror/onload/refresh/autofocus have fired by now
    seen["url"] = page.url
    seen["state"] = page.evaluate("""() => {
        const nb = document.querySelector('#notebook-container') || document.body;
        const all = [...nb.querySelectorAll('*')];  // the formgrader's nav has onclick
        const onattr = all.flatMap(e => [...e.attributes].filter(a => /^on/i.test(a.name))
                                      .map(a => e.tagName + ' ' + a.name));
        const jsurl = all.flatMap(e => [...e.attributes]
            .filter(a => /^\\s*(javascript|vbscript|data:text)/i.test(a.value))
            .map(a => e.tagName + ' ' + a.name));
        const bad = [...nb.querySelectorAll(
            'script, iframe, object, embed, svg, form, input:not(.score):not(.extra-credit),'
            + ' base, meta, link, style, noscript')]
            // the formgrader's score inputs, and the SVG that MathJax (inlined in the
            // feedback, no student markup can make an mjx-container) draws for the math
            .filter(e => !(e.closest('.panel-heading')) && !e.closest('mjx-container'))
            .map(e => e.tagName);
        const imgs = [...document.querySelectorAll('img')].map(i => ({
            src: i.getAttribute('src') || '', ok: i.complete && i.naturalWidth > 0}));
        const mj = window.MathJax;
        const mathjax = !!(mj && (mj.version || (mj.Hub && mj.Hub.Typeset)));
        const typeset = document.querySelectorAll(
            'mjx-container, .MathJax, .MathJax_Display, .MathJax_Preview').length;
        return {pwned: window.__pwned || null, title: document.title, onattr, jsurl, bad,
                mathjax, typeset,
                imgs, text: document.body.innerText,
                tables: [...document.querySelectorAll('table')].map(t => t.innerText),
                // the element the formgrader's script finds for a grade id ($("#" + id))
                found: Object.fromEntries([...document.querySelectorAll('input.score')]
                    .map(i => [i.id, document.getElementById(i.id) === i]))};
    }""")
    context.close()
    return seen


def _pages(course, server_root: Path, kind: str) -> dict[str, Path]:
    pages = {}
    for student in course["notebooks"]:
        if kind == "formgrade" and student in ("planted_outputs", "amplify_output"):
            continue  # planted: not made by autograde; amplify: checked for size only
        dest = server_root / kind / f"{student}.html"
        dest.parent.mkdir(parents=True, exist_ok=True)
        if kind == "formgrade":
            dest.write_text(render_formgrade(_graded(course["path"], student), student))
        else:
            dest.write_bytes(_feedback(course["path"], student).read_bytes())
        pages[student] = dest
    return pages


@pytest.mark.parametrize("kind", ["formgrade", "feedback"])
def test_no_student_script_runs_in_the_instructors_browser(course, browser, tmp_path, kind):
    server = PageServer(tmp_path)
    try:
        pages = _pages(course, tmp_path, kind)
        results = {student: _open(browser, f"{server.url}/{kind}/{student}.html")
                   for student in pages}
        asked = list(server.paths)
        if kind == "formgrade":  # control: the same checks catch the unsanitised page
            submitted = course["path"] / "_grading" / "submitted" / "xss_markdown" / \
                ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            (tmp_path / "control.html").write_text(render_formgrade(submitted, "control"))
            control = _open(browser, f"{server.url}/control.html")
            assert len(control["dialogs"]) >= 5 and any("/pwned/" in p for p in server.paths)
    finally:
        server.close()
    problems = []
    for student, seen in results.items():
        state = seen["state"]
        problems += [f"{student}: {p}" for p in (
            [f"dialog {m!r}" for m in seen["dialogs"]]
            + ([f"window.__pwned={state['pwned']}"] if state["pwned"] else [])
            + (["document.title was set"] if state["title"] == "PWNED" else [])
            + [f"event handler {a}" for a in state["onattr"]]
            + [f"script URL in {a}" for a in state["jsurl"]]
            + [f"element {t} in the notebook" for t in state["bad"]]
            + [f"left the page: {seen['url']}"] * (not seen["url"].endswith(f"{student}.html"))
            + [f"asked for {u}" for u in seen["requests"] if "/pwned" in u])]
    problems += [f"server saw {p}" for p in asked if "pwned" in p]
    assert not problems, "\n".join(problems)

    # What must still show: the honest student's math (as TeX in the DOM when MathJax is
    # offline), the table, and the plot (attachment and data URL), loaded.
    for student in ("honest_rich", "xss_markdown"):
        state = results[student]["state"]
        text = state["text"]
        if state["mathjax"]:  # MathJax ran (served offline): the math was typeset
            assert state["typeset"] >= 3, (student, state["typeset"])
        else:  # no MathJax here (it comes from a CDN): the TeX is intact in the page
            for tex in (html_corpus.TEX_INLINE, html_corpus.TEX_DISPLAY):
                assert tex in text, (student, tex)
            assert "\\begin{align}" in text and "c &< d" in text, student
        assert any(html_corpus.TABLE_CELL in t for t in state["tables"]), student
        plots = [i for i in state["imgs"] if i["src"].startswith("data:image/png")
                 and len(i["src"]) > 1000]
        assert len(plots) >= 4 and all(i["ok"] for i in plots), (student, plots)
        assert "a < b and b > a" in text and "a<b" in text and "https://numpy.org" in text
    assert html_corpus.NOTE_START in results["xss_markdown"]["state"]["text"]
    if kind == "formgrade":  # every grade cell's score box, and no student element
        found = results["xss_markdown"]["state"]["found"]  # shadows its id
        source = nbformat.read(REPO / "solutions" / "forward_pass" / "forward_pass.ipynb", 4)
        grade_cells = [c for c in source.cells
                       if c.metadata.get("nbgrader", {}).get("grade")]
        assert len(found) == len(grade_cells) and all(found.values()), found
    else:  # outputs planted in a graded notebook: sanitised HTML stays, script is text
        text = results["planted_outputs"]["state"]["text"]
        assert "html output" in text
        assert "not shown (could run in a browser): application/javascript" in text


def test_missing_attachment_does_not_break_feedback_or_the_formgrader(course):
    nb = nbformat.read(_graded(course["path"], "missing_attachment"), 4)
    html = render_formgrade(_graded(course["path"], "missing_attachment"),
                            "missing_attachment")
    assert "See the figure" in html
    assert "See the figure" in _feedback(course["path"], "missing_attachment").read_text()
    assert any("missing" in str(v) for v in nb.metadata["rnn_grading"]["sanitized"].values())


def test_lone_surrogates_do_not_fail_the_student(course):
    nb = nbformat.read(_graded(course["path"], "lone_surrogate"), 4)
    assert any("half a character: \ufffd here" in c.source for c in nb.cells)


def test_output_is_capped_per_notebook(course):
    graded = _graded(course["path"], "amplify_output")
    feedback = _feedback(course["path"], "amplify_output")
    honest = _graded(course["path"], "honest_rich").stat().st_size
    assert graded.stat().st_size < OUTPUT_CAP + honest + 200_000, graded.stat().st_size
    # every feedback page carries the same fixed part (MathJax inlined, about 2 MB): the
    # cap bounds what a student's output adds on top of an honest page
    honest_page = _feedback(course["path"], "honest_rich").stat().st_size
    assert feedback.stat().st_size < 1.5 * OUTPUT_CAP + honest_page + 200_000, \
        feedback.stat().st_size
    nb = nbformat.read(graded, 4)
    cut = nb.metadata["rnn_grading"]["output_cut"]
    assert cut["count"] >= 200
    assert "output cut here" in feedback.read_text()
    print(f"\n10 MB of printing: graded notebook {graded.stat().st_size / 1e6:.2f} MB, "
          f"feedback {feedback.stat().st_size / 1e6:.2f} MB")


def test_manual_grades_of_sanitised_answers_reach_the_feedback(course):
    """The fixture graded xss_markdown's (sanitised) written answers by hand before
    generate_feedback, as the formgrader's grade API does."""
    url = f"sqlite:///{course['path'] / '_grading' / 'gradebook.db'}"
    with Gradebook(url) as gb:
        sub = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "xss_markdown")
        total, code = sub.score, sub.code_score
        assert sub.needs_manual_grade is False
    assert total == code + len(html_corpus.WRITTEN)
    html = _feedback(course["path"], "xss_markdown").read_text()
    assert f"Score: {total:.1f}" in html, total


def test_cli_reports_a_failed_regrade_and_the_scores_it_kept(course):
    """Last: `python -m autograder grade` on a student whose re-grade fails (nbgrader
    itself cannot read the submission's timestamp.txt)."""
    path = course["path"]
    folder = path / "_grading" / "submitted" / "regrade_victim" / ASSIGNMENT
    (folder / "timestamp.txt").write_text("not a time")
    before = _scores(path)["regrade_victim"]
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--student",
         "regrade_victim", "--workers", "1"], cwd=path, capture_output=True, text=True,
        timeout=600,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    err = proc.stderr
    assert "regrade_victim: re-grade failed (" in err, err[-3000:]
    points = sum(auto for name, (auto, *_) in before.items() if name not in
                 html_corpus.WRITTEN)
    assert re.search(r"regrade_victim: re-grade failed \(AttributeError: .*\); the gradebook "
                     r"still holds the scores of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
                     rf"\({points:g} autograded points\)", err), err[-3000:]
    assert "Graded 0 of 1 submissions" in err, err[-3000:]
    assert _scores(path)["regrade_victim"] == before
