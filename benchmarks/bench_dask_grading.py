"""Grading throughput on a Dask cluster with 1 and with 2 worker processes, side by side.

    .venv/bin/python benchmarks/bench_dask_grading.py [--n 8]

Starts a throw-away PostgreSQL server (needs root and Debian's postgresql, like the
tests), builds a throw-away copy of the course with `n` submissions (correct, wrong and
blank notebooks), then for 1 and for 2 worker processes (one thread each) starts a real
`dask scheduler` and `dask worker` on loopback and times
`python -m autograder grade <assignment> --scheduler ...`. Prints notebooks per minute for
each and the ratio 2 workers / 1 worker (at most 2; on a machine with fewer free cores
than workers it stays near 1), and whether both runs gave the same scores. The cluster is
the course's (`python -m autograder certs|scheduler|worker`: TLS with throw-away
certificates, the workers' own RNN_COURSE_DB_URL).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hostile"))
sys.path.insert(0, str(ROOT / "tests"))
import corpus  # noqa: E402
from course import REPO, make_course, submit  # noqa: E402
from pgserver import postgres_server, unavailable  # noqa: E402
from test_grading_cluster import autograder, start_cluster, stop_cluster  # noqa: E402

from autograder.grading import certs  # noqa: E402

KINDS = ("honest_correct", "blank", "patch_allclose")


def scores(url: str, assignment: str) -> dict:
    with Gradebook(url) as gb:
        return {s.student.id: {g.name: g.score for g in s.grades}
                for s in gb.notebook_submissions(assignment, assignment)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="submissions")
    args = parser.parse_args()
    if unavailable():
        print(f"cannot run: {unavailable()}")
        return 1
    A = corpus.ASSIGNMENT
    with tempfile.TemporaryDirectory(prefix="rnn-bench-dask-") as tmp, \
            postgres_server() as url:
        tmp = Path(tmp)
        certs.make(tmp / "certs")
        env = {"RNN_COURSE_DB_URL": url, "RNN_COURSE_CERTS": str(tmp / "certs")}
        course = make_course(tmp / "course", A, env=env)
        release = nbformat.read(course / "exercises" / A / f"{A}.ipynb", 4)
        solution = nbformat.read(REPO / "solutions" / A / f"{A}.ipynb", 4)
        cases = corpus.build(release, solution, {"solution_nb": "", "gradebook": "",
                                                 "victim_nb": "", "package": "", "port": 9})
        for i in range(args.n):
            kind = KINDS[i % len(KINDS)]
            submit(course, f"s{i:03d}_{kind}", A, cases[kind][0])
        results = {}
        for workers in (1, 2):
            address, procs = start_cluster(tmp, workers, tmp / "certs", url)
            try:
                start = time.monotonic()
                run = autograder(course, "grade", A, "--scheduler", address, env=env)
                seconds = time.monotonic() - start
            finally:
                stop_cluster(procs)
            if run.returncode != 0:
                print(run.stderr[-3000:])
                return 1
            results[workers] = (seconds, scores(url, A))
            print(f"{workers} worker process(es): {args.n} notebooks in {seconds:.1f} s, "
                  f"{60 * args.n / seconds:.1f} notebooks/min")
        (t1, s1), (t2, s2) = results[1], results[2]
        print(f"throughput ratio 2 workers / 1 worker: {t1 / t2:.2f}")
        print(f"same scores in both runs: {s1 == s2}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
