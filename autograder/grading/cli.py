"""`python -m autograder grade <assignment>`: the whole assignment, in parallel, with a
progress bar, a summary, and the integrity report. Run from the course root (where
nbgrader_config.py is): it runs nbgrader's own autograde with the course's secure
preprocessors, so the gradebook is the same one `nbgrader autograde` fills.

    python -m autograder grade forward_pass [--student ID] [--workers N]
    python -m autograder grade forward_pass --scheduler tls://HOST:8786 --certs DIR  (Dask)
    python -m autograder certs|scheduler|worker ...   (the cluster: cluster_cli.py)
    python -m autograder feedback forward_pass [--check]
    python -m autograder integrity forward_pass
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path

from autograder.grading import feedback as feedback_pages
from autograder.grading import ids, integrity, preprocessors, sandbox
from autograder.grading.textsafe import printable


class ProgressBar:
    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.stream = max(total, 1), 0, stream
        self.start = time.monotonic()
        self.lock = threading.Lock()

    def update(self, student: str, notebook: str, summary: dict) -> None:
        with self.lock:
            self.done += 1
            score = sum(p["score"] for p in summary["problems"].values())
            most = sum(p["max_points"] for p in summary["problems"].values())
            width = 30
            filled = int(width * min(self.done, self.total) / self.total)
            elapsed = time.monotonic() - self.start
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] "
                              f"{self.done}/{self.total} {elapsed:5.0f} s  "
                              f"{printable(student)[:20]:<20} {score:g}/{most:g}   ")
            self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class FailureLog(logging.Handler):
    """Collects, per student, why nbgrader could not grade a submission (its ERROR log)."""

    START = re.compile(r"There was an error processing assignment: (.+)")
    END = re.compile(r"There was an error processing assignment '.*' for student '(.+)'")

    def __init__(self):
        super().__init__(logging.ERROR)
        self.current: str | None = None
        self.reasons: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            return
        start = self.START.match(message)
        if start:
            self.current = Path(start.group(1).strip()).parent.name
            self.reasons.setdefault(self.current, "see the nbgrader log above")
            return
        end = self.END.match(message)
        if end:
            self.reasons.setdefault(end.group(1), "see the nbgrader log above")
            return
        if self.current and "Traceback" in message:
            lines = [line.strip() for line in message.splitlines() if line.strip()]
            self.reasons[self.current] = printable(lines[-1][:200]) if lines else "error"
            self.current = None


def _printable_record(record: logging.LogRecord) -> bool:
    """A logging filter: the record's message with control characters made visible."""
    try:
        record.msg, record.args = printable(record.getMessage(), keep_newlines=True), ()
    except Exception:
        pass
    return True


def _previous_runs(coursedir, assignment: str, submitted: dict) -> dict[str, float]:
    """student -> modification time of their graded notebooks before this run."""
    out = {}
    for student in submitted:
        folder = Path(coursedir.root) / coursedir.autograded_directory / student / assignment
        times = [p.stat().st_mtime for p in folder.glob("*.ipynb")]
        if times:
            out[student] = max(times)
    return out


def _app(argv: list[str]):
    from nbgrader.apps.autogradeapp import AutogradeApp

    app = AutogradeApp()
    app.initialize(argv)
    return app


def _submitted(coursedir, assignment: str, student: str) -> dict[str, list[Path]]:
    root = Path(coursedir.root) / coursedir.submitted_directory
    out: dict[str, list[Path]] = {}
    for path in sorted(root.glob(f"{student}/{assignment}/*.ipynb")):
        out.setdefault(path.parent.parent.name, []).append(path)
    for name in [name for name in out if not ids.is_safe(name)]:
        print(f"ERROR: {ids.refusal(str(root / name / assignment))}", file=sys.stderr)
        del out[name]
    return out


