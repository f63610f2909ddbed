"""`python -m autograder grade|integrity|release ...` (autograder/grading/cli.py,
autograder/release.py)."""

import sys

if sys.argv[1:2] == ["release"]:
    from autograder.release import main as release

    sys.exit(release(sys.argv[2:]))

from autograder.grading.cli import main

sys.exit(main())
