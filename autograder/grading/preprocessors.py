"""nbgrader plug-ins that make `nbgrader autograde` secure (wired in nbgrader_config.py).

- `SafeNotebookExporter` reads a submission; a notebook that is not valid JSON, not a
  valid nbformat 4 notebook, or carries nbgrader metadata of an unknown schema is replaced
  by the released notebook (so it scores zero) and the reason is recorded, instead of
  stopping the batch (nbgrader raises SchemaTooNewError for the whole run otherwise).
- `RestoreCells` (replaces OverwriteCells): restores every grade/solution/locked cell's
  nbgrader flags, points, type and (for locked cells) source from the gradebook, drops
  nbgrader metadata that names no cell of the assignment, records which grade cells the
  student actually submitted, and adds missing ones back.
- `SecureExecute` (replaces Execute): grades the notebook with `notebook.grade_notebook`
  (student code in the sandbox, verdicts here). With `workers > 1` it runs the sandboxes
  of the other submissions of the same command ahead of time, in parallel; a result is
  only used if the job it ran is identical to the one asked for (a hash of every cell and
  input), so parallelism never changes a grade.
- `CapNotebookOutput` bounds the output a graded notebook carries (total characters and
  number of cells with output), so the graded copy and the feedback stay small.
- `SanitizeHTML` makes every student-controlled markdown cell, raw cell and output inert
  in a browser (`htmlsafe`), for the formgrader (autograde) and the feedback page.

Every plug-in here turns an unexpected error on one submission into a zero for what could
not be graded, with the reason recorded, instead of failing the batch.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import nbformat
from nbconvert.exporters import NotebookExporter
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import (
    ClearOutput,
    DeduplicateIds,
    NbGraderPreprocessor,
    OverwriteCells,
)
from traitlets import Float, Integer, List, Unicode

from autograder.checks import seeds
from autograder.grading import htmlsafe, safecopy, sandbox
from autograder.grading import notebook as grading_notebook

META = grading_notebook.META
NO_SECRET = ("NO COURSE SECRET: the hidden cases are seeded from public code, so a student "
             "could precompute their answers. Set the environment variable "
             f"{seeds.ENV} or c.SecureExecute.course_secret (README, 'Grading safely').")
_warned_no_secret: list = []
# Called as listener(student, notebook, summary) after each graded notebook (progress bar).
progress_listeners: list = []


def read_submission(filename: str) -> tuple[nbformat.NotebookNode | None, str | None]:
    """(notebook, None) if readable and valid, else (None, reason)."""
    try:
        data = safecopy.read_regular(filename)  # never through a link, never a FIFO
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        htmlsafe.repair_text(nb)
        nbformat.validate(nb)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
        MetadataValidator().validate_nb(nb)
    except Exception as error:  # JSON, nbformat, schema: each only costs this submission
        return None, f"{type(error).__name__}: {str(error)[:500]}"
    return nb, None


def release_notebook(converter, assignment: str, notebook: str) -> nbformat.NotebookNode:
    coursedir = converter.coursedir
    path = os.path.join(coursedir.format_path(coursedir.release_directory, ".", assignment),
                        f"{notebook}.ipynb")
    return nbformat.read(path, as_version=4)


class SafeNotebookExporter(NotebookExporter):
    """A NotebookExporter that never lets one unreadable submission stop the batch."""

    def from_filename(self, filename, resources=None, **kw):
        nb, reason = read_submission(filename)
        if nb is None:
            info = (resources or {}).get("nbgrader", {})
            self.log.error("Submission %s cannot be read (%s): grading the released "
                           "notebook instead, which scores zero", filename, reason)
            nb = release_notebook(self.parent, info["assignment"], info["notebook"])
            nb.metadata[META] = {"rejected": reason}
        student = (resources or {}).get("nbgrader", {}).get("student")
        refused = getattr(self.parent, "rnn_refused", {}).get(student)
        if refused and not getattr(self.parent, "_sanitizing", True):  # autograde pass
            nb.metadata.setdefault(META, {})["refused_files"] = refused  # for the summary
        resources = self._init_resources(resources)
        return self.from_notebook_node(nb, resources=resources, **kw)


class RestoreCells(OverwriteCells):
    """OverwriteCells that also restores nbgrader flags and records submitted cells.

    A submission it cannot restore (any error) is replaced by the released notebook, which
    scores zero, with the reason recorded."""

    def preprocess(self, nb, resources):
        try:
            return self._restore(nb, resources)
        except Exception as error:
            info = resources["nbgrader"]
            reason = f"its cells could not be restored: {type(error).__name__}: " \
                     f"{str(error)[:300]}"
            self.log.error("Submission %s/%s: %s; grading the released notebook instead, "
                           "which scores zero", info.get("student"), info.get("notebook"),
                           reason)
            nb = release_notebook(self.parent, info["assignment"], info["notebook"])
            nb.metadata[META] = {"rejected": reason}
            return self._restore(nb, resources)

    def _restore(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"])
            known = {c.name: c for c in source.source_cells}
            grades = {c.name: c.max_score for c in source.grade_cells}
            solutions = {c.name for c in source.solution_cells}
        submitted = []
        for cell in nb.cells:
            nbg = cell.get("metadata", {}).get("nbgrader")
            if nbg is None:
                continue
            grade_id = nbg.get("grade_id") if isinstance(nbg, dict) else None
            if grade_id not in known:
                # Not a cell of this assignment: plain student content, no grading flags.
                del cell.metadata["nbgrader"]
                continue
            submitted.append(grade_id)
            original = known[grade_id]
            nbg.update(grade=grade_id in grades, solution=grade_id in solutions,
                       locked=bool(original.locked), schema_version=3, task=False)
            if grade_id in grades:
                nbg["points"] = float(grades[grade_id])
            else:
                nbg.pop("points", None)
            if original.cell_type != cell.cell_type:
                self.update_cell_type(cell, original.cell_type)
            if original.locked:
                cell.source = original.source
        # "rejected" is only meaningful from SafeNotebookExporter (a student setting it
        # only zeroes their own notebook); everything else here is recomputed.
        rejected = nb.metadata.get(META, {}).get("rejected")
        nb.metadata[META] = {"submitted_grade_ids": submitted}
        if rejected:
            nb.metadata[META]["rejected"] = str(rejected)
        return super().preprocess(nb, resources)


class SecureExecute(NbGraderPreprocessor):
    """Replaces nbgrader's Execute: sandboxed student code, trusted verdicts."""

    cell_timeout = Float(60.0, help="Wall-time cap for one code cell (s)").tag(config=True)
    problem_timeout = Float(60.0, help="Wall-time cap for one test cell (s)").tag(config=True)
    submission_timeout = Float(300.0, help="Wall-time cap for one notebook (s)").tag(
        config=True)
    memory_mb = Integer(2048, help="Address-space limit of the sandbox (MiB)").tag(config=True)
    processes = Integer(64, help="Process limit of the sandbox user").tag(config=True)
    workers = Integer(0, help="Parallel sandboxes (0: number of CPUs)").tag(config=True)
    hidden_paths = List(Unicode(), help="Extra paths the sandbox must not see").tag(
        config=True)
    course_secret = Unicode("", help="Secret that seeds the hidden cases (else the "
                            "environment variable RNN_COURSE_SECRET)").tag(config=True)

    def use_secret(self) -> bool:
        """Seed hidden cases from the course secret; warn loudly (once) without one."""
        seeds.set_secret(self.course_secret or None)
        if seeds.secret():
            return True
        if not _warned_no_secret:
            _warned_no_secret.append(True)
            self.log.warning(NO_SECRET)
        return False

    def limits(self) -> sandbox.Limits:
        return sandbox.Limits(memory_mb=self.memory_mb, processes=self.processes,
                              cell_timeout=self.cell_timeout,
                              problem_timeout=self.problem_timeout,
                              submission_timeout=self.submission_timeout)

    def _hide(self) -> tuple:
        paths = list(self.hidden_paths)
        converter = getattr(self.parent, "parent", None)
        coursedir = getattr(converter, "coursedir", None)
        if coursedir is not None:
            paths.append(coursedir.root)
            url = coursedir.db_url
            if url.startswith("sqlite:///"):
                paths.append(os.path.dirname(url[len("sqlite:///"):]) or ".")
        return tuple(paths)

    def files(self, assignment: str, student: str) -> dict:
        """Data files the notebook may open: the release's, then the student's own."""
        converter = getattr(self.parent, "parent", None)
        coursedir = getattr(converter, "coursedir", None)
        if coursedir is None or not assignment:
            return {}
        return sandbox.data_files(
            coursedir.format_path(coursedir.release_directory, ".", assignment),
            coursedir.format_path(coursedir.submitted_directory, student, assignment))

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        self.use_secret()
        hide = self._hide()
        pool = _Prefetcher.get(self, info)
        files = self.files(info.get("assignment"), info.get("student"))

        def run(job):
            if pool is not None:
                return pool.result(job, self.limits(), hide, files)
            return sandbox.run_job(job.steps, self.limits(), 0, hide, files=files)

        try:
            summary = grading_notebook.grade_notebook(nb, self.limits(), hide=hide, run=run)
        except Exception as error:  # one submission never stops the batch
            reason = f"grading failed: {type(error).__name__}: {str(error)[:300]}"
            self.log.error("%s/%s: %s (scored zero)", info.get("student"),
                           info.get("notebook"), reason)
            summary = grading_notebook.fail_notebook(nb, reason)
        for grade_id, problem in summary["problems"].items():
            if problem["status"] not in ("ok", "error") or problem["error"]:
                self.log.warning("%s/%s %s: %s", info.get("student"), info.get("notebook"),
                                 grade_id, problem["error"] or problem["status"])
        for listener in list(progress_listeners):
            listener(info.get("student", "?"), info.get("notebook", "?"), summary)
        return nb, resources


