"""The course's late policy (autograder/grading/late.py, set in nbgrader_config.py): the
rule itself, and real `nbgrader autograde` runs on submissions with real timestamps on
time, a day late, a week late and beyond the last day."""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from traitlets import TraitError

from autograder.grading.late import DAY, LatePolicy, late_penalty

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import corpus  # noqa: E402
from course import make_course, nbgrader  # noqa: E402

POLICY = {"per_day": 0.10, "cap": 0.50, "zero_after_days": 7, "grace_minutes": 15}


@pytest.mark.parametrize("seconds_late, share", [
    (-3600, 0.0),                 # early
    (0, 0.0),                     # on the dot
    (14 * 60, 0.0),               # inside the grace period
    (15 * 60 + 1, 0.10),          # one second past the grace: one started day
    (DAY + 15 * 60, 0.10),        # exactly one day after the grace
    (DAY + 15 * 60 + 1, 0.20),    # into the second day
    (3 * DAY, 0.30),
    (6.5 * DAY, 0.50),            # seven started days, capped at 50%
    (7 * DAY, 0.50),              # the last day still counts
    (7 * DAY + 1, 1.0),           # beyond it: nothing
])
def test_the_rule(seconds_late, share):
    assert late_penalty(8.0, seconds_late, **POLICY) == pytest.approx(8.0 * share)


def test_no_penalty_on_nothing_and_no_last_day_when_zero():
    assert late_penalty(0.0, 3 * DAY, **POLICY) == 0.0
    assert late_penalty(10.0, 30 * DAY, **{**POLICY, "zero_after_days": 0}) == 5.0


@pytest.mark.parametrize("trait, value", [("per_day", 1.5), ("cap", -0.1),
                                          ("zero_after_days", -1), ("grace_minutes", -5)])
def test_a_wrong_setting_is_refused_by_name(trait, value):
    with pytest.raises(TraitError, match=f"LatePolicy.{trait}"):
        LatePolicy(**{trait: value})


# --------------------------------------------------------------- real autograde, real times

HONEST = "honest_correct"  # the corpus's instructor solutions, unchanged
DUE = "2026-12-01 12:00:00"
# student -> hand-in time (timestamp.txt, UTC) and the share of the score lost
LATENESS = {
    "ontime": ("2026-12-01 11:40:00", 0.0),
    "grace": ("2026-12-01 12:10:00", 0.0),
    "oneday": ("2026-12-02 03:00:00", 0.10),
    "aweek": ("2026-12-07 20:00:00", 0.50),
    "beyond": ("2026-12-09 12:00:01", 1.0),
}


@pytest.mark.grading
def test_autograde_applies_the_policy_to_real_timestamps(tmp_path):
    course = make_course(tmp_path / "course", corpus.ASSIGNMENT)
    nbgrader(course, "db", "assignment", "add", corpus.ASSIGNMENT, f"--duedate={DUE} UTC")
    corpus.submit_corpus(course, [HONEST])
    submitted = course / "_grading" / "submitted"
    for student, (when, _) in LATENESS.items():
        folder = submitted / student / corpus.ASSIGNMENT
        shutil.copytree(submitted / HONEST / corpus.ASSIGNMENT, folder)
        (folder / "timestamp.txt").write_text(f"{when}.000000 UTC\n")
    shutil.rmtree(submitted / HONEST)
    nbgrader(course, "autograde", corpus.ASSIGNMENT, "--force")
    with Gradebook(f"sqlite:///{course / '_grading' / 'gradebook.db'}") as gb:
        full = None  # every student handed in the same notebook: one autograded score
        for student, (_, share) in LATENESS.items():
            nb = gb.find_submission_notebook(corpus.ASSIGNMENT, corpus.ASSIGNMENT, student)
            full = full or nb.score
            assert nb.score == full > 0, f"{student}: {nb.score} points, others {full}"
            penalty = nb.late_submission_penalty or 0.0
            assert penalty == pytest.approx(share * nb.score), (student, penalty, nb.score)
    # The exported grades carry the penalty and the score after it.
    nbgrader(course, "export")
    with open(course / "_grading" / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    for student, (_, share) in LATENESS.items():
        row = rows[student]
        assert float(row["late_submission_penalty"]) == pytest.approx(share * full), row
        assert float(row["score"]) == pytest.approx((1 - share) * full), row
