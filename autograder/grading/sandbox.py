"""Run one submission's code in a sandboxed process and collect its plain outputs.

`run_job(steps, limits, slot)` runs a list of `Step`s (notebook cells to execute, and
"calls" of the student's functions on trusted inputs) in ONE fresh worker process
(`_worker.py`), so a submission pays for one interpreter start, not one per problem.

Protection (as root with `unshare`): new network namespace (no network), mount namespace
(course, reference, solutions, gradebook, other submissions, /tmp and home directories
hidden behind empty tmpfs), PID namespace (the worker is PID 1: killing it kills
everything it started), an unprivileged uid/gid with no supplementary groups and
no_new_privs, and rlimits on address space, CPU time, file size, open files and
processes. Without root or `unshare` the job still runs in its own process group with the
rlimits, and `capabilities().missing` says what protection is absent (logged loudly).

Time caps: each cell and each problem (calls step) has a wall-time cap, and the whole
submission has one. A step that overruns, or kills its process (os._exit, segfault,
memory), is recorded as "timeout"/"crashed"; the worker is restarted, replays the code
cells before it, skips it, and carries on, so only that step is lost.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from autograder.grading import protocol

log = logging.getLogger("autograder.grading")

WORKER = Path(__file__).with_name("_worker.py")
SANDBOX_WORKDIR = "/tmp/submission"
STARTUP_SECONDS = 30.0  # interpreter + numpy + IPython start, generous under load


class SandboxError(RuntimeError):
    """The sandbox could not run at all (a problem of the grading machine, not of the
    submission): the submission is left ungraded rather than given a wrong score."""


@dataclass(frozen=True)
class Limits:
    """Resource caps for one submission's sandbox."""

    memory_mb: int = 2048
    file_size_mb: int = 64
    open_files: int = 256
    processes: int = 64
    cell_timeout: float = 60.0
    problem_timeout: float = 60.0
    submission_timeout: float = 300.0
    output_chars: int = 20_000


@dataclass
class Step:
    """A code cell (`kind="code"`, `source`) or a batch of calls (`kind="calls"`).

    A call is a dict with `key`, `function` (name in the student's namespace), and plain
    `args` (tuple) and `kwargs` (dict).
    """

    kind: str
    source: str = ""
    calls: list = field(default_factory=list)


@dataclass
class CallOutcome:
    """`kind` "ok" (value is plain data), "raised" (value = (type, message)),
    or "failed" (no value; `message` says why: timeout, crash, invalid output)."""

    kind: str
    value: object = None
    message: str = ""


@dataclass
class StepOutcome:
    status: str  # "ok" | "error" | "timeout" | "crashed" | "not run"
    stdout: str = ""
    error: str | None = None
    calls: dict = field(default_factory=dict)  # key -> CallOutcome


@dataclass
class JobResult:
    steps: list
    log: str = ""
    seconds: float = 0.0
    mode: str = ""


@dataclass(frozen=True)
class Capabilities:
    namespaces: bool
    drop_privileges: bool
    missing: tuple

    @property
    def mode(self) -> str:
        return "namespaces" if self.namespaces else "process"

    def describe(self) -> str:
        if not self.missing:
            return ("sandbox: own network/mount/PID namespaces, unprivileged uid, rlimits, "
                    "wall-time caps")
        return ("sandbox DEGRADED, missing: " + "; ".join(self.missing)
                + ". Still isolated by process, rlimits and wall-time caps.")