class _Prefetcher:
    """Runs the sandboxes of a whole `nbgrader autograde` command in parallel, ahead, in
    the order nbgrader will ask for them."""

    def __init__(self, workers: int):
        self.pool = ThreadPoolExecutor(max_workers=workers)
        self.futures: dict[str, list[Future]] = {}
        self.slots = list(range(workers))
        self.slot_lock = threading.Lock()

    @classmethod
    def get(cls, pp: SecureExecute, info: dict) -> _Prefetcher | None:
        workers = pp.workers or sandbox.cpus()
        converter = getattr(pp.parent, "parent", None)
        if workers <= 1 or converter is None or not hasattr(converter, "assignments"):
            return None
        prefetcher = getattr(converter, "_rnn_prefetcher", None)
        if prefetcher is None:
            prefetcher = converter._rnn_prefetcher = cls(workers)
            prefetcher.start(pp, converter, info)
        return prefetcher

    def _run(self, job, limits, hide, files):
        with self.slot_lock:
            slot = self.slots.pop()
        try:
            return sandbox.run_job(job.steps, limits, slot, hide, files=files)
        finally:
            with self.slot_lock:
                self.slots.append(slot)

    def start(self, pp: SecureExecute, converter, info: dict) -> None:
        """Sanitize each submission of this command (as nbgrader will) and queue it."""
        limits, hide = pp.limits(), pp._hide()
        sanitizers = [cls(parent=pp.parent) for cls in
                      (ClearOutput, DeduplicateIds, RestoreCells)]
        for folder in sorted(converter.assignments):
            student = os.path.basename(os.path.dirname(os.path.normpath(folder)))
            if student != info.get("student") and not getattr(converter, "force", True) \
                    and os.path.exists(converter._format_dest(info.get("assignment"), student)):
                continue  # nbgrader will skip it (already graded, no --force)
            for path in sorted(converter.assignments[folder]):
                notebook = os.path.splitext(os.path.basename(path))[0]
                try:
                    nb, reason = read_submission(path)
                    if nb is None:
                        continue
                    resources = {"nbgrader": {"student": student, "notebook": notebook,
                                              "assignment": info.get("assignment"),
                                              "db_url": info.get("db_url")}}
                    for sanitizer in sanitizers:
                        nb, resources = sanitizer.preprocess(nb, resources)
                    job = grading_notebook.build_job(nb)
                    key = job.key()
                    files = pp.files(info.get("assignment"), student)
                except Exception as error:  # prefetching is only a speed-up
                    pp.log.debug("not prefetching %s: %s", path, error)
                    continue
                if job.steps:
                    future = self.pool.submit(self._run, job, limits, hide, files)
                    self.futures.setdefault(key, []).append(future)

    def result(self, job, limits, hide, files):
        try:
            queued = self.futures.get(job.key())
        except Exception:  # a job that cannot be hashed was never queued
            queued = None
        future = queued.pop(0) if queued else self.pool.submit(self._run, job, limits, hide,
                                                               files)
        return future.result()


