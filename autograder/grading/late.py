"""The course's late policy, as an nbgrader late-submission plugin.

Set in one place, `nbgrader_config.py`:

    c.AssignLatePenalties.plugin_class = "autograder.grading.late.LatePolicy"
    c.LatePolicy.grace_minutes = 15     # this late counts as on time
    c.LatePolicy.per_day = 0.10         # share of the notebook's score lost per started day
    c.LatePolicy.cap = 0.50             # at most this share is lost ...
    c.LatePolicy.zero_after_days = 7    # ... until this many days late: then all (0 = never)

nbgrader calls the plugin for every notebook of a submission that is late, that is whose
`timestamp.txt` (written by `nbgrader collect`, or by hand) is after the assignment's due
date (`nbgrader db assignment add <assignment> --duedate="2026-12-01 17:00:00 UTC"`), and
records the penalty (points subtracted from that notebook's score) in the gradebook.
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float, TraitError, validate

DAY = 86_400.0


def late_penalty(score: float, seconds_late: float, *, per_day: float, cap: float,
                 zero_after_days: float, grace_minutes: float) -> float:
    """Points subtracted from `score` for a notebook `seconds_late` after the due date.

    Days are counted as started days after the grace period: one second past the grace is
    one day late. Beyond `zero_after_days` (when not 0) the whole score is lost.
    """
    if score <= 0 or seconds_late <= grace_minutes * 60:
        return 0.0
    if zero_after_days and seconds_late > zero_after_days * DAY:
        return float(score)
    days = math.ceil((seconds_late - grace_minutes * 60) / DAY)
    return float(score) * min(cap, per_day * days)


class LatePolicy(LateSubmissionPlugin):
    """A share of the score per started day late, capped, and zero after a last day."""

    per_day = Float(0.10, help="share of the notebook's score lost per started day late"
                    ).tag(config=True)
    cap = Float(0.50, help="the largest share lost before zero_after_days").tag(config=True)
    zero_after_days = Float(7.0, help="days late after which the score is 0 (0 = never)"
                            ).tag(config=True)
    grace_minutes = Float(15.0, help="minutes late that count as on time").tag(config=True)

    @validate("per_day", "cap")
    def _share(self, proposal):
        if not 0.0 <= proposal["value"] <= 1.0:
            raise TraitError(f"LatePolicy.{proposal['trait'].name} must be a share between "
                             f"0 and 1, got {proposal['value']}")
        return proposal["value"]

    @validate("zero_after_days", "grace_minutes")
    def _non_negative(self, proposal):
        if proposal["value"] < 0:
            raise TraitError(f"LatePolicy.{proposal['trait'].name} must be >= 0, "
                             f"got {proposal['value']}")
        return proposal["value"]

    def late_submission_penalty(self, student_id: str, score: float,
                                total_seconds_late: float) -> float:
        penalty = late_penalty(score, total_seconds_late, per_day=self.per_day, cap=self.cap,
                               zero_after_days=self.zero_after_days,
                               grace_minutes=self.grace_minutes)
        self.log.info("%s: %.0f s late, %.2f of %.2f points lost", student_id,
                      total_seconds_late, penalty, score)
        return penalty
