"""Feedback pages a student can read offline, and a check that they are not stale.

- `mathjax_script`: a Jinja filter (registered in nbgrader_config.py) that inlines
  MathJax 3 (SVG output, fonts included) from the `sphinx-mathjax-offline` package in
  place of nbconvert's CDN script; the course's `mathjax.html.j2` templates call it.
- `FeedbackStyle`: a preprocessor that adds CSS so that long check messages wrap inside
  their boxes instead of being clipped.
- `RecordFeedback`: a preprocessor that records, from the gradebook, what each page it
  writes shows; `stale_feedback`: pages whose record differs from the gradebook now (a
  score changed in the formgrader, or a re-grade, after the page was written). Neither
  reads a page's text: the student wrote part of it.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
from dataclasses import dataclass
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

MATHJAX_CONFIG = """window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']],
        displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
        processEscapes: true, processEnvironments: true},
  options: {ignoreHtmlClass: 'tex2jax_ignore', processHtmlClass: 'tex2jax_process'},
  svg: {fontCache: 'global'}
};"""

# Check messages are long single lines; let them wrap (and scroll, as a last resort).
WRAP_CSS = """
div.output_area pre, div.output_subarea pre, div.output_text pre, .output_error pre {
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  word-break: break-word;
}
div.output_subarea { max-width: 100%; overflow-x: auto; }
"""


@functools.lru_cache(maxsize=1)
def mathjax_source() -> str:
    """MathJax 3's `tex-svg.js` (about 2.1 MB) from the sphinx-mathjax-offline package."""
    files = importlib.metadata.files("sphinx-mathjax-offline") or []
    for file in files:
        if str(file).replace("\\", "/").endswith("static/mathjax/tex-svg.js"):
            return Path(file.locate()).read_text(encoding="utf-8")
    raise FileNotFoundError("sphinx-mathjax-offline has no static/mathjax/tex-svg.js: "
                            "install requirements.txt")


def mathjax_texts() -> tuple[str, str]:
    """The text of the two inline scripts `mathjax_script` writes (for CSP hashes)."""
    return MATHJAX_CONFIG, mathjax_source().replace("</script", "<\\/script")


def mathjax_script(_url=None) -> str:
    """The <script> elements that configure and load MathJax with no network."""
    config, source = mathjax_texts()
    return (f"<script>{config}</script>\n"
            f"<script id=\"rnn-mathjax\">{source}</script>")


class FeedbackStyle(Preprocessor):
    """Adds the course's CSS (wrapping check messages) to the page's inlined styles."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        resources.setdefault("inlining", {}).setdefault("css", []).append(WRAP_CSS)
        return nb, resources


STATE_DIR = Path("_grading") / "feedback_state"  # under the course root, beside feedback/


@dataclass
class Stale:
    student: str
    notebook: str
    reason: str

    def __str__(self) -> str:
        return f"{self.student} {self.notebook}: {self.reason}"


def shown_state(nb) -> dict:
    """What a feedback page written now for the gradebook's submitted notebook `nb` shows,
    as nbgrader's GetGrades reads it: each grade's score, each comment, the total after
    any late penalty."""
    return {"scores": {g.name: float(g.score or 0.0) for g in nb.grades},
            "comments": {c.name: c.comment or "" for c in nb.comments},
            "total": float(nb.score or 0.0) - float(nb.late_submission_penalty or 0.0)}


def state_path(root, student: str, assignment: str, notebook: str) -> Path:
    """Where the record of what `student`'s feedback page for `notebook` shows is kept."""
    return Path(root) / STATE_DIR / student / assignment / f"{notebook}.json"


class RecordFeedback(Preprocessor):
    """Records, out of the feedback folder, what the page being written will show (from
    the gradebook, just before nbgrader's GetGrades reads it: a grade saved in between
    makes the page look stale, never fresh). `stale_feedback` compares that record with
    the gradebook and never reads the page, whose text the student partly wrote. Runs in
    `generate_feedback`, before the page is written."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            state = shown_state(gb.find_submission_notebook(
                info["notebook"], info["assignment"], info["student"]))
        root = self.config.CourseDirectory.get("root") or os.getcwd()
        path = state_path(root, info["student"], info["assignment"], info["notebook"])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
        return nb, resources


def _differences(shown: dict, now: dict) -> list[str]:
    out = []
    for name, score in now["scores"].items():
        if name not in shown["scores"]:
            out.append(f"{name} missing from the page")
        elif abs(shown["scores"][name] - score) > 0.005:
            out.append(f"{name} shows {shown['scores'][name]:g} but the gradebook has {score:g}")
    out += [f"the comment on {name} changed" for name, text in now["comments"].items()
            if shown["comments"].get(name, "") != text]
    if not out and abs(shown["total"] - now["total"]) > 0.005:
        out.append(f"the total shows {shown['total']:g} but the gradebook has {now['total']:g}")
    return out


def stale_feedback(coursedir, gradebook, assignment: str) -> list[Stale]:
    """Feedback pages that are missing or show other grades than the gradebook holds now.

    Only the gradebook and the files' times are read, never a page's text. A page older
    than its autograded notebook is stale (graded again since). nbgrader keeps no time on
    a grade, so what a page shows is the record `RecordFeedback` wrote just before the
    page: a page written before the formgrader saved a written answer's score shows 0 for
    it, and `nbgrader generate_feedback` without --force keeps that page. A page with no
    record, or with a record newer than itself (its last run did not write it), is stale.
    """
    root = Path(coursedir.root) / coursedir.feedback_directory
    out = []
    for submission in gradebook.assignment_submissions(assignment):
        student = submission.student.id
        for nb in submission.notebooks:
            page = root / student / assignment / f"{nb.name}.html"
            if not page.is_file():
                out.append(Stale(student, nb.name, "no feedback page"))
                continue
            written = page.stat().st_mtime_ns
            graded = (Path(coursedir.root) / coursedir.autograded_directory / student
                      / assignment / f"{nb.name}.ipynb")
            if graded.exists() and graded.stat().st_mtime_ns > written:
                out.append(Stale(student, nb.name, "graded again after the page was written"))
                continue
            record = state_path(coursedir.root, student, assignment, nb.name)
            try:
                if record.stat().st_mtime_ns > written:
                    raise ValueError("newer than the page")
                shown = json.loads(record.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                out.append(Stale(student, nb.name, "no record of what the page shows "
                                 "(`python -m autograder feedback` rewrites it)"))
                continue
            now = shown_state(nb)
            out += [Stale(student, nb.name, reason) for reason in _differences(shown, now)]
    return out


def needs_manual_grade(gradebook, assignment: str) -> list[str]:
    """'student notebook: grade_id' for every answer still waiting for the formgrader."""
    out = []
    for submission in gradebook.assignment_submissions(assignment):
        for nb in submission.notebooks:
            for grade in nb.grades:
                if grade.needs_manual_grade:
                    out.append(f"{submission.student.id} {nb.name}: {grade.name}")
    return out
