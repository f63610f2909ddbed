"""Grading on a Dask cluster (`python -m autograder grade --scheduler`) gives exactly the
scores of grading on one machine, in the shared PostgreSQL gradebook, and nobody without
the course's certificates can reach the cluster.

Starts a throw-away PostgreSQL server (tests/hostile/pgserver.py) and the course's
cluster as the README starts it (`python -m autograder certs`, `... scheduler`,
`... worker` with two worker processes: TLS with the course's certificates, on loopback),
grades a batch from the hostile corpus on one machine, then again through `--scheduler`,
and compares every grade cell's score (and both with the points each submission
deserves). A scheduler preload records every task the scheduler receives: none carries the
gradebook's password. Then a stranger (as `nobody`, no certificate or one from its own
CA) tries what the red team did on the open scheduler, `Client.run` on the workers.
"""

from __future__ import annotations

import json
import os
import pickle
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from nbgrader.api import Gradebook

from autograder.grading import certs, cluster

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import corpus  # noqa: E402
from course import BIN, make_course, submit  # noqa: E402
from pgserver import postgres_server, unavailable  # noqa: E402

pytestmark = pytest.mark.grading
HOSTILE = Path(__file__).parent / "hostile"
# Four kinds of outcome: full marks, nothing, an attack that scores zero, an unreadable file.
BATCH = ("honest_correct", "blank", "patch_allclose", "malformed_json")
# The test server trusts loopback, so any password works: this one marks the gradebook
# URL, to show that it never travels inside a task.
PASSWORD = "pw-" + os.urandom(8).hex()


@pytest.fixture(scope="module")
def postgres_url():
    if unavailable():
        pytest.skip(unavailable())
    pytest.importorskip("psycopg2")
    with postgres_server() as url:
        yield url.replace("://postgres@", f"://postgres:{PASSWORD}@")


@pytest.fixture(scope="module")
def course_certs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("certs") / "course"
    certs.make(folder)
    return folder


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


