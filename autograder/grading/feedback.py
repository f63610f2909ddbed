"""Feedback pages a student can read offline, and a check that they are not stale.

- `mathjax_script`: a Jinja filter (registered in nbgrader_config.py) that inlines
  MathJax 3 (SVG output, fonts included) from the `sphinx-mathjax-offline` package in
  place of nbconvert's CDN script; the course's `mathjax.html.j2` templates call it.
- `FeedbackStyle`: a preprocessor that adds CSS so that long check messages wrap inside
  their boxes instead of being clipped.
- `stale_feedback`: feedback pages older than the grades they report (a score changed
  in the formgrader, or a re-grade, after the page was written).
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
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


SCORE = re.compile(r'href="#([^"]+)">[^<]*</a>\s*\(Score:\s*([-0-9.]+)\s*/\s*([-0-9.]+)\)')


@dataclass
class Stale:
    student: str
    notebook: str
    reason: str

    def __str__(self) -> str:
        return f"{self.student} {self.notebook}: {self.reason}"


def page_scores(html: str) -> dict[str, float]:
    """grade_id -> the score a feedback page shows (its table of contents)."""
    return {grade_id: float(score) for grade_id, score, _ in SCORE.findall(html)}


def stale_feedback(coursedir, gradebook, assignment: str) -> list[Stale]:
    """Feedback pages that are missing or show other scores than the gradebook holds now.

    A page older than its autograded notebook is stale (graded again since). nbgrader
    keeps no time on a grade, so a page is also compared with the grades themselves: a
    page written before the formgrader saved a written answer's score shows 0 for it,
    and `nbgrader generate_feedback` without --force keeps that page.
    """
    root = Path(coursedir.root) / coursedir.feedback_directory
    out = []
    for submission in gradebook.assignment_submissions(assignment):
        student = submission.student.id
        for nb in submission.notebooks:
            page = root / student / assignment / f"{nb.name}.html"
            if not page.exists():
                out.append(Stale(student, nb.name, "no feedback page"))
                continue
            graded = (Path(coursedir.root) / coursedir.autograded_directory / student
                      / assignment / f"{nb.name}.ipynb")
            if graded.exists() and graded.stat().st_mtime > page.stat().st_mtime:
                out.append(Stale(student, nb.name, "graded again after the page was written"))
                continue
            shown = page_scores(page.read_text(encoding="utf-8", errors="replace"))
            for grade in nb.grades:
                now = float(grade.score or 0.0)
                if grade.name not in shown:
                    out.append(Stale(student, nb.name, f"{grade.name} missing from the page"))
                elif abs(shown[grade.name] - now) > 0.005:
                    out.append(Stale(student, nb.name, f"{grade.name} shows "
                                     f"{shown[grade.name]:g} but the gradebook has {now:g}"))
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
