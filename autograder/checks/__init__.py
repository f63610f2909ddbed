"""Checks that notebook test cells call: `check("rnn_cell_forward", rnn_cell_forward)`.

Each graded function has a `Check` in `CHECKS` (one module per topic). A check compares
the student's function with `autograder.reference` on random shapes and seeds, one named
sub-check at a time (shapes and types first, then single terms, gate order, the cache,
gradients summed over time, finite differences ...), each worth its own points; every
sub-check runs even when another fails.

The contract with secure grading (`autograder.grading`): `CHECKS[name].cases(part)` gives
the trusted inputs (`Case.args`/`kwargs`, plain data only); the student's function is
called on them somewhere else; its return value is turned into plain data with
`to_plain`, or described by `Raised(type, message)` if it raised (an exception instance
is accepted too); `CHECKS[name].judge(case, output)` gives a `SubResult`. `report()` formats
the results; `check()` does all three steps in-process and returns the points earned.

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
from .computed import ComputedSource
from .core import CHECKS, PARTS, Case, Check, SubResult, check, report, run_case, use_source
from .plain import Raised, to_plain
from .seeds import set_secret

use_source(ComputedSource())

__all__ = ["CHECKS", "PARTS", "Case", "Check", "Raised", "SubResult", "Tol", "check",
           "report", "run_case", "set_secret", "to_plain"]