def start_cluster(tmp: Path, nworkers: int, certs_dir: Path | None, db_url: str | None = None,
                  scheduler_args: tuple[str, ...] = ()) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and `nworkers` worker processes (one thread each) on loopback: the
    course's (`python -m autograder scheduler|worker`, TLS with `certs_dir`, the workers'
    gradebook `db_url`), or with `certs_dir=None` stock Dask on plain tcp (as on main)."""
    port = _free_port()
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("RNN_COURSE_DB_URL", None)
    log = open(tmp / "dask.log", "a")  # noqa: SIM115  (closed with the processes)
    if certs_dir is None:
        scheduler_cmd = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                         str(port), "--no-dashboard"]
        address = f"tcp://127.0.0.1:{port}"
        worker_cmd = [str(BIN / "dask"), "worker", address, "--host", "127.0.0.1",
                      "--no-dashboard"]
    else:
        course = [sys.executable, "-m", "autograder"]
        scheduler_cmd = [*course, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                         "--certs", str(certs_dir)]
        address = f"tls://127.0.0.1:{port}"
        worker_cmd = [*course, "worker", address, "--host", "127.0.0.1", "--certs",
                      str(certs_dir)]
    scheduler = subprocess.Popen([*scheduler_cmd, *scheduler_args], stdout=log,
                                 stderr=subprocess.STDOUT, env=env, cwd=tmp,
                                 start_new_session=True)
    procs = [scheduler]
    _wait_for_port(port, scheduler)
    worker_env = dict(env, **({"RNN_COURSE_DB_URL": db_url} if db_url else {}))
    procs.append(subprocess.Popen(
        [*worker_cmd, "--nworkers", str(nworkers), "--nthreads", "1", "--local-directory",
         str(tmp)], stdout=log, stderr=subprocess.STDOUT, env=worker_env, cwd=tmp,
        start_new_session=True))
    from distributed import Client

    security = certs.security(certs_dir) if certs_dir else None
    with Client(address, security=security, timeout=30) as client:
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


@pytest.fixture(scope="module")
def tls_cluster(postgres_url, course_certs, tmp_path_factory):
    """The course's cluster: two worker processes whose own environment names the
    gradebook; the scheduler records every task it receives."""
    tmp = tmp_path_factory.mktemp("cluster")
    task_log = tmp / "tasks.pickle"
    os.environ["RNN_TEST_TASK_LOG"] = str(task_log)  # inherited by the scheduler
    try:
        address, procs = start_cluster(
            tmp, 2, course_certs, postgres_url,
            scheduler_args=("--preload", str(HOSTILE / "dask_task_recorder.py")))
    finally:
        del os.environ["RNN_TEST_TASK_LOG"]
    try:
        yield SimpleNamespace(address=address, task_log=task_log, log=tmp / "dask.log")
    finally:
        stop_cluster(procs)


def autograder(course: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items()
            if k not in ("RNN_COURSE_DB_URL", "RNN_COURSE_CERTS")}
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


def test_cluster_grades_equal_single_machine(postgres_url, tls_cluster, course_certs,
                                             tmp_path):
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
    run = autograder(course, "grade", corpus.ASSIGNMENT, "--scheduler", tls_cluster.address,
                     *caps, env=dict(env, RNN_COURSE_CERTS=str(course_certs)))
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
    # What crossed the network: every task (the recorder saw each student's), and not
    # one carries the gradebook's password; nor does anything the scheduler logged.
    sent = tls_cluster.task_log.read_bytes()
    assert all(student.encode() in sent for student in BATCH)
    assert b"grade_task" in sent and cluster.public_url(postgres_url).encode() in sent
    assert PASSWORD.encode() not in sent
    assert PASSWORD not in tls_cluster.log.read_text() and PASSWORD not in run.stderr


def test_tasks_carry_no_secret(tmp_path):
    """What `grade --scheduler` submits, pickled as Dask sends it: the gradebook appears
    only without its password (in the user part or the query string)."""
    course = tmp_path / "course"
    (course / "exercises" / corpus.ASSIGNMENT).mkdir(parents=True)
    shutil.copy(Path(__file__).parents[1] / "nbgrader_config.py", course)
    release = course / "exercises" / corpus.ASSIGNMENT / f"{corpus.ASSIGNMENT}.ipynb"
    release.write_text("{}")
    submit(course, "alice", corpus.ASSIGNMENT, b"{}")
    for url in (f"postgresql+psycopg2://grader:{PASSWORD}@db.example/rnn_course",
                f"postgresql+psycopg2://grader@db.example/rnn_course?password={PASSWORD}"):
        coursedir = SimpleNamespace(root=str(course), release_directory="exercises",
                                    submitted_directory="_grading/submitted", db_url=url)
        tasks = cluster.make_tasks(coursedir, corpus.ASSIGNMENT, ["alice"], [], 60)
        sent = pickle.dumps(tasks)
        assert b"alice" in sent and b"db.example/rnn_course" in sent
        assert PASSWORD.encode() not in sent


def test_worker_grades_only_into_its_own_gradebook(monkeypatch):
    """A worker takes the URL (and password) from its own environment, and refuses a task
    for another database or when it has none."""
    mine = f"postgresql+psycopg2://grader:{PASSWORD}@db.example/rnn_course"
    monkeypatch.setenv("RNN_COURSE_DB_URL", mine)
    assert cluster._worker_gradebook(cluster.public_url(mine)) == mine
    with pytest.raises(RuntimeError, match="is not the instructor's"):
        cluster._worker_gradebook("postgresql+psycopg2://grader@db.example/other_course")
    monkeypatch.delenv("RNN_COURSE_DB_URL")
    with pytest.raises(RuntimeError, match="no shared gradebook"):
        cluster._worker_gradebook(cluster.public_url(mine))


def _stranger_certs() -> Path:
    """A CA and client certificate of the stranger's own, readable by `nobody`."""
    folder = Path(tempfile.mkdtemp(prefix="rnn-stranger-"))
    folder.chmod(0o755)
    certs.make(folder / "certs", course="stranger")
    nobody = pwd.getpwnam("nobody")
    for path in [folder / "certs", *(folder / "certs").iterdir()]:
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    return folder


