"""Grading on a Dask `distributed` cluster: one task per submission, same grades.

    python -m autograder grade forward_pass --scheduler tcp://HOST:8786

The instructor's machine sends each task what grading needs and nothing more: the
course's `nbgrader_config.py` (so the worker uses the same secure preprocessors and
caps), the released notebooks (a submission that cannot be read is graded as the
release, scoring zero) and one student's submission folder. The worker writes them into
a private temporary course folder and runs the real `nbgrader autograde --student ID`
there, in a subprocess: student code runs in the worker machine's sandbox exactly as on
one machine. Grades go straight into the shared gradebook (`db_url`, PostgreSQL: every
machine must reach it); the graded notebook comes back and is written to this machine's
`_grading/autograded/`, so the summary, the integrity report and the feedback work as
before. A task that fails costs only its own submission.

Workers: on each machine, from a virtual environment with this repository's
`requirements.txt` installed (as root for full isolation), run
`dask worker tcp://HOST:8786 --nthreads 1` (one sandbox per thread; add more threads
or `--nworkers` to use more cores).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading import ids


@dataclass
class Task:
    """Everything one worker needs to grade one student's submission."""

    assignment: str
    student: str
    db_url: str
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
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = (folder / rel).resolve()
        if folder.resolve() not in path.parents:  # names come from the worker: stay inside
            raise ValueError(f"refusing to write outside {folder}: {rel!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def grade_task(task: Task) -> Outcome:
    """Runs on a worker: the real `nbgrader autograde` for one student, in a private
    course folder, against the shared gradebook."""
    import time

    if not ids.is_safe(task.student) or not ids.is_safe(task.assignment):
        raise ValueError(ids.refusal(f"{task.student}/{task.assignment}"))
    start = time.monotonic()
    course = Path(tempfile.mkdtemp(prefix="rnn-cluster-"))
    try:
        (course / "nbgrader_config.py").write_text(task.config, encoding="utf-8")
        _write_tree(course / "exercises" / task.assignment, task.release)
        submitted = course / "_grading" / "submitted" / task.student / task.assignment
        _write_tree(submitted, task.submission)
        bindir = str(Path(sys.executable).parent)
        env = dict(os.environ, RNN_COURSE_DB_URL=task.db_url,
                   PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
        cmd = [str(Path(bindir) / "nbgrader"), "autograde", task.assignment, "--force",
               "--student", task.student, "--log-level=WARN", *task.options]
        try:
            proc = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True,
                                  timeout=task.timeout)
            returncode, log = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as error:
            returncode, log = -1, f"nbgrader autograde timed out after {error.timeout} s"
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
        tasks.append(Task(assignment, student, coursedir.db_url, config, release,
                          _read_tree(folder), list(options), timeout))
    return tasks


def grade_on_cluster(coursedir, assignment: str, students: list[str], scheduler: str,
                     options: list[str], on_done=None, timeout: float = 3600.0
                     ) -> dict[str, Outcome | str]:
    """Grade `students` on the cluster at `scheduler`; student -> Outcome, or the reason
    the task failed. `on_done(student, outcome)` is called as results arrive."""
    from distributed import Client, as_completed

    if coursedir.db_url.startswith("sqlite"):
        raise ValueError("grading on a cluster needs a gradebook every machine can reach: "
                         "set RNN_COURSE_DB_URL to a PostgreSQL URL (README, 'A shared "
                         "gradebook on PostgreSQL')")
    tasks = make_tasks(coursedir, assignment, students, options, timeout)
    root = Path(coursedir.root) / coursedir.autograded_directory
    results: dict[str, Outcome | str] = {}
    with Client(scheduler, timeout=30) as client:
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
