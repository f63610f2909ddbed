"""nbgrader configuration for the course.

nbgrader reads this file from the current directory only, so run every nbgrader
command from the repo root. Layout:

    solutions/<assignment>/            source notebooks (solutions + hidden tests)
    exercises/<assignment>/            released notebooks (generated, committed)
    _grading/submitted/<student>/<assignment>/<notebook>.ipynb
    _grading/autograded/..., _grading/feedback/..., _grading/gradebook.db
"""

import os
from pathlib import Path

import nbgrader

import autograder.grading
import autograder.grading.collect
import autograder.grading.formgrader_pages
from autograder.grading import copies

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

ROOT = Path(__file__).resolve().parent
GRADING = ROOT / "_grading"
# A fresh clone has no _grading/; nbgrader cannot create gradebook.db without it.
GRADING.mkdir(exist_ok=True)

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "_grading/submitted"
c.CourseDirectory.autograded_directory = "_grading/autograded"
c.CourseDirectory.feedback_directory = "_grading/feedback"
c.CourseDirectory.solution_directory = "_grading/solution"
# A course that outgrows one machine sets RNN_COURSE_DB_URL to a PostgreSQL URL,
# e.g. postgresql+psycopg2://grader@localhost/rnn_course (README, instructor section).
# The gradebook's course row: PostgreSQL enforces the foreign key that SQLite ignores.
c.CourseDirectory.course_id = "rnn_course"
c.CourseDirectory.db_url = os.environ.get(
    "RNN_COURSE_DB_URL", f"sqlite:///{GRADING / 'gradebook.db'}"
)

# Secure grading (autograder.grading; README, "Grading safely"). Student code never runs
# in nbgrader's kernel: SecureExecute runs it in a sandboxed process (no network, own
# uid, rlimits, time caps, course files hidden) and judges plain outputs here.
# Unreadable submissions score zero instead of stopping the batch; locked/test cells and
# their flags are restored from the gradebook; deleted test cells come back (scoring 0).
_NBG = "nbgrader.preprocessors."
_SECURE = "autograder.grading.preprocessors."
c.Autograde.exporter_class = _SECURE + "SafeNotebookExporter"
c.Autograde.sanitize_preprocessors = [
    _NBG + "ClearOutput", _NBG + "DeduplicateIds", _NBG + "OverwriteKernelspec",
    _SECURE + "RestoreCells", _NBG + "CheckCellMetadata",
]
# After the grades are saved: cap the output the graded copy carries, then make student
# markdown, raw cells and outputs inert for the instructor's browser (formgrader).
c.Autograde.autograde_preprocessors = [
    _SECURE + "SecureExecute", _NBG + "IgnorePattern", _NBG + "LimitOutput",
    _NBG + "SaveAutoGrades", _NBG + "AssignLatePenalties", _SECURE + "CapNotebookOutput",
    _SECURE + "SanitizeHTML", _NBG + "CheckCellMetadata",
]
c.OverwriteCells.add_missing_cells = True
c.SecureExecute.cell_timeout = 60.0        # seconds per code cell
c.SecureExecute.problem_timeout = 60.0     # seconds per test cell (one graded function)
c.SecureExecute.submission_timeout = 300.0  # seconds per notebook
c.SecureExecute.memory_mb = 2048
c.SecureExecute.workers = 0                # parallel sandboxes; 0 = one per CPU
# Hidden cases are seeded from the course secret with a keyed hash, so that answers
# precomputed from the public code match nothing. Export RNN_COURSE_SECRET before grading,
# or set c.SecureExecute.course_secret in a config file outside this repository (e.g.
# ~/.jupyter/nbgrader_config.py). Without one, grading warns loudly (log and summary).
c.CapNotebookOutput.max_output_chars = 1_000_000  # output kept per graded notebook
c.CapNotebookOutput.max_output_cells = 200        # code cells per notebook keeping output
# Feedback shows scores and check messages, never the hidden tests; student HTML is
# sanitised again (graded notebooks from before the sanitiser, defence in depth).
c.GenerateFeedback.preprocessors = [
    _NBG + "GetGrades", "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    _NBG + "ClearHiddenTests", _SECURE + "CapNotebookOutput", _SECURE + "SanitizeHTML",
]

# Every copy of a submission takes notebooks and allowed data files only: no links, no
# FIFOs or devices, nothing a browser runs (autograder/grading/safecopy.py). nbgrader's
# autograde/generate_feedback copy and the formgrader's file handler are wrapped here;
# collection uses the course's plugins (zip_collect's extractor here; nbgrader collect:
# collect.SafeExchangeCollect below, which copies as copies.SafeExchangeCollect does).
# Refusals are logged, naming student and file.
copies.install()
c.ZipCollectApp.extractor_plugin = "autograder.grading.copies.SafeExtractor"

