"""Grading on a Dask cluster (`python -m autograder grade --scheduler`) gives exactly the
scores of grading on one machine, in the shared PostgreSQL gradebook.

Starts a throw-away PostgreSQL server (tests/hostile/pgserver.py), a real
`dask scheduler` and a `dask worker` with two worker processes on loopback, grades a
batch from the hostile corpus on one machine, then again through `--scheduler`, and
compares every grade cell's score (and both with the points each submission deserves).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import corpus  # noqa: E402
from course import BIN, make_course, submit  # noqa: E402
from pgserver import postgres_server, unavailable  # noqa: E402

pytestmark = pytest.mark.grading
# Four kinds of outcome: full marks, nothing, an attack that scores zero, an unreadable file.
BATCH = ("honest_correct", "blank", "patch_allclose", "malformed_json")


@pytest.fixture(scope="module")
def postgres_url():
    if unavailable():
        pytest.skip(unavailable())
    pytest.importorskip("psycopg2")
    with postgres_server() as url:
        yield url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on port {port} after {seconds} s")


def start_cluster(tmp: Path, nworkers: int) -> tuple[str, list[subprocess.Popen]]:
    """A real scheduler and `nworkers` worker processes on loopback (one thread each)."""
    port = _free_port()
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("RNN_COURSE_DB_URL", None)  # the task says which gradebook
    log = open(tmp / "dask.log", "w")  # noqa: SIM115  (closed with the processes)
    scheduler = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--no-dashboard"], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp,
        start_new_session=True)
    procs = [scheduler]
    _wait_for_port(port, scheduler)
    address = f"tcp://127.0.0.1:{port}"
    procs.append(subprocess.Popen(
        [str(BIN / "dask"), "worker", address, "--nworkers", str(nworkers), "--nthreads",
         "1", "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(tmp)],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp, start_new_session=True))
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(nworkers, timeout=90)
    return address, procs


def stop_cluster(procs: list[subprocess.Popen]) -> None:
    for proc in reversed(procs):
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
    for proc in reversed(procs):
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def autograder(course: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "RNN_COURSE_DB_URL"}
    full.update(env, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=course, env=full,
                          capture_output=True, text=True, timeout=900)


def scores(url: str) -> dict[str, dict[str, float]]:
    with Gradebook(url) as gb:
        return {sub.student.id: {g.name: g.score for g in sub.grades}
                for sub in gb.notebook_submissions(corpus.ASSIGNMENT, corpus.ASSIGNMENT)}


def make_batch(root: Path, env: dict) -> Path:
    course = make_course(root, corpus.ASSIGNMENT, env=env)
    corpus.submit_corpus(course, BATCH)
    return course


def test_cluster_grades_equal_single_machine(postgres_url, tmp_path):
    env = {"RNN_COURSE_DB_URL": postgres_url}
    course = make_batch(tmp_path / "course", env)
    caps = ["--problem-timeout", "20"]

    one = autograder(course, "grade", corpus.ASSIGNMENT, *caps, env=env)
    assert one.returncode == 0, one.stderr[-4000:]
    single = scores(postgres_url)
    assert set(single) == set(BATCH)

    with Gradebook(postgres_url) as gb:  # wipe the grades: the cluster must write them
        for student in BATCH:
            gb.remove_submission(corpus.ASSIGNMENT, student)
    assert scores(postgres_url) == {}
    address, procs = start_cluster(tmp_path, nworkers=2)
    try:
        run = autograder(course, "grade", corpus.ASSIGNMENT, "--scheduler", address, *caps,
                         env=env)
    finally:
        stop_cluster(procs)
    assert run.returncode == 0, run.stderr[-4000:]
    assert scores(postgres_url) == single
    # Both worker processes graded (the batch really spread), and the summary came back.
    line = next(x for x in run.stderr.splitlines() if "graded on" in x)
    assert line.strip().startswith("graded on 2 worker processes"), line
    assert f"Graded {len(BATCH)} of {len(BATCH)} submissions" in run.stderr
    # The scores are the ones each submission deserves, not just equal.
    assert sum(single["honest_correct"].values()) > 0
    assert all(v == 0 for k, v in single["blank"].items() if k.startswith("test_"))
    assert all(v == 0 for k, v in single["malformed_json"].items())
    graded = course / "_grading" / "autograded"
    assert sorted(p.name for p in graded.iterdir()) == sorted(BATCH)


def test_scheduler_needs_a_shared_gradebook(tmp_path):
    course = make_course(tmp_path / "course", corpus.ASSIGNMENT)
    submit(course, "alice", corpus.ASSIGNMENT,
           (course / "exercises" / corpus.ASSIGNMENT / f"{corpus.ASSIGNMENT}.ipynb")
           .read_bytes())
    run = autograder(course, "grade", corpus.ASSIGNMENT, "--scheduler",
                     "tcp://127.0.0.1:9", env={})
    assert run.returncode == 2
    assert "RNN_COURSE_DB_URL" in run.stderr and "PostgreSQL" in run.stderr