def _output_chars(output) -> int:
    """Characters an output puts in the graded notebook (text, data, traceback)."""
    size = 0
    for key in ("text", "data", "traceback", "evalue"):
        value = output.get(key)
        if isinstance(value, dict):
            size += sum(len(v) if isinstance(v, str) else len(str(v)) for v in value.values())
        elif isinstance(value, list):
            size += sum(len(str(v)) for v in value)
        elif value is not None:
            size += len(str(value))
    return size


class CapNotebookOutput(NbGraderPreprocessor):
    """Caps the output one graded notebook carries (and so its feedback page).

    Student code cells keep their output in order until `max_output_chars` characters in
    all or `max_output_cells` cells with output; past that, a cell's output is replaced
    by one line saying it was cut. Test cells (the score report) are never cut."""

    max_output_chars = Integer(1_000_000, help="Total output characters kept per "
                               "notebook").tag(config=True)
    max_output_cells = Integer(200, help="Code cells per notebook that keep their "
                               "output").tag(config=True)

    def preprocess(self, nb, resources):
        try:
            return self._cap(nb, resources)
        except Exception as error:  # never expected: keep no student output at all
            self.log.error("output cap failed (%s): dropping all student output", error)
            for cell in nb.cells:
                if cell.get("cell_type") == "code" and not grading_notebook.is_test_cell(cell):
                    cell.outputs = []
            return nb, resources

    def _cap(self, nb, resources):
        total, cells, cut = 0, 0, []
        for index, cell in enumerate(nb.cells):
            if cell.get("cell_type") != "code" or grading_notebook.is_test_cell(cell) \
                    or not cell.get("outputs"):
                continue
            cells += 1
            size = sum(_output_chars(o) for o in cell.outputs)
            if cells > self.max_output_cells or total + size > self.max_output_chars:
                room = self.max_output_chars - total if cells <= self.max_output_cells else 0
                kept = []
                for output in cell.outputs:
                    n = _output_chars(output)
                    if output.get("output_type") == "stream" and 0 < room:
                        output.text = str(output.get("text", ""))[:room]
                        n = len(output.text)
                    elif n > room:
                        break
                    kept.append(output)
                    room -= n
                    total += n
                why = (f"more than {self.max_output_cells} cells with output" if
                       cells > self.max_output_cells else
                       f"more than {self.max_output_chars} characters of output in all")
                kept.append(nbformat.v4.new_output(
                    "stream", name="stdout", text=f"\n[secure grading] output cut here: this "
                    f"notebook produced {why}; the rest is not kept\n"))
                cell.outputs = kept
                cut.append(index)
            else:
                total += size
        if cut:
            nb.metadata.setdefault(META, {})["output_cut"] = {
                "cells": cut[:50], "count": len(cut), "max_output_chars": self.max_output_chars,
                "max_output_cells": self.max_output_cells}
            info = resources.get("nbgrader", {})
            self.log.warning("%s/%s: output of %d cells cut (notebook output cap)",
                             info.get("student"), info.get("notebook"), len(cut))
        return nb, resources


