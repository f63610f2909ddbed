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
# e.g. postgresql://grader@localhost/rnn_course (see the README's instructor section).
c.CourseDirectory.db_url = os.environ.get(
    "RNN_COURSE_DB_URL", f"sqlite:///{GRADING / 'gradebook.db'}"
)