def _attack(*args: str, as_nobody: bool = True) -> subprocess.Popen:
    prefix = []
    if as_nobody and os.geteuid() == 0 and shutil.which("setpriv"):
        nobody = pwd.getpwnam("nobody")
        prefix = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                  "--clear-groups"]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": tempfile.gettempdir(),
           "LANG": "C.UTF-8"}
    return subprocess.Popen([*prefix, sys.executable, str(HOSTILE / "dask_attacker.py"),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=tempfile.gettempdir())


def _result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_strangers_cannot_reach_the_cluster(tls_cluster, course_certs, tmp_path):
    """Without a certificate signed by the course CA nobody connects, to the scheduler or
    to a worker's own port, so nobody calls `Client.run`; the same attack ran on main's
    plain tcp cluster, and a course certificate's holder (staff) still can."""
    from distributed import Client

    with Client(tls_cluster.address, security=certs.security(course_certs),
                timeout=30) as client:
        worker, info = sorted(client.scheduler_info()["workers"].items())[0]
    nanny = info["nanny"]
    stranger = _stranger_certs()
    try:
        plain = tls_cluster.address.replace("tls://", "tcp://")
        attacks = {
            "no certificate": _attack(tls_cluster.address, "--worker", worker, "--nanny",
                                      nanny),
            "plain tcp to the TLS port": _attack(plain, "--worker",
                                                 worker.replace("tls://", "tcp://")),
            "certificate of another CA": _attack(tls_cluster.address, "--worker", worker,
                                                 "--nanny", nanny, "--certs",
                                                 str(stranger / "certs")),
            # Staff: the key is the instructor's (root, 0600); this is the trust boundary.
            "course certificate": _attack(tls_cluster.address, "--certs",
                                          str(course_certs), as_nobody=False),
        }
        # main's documented cluster: stock `dask scheduler`/`dask worker`, plain tcp.
        address, procs = start_cluster(tmp_path, 1, None)
        try:
            on_main = _result(_attack(address))
        finally:
            stop_cluster(procs)
        results = {name: _result(proc) for name, proc in attacks.items()}
    finally:
        shutil.rmtree(stranger, ignore_errors=True)
    print(json.dumps({"main's plain tcp cluster": on_main, **results}, indent=1))
    assert on_main["scheduler"].startswith("RAN: "), on_main
    if os.geteuid() == 0:  # the strangers ran as `nobody`, with no course file
        nobody = pwd.getpwnam("nobody").pw_uid
        assert on_main["attacker uid"] == results["no certificate"]["attacker uid"] == nobody
    assert "could replace grade_task" in on_main["scheduler"], on_main
    assert on_main["scheduler identity"].startswith("RAN: identity Scheduler"), on_main
    for name in ("no certificate", "plain tcp to the TLS port", "certificate of another CA"):
        for attempt, outcome in results[name].items():
            assert attempt == "attacker uid" or outcome.startswith("refused: "), (name, attempt)
    assert "nanny identity" in results["certificate of another CA"]
    staff = results["course certificate"]
    assert staff["scheduler identity"].startswith("RAN: identity Scheduler"), staff
    assert staff["scheduler"].startswith("RAN: "), staff
    assert staff["scheduler"].count("could replace grade_task") == 2, staff


def test_client_refuses_a_scheduler_of_another_ca(course_certs, tmp_path):
    """Mutual TLS: an impostor scheduler (its own CA) never gets the instructor's tasks."""
    from distributed import Client

    stranger = _stranger_certs()
    try:
        impostor = stranger / "certs"
        for path in impostor.iterdir():
            os.chown(path, 0, 0)
        address, procs = _start_scheduler_only(tmp_path, impostor)
        try:
            with pytest.raises(OSError):  # (the course's scheduler accepts it: above)
                Client(address, security=certs.security(course_certs), timeout=3)
        finally:
            stop_cluster(procs)
    finally:
        shutil.rmtree(stranger, ignore_errors=True)


def _start_scheduler_only(tmp: Path, certs_dir: Path) -> tuple[str, list[subprocess.Popen]]:
    port = _free_port()
    log = open(tmp / "impostor.log", "a")  # noqa: SIM115  (closed with the process)
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "scheduler", "--host",
                             "127.0.0.1", "--port", str(port), "--certs", str(certs_dir)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    _wait_for_port(port, proc)
    return f"tls://127.0.0.1:{port}", [proc]


def test_scheduler_needs_tls_certificates_and_a_shared_gradebook(tmp_path):
    course = make_course(tmp_path / "course", corpus.ASSIGNMENT)
    submit(course, "alice", corpus.ASSIGNMENT,
           (course / "exercises" / corpus.ASSIGNMENT / f"{corpus.ASSIGNMENT}.ipynb")
           .read_bytes())
    run = autograder(course, "grade", corpus.ASSIGNMENT, "--scheduler",
                     "tls://127.0.0.1:9", env={})
    assert run.returncode == 2
    assert "RNN_COURSE_DB_URL" in run.stderr and "PostgreSQL" in run.stderr
    # A plain tcp:// scheduler is refused before any connection (main tried for 30 s).
    postgres = {"RNN_COURSE_DB_URL": "postgresql+psycopg2://grader@127.0.0.1:9/rnn_course"}
    run = autograder(course, "grade", corpus.ASSIGNMENT, "--scheduler", "tcp://127.0.0.1:9",
                     env=postgres)
    assert run.returncode == 2 and "must use TLS" in run.stderr, run.stderr[-2000:]
    # tls:// needs the instructor's certificate, with a key nobody else can read.
    coursedir = SimpleNamespace(db_url=postgres["RNN_COURSE_DB_URL"])
    with pytest.raises(ValueError, match="--certs"):
        cluster.grade_on_cluster(coursedir, corpus.ASSIGNMENT, ["alice"],
                                 "tls://127.0.0.1:9", None, [])
    certs.make(tmp_path / "certs")
    (tmp_path / "certs" / "client-key.pem").chmod(0o644)
    with pytest.raises(ValueError, match="readable by other users"):
        cluster.grade_on_cluster(coursedir, corpus.ASSIGNMENT, ["alice"],
                                 "tls://127.0.0.1:9", tmp_path / "certs", [])


def test_cluster_commands_allow_only_tls(tmp_path):
    """`certs` writes 0600 keys and never overwrites; `worker` needs its own gradebook URL
    and a tls:// scheduler; both refuse a readable key."""
    folder = tmp_path / "certs"
    made = autograder(tmp_path, "certs", str(folder), env={})
    assert made.returncode == 0, made.stderr
    keys = sorted(p.name for p in folder.iterdir() if p.name.endswith("-key.pem"))
    assert keys == ["client-key.pem", "scheduler-key.pem", "worker-key.pem"]
    assert all((folder / k).stat().st_mode & 0o777 == 0o600 for k in keys)
    assert not any("ca-key" in p.name for p in folder.iterdir())  # the CA signs no more
    again = autograder(tmp_path, "certs", str(folder), env={})
    assert again.returncode == 2 and "exists" in again.stderr
    worker = ["worker", "tls://127.0.0.1:9", "--host", "127.0.0.1", "--certs", str(folder)]
    run = autograder(tmp_path, *worker, env={})
    assert run.returncode == 2 and "RNN_COURSE_DB_URL" in run.stderr
    postgres = {"RNN_COURSE_DB_URL": "postgresql+psycopg2://grader@127.0.0.1:9/rnn_course"}
    worker[1] = "tcp://127.0.0.1:9"
    run = autograder(tmp_path, *worker, env=postgres)
    assert run.returncode == 2 and "tls://" in run.stderr
    (folder / "scheduler-key.pem").chmod(0o640)
    run = autograder(tmp_path, "scheduler", "--host", "127.0.0.1", "--certs", str(folder),
                     env={})
    assert run.returncode == 2 and "readable by other users" in run.stderr
