"""The sandbox's channel to the grader (issue 17, items 4 and 5), attacked through the real
`nbgrader autograde` and the real sandbox.

- Hidden answers stay on the trusted side: a `rnn_cell_forward` that searches the
  sandbox (the call's frames, every object in the process) for the recorded softmax
  table of its case, and returns that table's output (which is `yt_pred` itself) with
  `a_next` solved from it by least squares, finds nothing and scores nothing.
- The progress pipe cannot move the clocks: a cell that writes `start <its step>` to
  every descriptor it holds, in a loop that outlasts its cap, is stopped at the cap.

An honest submission graded in the same run keeps full marks.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import corpus  # noqa: E402
from course import BIN, make_course, scores, submit  # noqa: E402

from autograder.grading import sandbox  # noqa: E402
from autograder.grading.sandbox import Limits, Step, run_job  # noqa: E402

pytestmark = pytest.mark.grading
ASSIGNMENT = corpus.ASSIGNMENT
CELL_CAP = 8      # seconds: --SecureExecute.cell_timeout for the batch
# A course secret whose hidden rnn_cell_forward cases have n_y >= n_a, so that a_next
# follows from the softmax table's scores by least squares (the attack).
SECRET = "channel-test-secret-2"
LOOP = 30         # seconds the clock attack's cell runs for if nothing stops it

# The call's spec (a local of `calling.call`, on the stack below the student's function)
# held every recorded helper table of its case; so may any object in the process.
TABLE_READER = """
import gc, sys

def _recorded_softmax():
    found = []
    frame = sys._getframe(1)
    while frame is not None:
        spec = frame.f_locals.get("spec")
        if isinstance(spec, dict) and isinstance(spec.get("helpers"), dict):
            found += spec["helpers"].get("softmax", [])
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, dict) and isinstance(obj.get("helpers"), dict):
            found += obj["helpers"].get("softmax", [])
    return found

def rnn_cell_forward(xt, a_prev, parameters):
    Wya, by = parameters["Wya"], parameters["by"]
    for entry in _recorded_softmax():
        try:
            (z,), probs = entry
        except (TypeError, ValueError):
            continue
        if getattr(z, "shape", None) == (Wya.shape[0], xt.shape[1]):
            a_next = np.linalg.lstsq(Wya, z - by, rcond=None)[0]
            return a_next, probs, (a_next, a_prev, xt, parameters)
    raise NotImplementedError("no recorded answer in the sandbox")
"""

# "start <i>" (i: this cell's step, its place among the notebook's code cells) on every
# descriptor, five times a second, for LOOP seconds.
CLOCK_WRITER = """
import os, time

_line = b"start STEP\\n"
_end = time.monotonic() + LOOP
while time.monotonic() < _end:
    for _fd in range(64):
        try:
            os.write(_fd, _line)
        except OSError:
            pass
    time.sleep(0.2)
