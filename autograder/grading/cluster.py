"""Grading on a Dask `distributed` cluster: one task per submission, same grades.

    python -m autograder grade forward_pass --scheduler tls://HOST:8786 --certs DIR

Only TLS with the course's certificates (`python -m autograder certs`, certs.py): the
instructor's client, the scheduler and every worker each hold a certificate signed by the
course CA and accept no peer without one, so a process without a key cannot connect,
let alone call `Client.run`. A plain `tcp://` scheduler is refused: on it anyone who can
reach the port, also an unprivileged local user, runs code on every worker.

The instructor's machine sends each task what grading needs and nothing secret: the
course's `nbgrader_config.py` (so the worker uses the same secure preprocessors and
caps), the released notebooks (a submission that cannot be read is graded as the
release, scoring zero) and one student's submission folder. The gradebook's address goes
only as its password-free form, for a check: each worker reads the real URL (and any
password) from its own environment, `RNN_COURSE_DB_URL` (or ~/.pgpass), and refuses a
task meant for another database. The worker writes the files into a private temporary
course folder and runs the real `nbgrader autograde --student ID` there, in a subprocess:
student code runs in the worker machine's sandbox exactly as on one machine. Grades go
straight into the shared gradebook (PostgreSQL: every machine must reach it); the graded
notebook comes back and is written to this machine's `_grading/autograded/`, so the
summary, the integrity report and the feedback work as before. A task that fails costs
only its own submission.

Workers: on each machine, from a virtual environment with this repository's
`requirements.txt` installed (as root for full isolation), with `RNN_COURSE_DB_URL` set,
run `python -m autograder worker tls://HOST:8786 --host WORKER_IP --certs DIR --nthreads 1`
(cluster_cli.py; README, "Grading on several machines").
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading import ids, safecopy


@dataclass
class Task:
    """Everything one worker needs to grade one student's submission."""

    assignment: str
    student: str
    gradebook: str                       # the gradebook's URL without its password
    config: str                          # the text of nbgrader_config.py
    release: dict[str, bytes]            # notebook file name -> released notebook
    submission: dict[str, bytes]         # path inside the submission folder -> content
    options: list[str] = field(default_factory=list)  # e.g. --SecureExecute.problem_timeout=5
    timeout: float = 3600.0


@dataclass
class Outcome:
    student: str
    worker: str                          # host:pid of the process that graded it
    returncode: int
    log: str                             # the end of nbgrader's output
    autograded: dict[str, bytes]         # path inside the autograded folder -> content
    seconds: float = 0.0


def _read_tree(folder: Path) -> dict[str, bytes]:
    """Notebooks and data files under `folder`: no links, FIFOs or devices (safecopy);
    each refusal is logged."""
    files, refused = safecopy.read_tree(folder)
    for item in refused:
        logging.getLogger("autograder.cluster").warning("Refused %s in %s", item, folder)
    return files


def _write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = (folder / rel).resolve()
        if folder.resolve() not in path.parents:  # names come from the worker: stay inside
            raise ValueError(f"refusing to write outside {folder}: {rel!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


DB_ENV = "RNN_COURSE_DB_URL"


def public_url(url: str) -> str:
    """The gradebook's URL without password or query (what may travel and be shown)."""
    from sqlalchemy.engine import URL, make_url

    try:
        parsed = make_url(url)  # (URL.set(password=None) keeps the password in 1.4)
        return URL.create(parsed.drivername, parsed.username, None, parsed.host, parsed.port,
                          parsed.database).render_as_string(hide_password=False)
    except Exception:  # noqa: BLE001  (never echo what could not be parsed)
        return "<unparsable gradebook URL>"


def _database(url: str) -> tuple[str, str | None]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.get_backend_name(), parsed.database


def _worker_gradebook(wanted: str) -> str:
    """This worker's own gradebook URL (its environment), if it is the task's database."""
    url = os.environ.get(DB_ENV, "")
    if not url or url.startswith("sqlite"):
        raise RuntimeError(f"this worker has no shared gradebook: start it with "
                           f"{DB_ENV} set to the course's PostgreSQL URL (README, 'Grading "
                           "on several machines')")
    if _database(url) != _database(wanted):
        raise RuntimeError(f"this worker's gradebook {public_url(url)} is not the "
                           f"instructor's {wanted}")
    return url


def _require_tls() -> None:
    from distributed import get_worker

    worker = get_worker()
    addresses = (worker.address, worker.scheduler.address)
    if not all(a.startswith("tls://") for a in addresses):
        raise RuntimeError(f"this worker talks without TLS ({', '.join(addresses)}): start "
                           "it with the course's certificates on a tls:// scheduler")


def grade_task(task: Task) -> Outcome:
    """Runs on a worker: the real `nbgrader autograde` for one student, in a private
    course folder, against the shared gradebook this worker is configured with."""
    import time

    from sqlalchemy.engine import make_url

    if not ids.is_safe(task.student) or not ids.is_safe(task.assignment):
        raise ValueError(ids.refusal(f"{task.student}/{task.assignment}"))
    _require_tls()
    password = make_url(_worker_gradebook(task.gradebook)).password
    start = time.monotonic()
    course = Path(tempfile.mkdtemp(prefix="rnn-cluster-"))
    try:
        (course / "nbgrader_config.py").write_text(task.config, encoding="utf-8")
        _write_tree(course / "exercises" / task.assignment, task.release)
        submitted = course / "_grading" / "submitted" / task.student / task.assignment
        _write_tree(submitted, task.submission)
        bindir = str(Path(sys.executable).parent)
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
        cmd = [str(Path(bindir) / "nbgrader"), "autograde", task.assignment, "--force",
               "--student", task.student, "--log-level=WARN", *task.options]
        try:
            proc = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True,
                                  timeout=task.timeout)
            returncode, log = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as error:
            returncode, log = -1, f"nbgrader autograde timed out after {error.timeout} s"
        if password:  # the log goes back to the instructor: never the worker's password
            log = log.replace(str(password), "***")
        graded = course / "_grading" / "autograded" / task.student / task.assignment
        autograded = _read_tree(graded) if graded.is_dir() else {}
        return Outcome(task.student, f"{socket.gethostname()}:{os.getpid()}", returncode,
                       log[-4000:], autograded, time.monotonic() - start)
    finally:
        shutil.rmtree(course, ignore_errors=True)