class SanitizeHTML(NbGraderPreprocessor):
    """Makes student markdown, raw cells and outputs inert in a browser (`htmlsafe`).

    In `autograde` (after SaveAutoGrades, so grades are judged on what was submitted) and
    again in `generate_feedback`. Locked cells, whose source the gradebook restored, keep
    it. What was changed is recorded in the notebook metadata ("sanitized")."""

    def preprocess(self, nb, resources):
        try:
            report = htmlsafe.sanitize_notebook(nb)
        except Exception as error:  # never expected: fall back to text only
            report = {-1: f"{type(error).__name__}: {error}"}
            for cell in nb.cells:
                if cell.get("cell_type") == "code":
                    cell.outputs = [o for o in cell.get("outputs", [])
                                    if o.get("output_type") == "stream"]
                elif not (cell.get("metadata", {}).get("nbgrader") or {}).get("locked"):
                    cell.source = "[secure grading] not shown: this cell could not be sanitised"
                    cell.pop("attachments", None)
        if report:
            info = resources.get("nbgrader", {})
            self.log.warning("%s/%s: student HTML sanitised in %d cells", info.get("student"),
                             info.get("notebook"), len(report))
            nb.metadata.setdefault(META, {})["sanitized"] = {
                str(k): v for k, v in list(report.items())[:100]}
        return nb, resources
