"""`python -m autograder grade <assignment>` (see autograder/grading/cli.py)."""

import sys

from autograder.grading.cli import main

sys.exit(main())