# --- Instructor workflow (README "For instructors"; book/instructors.md) -----------------
# Everything about a class stays in _grading/ (git-ignored): LMS downloads, grades.csv.
# Collecting from an LMS: put the LMS's zip (or its loose files) in
#   _grading/downloaded/<assignment>/archive/
# and run `nbgrader zip_collect <assignment>`: it extracts to .../extracted/ and files each
# notebook under _grading/submitted/<student>/<assignment>/.
c.ZipCollectApp.downloaded_directory = "_grading/downloaded"  # relative to the root
# The course's collector (autograder/grading/collect.py) files each notebook under the
# student of its top-level entry in the archive, for the notebook forward_pass.ipynb:
#   Canvas  smithjohn_123_456_forward_pass.ipynb, smithjohn_LATE_123_456_..., and a
#           resubmission's forward_pass-1.ipynb                        -> smithjohn
#   Moodle  John Smith_123_assignsubmission_file_forward_pass.ipynb, or the folder
#           John Smith_123_assignsubmission_file_/ with the notebook anywhere inside
#   plain   alice_forward_pass.ipynb, or alice/ with the notebook anywhere inside
# A file in a sub-folder belongs to the student whose entry holds that folder, never to
# the sub-folder's name. Student ids are ASCII letters, digits and _ . @ - (starting with
# a letter or digit, at most 64 characters; autograder/grading/ids.py): any other name
# ("John Smith") becomes a stable slug ("John_Smith-1b2c3d4e5f"), logged as original ->
# slug, and the LMS name is kept as the student's first/last name in the gradebook.
# Several uploads of one notebook by one student: the latest is kept (highest
# resubmission number -N, then the newest file time in the archive), and the log says
# which was kept and which were skipped; it never stops the others' collection.
c.ZipCollectApp.collector_plugin = "autograder.grading.collect.LmsCollector"
# `nbgrader collect` (exchange): the same ids; a malformed inbound entry is skipped.
c.ExchangeFactory.collect = "autograder.grading.collect.SafeExchangeCollect"
# `nbgrader autograde` and `generate_feedback` refuse (an error naming it; the rest of the
# class is graded) a folder under _grading/submitted/ whose name is not a safe id.
autograder.grading.collect.refuse_unsafe_submissions()
# The formgrader's list pages escape every value (nbgrader's own pages write URL parts raw
# into a script; autograder/grading/formgrader_pages.py).
autograder.grading.formgrader_pages.escape_formgrader_pages()
# `nbgrader export` writes the class's grades here, not into the repository root.
c.CsvExportPlugin.to = str(GRADING / "grades.csv")
# Feedback readable offline: MathJax is inlined from sphinx-mathjax-offline (no CDN), long
# check messages wrap (autograder/grading/feedback.py, autograder/grading/templates/).
c.GenerateFeedback.preprocessors.append("autograder.grading.feedback.FeedbackStyle")
# What each page shows is recorded from the gradebook (_grading/feedback_state/), first,
# for `python -m autograder feedback --check`, which never reads the student-written page.
c.GenerateFeedback.preprocessors.insert(0, "autograder.grading.feedback.RecordFeedback")
# Each page that shows student work carries a Content-Security-Policy (script by hash
# only: autograder/grading/csp.py); the formgrader's server adds one to its responses.
c.HTMLExporter.filters = {"rnn_mathjax": "autograder.grading.feedback.mathjax_script",
                          "rnn_mathjax2_shim": "autograder.grading.csp.mathjax2_shim",
                          "rnn_csp": "autograder.grading.csp.page_meta"}
c.HTMLExporter.extra_template_basedirs = [
    str(Path(autograder.grading.__file__).parent / "templates"),
    str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"),
]

# --- Late policy (README "For instructors"; autograder/grading/late.py) ------------------
# A notebook handed in after its assignment's due date loses a share of its score for each
# started day late (after a grace period), up to a cap, and everything after a last day.
# Due dates live in the gradebook:
#   nbgrader db assignment add forward_pass --duedate="2026-12-01 17:00:00 UTC"
# and the hand-in time in each submission's timestamp.txt (nbgrader collect, or by hand).
c.AssignLatePenalties.plugin_class = "autograder.grading.late.LatePolicy"
c.LatePolicy.grace_minutes = 15     # up to 15 minutes late counts as on time
c.LatePolicy.per_day = 0.10         # 10% of the score per started day late ...
c.LatePolicy.cap = 0.50             # ... at most 50% ...
c.LatePolicy.zero_after_days = 7    # ... and 0 points more than a week late (0 = never)