def make_tasks(coursedir, assignment: str, students: list[str], options: list[str],
               timeout: float) -> list[Task]:
    root = Path(coursedir.root)
    config = (root / "nbgrader_config.py").read_text(encoding="utf-8")
    release_dir = root / coursedir.release_directory / assignment
    release = {p.name: p.read_bytes() for p in sorted(release_dir.glob("*.ipynb"))}
    tasks = []
    for student in students:
        if not ids.is_safe(student):
            raise ValueError(ids.refusal(student))
        folder = root / coursedir.submitted_directory / student / assignment
        tasks.append(Task(assignment, student, public_url(coursedir.db_url), config, release,
                          _read_tree(folder), list(options), timeout))
    return tasks


def grade_on_cluster(coursedir, assignment: str, students: list[str], scheduler: str,
                     certs: str | os.PathLike | None, options: list[str], on_done=None,
                     timeout: float = 3600.0) -> dict[str, Outcome | str]:
    """Grade `students` on the cluster at `scheduler` (tls:// only) with the client
    certificate in `certs`; student -> Outcome, or the reason the task failed.
    `on_done(student, outcome)` is called as results arrive."""
    from distributed import Client, as_completed

    from autograder.grading import certs as course_certs

    if not scheduler.startswith("tls://"):
        raise ValueError(f"refusing {scheduler}: the cluster must use TLS with the course's "
                         "certificates (tls://HOST:8786); on a plain tcp:// scheduler anyone "
                         "who reaches its port runs code on every worker")
    if coursedir.db_url.startswith("sqlite"):
        raise ValueError("grading on a cluster needs a gradebook every machine can reach: "
                         "set RNN_COURSE_DB_URL to a PostgreSQL URL (README, 'A shared "
                         "gradebook on PostgreSQL')")
    if not certs:
        raise ValueError("grading on a cluster needs the instructor's certificate: --certs "
                         "DIR or RNN_COURSE_CERTS (made by `python -m autograder certs`)")
    security = course_certs.security(certs, "client")
    tasks = make_tasks(coursedir, assignment, students, options, timeout)
    root = Path(coursedir.root) / coursedir.autograded_directory
    results: dict[str, Outcome | str] = {}
    try:
        client = Client(scheduler, security=security, timeout=30)
    except OSError as error:
        raise OSError(f"{error} (a scheduler whose certificate is not signed by your ca.pem "
                      "looks the same: a failed TLS handshake is retried until the timeout)"
                      ) from error
    with client:
        # pure=False: a re-grade runs again; retries=0: a crash is reported, not repeated.
        futures = {client.submit(grade_task, task, pure=False, key=f"grade-{task.student}-"
                                 f"{os.urandom(4).hex()}"): task.student for task in tasks}
        for future in as_completed(futures):
            student = futures[future]
            try:
                outcome = future.result()
            except Exception as error:  # the worker died or the task raised
                results[student] = f"{type(error).__name__}: {error}"[:500]
                continue
            folder = root / student / assignment
            if folder.exists():
                shutil.rmtree(folder)
            if outcome.autograded:
                folder.mkdir(parents=True, exist_ok=True)
                _write_tree(folder, outcome.autograded)
            results[student] = outcome
            if on_done is not None:
                on_done(student, outcome)
    return results
