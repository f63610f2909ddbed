"""Secure grading vs stock nbgrader on the same 100 submissions, in one run.

    .venv/bin/python benchmarks/bench_grading.py [--n 100] [--assignment forward_pass]

Builds two throw-away copies of the course (never the repo's `_grading/`), releases the
assignment with the real `nbgrader generate_assignment`, submits the same mix of correct,
wrong and blank notebooks to both, then times `nbgrader autograde <assignment>` with the
course's configuration (sandboxed, parallel) and with nbgrader's stock preprocessors (one
kernel per notebook, no protection). Prints both times, the ratio secure/stock (target
<= 1.0), and whether the two gradebooks agree on every score.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hostile"))
import corpus  # noqa: E402
from course import make_course, nbgrader, submit  # noqa: E402

STOCK = '''
# --- benchmark only: nbgrader's stock autograde pipeline, no protection ---
_P = "nbgrader.preprocessors."
c.Autograde.exporter_class = "nbconvert.exporters.NotebookExporter"
c.Autograde.sanitize_preprocessors = [_P + "ClearOutput", _P + "DeduplicateIds",
    _P + "OverwriteKernelspec", _P + "OverwriteCells", _P + "CheckCellMetadata"]
c.Autograde.autograde_preprocessors = [_P + "Execute", _P + "IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", _P + "LimitOutput",
    _P + "SaveAutoGrades", _P + "AssignLatePenalties", _P + "CheckCellMetadata"]
'''


def submissions(release, solution, n: int) -> dict[str, bytes]:
    """n notebooks: 40% correct, 30% with wrong functions, 30% blank."""
    sources = corpus.solution_sources(solution)
    out = {}
    for i in range(n):
        nb = nbformat.reads(nbformat.writes(release), as_version=4)
        kind = ("correct", "wrong", "blank")[0 if i % 10 < 4 else 1 if i % 10 < 7 else 2]
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in sources and kind != "blank":
                source = sources[grade_id]
                if kind == "wrong" and grade_id in (corpus.TARGET, "softmax"):
                    # a plausible bug: no max-shift / tanh forgotten
                    source = re.sub(r"np\.tanh\(", "(", source)
                    source = source.replace("np.max(z, axis=0, keepdims=True)", "0")
                cell.source = source
        out[f"s{i:03d}_{kind}"] = nbformat.writes(nb).encode()
    return out


def grade(course: Path, assignment: str) -> tuple[float, dict]:
    start = time.monotonic()
    proc = nbgrader(course, "autograde", assignment, "--force", check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
    scores = {}
    with Gradebook(f"sqlite:///{course / '_grading' / 'gradebook.db'}") as gb:
        for sub in gb.notebook_submissions(assignment, assignment):
            scores[sub.student.id] = round(sum(g.score for g in sub.grades
                                               if g.auto_score is not None), 6)
    return seconds, scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--assignment", default=corpus.ASSIGNMENT)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rnn-bench-"))
    secure = make_course(tmp / "secure", args.assignment)
    stock = make_course(tmp / "stock", args.assignment)
    with open(stock / "nbgrader_config.py", "a") as f:
        f.write(STOCK)
    release = nbformat.read(secure / "exercises" / args.assignment /
                            f"{args.assignment}.ipynb", 4)
    solution = nbformat.read(secure / "solutions" / args.assignment /
                             f"{args.assignment}.ipynb", 4)
    subs = submissions(release, solution, args.n)
    for course in (secure, stock):
        for student, data in subs.items():
            submit(course, student, args.assignment, data)
    print(f"{args.n} submissions of {args.assignment} ({os.cpu_count()} CPUs), in {tmp}")
    stock_s, stock_scores = grade(stock, args.assignment)
    print(f"stock nbgrader autograde:   {stock_s:7.1f} s")
    secure_s, secure_scores = grade(secure, args.assignment)
    print(f"secure nbgrader autograde:  {secure_s:7.1f} s")
    print(f"ratio secure/stock: {secure_s / stock_s:.2f}  (target <= 1.0)")
    differ = {s: (stock_scores.get(s), secure_scores.get(s)) for s in subs
              if stock_scores.get(s) != secure_scores.get(s)}
    print(f"scores agree on {len(subs) - len(differ)} of {len(subs)} submissions")
    for student, (a, b) in sorted(differ.items())[:10]:
        print(f"  {student}: stock {a}, secure {b}")
    return 0 if not differ and secure_s <= stock_s else 1


if __name__ == "__main__":
    sys.exit(main())
