"""The gradebook on a real PostgreSQL server (RNN_COURSE_DB_URL), through real nbgrader.

Starts a throw-away server (Debian's postgresql binaries, run as the `postgres` user, on
loopback and a private socket directory), points the course at it, releases and
autogrades an assignment, and reads the grades back from PostgreSQL.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import corpus  # noqa: E402
from course import REPO, make_course, nbgrader, submit  # noqa: E402

pytestmark = pytest.mark.grading
INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    if not INITDB:
        pytest.skip("PostgreSQL server binaries are not installed (.ci/run installs them)")
    if os.geteuid() != 0:
        pytest.skip("starting a private PostgreSQL server needs root (to run as `postgres`)")
    pytest.importorskip("psycopg2")
    bindir = Path(INITDB[-1]).parent
    user = pwd.getpwnam("postgres")
    base = Path(tempfile.mkdtemp(prefix="rnn-pg-"))
    base.chmod(0o755)
    os.chown(base, user.pw_uid, user.pw_gid)
    data, port = base / "data", _free_port()

    def as_postgres(*cmd):
        return subprocess.run(["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                               "--init-groups", *cmd], check=True, capture_output=True,
                              text=True, timeout=120, cwd=base)

    as_postgres(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-o",
                f"-p {port} -k {base} -c listen_addresses=127.0.0.1", "start")
    try:
        as_postgres(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U",
                    "postgres", "rnn_course")
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/rnn_course"
    finally:
        as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


def test_grades_go_to_postgresql(postgres_url, tmp_path):
    import nbformat

    env = {"RNN_COURSE_DB_URL": postgres_url}
    course = make_course(tmp_path / "course", corpus.ASSIGNMENT, env=env)
    release = nbformat.read(course / "exercises" / corpus.ASSIGNMENT /
                            f"{corpus.ASSIGNMENT}.ipynb", 4)
    solution = nbformat.read(REPO / "solutions" / corpus.ASSIGNMENT /
                             f"{corpus.ASSIGNMENT}.ipynb", 4)
    cases = corpus.build(release, solution, {"solution_nb": "", "gradebook": "",
                                             "victim_nb": "", "package": "", "port": 9})
    for student in ("honest_correct", "blank", "malformed_json"):
        submit(course, student, corpus.ASSIGNMENT, cases[student][0])
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
