"""Bound what rendering a student's markdown may cost (grading, feedback, formgrader).

nbconvert's markdown renderer (mistune with nbconvert's math rules) takes time that grows
faster than the square of the text for some inputs: 180 KB of `\\begin{a}` takes minutes,
in `autograde`, in `generate_feedback` and then again in the Jupyter server's one thread
when the formgrader shows the page; MathJax then scans the same text in the browser. So:

- `precheck(text)` refuses text over `MAX_CHARS` characters (base64 payloads of `data:`
  images aside), with more than
  `MAX_ENVIRONMENTS` `\\begin`s or braces nested deeper than `MAX_BRACE_DEPTH` (what
  MathJax would have to match); honest written answers are far below each cap;
- `Renderer.render` renders one cell in a separate worker process (started on first need,
  reused) under a CPU-time cap per cell that the kernel enforces (RLIMIT_CPU: an overrun
  ends the worker, and the next cell starts a new one) and a CPU budget per notebook;
  short text (`IN_PROCESS_CHARS`) renders in this process. CPU time, not wall time, so
  that a loaded machine does not cut an honest cell.

The sanitiser turns a refused or overrun cell into a visible note followed by the start
of its text, as inert text that MathJax skips (`htmlsafe`).
"""

from __future__ import annotations

import atexit
import json
import math
import re
import resource
import select
import subprocess
import sys
import threading
import time

MAX_CHARS = 20_000       # characters, not counting base64 payloads of data: URLs
MAX_TOTAL_CHARS = 5_000_000  # characters, with them
MAX_ENVIRONMENTS = 200
MAX_BRACE_DEPTH = 100
IN_PROCESS_CHARS = 200
# Times are CPU seconds of the render, so that a loaded machine does not cut honest text.
CELL_SECONDS = 2          # enforced by the kernel in the worker (RLIMIT_CPU, whole seconds)
NOTEBOOK_SECONDS = 10.0
# A cell that rendered but took longer than this is shown as its rendered HTML (one HTML
# block, cheap to render again) rather than as markdown the formgrader would re-render.
SLOW_SECONDS = 0.2
KEPT_SECONDS = 2.0  # all of a notebook's cells kept as markdown, rendered again per view
START_SECONDS = 120.0  # wall time for the worker to start, and for one answer
MATHJAX_SKIP = "tex2jax_ignore"  # the class the course's MathJax configuration ignores
_DATA_PAYLOAD = re.compile(r"(?<=;base64,)[A-Za-z0-9+/=\s]{64,}")


class Cut(Exception):
    """Rendering this text was refused or stopped; the message says why."""


def precheck(text: str, max_chars: int = MAX_CHARS) -> str | None:
    """Why `text` is too costly to render (None if it is within every cap)."""
    size = len(_DATA_PAYLOAD.sub("", text)) if len(text) > max_chars else len(text)
    if size > max_chars or len(text) > MAX_TOTAL_CHARS:
        return f"{size:,} characters (at most {max_chars:,} are rendered)"
    environments = text.count("\\begin")
    if environments > MAX_ENVIRONMENTS:
        return f"{environments} \\begin (at most {MAX_ENVIRONMENTS} are rendered)"
    depth = deepest = 0
    for char in text:
        if char == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "}":
            depth = max(0, depth - 1)
    if deepest > MAX_BRACE_DEPTH:
        return f"braces nested {deepest} deep (at most {MAX_BRACE_DEPTH})"
    return None


class _Worker:
    """One `python -m autograder.grading.rendercap` process, JSON lines on its pipes."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.grading.rendercap"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
        # Its start-up (imports) is not part of any cell's time.
        ready, _, _ = select.select([self.proc.stdout], [], [], START_SECONDS)
        if not ready or self.proc.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError("the render worker did not start")

    def ask(self, source: str, attachments: dict | None, cpu_seconds: int
            ) -> tuple[str, float]:
        """(HTML, CPU seconds); TimeoutError if the worker used up `cpu_seconds`."""
        self.proc.stdin.write(json.dumps({"source": source, "attachments": attachments,
                                          "cpu": cpu_seconds}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], START_SECONDS)
        line = self.proc.stdout.readline() if ready else ""
        if not line:  # killed by its CPU limit (SIGXCPU), or hung
            raise TimeoutError
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer["html"], answer["cpu"]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


_worker: _Worker | None = None
_lock = threading.Lock()


def _close_worker() -> None:
    global _worker
    if _worker is not None:
        _worker.close()
        _worker = None


atexit.register(_close_worker)


def _in_worker(source: str, attachments: dict | None, cpu_seconds: int
               ) -> tuple[str, float]:
    global _worker
    with _lock:
        if _worker is None or _worker.proc.poll() is not None:
            _worker = _Worker()
        try:
            return _worker.ask(source, attachments, cpu_seconds)
        except (TimeoutError, OSError, ValueError):
            _close_worker()  # overrun or broken: the next cell gets a fresh worker
            raise


def shown_html(source: str, attachments: dict | None = None) -> str:
    """What the formgrader and feedback templates show for a markdown cell."""
    from autograder.grading.htmlsafe import as_shown, render_markdown

    return as_shown(render_markdown(source, attachments))


class Renderer:
    """Renders one notebook's student markdown within the caps (one per notebook)."""

    def __init__(self, cell_seconds: int = CELL_SECONDS,
                 notebook_seconds: float = NOTEBOOK_SECONDS,
                 kept_seconds: float = KEPT_SECONDS):
        self.cell_seconds = cell_seconds
        self.left = notebook_seconds
        self.kept_left = kept_seconds

    def render(self, source: str, attachments: dict | None = None,
               max_chars: int = MAX_CHARS) -> tuple[str, float]:
        """(the HTML the page shows, CPU seconds it took); raises Cut if over a cap or out
        of time, another exception if the renderer failed."""
        reason = precheck(source, max_chars)
        if reason:
            raise Cut(reason)
        if self.left <= 0:
            raise Cut("the notebook's rendering time is used up")
        if len(source) <= IN_PROCESS_CHARS:
            start = time.thread_time()
            html = shown_html(source, attachments)
            seconds = time.thread_time() - start
        else:
            limit = max(1, min(self.cell_seconds, math.ceil(self.left)))
            try:
                html, seconds = _in_worker(source, attachments, limit)
            except TimeoutError:
                self.left -= limit
                raise Cut(f"rendering took more than {limit} s") from None
        self.left -= seconds
        return html, seconds

    def keep(self, seconds: float) -> bool:
        """Whether a cell that rendered in `seconds` may stay markdown, which the pages
        render again on every view (else it becomes HTML, cheap to render again)."""
        if seconds > SLOW_SECONDS or seconds > self.kept_left:
            return False
        self.kept_left -= seconds
        return True


def _serve() -> None:
    """The worker's loop: one JSON request per line in, one JSON answer per line out.
    Before each render its CPU limit is set to what it used plus the request's seconds:
    the kernel ends it (SIGXCPU) if a render runs over."""
    shown_html("warm $x$ up")
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            used = resource.getrusage(resource.RUSAGE_SELF)
            used = used.ru_utime + used.ru_stime
            _, hard = resource.getrlimit(resource.RLIMIT_CPU)
            soft = math.ceil(used) + int(request.get("cpu", CELL_SECONDS))
            resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY
                                                     else min(soft, hard), hard))
            start = time.process_time()
            html = shown_html(request["source"], request.get("attachments"))
            answer = {"html": html, "cpu": time.process_time() - start}
        except Exception as error:  # reported to the caller, never fatal to the worker
            answer = {"error": f"{type(error).__name__}: {str(error)[:200]}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
