"""`python -m autograder grade|feedback|integrity|release ...` (autograder/grading/cli.py,
autograder/release.py) and `certs|scheduler|worker` (autograder/grading/cluster_cli.py)."""

import sys

if sys.argv[1:2] and sys.argv[1] in ("certs", "scheduler", "worker"):
    # The cluster's commands need neither nbgrader nor the sandbox: start fast.
    from autograder.grading.cluster_cli import main as cluster

    sys.exit(cluster(sys.argv[1:]))

from autograder.grading.cli import main

sys.exit(main())