@cache
def capabilities(mode: str | None = None) -> Capabilities:
    """What this machine allows. `mode="process"` (or RNN_GRADING_SANDBOX=process) forces
    the degraded process-only sandbox (for tests of that path)."""
    mode = mode or os.environ.get("RNN_GRADING_SANDBOX", "auto")
    root = os.geteuid() == 0
    unshare = shutil.which("unshare")
    namespaces = False
    if mode != "process" and root and unshare:
        try:
            namespaces = subprocess.run(
                [unshare, "--net", "--mount", "--pid", "--fork", "--kill-child",
                 "--mount-proc", "true"], capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            namespaces = False
    missing = []
    if not namespaces:
        why = ("forced by RNN_GRADING_SANDBOX=process" if mode == "process"
               else "needs root and a working `unshare`")
        missing += [f"network isolation ({why})",
                    "hiding the reference, solutions, gradebook and other submissions",
                    "PID namespace (processes that escape the process group survive)"]
    drop = root and mode != "process"
    if not drop:
        missing.append("unprivileged uid (code runs as the grading user)")
    caps = Capabilities(namespaces, drop, tuple(missing))
    if missing:
        log.warning("SECURE GRADING IS DEGRADED on this machine: %s", caps.describe())
    return caps


def cpus() -> int:
    """CPUs this process may use (not the host's count inside a container)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def sandbox_uid(slot: int) -> int:
    """A uid (and gid) used by nobody else: distinct per grading process and slot, so the
    per-uid process limit and file permissions separate concurrent sandboxes."""
    return 100_000 + (os.getpid() % 100_000) * 16 + slot % 16


def hidden_paths(extra: tuple = ()) -> list[str]:
    """Paths the sandbox must not see (covered by empty tmpfs)."""
    import autograder

    package_root = Path(autograder.__file__).resolve().parents[1]
    paths = {str(package_root), "/tmp", "/var/tmp", "/dev/shm", "/root", "/home",
             "/run/postgresql", "/var/run/postgresql", "/run/user"}
    paths.update(str(Path(p).resolve()) for p in extra)
    return sorted(p for p in paths if os.path.exists(p))


def exposed_paths() -> list[str]:
    """The Python installation the worker needs, re-exposed read-only."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(str(Path(p).resolve()) for p in list(paths))
    return sorted(p for p in paths if os.path.isdir(p))


def data_files(*folders: Path, limit: int = 256 << 20) -> dict[str, Path]:
    """Regular files (not notebooks, not symlinks) under `folders`, by relative path: the
    assignment's data files, which the notebook may open from its working directory."""
    out: dict[str, Path] = {}
    total = 0
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            info = path.lstat()
            # rglob does not enter symlinked folders; lstat refuses symlinked files.
            if not stat.S_ISREG(info.st_mode) or path.suffix == ".ipynb":
                continue
            total += info.st_size
            if total > limit:
                break
            out[str(path.relative_to(folder))] = path
    return out


def run_job(steps: list[Step], limits: Limits = Limits(), slot: int = 0,
            hide: tuple = (), caps: Capabilities | None = None,
            files: dict[str, Path] | None = None) -> JobResult:
    """Run `steps` in a sandbox; never raises for anything the student's code does.
    `files` (relative path -> file) are copied into the sandbox's working directory."""
    caps = caps or capabilities()
    start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="rnn-sandbox-"))
    try:
        for rel, source in (files or {}).items():
            dest = tmp / "work" / rel
            if ".." in Path(rel).parts or Path(rel).is_absolute():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest, follow_symlinks=False)
        return _run(steps, limits, slot, hide, caps, tmp, start)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(steps, limits, slot, hide, caps, tmp, start) -> JobResult:
    jobdir, workdir = tmp / "job", tmp / "work"
    jobdir.mkdir()
    workdir.mkdir(exist_ok=True)
    (workdir / "results").mkdir()
    uid = sandbox_uid(slot)
    if caps.drop_privileges:
        for path in [workdir, *workdir.rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)
            path.chmod(0o700 if path.is_dir() else 0o600)
        tmp.chmod(0o711)
    arrays: dict[str, np.ndarray] = {}
    wire_steps = []
    for step in steps:
        if step.kind == "code":
            wire_steps.append({"kind": "code", "source": step.source})
        else:
            wire_steps.append({"kind": "calls", "calls": [
                {"key": c["key"], "function": c["function"],
                 "args": protocol.encode(tuple(c.get("args", ())), arrays),
                 "kwargs": protocol.encode(dict(c.get("kwargs", {})), arrays),
                 **({"spec": protocol.encode(dict(c["spec"]), arrays)} if "spec" in c else {})}
                for c in step.calls]})
    protocol.save_arrays(jobdir / "inputs.npz", arrays)
    cpu = int(limits.submission_timeout) + 5
    job = {
        "steps": wire_steps,
        "output_chars": limits.output_chars,
        "sandbox": {
            "namespace": caps.namespaces,
            "drop_privileges": caps.drop_privileges,
            "uid": uid, "gid": uid,
            "hide": hidden_paths(hide) if caps.namespaces else [],
            "hide_late": [str(Path(__file__).resolve().parents[1])] if caps.namespaces else [],
            "expose": exposed_paths(),
            "host_workdir": str(workdir),
            "workdir": SANDBOX_WORKDIR if caps.namespaces else str(workdir),
            "limits": {"memory_bytes": limits.memory_mb << 20, "cpu_seconds": cpu,
                       "file_size_bytes": limits.file_size_mb << 20,
                       "open_files": limits.open_files, "processes": limits.processes},
        },
    }
    (jobdir / "job.json").write_text(json.dumps(job), encoding="utf-8")
    outcomes: dict[int, StepOutcome] = {}
    logs = []
    deadline = start + limits.submission_timeout
    failed_at: set[int] = set()
    while True:
        todo = [i for i in range(len(steps)) if i not in outcomes]
        if not todo:
            break
        first = todo[0]
        replay = [i for i in range(first) if steps[i].kind == "code" and i not in failed_at]
        plan = replay + todo
        if time.monotonic() >= deadline:
            for i in todo:
                outcomes[i] = StepOutcome("not run", error="the submission's time cap "
                                          f"({limits.submission_timeout:g} s) was reached")
            break
        done, current, reason, text = _attempt(jobdir, workdir, plan, steps, limits, caps,
                                               deadline)
        logs.append(text)
        for i in done:
            if i not in outcomes:
                outcomes[i] = _read_step(workdir, i)
        if current is None:
            if not done and not all(i in outcomes for i in todo):
                # No student code ran yet: the sandbox itself is broken. That is the
                # grader's problem, never a zero for the student.
                raise SandboxError(f"the sandbox failed to start: {reason}")
            for i in todo:
                outcomes.setdefault(i, StepOutcome("crashed", error=reason))
            continue
        failed_at.add(current)
        status = "timeout" if reason.startswith("timeout") else "crashed"
        if current in outcomes:  # died while replaying an earlier cell: keep its record
            outcomes[current].error = (outcomes[current].error or "") + f" (on replay: {reason})"
            continue
        outcome = StepOutcome(status, error=reason)
        if steps[current].kind == "calls":
            for call in steps[current].calls:
                outcome.calls[call["key"]] = CallOutcome("failed", message=reason)
        outcomes[current] = outcome
    return JobResult([outcomes[i] for i in range(len(steps))], log="".join(logs)[-20_000:],
                     seconds=time.monotonic() - start, mode=caps.mode)