def grade(args) -> int:
    argv = [args.assignment, "--log-level=WARN"]
    if args.force:
        argv.append("--force")
    if args.student:
        argv += ["--student", args.student]
    for key in ("workers", "problem_timeout", "cell_timeout", "submission_timeout"):
        value = getattr(args, key)
        if value is not None:
            argv.append(f"--SecureExecute.{key}={value}")
    if not Path("nbgrader_config.py").exists():
        print("run this from the course root (the folder with nbgrader_config.py)",
              file=sys.stderr)
        return 2
    app = _app(argv)
    coursedir = app.coursedir
    submitted = _submitted(coursedir, args.assignment, args.student or "*")
    total = sum(len(v) for v in submitted.values())
    if not total:
        print(f"no submissions of {args.assignment!r} under "
              f"{coursedir.submitted_directory}/", file=sys.stderr)
        return 2
    if getattr(args, "scheduler", None):
        return grade_distributed(args, coursedir, submitted, total)
    caps = sandbox.capabilities()
    workers = args.workers or sandbox.cpus()
    print(f"Grading {total} notebooks of {args.assignment} with {workers} parallel "
          f"sandboxes\n{caps.describe()}", file=sys.stderr)
    bar = ProgressBar(total)
    preprocessors.progress_listeners.append(bar.update)
    failures = FailureLog()
    app.log.addHandler(failures)
    for handler in app.log.handlers:  # nbgrader's log quotes student messages too
        handler.addFilter(_printable_record)
    previous = _previous_runs(coursedir, args.assignment, submitted)
    start, started_at = time.monotonic(), time.time()
    status = 0
    try:
        app.start()
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    finally:
        preprocessors.progress_listeners.remove(bar.update)
        app.log.removeHandler(failures)
        bar.close()
    seconds = time.monotonic() - start
    failed = regrade_failures(coursedir, args.assignment, submitted, started_at,
                              failures.reasons, previous)
    print(summary(coursedir, args.assignment, submitted, seconds, workers, failed),
          file=sys.stderr)
    # The report covers the whole class (every graded notebook), also after --student.
    print(run_integrity(coursedir, args.assignment), file=sys.stderr)
    return status


def grade_distributed(args, coursedir, submitted: dict, total: int) -> int:
    """`grade --scheduler`: one Dask task per student (autograder/grading/cluster.py)."""
    from autograder.grading import cluster

    options = ["--SecureExecute.workers=1"]
    for key in ("problem_timeout", "cell_timeout", "submission_timeout"):
        value = getattr(args, key)
        if value is not None:
            options.append(f"--SecureExecute.{key}={value}")
    print(f"Grading {total} notebooks of {args.assignment} on the Dask cluster at "
          f"{args.scheduler} (gradebook: {_safe_url(coursedir.db_url)})", file=sys.stderr)
    bar = ProgressBar(len(submitted))
    start = time.monotonic()

    def done(student, outcome):
        for meta in _grading_meta(coursedir, args.assignment, student) or [{}]:
            bar.update(student, args.assignment,
                       {"problems": meta.get("result", {}).get("problems", {})})

    try:
        results = cluster.grade_on_cluster(coursedir, args.assignment, sorted(submitted),
                                           args.scheduler, args.certs, options,
                                           on_done=done)
    except (ValueError, OSError) as error:
        bar.close()
        print(f"cannot grade on {args.scheduler}: {error}", file=sys.stderr)
        return 2
    bar.close()
    seconds = time.monotonic() - start
    workers = sorted({r.worker for r in results.values() if not isinstance(r, str)})
    status = 0
    for student, result in sorted(results.items()):
        if isinstance(result, str):
            status = 1
            print(f"  {student}: the cluster task failed: {result}", file=sys.stderr)
        elif result.returncode != 0:
            status = 1
            print(f"  {printable(student)}: nbgrader autograde on {result.worker} exited "
                  f"with {result.returncode}:\n"
                  f"{printable(result.log[-1500:], keep_newlines=True)}", file=sys.stderr)
    print(summary(coursedir, args.assignment, submitted, seconds, len(workers)),
          file=sys.stderr)
    print(f"  graded on {len(workers)} worker processes: {', '.join(workers)}",
          file=sys.stderr)
    print(run_integrity(coursedir, args.assignment), file=sys.stderr)
    return status


def _safe_url(url: str) -> str:
    """The gradebook URL without a password."""
    import re

    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def regrade_failures(coursedir, assignment: str, submitted: dict, started_at: float,
                     reasons: dict[str, str], previous: dict[str, float]) -> dict[str, tuple]:
    """student -> (why, when its previous graded notebooks were written, or None) for
    every student this run did not grade.

    A student failed if nbgrader logged an error for them or left no graded notebook
    written by this run; nbgrader then keeps an earlier run's scores silently."""
    out = {}
    for student in submitted:
        folder = Path(coursedir.root) / coursedir.autograded_directory / student / assignment
        fresh = [p for p in folder.glob("*.ipynb") if p.stat().st_mtime >= started_at - 1]
        if student not in reasons and fresh:
            continue
        out[student] = (reasons.get(student, "no graded notebook was written"),
                        previous.get(student))
    return out