""".replace("LOOP", str(LOOP))


def _notebook(release, sources, replace: dict) -> bytes:
    nb = copy.deepcopy(release)
    for grade_id, source in sources.items():
        corpus._cell(nb, grade_id).source = replace.get(grade_id, source)
    return json.dumps(nb).encode()


def _full(course: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / '_grading' / 'gradebook.db'}") as gb:
        return {c.name: c.max_score for c in gb.find_notebook(ASSIGNMENT, ASSIGNMENT)
                .grade_cells if c.cell_type == "code"}


def _result(course: Path, student: str) -> dict:
    nb = nbformat.read(course / "_grading" / "autograded" / student / ASSIGNMENT /
                       f"{ASSIGNMENT}.ipynb", 4)
    return nb.metadata["rnn_grading"]["result"], nb


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    if not sandbox.capabilities().namespaces:
        pytest.skip(f"the full sandbox needs root and unshare "
                    f"({sandbox.capabilities().describe()})")
    tmp = tmp_path_factory.mktemp("channel")
    course = make_course(tmp / "course", ASSIGNMENT)
    release = nbformat.read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    solution = nbformat.read(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    sources = corpus.solution_sources(solution)
    code = [c for c in release.cells if c.cell_type == "code"]
    step = code.index(corpus._cell(release, corpus.LAST))
    submissions = {
        "honest": {},
        "table_reader": {"rnn_cell_forward": TABLE_READER},
        "clock_writer": {corpus.LAST: sources[corpus.LAST] + "\n"
                         + CLOCK_WRITER.replace("STEP", str(step))},
    }
    for student, replace in submissions.items():
        submit(course, student, ASSIGNMENT, _notebook(release, sources, replace))
    env = {k: v for k, v in os.environ.items() if k != "RNN_COURSE_DB_URL"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(
        [str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--force",
         f"--SecureExecute.cell_timeout={CELL_CAP}", "--SecureExecute.workers=3",
         f"--SecureExecute.course_secret={SECRET}"],
        cwd=course, capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr[-6000:]
    return course


def test_an_honest_submission_keeps_full_marks(batch):
    full = _full(batch)
    assert any(k.endswith("_hidden") for k in full)
    got = scores(batch, ASSIGNMENT)["honest"]
    assert {k: got[k] for k in full} == full


def test_the_sandbox_holds_no_recorded_answer(batch):
    got, full = scores(batch, ASSIGNMENT)["table_reader"], _full(batch)
    print("\ntable reader:", {k: got[k] for k in full if "rnn_cell_forward" in k})
    assert got["test_rnn_cell_forward_hidden"] == 0.0
    assert got["test_rnn_cell_forward"] == 0.0
    # Its other problems are unaffected (rnn_forward is judged with a correct cell).
    assert {k: got[k] for k in full if "rnn_cell_forward" not in k} == \
        {k: v for k, v in full.items() if "rnn_cell_forward" not in k}


def test_writing_start_does_not_move_the_cell_clock(batch):
    result, nb = _result(batch, "clock_writer")
    cell = next(i for i, c in enumerate(nb.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == corpus.LAST)
    print("\nclock writer:", result["cells"], f"{result['seconds']:.1f} s in all")
    assert result["cells"].get(str(cell), {}).get("status") == "timeout", result["cells"]
    assert f"stopped after {CELL_CAP} s" in result["cells"][str(cell)]["error"]
    assert result["seconds"] < LOOP
    got, full = scores(batch, ASSIGNMENT)["clock_writer"], _full(batch)
    want = {k: (0.0 if k.startswith(corpus.LAST_TEST) else v) for k, v in full.items()}
    assert {k: got[k] for k in full} == want


def test_a_step_is_stopped_at_its_cap_whatever_the_worker_writes():
    """The real sandbox, timed: the cell loops for 20 s writing `start 0` (its own step)
    on every descriptor; it is stopped at its 4 s cap (plus the worker's start)."""
    cap = 4.0
    source = CLOCK_WRITER.replace(f"+ {LOOP}", "+ 20").replace("STEP", "0")
    began = time.monotonic()
    result = run_job([Step("code", source=source)], Limits(cell_timeout=cap))
    seconds = time.monotonic() - began
    print(f"\n{result.steps[0].status} after {seconds:.1f} s: {result.steps[0].error}")
    assert result.steps[0].status == "timeout"
    assert seconds < cap + 8


# ------------------------------------------- the grader's answers, asked directly

def _question(key: str, name: str, args) -> tuple[bytes, bytes]:
    import io

    from autograder.grading import protocol

    arrays: dict = {}
    tree = protocol.encode({"key": key, "name": name, "args": args}, arrays)
    blob = io.BytesIO()
    protocol.save_arrays(blob, arrays)
    return json.dumps(tree).encode(), blob.getvalue()


def test_the_grader_answers_only_a_recorded_call_of_the_running_case():
    import numpy as np

    from autograder.grading import oracle

    z = np.arange(6.0).reshape(2, 3)
    answers = oracle.Answers()
    answers.add(3, "k0", {"softmax": [[(z,), z + 1.0]]})
    reply = answers.reply(3, *_question("k0", "softmax", [z.copy()]))
    assert reply.startswith(b"answer ")
    refused = [
        answers.reply(2, *_question("k0", "softmax", [z])),          # another step
        answers.reply(None, *_question("k0", "softmax", [z])),       # between steps
        answers.reply(3, *_question("k1", "softmax", [z])),          # another case
        answers.reply(3, *_question("k0", "tanh", [z])),             # another helper
        answers.reply(3, *_question("k0", "softmax", [z + 1e-6])),   # other arguments
        answers.reply(3, *_question("k0", "softmax", [z[:1]])),      # other shape
        answers.reply(3, *_question("k0", "softmax", "z")),          # not a list
        answers.reply(3, b'{"nd": "a0"}', b"PK\x03\x04junk"),        # not plain data
        answers.reply(3, b"[" * 100_000, b""),                       # too deep
        answers.reply(3, b"\xff", b""),                              # not UTF-8
    ]
    assert refused == [b"none\n"] * len(refused)


# The worker's module globals hold its channel to the grader.
FIND_CHANNEL = """
import gc, time
worker = next(o for o in gc.get_objects() if isinstance(o, dict) and "CHANNEL" in o
              and "run_calls" in o)
"""


def test_questions_beyond_the_caps_cost_only_their_step():
    """A cell that announces a 2 GB question is stopped at once (nothing is read); the
    next cell runs."""
    if not sandbox.capabilities().namespaces:
        pytest.skip("the full sandbox needs root and unshare")
    ask = FIND_CHANNEL + ('worker["CHANNEL"].send(b"ask 100 2000000000\\n")\n'
                          "time.sleep(30)\n")
    began = time.monotonic()
    result = run_job([Step("code", source=ask), Step("code", source="print('next')")],
                     Limits(cell_timeout=20))
    assert time.monotonic() - began < 15
    first, second = result.steps
    assert first.status == "crashed" and "beyond the grader's caps" in first.error
    assert second.status == "ok" and second.stdout == "next\n"