def _command(caps: Capabilities, jobdir: Path, fd: int) -> list[str]:
    worker = [sys.executable, "-I", "-B", str(WORKER), str(jobdir), str(fd)]
    if caps.namespaces:
        return ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child",
                "--mount-proc", "--propagation", "private", *worker]
    return worker


def _environment(caps: Capabilities, workdir: Path) -> dict:
    home = SANDBOX_WORKDIR if caps.namespaces else str(workdir)
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
            "TMPDIR": "/tmp" if caps.namespaces else home,
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/.config/matplotlib",
            "IPYTHONDIR": f"{home}/.ipython", "XDG_CACHE_HOME": f"{home}/.cache",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _attempt(jobdir, workdir, plan, steps, limits, caps, deadline):
    """One worker process over `plan`. Returns (done, current, reason, log text):
    `current` is the step it was in when it overran or died (None if it finished)."""
    (jobdir / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        _command(caps, jobdir, write_fd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, pass_fds=(write_fd,), start_new_session=True,
        env=_environment(caps, workdir), cwd="/")
    os.close(write_fd)
    sel = selectors.DefaultSelector()
    sel.register(read_fd, selectors.EVENT_READ, "progress")
    sel.register(proc.stdout, selectors.EVENT_READ, "output")
    done, current, reason, finished = [], None, "", False
    buffer, text, dropped = b"", [], 0
    step_deadline = time.monotonic() + STARTUP_SECONDS
    open_streams = 2
    try:
        while open_streams:
            now = time.monotonic()
            limit = min(step_deadline, deadline)
            if now >= limit:
                what = ("the submission's time cap" if deadline <= step_deadline
                        else "its time cap")
                cap = (limits.submission_timeout if deadline <= step_deadline else
                       _step_cap(steps, current, limits))
                reason = f"timeout: stopped after {cap:g} s ({what})"
                if current is None:
                    reason = "timeout: the sandbox did not start in time"
                break
            for key, _ in sel.select(limit - now):
                fd = key.fd if key.data == "progress" else proc.stdout.fileno()
                data = os.read(fd, 1 << 16)
                if not data:
                    sel.unregister(key.fileobj)
                    open_streams -= 1
                    continue
                if key.data == "output":
                    room = 20_000 - sum(map(len, text))
                    text.append(data[:max(room, 0)].decode("utf-8", "replace"))
                    dropped += max(0, len(data) - max(room, 0))
                    continue
                buffer += data
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    word, _, arg = line.decode("ascii", "replace").partition(" ")
                    if word == "start" and arg.isdigit() and int(arg) < len(steps):
                        current = int(arg)
                        step_deadline = time.monotonic() + _step_cap(steps, current, limits)
                    elif word == "done" and arg.isdigit() and int(arg) == current:
                        done.append(current)
                        current = None
                        step_deadline = time.monotonic() + STARTUP_SECONDS
                    elif word == "end":
                        finished = True
    finally:
        _kill(proc, caps)
        if caps.drop_privileges:
            _kill_uid(json.loads((jobdir / "job.json").read_text())["sandbox"]["uid"])
        sel.close()
        os.close(read_fd)
        proc.stdout.close()
    code = proc.wait()
    if finished and current is None:
        return done, None, "", "".join(text)
    if not reason:
        how = (f"killed by signal {signal.Signals(-code).name}" if code < 0 and
               -code in signal.valid_signals() else f"exit status {code}")
        reason = f"the sandboxed process died ({how})"
        if current is None and not done:
            reason += ": " + "".join(text)[-2000:]
    if dropped:
        text.append(f"\n[... {dropped} bytes of output dropped]\n")
    return done, current, reason, "".join(text)


def _step_cap(steps, index, limits) -> float:
    if index is None:
        return STARTUP_SECONDS
    return limits.cell_timeout if steps[index].kind == "code" else limits.problem_timeout


def _kill(proc: subprocess.Popen, caps: Capabilities) -> None:
    """Kill the worker and everything it started."""
    if proc.poll() is None or not caps.namespaces:
        for pid in _descendants(proc.pid):
            _signal(pid)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        log.error("sandbox process %s did not die after SIGKILL", proc.pid)


def _kill_uid(uid: int, wait: float = 5.0) -> None:
    """SIGKILL every process of the sandbox's own uid until none is left (nothing else
    runs as that uid; the PID namespace normally has done this already)."""
    end = time.monotonic() + wait
    while True:
        left = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        with open(f"/proc/{entry}/stat", "rb") as f:
                            state = f.read().rsplit(b")", 1)[1].split()[0]
                        if state not in (b"Z", b"X"):
                            left.append(int(entry))
                except (OSError, IndexError):
                    continue
        if not left or time.monotonic() > end:
            break
        for pid in left:
            _signal(pid)
        time.sleep(0.02)
    if left:
        log.error("processes of sandbox uid %s survived SIGKILL: %s", uid, left)


def _signal(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat_line = f.read().decode("ascii", "replace")
            ppid = int(stat_line.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            out.append(child)
            todo.append(child)
    return out


def _read_untrusted(dir_fd: int, name: str, limit: int) -> bytes | None:
    """Read a file the sandbox wrote, refusing symlinks and anything but a regular file."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            raise protocol.ProtocolError(f"{name} is not a regular file of at most "
                                         f"{limit} bytes")
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read(limit + 1)
    finally:
        os.close(fd)


def _read_step(workdir: Path, index: int) -> StepOutcome:
    """Decode a finished step's result, validating everything the sandbox wrote."""
    try:
        dir_fd = os.open(workdir / "results", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return StepOutcome("crashed", error="the sandbox removed its results directory")
    try:
        raw = _read_untrusted(dir_fd, f"step_{index}.json", protocol.MAX_JSON_BYTES)
        if raw is None:
            return StepOutcome("crashed", error="the step finished but wrote no result")
        record = json.loads(raw.decode("utf-8"))
        if not isinstance(record, dict):
            raise protocol.ProtocolError("result is not an object")
        blob = _read_untrusted(dir_fd, f"step_{index}.npz", protocol.MAX_ARRAY_BYTES)
        arrays = protocol.load_arrays(blob) if blob else {}
    except (protocol.ProtocolError, UnicodeDecodeError, json.JSONDecodeError,
            RecursionError) as error:
        return StepOutcome("crashed", error=f"invalid result written by the sandbox: {error}")
    finally:
        os.close(dir_fd)
    stdout = record.get("stdout")
    error = record.get("error")
    outcome = StepOutcome(
        "error" if record.get("status") == "error" else "ok",
        stdout=stdout[:200_000] if isinstance(stdout, str) else "",
        error=error[:5000] if isinstance(error, str) else None)
    calls = record.get("calls")
    if isinstance(calls, dict):
        for key, entry in calls.items():
            outcome.calls[str(key)] = _decode_call(entry, arrays)
    return outcome


def _decode_call(entry: object, arrays: dict) -> CallOutcome:
    if not isinstance(entry, dict) or len(entry) != 1:
        return CallOutcome("failed", message="invalid result written by the sandbox")
    (kind, value), = entry.items()
    if kind == "ok":
        try:
            return CallOutcome("ok", protocol.decode(value, arrays))
        except protocol.ProtocolError as error:
            return CallOutcome("failed", message=f"the output is not plain data: {error}")
    if kind == "raised" and isinstance(value, list) and len(value) == 2 \
            and all(isinstance(v, str) for v in value):
        return CallOutcome("raised", (value[0][:200], value[1][:2000]))
    if kind == "unplain" and isinstance(value, str):
        return CallOutcome("failed", message=f"the function returned something that is not "
                           f"plain data: {value[:2000]}")
    return CallOutcome("failed", message="invalid result written by the sandbox")