def summary(coursedir, assignment: str, submitted: dict, seconds: float,
            workers: int, failed: dict[str, tuple] | None = None) -> str:
    from nbgrader.api import Gradebook

    failed = failed or {}
    totals, stale, most = {}, {}, 0.0
    with Gradebook(coursedir.db_url) as gb:
        for sub in gb.assignment_submissions(assignment):
            student = sub.student.id
            if student in failed:  # what the gradebook still holds from an earlier run
                stale[student] = (sub.code_score, sub.timestamp)
            elif student in submitted:  # autograded points (written answers: formgrader)
                totals[student] = sub.code_score
                most = sub.max_code_score
    lines = [f"Graded {len(totals)} of {len(submitted)} submissions of {assignment} in "
             f"{seconds:.1f} s ({workers} parallel sandboxes)"]
    if totals:
        values = list(totals.values())
        lines.append(f"  autograded points: mean {statistics.mean(values):.2f} / {most:g}, median "
                     f"{statistics.median(values):g}, full marks {sum(v >= most for v in values)}"
                     f", zero {sum(v == 0 for v in values)}")
    attention = []
    if any("NO COURSE SECRET" in meta.get("result", {}).get("hidden_seeds", "")
           for student in submitted for meta in _grading_meta(coursedir, assignment, student)):
        lines.append("  WARNING: graded WITHOUT a course secret: the hidden cases came from "
                     "public seeds (set RNN_COURSE_SECRET; README, 'Grading safely')")
    for student in sorted(submitted):
        if student in failed:
            why, when = failed[student]
            if student not in stale:
                attention.append(f"    {student}: NOT GRADED: {why}")
                continue
            points, submitted_at = stale[student]
            of = (time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when)) if when else
                  f"an earlier run (submission of {submitted_at})")
            attention.append(f"    {student}: re-grade failed ({why}); the gradebook still "
                             f"holds the scores of {of} ({points:g} autograded points)")
            continue
        if student not in totals:
            attention.append(f"    {student}: NOT GRADED (see the nbgrader log above)")
            continue
        for meta in _grading_meta(coursedir, assignment, student):
            if meta.get("rejected"):
                attention.append(f"    {student}: unreadable notebook, scored 0: "
                                 f"{meta['rejected'][:100]}")
            if meta.get("refused_files"):  # links, FIFOs, active content: not copied
                refused = [str(r) for r in meta["refused_files"]]
                attention.append(f"    {student}: {len(refused)} files refused: "
                                 f"{'; '.join(refused)[:200]!a}")
            for grade_id, p in meta.get("result", {}).get("problems", {}).items():
                if p.get("error") or p.get("status") in ("timeout", "crashed", "not run"):
                    attention.append(f"    {student}: {grade_id} {p.get('status')}"
                                     + (f": {p['error'][:100]}" if p.get("error") else ""))
    if attention:
        lines.append(f"  {len(attention)} problems need attention:")
        lines += attention
    # Ids and messages come from students: no control character reaches the terminal.
    return "\n".join(printable(line) for line in lines)


def _grading_meta(coursedir, assignment: str, student: str) -> list[dict]:
    folder = Path(coursedir.root) / coursedir.autograded_directory / student / assignment
    out = []
    for path in sorted(folder.glob("*.ipynb")):
        try:
            out.append(json.loads(path.read_text(encoding="utf-8"))["metadata"]
                       .get("rnn_grading", {}))
        except (OSError, ValueError, KeyError):
            continue
    return out


def run_integrity(coursedir, assignment: str, submitted: dict | None = None) -> str:
    import nbformat

    root = Path(coursedir.root)
    graded = root / coursedir.autograded_directory
    notebooks: dict[str, dict[str, object]] = {}
    for path in sorted(graded.glob(f"*/{assignment}/*.ipynb")):
        student = path.parent.parent.name
        if submitted is not None and student not in submitted:
            continue
        try:
            nb = integrity.read_notebook(path)  # no links, no FIFOs
        except Exception:
            continue
        if nb.metadata.get("rnn_grading", {}).get("rejected"):
            continue
        notebooks.setdefault(path.stem, {})[student] = nb
    flagged, paths = set(), []
    for name, subs in sorted(notebooks.items()):
        release_path = root / coursedir.release_directory / assignment / f"{name}.ipynb"
        release = nbformat.read(str(release_path), as_version=4) if release_path.exists() \
            else None
        solution_path = root / coursedir.source_directory / assignment / f"{name}.ipynb"
        solution = nbformat.read(str(solution_path), as_version=4) \
            if solution_path.exists() else None
        report = integrity.scan(name if name == assignment else f"{assignment}-{name}",
                                subs, release, solution)
        paths.append(integrity.write(report, root / "_grading" / "integrity"))
        flagged.update(report.by_student())
    where = ", ".join(str(p.relative_to(root)) for p in paths) or "(no graded notebooks)"
    return f"Integrity report: {where} ({len(flagged)} submissions flagged for review)"


