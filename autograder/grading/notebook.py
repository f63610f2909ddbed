"""Grade one (already sanitized) notebook: student cells in the sandbox, verdicts here.

`build_job(nb)` turns the notebook into sandbox steps: every code cell that is not a test
cell runs as student code; every test cell becomes a "calls" step built from its parsed
check calls and the checks' trusted cases. `grade_notebook(nb)` runs the job, judges each
case in this (trusted) process with `CHECKS[name].judge`, and writes each test cell's
outputs (the report, and the score as the cell's result, which nbgrader's SaveAutoGrades
records). Nothing the sandbox returns is trusted beyond plain arrays and JSON.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import nbformat
import numpy as np

from autograder.grading import sandbox
from autograder.grading.protocol import encode
from autograder.grading.testcells import CheckCall, TestCellError, parse_test_cell

META = "rnn_grading"  # notebook metadata key written by the course's preprocessors


@dataclass
class Problem:
    """One test cell: its check calls, their cases, and (after grading) its result."""

    cell_index: int
    grade_id: str
    max_points: float
    calls: list = field(default_factory=list)   # CheckCall
    cases: list = field(default_factory=list)   # (CheckCall, Case, key)
    error: str | None = None                     # why it cannot be graded (scores 0)
    step: int | None = None
    score: float = 0.0
    report: str = ""
    status: str = ""


@dataclass
class Job:
    steps: list
    problems: list
    code_cells: dict  # step index -> cell index

    def key(self) -> str:
        """A hash of everything the sandbox is given: equal keys, equal runs."""
        digest = hashlib.sha256()
        for step in self.steps:
            digest.update(step.kind.encode() + b"\0"
                          + step.source.encode("utf-8", "surrogatepass") + b"\0")
            for call in step.calls:
                arrays: dict = {}
                tree = encode((call["args"], call["kwargs"], call.get("spec", {})), arrays)
                digest.update(json.dumps([call["key"], call["function"], tree]).encode())
                for name in sorted(arrays):
                    a = np.ascontiguousarray(arrays[name])
                    digest.update(f"{name}{a.dtype}{a.shape}".encode() + a.tobytes())
        return digest.hexdigest()


def is_test_cell(cell) -> bool:
    nbg = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(nbg.get("grade")) \
        and not nbg.get("solution")


def build_job(nb) -> Job:
    """Sandbox steps for a notebook whose test and locked cells nbgrader has restored."""
    from autograder.checks import CHECKS

    info = nb.metadata.get(META, {})
    submitted = info.get("submitted_grade_ids")
    rejected = info.get("rejected")
    steps, problems, code_cells = [], [], {}
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        if not is_test_cell(cell):
            if not rejected:
                code_cells[len(steps)] = index
                steps.append(sandbox.Step("code", source=cell.source))
            continue
        nbg = cell.metadata["nbgrader"]
        problem = Problem(index, nbg.get("grade_id", f"cell-{index}"),
                          float(nbg.get("points", 0) or 0))
        problems.append(problem)
        if rejected:
            problem.error = f"the submitted notebook could not be graded: {rejected}"
            continue
        if submitted is not None and problem.grade_id not in submitted:
            problem.error = ("this test cell was deleted from the submission; nbgrader added "
                             "it back, and a deleted test cell scores zero")
            continue
        try:
            problem.calls = parse_test_cell(cell.source)
            for call in problem.calls:
                if call.name not in CHECKS:
                    raise TestCellError(f"no check named {call.name!r}")
        except TestCellError as error:
            problem.error = f"test cell cannot be graded securely: {error}"
            continue
        calls = []
        for c, call in enumerate(problem.calls):
            for k, case in enumerate(CHECKS[call.name].cases(call.part)):
                key = f"p{len(problems) - 1}c{c}k{k}"
                problem.cases.append((call, case, key))
                calls.append({"key": key, "function": call.function,
                              "args": case.args, "kwargs": case.kwargs, "spec": case.spec()})
        problem.step = len(steps)
        steps.append(sandbox.Step("calls", calls=calls))
    return Job(steps, problems, code_cells)


def judge(problem: Problem, outcome: sandbox.StepOutcome | None) -> None:
    """Judge a problem's cases from the sandbox's plain outputs (trusted process)."""
    from autograder.checks import CHECKS, Raised, SubResult, report, to_plain

    if problem.error:
        problem.score, problem.status = 0.0, "not graded"
        problem.report = f"0 / {problem.max_points:g} points: {problem.error}"
        return
    results: dict[CheckCall, list] = {call: [] for call in problem.calls}
    for call, case, key in problem.cases:
        got = outcome.calls.get(key) if outcome else None
        if got is None:
            why = (outcome.error if outcome and outcome.error else "the function was not run")
            result = SubResult(case.check, 0.0, case.points, False, why)
        elif got.kind == "failed" and outcome.status in ("timeout", "crashed"):
            result = SubResult(case.check, 0.0, case.points, False,
                               "not judged: the function was stopped (see above)")
        elif got.kind == "failed":
            result = SubResult(case.check, 0.0, case.points, False, got.message)
        elif got.kind == "ok" and isinstance(got.value, dict) and "call_report" in got.value:
            result = CHECKS[call.name].judge_report(case, got.value["call_report"])
        else:
            output = Raised(*got.value) if got.kind == "raised" else got.value
            if got.kind == "ok":
                try:
                    output = to_plain(output)
                except TypeError as error:
                    output = Raised("TypeError", str(error))
            result = CHECKS[call.name].judge(case, output)
        results[call].append(result)
    earned = sum(r.points for rs in results.values() for r in rs)
    problem.score = round(min(earned, problem.max_points), 6)
    problem.status = outcome.status if outcome else "not run"
    parts = [report(call.name, call.part, rs) for call, rs in results.items()]
    if outcome and outcome.status in ("timeout", "crashed"):
        parts.insert(0, f"[secure grading] {outcome.error}")
    problem.report = "\n".join(parts)


def _stream(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def write_outputs(nb, job: Job, result: sandbox.JobResult | None) -> None:
    """Put the captured student output on code cells, report and score on test cells."""
    for step_index, cell_index in job.code_cells.items():
        cell = nb.cells[cell_index]
        cell.outputs = []
        outcome = result.steps[step_index] if result else None
        if outcome is None:
            continue
        text = outcome.stdout
        if outcome.status in ("timeout", "crashed", "not run"):
            text += f"\n[secure grading] {outcome.error}\n"
        if text:
            cell.outputs.append(_stream(text))
    for count, problem in enumerate(job.problems, start=1):
        cell = nb.cells[problem.cell_index]
        cell.execution_count = count
        cell.outputs = [_stream(problem.report + "\n"),
                        nbformat.v4.new_output("execute_result", execution_count=count,
                                               data={"text/plain": repr(problem.score)})]


def grade_notebook(nb, limits: sandbox.Limits | None = None, slot: int = 0,
                   hide: tuple = (), run=None, files: dict | None = None) -> dict:
    """Grade `nb` in place; returns the summary also stored in nb.metadata["rnn_grading"].

    `run(job)` may supply the sandbox result (e.g. one computed ahead in parallel); by
    default the job runs here.
    """
    job = build_job(nb)
    result = None
    if job.steps:
        limits = limits or sandbox.Limits()
        result = run(job) if run else sandbox.run_job(job.steps, limits, slot, hide,
                                                      files=files)
    for problem in job.problems:
        outcome = result.steps[problem.step] if result and problem.step is not None else None
        try:
            judge(problem, outcome)
        except Exception as error:  # costs this problem only, with the reason
            problem.error = f"could not be judged: {type(error).__name__}: {str(error)[:200]}"
            judge(problem, None)
    write_outputs(nb, job, result)
    from autograder.checks import seeds

    caps = sandbox.capabilities()
    summary = {
        "sandbox": caps.describe(),
        "hidden_seeds": "course secret" if seeds.secret() else "public (NO COURSE SECRET)",
        "seconds": round(result.seconds, 3) if result else 0.0,
        "problems": {p.grade_id: {"score": p.score, "max_points": p.max_points,
                                  "status": p.status, "error": p.error}
                     for p in job.problems},
        "cells": {str(job.code_cells[i]): {"status": o.status, "error": o.error}
                  for i, o in enumerate(result.steps) if i in job.code_cells
                  and o.status != "ok"} if result else {},
    }
    nb.metadata.setdefault(META, {})["result"] = summary
    return summary


def fail_notebook(nb, reason: str) -> dict:
    """Score every test cell of `nb` zero with `reason` (grading raised); the summary."""
    problems = {}
    count = 0
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        if not is_test_cell(cell):
            cell.outputs = []
            continue
        count += 1
        nbg = cell.metadata["nbgrader"]
        grade_id = str(nbg.get("grade_id", f"cell-{index}"))
        points = float(nbg.get("points", 0) or 0)
        cell.execution_count = count
        cell.outputs = [_stream(f"0 / {points:g} points: {reason}\n"),
                        nbformat.v4.new_output("execute_result", execution_count=count,
                                               data={"text/plain": "0.0"})]
        problems[grade_id] = {"score": 0.0, "max_points": points, "status": "error",
                              "error": reason}
    summary = {"sandbox": "", "seconds": 0.0, "problems": problems, "cells": {},
               "failed": reason}
    nb.metadata.setdefault(META, {})["result"] = summary
    return summary
