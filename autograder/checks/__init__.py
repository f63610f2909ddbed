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

A caller of another graded function is judged with the recorded helper in its place
(`Case.helpers`, recorded with the reference by `helpers.py`): a wrong helper costs the
caller nothing, and the caller's report names the helper once.

Each graded function has two test cells (written by `python -m autograder release`). The
public one imports `check` from the student package `rnn_checks`, which is generated from
this package (the judging code without the reference, plus the public cases and the
reference's outputs on them, recorded at release); its score is the public points earned,
and the cell is worth `CHECKS[name].max_points("public")`, so `nbgrader validate` passes a
correct notebook. The hidden one is empty in the release and worth the hidden points:

    from rnn_checks import check

    check("rnn_cell_forward", rnn_cell_forward)

    ### BEGIN HIDDEN TESTS
    from autograder.checks import check

    check("rnn_cell_forward", rnn_cell_forward, part="hidden")
    ### END HIDDEN TESTS

Secure grading runs both against these (trusted) checks. The rule that keeps the student
package free of the reference: a judge or hint uses only the case, the student's plain
output, `self.expected(case)`, `self.derived(case, key)` (a `derive_<key>` method computes
it here, the release records it for public cases) and plain numpy; `function`,
`make_cases`, `numeric` and `derive_*` are instructor-only (`studentpkg.py` strips them).
The call runner `calling.py` is shared as it is (standard library and numpy only), so
the student package calls and judges exactly as grading does.
"""

from . import architectures, bptt, char_lm, clipping, forward, gates, notation  # noqa: F401  (they register checks)
from .compare import Tol
from .computed import ComputedSource
from .core import CHECKS, PARTS, Case, Check, SubResult, check, report, run_case, use_source
from .plain import Raised, to_plain
from .seeds import set_secret

use_source(ComputedSource())

__all__ = ["CHECKS", "PARTS", "Case", "Check", "Raised", "SubResult", "Tol", "check",
           "report", "run_case", "set_secret", "to_plain"]