def feedback(args) -> int:
    """Regenerate every feedback page (--force), warning first about pages that are
    older than the grades they report and about answers still waiting for a person."""
    from nbgrader.api import Gradebook
    from nbgrader.apps.generatefeedbackapp import GenerateFeedbackApp

    if not Path("nbgrader_config.py").exists():
        print("run this from the course root (the folder with nbgrader_config.py)",
              file=sys.stderr)
        return 2
    app = GenerateFeedbackApp()
    app.initialize([args.assignment, "--force", "--log-level=WARN"])
    coursedir = app.coursedir
    with Gradebook(coursedir.db_url) as gb:
        stale = [s for s in feedback_pages.stale_feedback(coursedir, gb, args.assignment)
                 if s.reason != "no feedback page"]
        waiting = feedback_pages.needs_manual_grade(gb, args.assignment)
    if stale:
        print(f"WARNING: {len(stale)} feedback pages are older than the grades they report "
              "(a grade changed after they were written; `nbgrader generate_feedback` "
              "without --force keeps them):", file=sys.stderr)
        for item in stale[:20]:
            print(f"    {item}", file=sys.stderr)
    if waiting:
        print(f"WARNING: {len(waiting)} answers still need manual grading; their feedback "
              "shows 0 for them until they are graded in the formgrader and this command "
              "runs again:", file=sys.stderr)
        for item in waiting[:20]:
            print(f"    {item}", file=sys.stderr)
    if args.check:
        return 1 if stale else 0
    status = 0
    try:
        app.start()
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    with Gradebook(coursedir.db_url) as gb:
        left = feedback_pages.stale_feedback(coursedir, gb, args.assignment)
    for item in left:
        print(f"ERROR: feedback not up to date: {item}", file=sys.stderr)
    print(f"Feedback for {args.assignment} in {coursedir.feedback_directory}/ "
          f"({'up to date' if not left else f'{len(left)} pages not up to date'})",
          file=sys.stderr)
    return status or (1 if left else 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder",
                                     description="Secure grading for the RNN course",
                                     epilog="The Dask cluster: python -m autograder "
                                     "certs|scheduler|worker --help")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="autograde an assignment in parallel")
    g.add_argument("assignment")
    g.add_argument("--student", default=None, help="only this student (glob allowed)")
    g.add_argument("--workers", type=int, default=None, help="parallel sandboxes")
    g.add_argument("--no-force", dest="force", action="store_false",
                   help="skip submissions that are already graded")
    g.add_argument("--scheduler", default=None, metavar="tls://HOST:8786",
                   help="grade on this Dask cluster (one task per submission; TLS only; "
                   "needs the shared PostgreSQL gradebook, RNN_COURSE_DB_URL)")
    g.add_argument("--certs", default=os.environ.get("RNN_COURSE_CERTS"), metavar="DIR",
                   help="folder with ca.pem, client.pem and client-key.pem for --scheduler "
                   "(default: $RNN_COURSE_CERTS; made by `python -m autograder certs`)")
    g.add_argument("--problem-timeout", dest="problem_timeout", type=float)
    g.add_argument("--cell-timeout", dest="cell_timeout", type=float)
    g.add_argument("--submission-timeout", dest="submission_timeout", type=float)
    f = sub.add_parser("feedback", help="regenerate the feedback pages (warns when stale)")
    f.add_argument("assignment")
    f.add_argument("--check", action="store_true",
                   help="only report stale pages and ungraded answers (exit 1 if stale)")
    i = sub.add_parser("integrity", help="write the integrity report of graded submissions")
    i.add_argument("assignment")
    sub.add_parser("release", add_help=False,
                   help="write the test cells, release exercises/ and regenerate the student "
                   "package (python -m autograder release --help)")
    args, rest = parser.parse_known_args(argv)
    if args.command == "release":
        from autograder.release import main as release

        return release(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    # nbgrader runs `alembic` from PATH when it creates a gradebook.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    if args.command == "grade":
        return grade(args)
    if args.command == "feedback":
        return feedback(args)
    app = _app([args.assignment])
    print(run_integrity(app.coursedir, args.assignment))
    return 0
