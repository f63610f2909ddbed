"""`python -m autograder grade|feedback|integrity|release ...` (autograder/grading/cli.py,
autograder/release.py)."""

import sys

from autograder.grading.cli import main

sys.exit(main())
