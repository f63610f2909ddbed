"""Recorded helper values stay with the grader; the sandbox asks for them one call at a time.

A caller's case records what a correct helper returns on the arguments a correct caller
passes it (`autograder.checks.helpers`), so that a wrong helper never costs the caller
points. Those outputs are reference values (for a hidden case: hidden answers), so they
never enter the sandbox. `split_spec` takes the tables out of a call's spec (the sandbox
gets the helpers' names only); while the student's caller runs, each call of a helper
sends the grader its arguments ("ask"), and `Answers.reply` answers with the recorded
output only when they match a recorded call of that very case (the tight tolerance of the
in-process path, `calling.close`), else "none" (the student's own helper then runs). An
answer therefore tells the sandbox only what the correct helper returns on arguments its
code already holds, and only for the problem being graded.

Questions are untrusted bytes: each is bounded (`MAX_ASK_JSON`, `MAX_ASK_NPZ`) and read
with `protocol`'s validating reader; a step may ask at most `MAX_ASKS` times and
`MAX_STEP_ASK_BYTES` bytes in all (a correct caller asks a few hundred times).
"""

from __future__ import annotations

import io
import json

from autograder.checks import calling
from autograder.grading import protocol

MAX_ASK_JSON = 1 << 20        # one question's JSON
MAX_ASK_NPZ = 8 << 20         # one question's arrays
MAX_ASKS = 20_000             # questions per step
MAX_STEP_ASK_BYTES = 64 << 20  # bytes of questions per step


def split_spec(spec: dict) -> tuple[dict, dict]:
    """(the spec the sandbox gets: helper names only, {name: recorded table})."""
    tables = spec.get("helpers") or {}
    if not tables:
        return spec, {}
    return {**spec, "helpers": sorted(tables)}, dict(tables)


class Answers:
    """The recorded tables of one job: {step index: {call key: {name: table}}}."""

    def __init__(self) -> None:
        self.tables: dict[int, dict[str, dict]] = {}

    def add(self, step: int, key: str, tables: dict) -> None:
        if tables:
            self.tables.setdefault(step, {})[key] = tables

    def reply(self, step: int | None, raw_json: bytes, raw_npz: bytes) -> bytes:
        """The framed reply to one question asked while `step` runs."""
        found, output = self._lookup(step, raw_json, raw_npz)
        if not found:
            return b"none\n"
        arrays: dict = {}
        tree = json.dumps(protocol.encode(output, arrays)).encode()
        blob = io.BytesIO()
        protocol.save_arrays(blob, arrays)
        blob = blob.getvalue()
        return f"answer {len(tree)} {len(blob)}\n".encode() + tree + blob

    def _lookup(self, step, raw_json, raw_npz) -> tuple[bool, object]:
        cases = self.tables.get(step) if step is not None else None
        if not cases:
            return False, None
        try:
            budget = protocol.Budget(job=MAX_ASK_NPZ + MAX_ASK_JSON,
                                     step=MAX_ASK_NPZ + MAX_ASK_JSON)
            question = protocol.decode(json.loads(raw_json.decode("utf-8")),
                                       protocol.ArrayFile(raw_npz, limit=MAX_ASK_NPZ), budget)
        except (protocol.ProtocolError, ValueError, RecursionError):
            return False, None
        if not isinstance(question, dict) or not isinstance(question.get("args"), list):
            return False, None
        key, name, given = question.get("key"), question.get("name"), question["args"]
        table = (cases.get(key) or {}).get(name) if isinstance(key, str) and \
            isinstance(name, str) else None
        if not table:
            return False, None
        for recorded_args, recorded_output in table:
            try:
                match = calling.close(given, list(recorded_args))
            except Exception:  # an odd value from the sandbox matches nothing
                match = False
            if match:
                return True, recorded_output
        return False, None
