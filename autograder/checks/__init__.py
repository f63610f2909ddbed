"""Checks that notebook test cells call: `check("rnn_cell_forward", rnn_cell_forward)`.

Each graded function has a `Check` in `CHECKS` (one module per topic). A check compares
the student's function with `autograder.reference` on random shapes and seeds, one named
sub-check at a time (shapes and types first, then single terms, gate order, the cache,
gradients summed over time, finite differences ...), each worth its own points; every
sub-check runs even when another fails.

The contract with secure grading (`autograder.grading`): `CHECKS[name].cases(part)` gives
the trusted inputs (`Case.args`/`kwargs`, plain data only) and how to call the function
(`Case.spec()`: report the arguments after the call, outputs that are inputs, recorded
helper calls, seeded generators; see `calling`); the student's function is called on them
somewhere else, always by `calling.call` (in this process by `run_case`, in the sandbox by
the worker, which loads the same file); the plain call report goes to
`CHECKS[name].judge_report(case, report)` (or the plain output, or `Raised(type, message,
where)`, to `CHECKS[name].judge(case, output, info)`), which gives a `SubResult`.
`report()` formats the results (an identical failure and a note about a helper are said
once); `check()` does all three steps in-process and returns the points earned.

The rule for judges and hints: they use the case, the student's plain output,
`self.expected(case)` (the reference's output on the case), `self.derived(case, key)`
(another value the reference gives on the case's inputs) and numpy, never
`autograder.reference` directly, so that a release can record what they need. A caller
of another graded function is judged with the recorded helper in its place
(`Case.helpers`): a wrong helper costs the caller nothing, and the caller's report names
the helper once.

A notebook test cell holds only the import and the calls; its last expression is their
sum, which nbgrader records as the cell's partial credit (the cell's points equal the
public plus hidden maximum, `CHECKS[name].max_points(part)`):

    from autograder.checks import check

    (check("rnn_cell_forward", rnn_cell_forward, part="public")
    ### BEGIN HIDDEN TESTS
     + check("rnn_cell_forward", rnn_cell_forward, part="hidden")
    ### END HIDDEN TESTS
    )
"""

from . import architectures, bptt, char_lm, clipping, forward, gates, notation  # noqa: F401  (they register checks)
from .compare import Tol
from .core import CHECKS, PARTS, Case, Check, SubResult, check, report, run_case
from .plain import Raised, to_plain

__all__ = ["CHECKS", "PARTS", "Case", "Check", "Raised", "SubResult", "Tol", "check",
           "report", "run_case", "to_plain"]
