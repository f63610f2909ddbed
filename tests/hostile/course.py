"""A throw-away copy of the course for grading tests and benchmarks (never the repo's own
`_grading/`): nbgrader_config.py and one assignment's solutions, released with the real
`nbgrader generate_assignment`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def nbgrader(course: Path, *args: str, check: bool = True, timeout: float = 1800,
             env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a real nbgrader command from the course root."""
    full_env = {k: v for k, v in os.environ.items() if k != "RNN_COURSE_DB_URL"}
    # nbgrader runs `alembic` from PATH when it creates the gradebook.
    full_env["PATH"] = f"{BIN}{os.pathsep}{full_env.get('PATH', '')}"
    full_env.update(env or {})
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, capture_output=True,
                          text=True, timeout=timeout, env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    return proc


def make_course(root: Path, assignment: str, env: dict | None = None) -> Path:
    """Copy the config and `solutions/<assignment>` to `root` and release the assignment."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions" / assignment, root / "solutions" / assignment)
    nbgrader(root, "generate_assignment", assignment, "--force", env=env)
    return root


def submit(course: Path, student: str, assignment: str, data: bytes) -> Path:
    """Place a submission where `nbgrader collect` would."""
    path = course / "_grading" / "submitted" / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def scores(course: Path, assignment: str) -> dict[str, dict[str, float]]:
    """student -> {grade cell: score} from the course's SQLite gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / '_grading' / 'gradebook.db'}") as gb:
        for sub in gb.notebook_submissions(assignment, assignment):
            out[sub.student.id] = {g.name: g.score for g in sub.grades}
    return out


def page_scores(html: str) -> dict[str, float]:
    """grade_id -> the score a feedback page's text gives it (its table of contents, or
    the last imitation of it). For tests that look at a page; the course never trusts it."""
    toc = re.compile(r'href="#([^"]+)">[^<]*</a>\s*\(Score:\s*([-0-9.]+)\s*/\s*([-0-9.]+)\)')
    return {grade_id: float(score) for grade_id, score, _ in toc.findall(html)}
