"""The gradebook on a real PostgreSQL server (RNN_COURSE_DB_URL), through real nbgrader.

Starts a throw-away server (Debian's postgresql binaries, run as the `postgres` user, on
loopback and a private socket directory), points the course at it, releases and
autogrades an assignment, and reads the grades back from PostgreSQL.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import corpus  # noqa: E402
from course import make_course, nbgrader  # noqa: E402
from pgserver import postgres_server, unavailable  # noqa: E402

pytestmark = pytest.mark.grading


@pytest.fixture(scope="module")
def postgres_url():
    if unavailable():
        pytest.skip(unavailable())
    pytest.importorskip("psycopg2")
    with postgres_server() as url:
        yield url


def test_grades_go_to_postgresql(postgres_url, tmp_path):

    env = {"RNN_COURSE_DB_URL": postgres_url}
    course = make_course(tmp_path / "course", corpus.ASSIGNMENT, env=env)
    corpus.submit_corpus(course, ("honest_correct", "blank", "malformed_json"))
    nbgrader(course, "autograde", corpus.ASSIGNMENT, "--force", env=env)
    assert not (course / "_grading" / "gradebook.db").exists()  # nothing went to SQLite
    with Gradebook(postgres_url) as gb:
        notebook = gb.find_notebook(corpus.ASSIGNMENT, corpus.ASSIGNMENT)
        auto = {c.name: c.max_score for c in notebook.grade_cells if c.cell_type == "code"}
        scores = {}
        for sub in gb.notebook_submissions(corpus.ASSIGNMENT, corpus.ASSIGNMENT):
            scores[sub.student.id] = {g.name: g.score for g in sub.grades if g.name in auto}
    assert scores["honest_correct"] == auto
    assert scores["blank"] == {k: 0.0 for k in auto}
    assert scores["malformed_json"] == {k: 0.0 for k in auto}
    export = nbgrader(course, "export", env=env)
    grades = course / "_grading" / "grades.csv"  # nbgrader_config.py: CsvExportPlugin.to
    assert export.returncode == 0 and grades.exists()
    rows = grades.read_text().splitlines()
    assert len(rows) == 1 + 3 and any(r.startswith(corpus.ASSIGNMENT) for r in rows[1:])
