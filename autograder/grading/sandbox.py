"""Run one submission's code in a sandboxed process and collect its plain outputs.

`run_job(steps, limits, slot)` runs a list of `Step`s (notebook cells to execute, and
"calls" of the student's functions on trusted inputs) in ONE fresh worker process
(`_worker.py`), so a submission pays for one interpreter start, not one per problem.

Protection (as root with `unshare`): new network, mount, PID, IPC and UTS namespaces; a
new root built from an allow-list (`view.py`: the interpreter, the standard library, the
system's shared libraries and the packages a student may use, read-only; a private
size-capped /tmp holding the work folder; minimal /dev and /etc; /proc of the new PID
namespace; nothing else of the host); a uid leased to this job alone (`caps.UidLease`), no
groups, no_new_privs; a system-call allow-list (`syscalls.py`, seccomp); per-process
rlimits; and caps for the whole sandbox (`caps.py`): cgroups
(memory, processes, one CPU's worth of time with an equal share) where the machine allows,
otherwise a supervisor that sums the memory and CPU time of all the sandbox's processes.
`capabilities().describe()` says which protection and which caps are in force; anything
missing is logged loudly. Without root or `unshare` the job still runs in its own process
group with the rlimits, the system-call allow-list and the supervisor.

Time caps: each cell and each problem (calls step) has a wall-time cap, and the whole
submission has one. A step that overruns, or kills its process (os._exit, segfault,
memory), is recorded as "timeout"/"crashed"; the worker is restarted, replays the code
cells before it, skips it, and carries on, so only that step is lost. Results come back
over a pipe while the step's caps run, bounded in bytes (`protocol`), and only the calls
the grader asked for are decoded.

Who starts a step: this process. It sends the worker one step at a time ("run i" on a
pipe the worker reads) and starts that step's clock when it sends; nothing the worker
writes back can start a step or restart a clock (a forged "done" can only end the current
step early, handing the next step's own clock to whatever is still running). Recorded
helper values stay here too (`oracle`): the worker asks for them call by call and this
process answers on the same pipe.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from autograder.grading import oracle, protocol
from autograder.grading.caps import (  # noqa: F401  (re-exported)
    CGROUP_CONTROLLERS,
    UID_BASE,
    UID_RANGE,
    Cgroups,
    UidLease,
    cgroup_parent,
    cgroup_problem,
    cpus,
    descendants,
    kill_uid,
    session,
    signal_pid,
    uid_pids,
)
from autograder.grading.view import STUDENT_PACKAGES, view  # noqa: F401  (re-exported)

log = logging.getLogger("autograder.grading")

WORKER = Path(__file__).with_name("_worker.py")
SYSCALLS = Path(__file__).with_name("syscalls.py")
SANDBOX_WORKDIR = "/tmp/submission"
STARTUP_SECONDS = 30.0  # interpreter + numpy + IPython start, generous under load
NAMESPACES = ["--net", "--mount", "--pid", "--ipc", "--uts"]
POLL_SECONDS = 0.25  # the supervisor's sampling period
MAX_OUTBOX = 64 << 20  # bytes of answers the worker may leave unread


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
    disk_mb: int = 256      # the private /tmp (work folder included), all files together
    shm_mb: int = 64        # the private /dev/shm


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
    cgroups: bool = False
    cgroup_problem: str = ""
    seccomp: bool = False

    @property
    def mode(self) -> str:
        return "namespaces" if self.namespaces else "process"

    @property
    def caps_mode(self) -> str:
        return "cgroups" if self.cgroups else "supervisor"

    def describe(self) -> str:
        caps = ("per-sandbox caps by cgroup v1 (memory, processes, CPU share and quota)"
                if self.cgroups else "per-sandbox caps by a supervisor that sums memory "
                f"and CPU time over the sandbox's processes ({self.cgroup_problem})")
        if not self.missing:
            return ("sandbox: own network/mount/PID/IPC/UTS namespaces, allow-listed root "
                    f"view, size-capped private /tmp, leased unprivileged uid, system-call "
                    f"allow-list (seccomp), rlimits, {caps}, wall-time caps")
        held = "system-call allow-list (seccomp), " if self.seccomp else ""
        return ("sandbox DEGRADED, missing: " + "; ".join(self.missing)
                + f". Still isolated by process, {held}rlimits, {caps} and wall-time caps.")


@cache
def capabilities(mode: str | None = None) -> Capabilities:
    """What this machine allows. `mode="process"` (or RNN_GRADING_SANDBOX=process) forces
    the degraded process-only sandbox; RNN_GRADING_CGROUPS=off forces the supervisor
    instead of cgroups (both for tests of those paths)."""
    mode = mode or os.environ.get("RNN_GRADING_SANDBOX", "auto")
    root = os.geteuid() == 0
    unshare = shutil.which("unshare")
    namespaces = False
    if mode != "process" and root and unshare:
        try:
            namespaces = subprocess.run(
                [unshare, *NAMESPACES, "--fork", "--kill-child", "--mount-proc", "true"],
                capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            namespaces = False
    missing = []
    if not namespaces:
        why = ("forced by RNN_GRADING_SANDBOX=process" if mode == "process"
               else "needs root and a working `unshare`")
        missing += [f"network isolation ({why})",
                    "the allow-listed view (the whole file system is visible)",
                    "PID and IPC namespaces (processes that escape the process group and "
                    "SysV IPC objects survive)",
                    "size-capped private /tmp (the disk cap is checked by polling)"]
    drop = root and mode != "process"
    if not drop:
        missing.append("unprivileged uid (code runs as the grading user)")
    filter_problem = seccomp_problem()
    if filter_problem:
        missing.append("system-call allow-list (seccomp: every system call is open, keyring, "
                       f"namespace, ptrace and bpf calls included): {filter_problem}")
    problem = cgroup_problem() if mode != "process" else "forced by RNN_GRADING_SANDBOX"
    caps = Capabilities(namespaces, drop, tuple(missing), problem is None, problem or "",
                        not filter_problem)
    if missing:
        log.warning("SECURE GRADING IS DEGRADED on this machine: %s", caps.describe())
    elif not caps.cgroups:
        log.warning("SECURE GRADING: no cgroups (%s); per-sandbox caps are enforced by "
                    "polling, which is coarser", problem)
    return caps


@cache
def seccomp_problem() -> str | None:
    """None if the system-call allow-list can be installed here (tried in a child process
    that then checks that a blocked call fails), else why not. RNN_GRADING_SECCOMP=off
    forces it off (for tests of that path)."""
    if os.environ.get("RNN_GRADING_SECCOMP", "auto") == "off":
        return "forced off by RNN_GRADING_SECCOMP=off"
    try:
        proc = subprocess.run([sys.executable, "-I", "-B", str(SYSCALLS)], capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"the probe did not run: {error}"
    if proc.returncode != 0:
        why = (proc.stdout + proc.stderr).strip().splitlines()
        return why[-1][:300] if why else f"the probe failed (exit status {proc.returncode})"
    return None


# ------------------------------------------------------------------------ data files

def data_files(*folders: Path, limit: int = 256 << 20, max_files: int = 2000,
               max_depth: int = 8) -> dict[str, Path]:
    """The assignment's data files under `folders`, by relative path, which the notebook
    may open from its working directory: `safecopy`'s rule (regular files with one link,
    of an allowed data type; no links, FIFOs or devices). Bounded in bytes, files and
    depth (a submitted folder may be hostile)."""
    from autograder.grading import safecopy

    out: dict[str, Path] = {}
    for folder in folders:
        left = limit - sum(p.stat().st_size for p in out.values())
        listing = safecopy.safe_files(Path(folder), max_depth=max_depth,
                                      max_files=max_files - len(out), limit=max(left, 0))
        out.update(listing.files)
    return out


def remove_tree(path: Path) -> None:
    """Delete a folder the sandbox may have filled (any depth, any names): every
    sub-folder is first moved up to `path`'s level, so neither recursion nor path length
    grows. Never raises."""
    path = Path(path)
    try:
        parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    queue, counter = [path.name], 0
    try:
        while queue:
            name = queue.pop()
            try:
                fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                             dir_fd=parent)
            except NotADirectoryError:
                _unlink(name, parent)
                continue
            except OSError:
                continue
            try:
                for entry in os.scandir(fd):
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    if is_dir:
                        counter += 1
                        flat = f".{path.name}-rm-{counter}"
                        try:
                            os.chmod(entry.name, 0o700, dir_fd=fd, follow_symlinks=False)
                        except OSError:
                            pass
                        try:
                            os.rename(entry.name, flat, src_dir_fd=fd, dst_dir_fd=parent)
                            queue.append(flat)
                        except OSError:
                            pass
                    else:
                        _unlink(entry.name, fd)
            finally:
                os.close(fd)
            try:
                os.rmdir(name, dir_fd=parent)
            except OSError:
                pass
    finally:
        os.close(parent)
    if path.exists():
        log.error("could not remove %s entirely", path)


def _unlink(name: str, dir_fd: int) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


# --------------------------------------------------------------------------- one job

def run_job(steps: list[Step], limits: Limits = Limits(), slot: int = 0,
            hide: tuple = (), caps: Capabilities | None = None,
            files: dict[str, Path] | None = None) -> JobResult:
    """Run `steps` in a sandbox; never raises for anything the student's code does.
    `files` (relative path -> file) are copied into the sandbox's working directory.
    `hide`: paths that must stay invisible; the view is an allow-list, so they only need
    covering where they lie inside an allowed path."""
    caps = caps or capabilities()
    start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="rnn-sandbox-"))
    lease = cgroups = None
    try:
        staging = tmp / ("files" if caps.namespaces else "work")
        staging.mkdir()
        for rel, source in (files or {}).items():
            dest = staging / rel
            if ".." in Path(rel).parts or Path(rel).is_absolute():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest, follow_symlinks=False)
        if caps.drop_privileges:
            lease = UidLease(slot)
        if caps.cgroups:
            cgroups = Cgroups(f"job-{lease.uid if lease else os.getpid()}-{slot}", limits)
        return _run(steps, limits, lease.uid if lease else None, hide, caps, tmp, start,
                    cgroups)
    finally:
        if cgroups is not None:
            cgroups.remove()
        elif lease is not None:
            kill_uid(lease.uid)
        if lease is not None:
            lease.release()
        remove_tree(tmp)


def _sandbox_config(limits, uid, hide, caps, tmp, cgroups) -> dict:
    bound = view()["binds"]
    extra_empty = [str(Path(p).resolve()) for p in hide
                   if any(str(Path(p).resolve()).startswith(b + os.sep) for b in bound)]
    cpu = int(limits.submission_timeout) + 5
    return {
        "namespace": caps.namespaces,
        "drop_privileges": caps.drop_privileges,
        "seccomp": caps.seccomp,
        "uid": uid, "gid": uid,
        "view": {**view(), "empty": view()["empty"] + extra_empty},
        "root": str(tmp / "root"),
        "host_files": str(tmp / "files"),
        "host_workdir": str(tmp / "work"),
        "workdir": SANDBOX_WORKDIR if caps.namespaces else str(tmp / "work"),
        "disk_bytes": limits.disk_mb << 20,
        "shm_bytes": limits.shm_mb << 20,
        "cgroups": [str(p) for p in cgroups.paths] if cgroups else [],
        "limits": {"memory_bytes": limits.memory_mb << 20, "cpu_seconds": cpu,
                   "file_size_bytes": limits.file_size_mb << 20,
                   "open_files": limits.open_files, "processes": limits.processes},
    }


def _run(steps, limits, uid, hide, caps, tmp, start, cgroups) -> JobResult:
    jobdir = tmp / "job"
    jobdir.mkdir()
    (tmp / "root").mkdir()
    if caps.drop_privileges and not caps.namespaces:  # pragma: no cover (root, no unshare)
        for path in [tmp / "work", *(tmp / "work").rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)
    tmp.chmod(0o711)
    arrays: dict[str, np.ndarray] = {}
    wire_steps = []
    answers = oracle.Answers()  # recorded helper values: never written for the sandbox
    for index, step in enumerate(steps):
        if step.kind == "code":
            wire_steps.append({"kind": "code", "source": step.source})
            continue
        calls = []
        for c in step.calls:
            wire = {"key": c["key"], "function": c["function"],
                    "args": protocol.encode(tuple(c.get("args", ())), arrays),
                    "kwargs": protocol.encode(dict(c.get("kwargs", {})), arrays)}
            if "spec" in c:
                spec, tables = oracle.split_spec(dict(c["spec"]))
                answers.add(index, c["key"], tables)
                wire["spec"] = protocol.encode(spec, arrays)
            calls.append(wire)
        wire_steps.append({"kind": "calls", "calls": calls})
    protocol.save_arrays(jobdir / "inputs.npz", arrays)
    job = {"steps": wire_steps, "output_chars": limits.output_chars,
           "sandbox": _sandbox_config(limits, uid, hide, caps, tmp, cgroups)}
    (jobdir / "job.json").write_text(json.dumps(job), encoding="utf-8")
    outcomes: dict[int, StepOutcome] = {}
    logs = []
    deadline = start + limits.submission_timeout
    failed_at: set[int] = set()
    budget = _ReadBudget()
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
        attempt = _Attempt(jobdir, tmp, plan, steps, limits, caps, deadline, uid, cgroups,
                           budget, answers)
        done, current, reason, text = attempt.run()
        logs.append(text)
        for i, outcome in done:
            outcomes.setdefault(i, outcome)
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


def _command(caps: Capabilities, jobdir: Path, fd: int, command_fd: int) -> list[str]:
    worker = [sys.executable, "-I", "-B", str(WORKER), str(jobdir), str(fd), str(command_fd)]
    if caps.namespaces:
        return ["unshare", *NAMESPACES, "--fork", "--kill-child", "--mount-proc",
                "--propagation", "private", *worker]
    return worker


def _environment(caps: Capabilities, workdir: str) -> dict:
    home = SANDBOX_WORKDIR if caps.namespaces else workdir
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
            "TMPDIR": "/tmp" if caps.namespaces else home,
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/.config/matplotlib",
            "IPYTHONDIR": f"{home}/.ipython", "XDG_CACHE_HOME": f"{home}/.cache",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class _ReadBudget:
    """What may still be read back from one notebook's sandbox (all attempts)."""

    def __init__(self):
        self.raw = protocol.MAX_JOB_BYTES
        self.decoded = protocol.Budget()


class _Attempt:
    """One worker process over `plan`. `run()` returns (done, current, reason, log text):
    `done` lists (step, outcome); `current` is the step it was in when it overran, died or
    broke a cap (None if it finished).

    The worker writes "ready" once it is set up (before any student code runs), "ask J N"
    (a helper's arguments, J bytes of JSON and N of npz) and "done i J N" (step i's
    record). This side writes "run i" (its clock starts then), "answer J N" or "none" to
    each ask, and "end"; only these words, in this order, move it."""

    def __init__(self, jobdir, tmp, plan, steps, limits, caps, deadline, uid, cgroups,
                 budget, answers=None):
        self.jobdir, self.tmp, self.plan, self.steps = jobdir, tmp, plan, steps
        self.limits, self.caps, self.deadline = limits, caps, deadline
        self.uid, self.cgroups, self.budget = uid, cgroups, budget
        self.answers = answers or oracle.Answers()
        self.current = None
        self.started = False     # "ready" seen: steps are being sent
        self.sent = 0            # how many steps of `plan` were sent
        self.asks = self.ask_bytes = 0  # questions of the current step
        self.done: list = []
        self.finished = False
        self.broke = ""          # a cap this attempt broke (memory, CPU, disk, bytes)
        self.buffer = bytearray()
        self.frame = None        # ("done"|"ask", index, json bytes, npz bytes) being received
        self.outbox = bytearray()  # for the worker, written as its pipe takes it
        self.cpu_seen: dict = {}

    def run(self):
        oom_before = self.cgroups.oom_kills() if self.cgroups else 0
        read_fd, write_fd = os.pipe()
        command_read, command_write = os.pipe()
        proc = subprocess.Popen(
            _command(self.caps, self.jobdir, write_fd, command_read),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(write_fd, command_read), start_new_session=True,
            env=_environment(self.caps, str(self.tmp / "work")), cwd="/")
        self.proc = proc
        os.close(write_fd)
        os.close(command_read)
        os.set_blocking(command_write, False)
        self.command_fd = command_write
        sel = selectors.DefaultSelector()
        sel.register(read_fd, selectors.EVENT_READ, "progress")
        sel.register(proc.stdout, selectors.EVENT_READ, "output")
        reason = ""
        text, dropped = [], 0
        self.step_deadline = time.monotonic() + STARTUP_SECONDS
        next_poll = time.monotonic() + POLL_SECONDS
        open_streams = 2
        writing = False
        try:
            while open_streams and not self.broke and not self.finished:
                self._flush()
                if bool(self.outbox) != writing:
                    writing = bool(self.outbox)
                    if writing:
                        sel.register(command_write, selectors.EVENT_WRITE, "commands")
                    else:
                        sel.unregister(command_write)
                now = time.monotonic()
                limit = min(self.step_deadline, self.deadline)
                if now >= limit:
                    reason = self._timeout_reason()
                    break
                if not self.caps.cgroups and now >= next_poll:
                    self._supervise()
                    next_poll = now + POLL_SECONDS
                    if self.broke:
                        break
                wait = limit - now if self.caps.cgroups else min(limit, next_poll) - now
                for key, _ in sel.select(max(wait, 0)):
                    if key.data == "commands":
                        continue  # flushed at the top of the loop
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
                    self._feed(data)
                    if self.broke:
                        break
        finally:
            if self.cgroups is not None:
                self.cgroups.kill()
            _kill(proc, self.caps)
            if self.uid is not None and self.cgroups is None:
                kill_uid(self.uid)
            sel.close()
            os.close(read_fd)
            os.close(command_write)
            proc.stdout.close()
        code = proc.wait()
        if self.cgroups is not None and self.cgroups.oom_kills() > oom_before:
            self.broke = self.broke or (
                f"the sandbox's memory cap ({self.cgroups.memory_bytes >> 20} MiB for all "
                "its processes and files together) was reached")
        if self.finished and self.current is None:
            return self.done, None, "", "".join(text)
        reason = self.broke or reason
        if not reason:
            how = (f"killed by signal {signal.Signals(-code).name}" if code < 0 and
                   -code in signal.valid_signals() else f"exit status {code}")
            reason = f"the sandboxed process died ({how})"
            if self.current is None and not self.done:
                reason += ": " + "".join(text)[-2000:]
        if dropped:
            text.append(f"\n[... {dropped} bytes of output dropped]\n")
        return self.done, self.current, reason, "".join(text)

    def _timeout_reason(self) -> str:
        if self.current is None and not self.done:
            return "timeout: the sandbox did not start in time"
        if self.deadline <= self.step_deadline:
            return (f"timeout: stopped after {self.limits.submission_timeout:g} s (the "
                    "submission's time cap)")
        return f"timeout: stopped after {_step_cap(self.steps, self.current, self.limits):g} " \
               "s (its time cap)"

    def _send(self, data: bytes) -> None:
        self.outbox += data
        if len(self.outbox) > MAX_OUTBOX:
            self.broke = ("the sandbox did not read the grader's answers "
                          f"({len(self.outbox)} bytes waiting)")

    def _flush(self) -> None:
        """Write what the worker's pipe takes now (never blocks)."""
        while self.outbox:
            try:
                written = os.write(self.command_fd, self.outbox)
            except BlockingIOError:
                return
            except OSError:  # the worker closed its end: it reads nothing more
                self.outbox.clear()
                return
            del self.outbox[:written]

    def _next_step(self) -> None:
        """Send the next step of the plan and start its clock (or "end" after the last)."""
        self.current = None
        if self.sent >= len(self.plan):
            self.finished = True
            self._send(b"end\n")
            return
        self.current = self.plan[self.sent]
        self.sent += 1
        self.asks = self.ask_bytes = 0
        self.step_deadline = time.monotonic() + _step_cap(self.steps, self.current, self.limits)
        self._send(f"run {self.current}\n".encode())

    def _feed(self, data: bytes) -> None:
        """Parse the progress stream: lines, and the frame after "done" or "ask"."""
        self.buffer += data
        while self.buffer and not self.broke and not self.finished:
            if self.frame is not None:
                kind, index, json_size, npz_size = self.frame
                if len(self.buffer) < json_size + npz_size:
                    return
                raw = bytes(self.buffer[:json_size + npz_size])
                del self.buffer[:json_size + npz_size]
                self.frame = None
                if kind == "ask":
                    self._send(self.answers.reply(index, raw[:json_size], raw[json_size:]))
                    continue
                keys = [c["key"] for c in self.steps[index].calls]
                self.done.append((index, decode_step(raw[:json_size], raw[json_size:], keys,
                                                     self.budget.decoded.for_step())))
                self._next_step()
                continue
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) > 200:  # not ours: noise written by the student
                    self.buffer.clear()
                return
            line = bytes(self.buffer[:end]).decode("ascii", "replace")
            del self.buffer[:end + 1]
            word, *args = line.split(" ")
            numbers = [int(a) for a in args if a.isdigit() and len(a) < 12]
            if len(numbers) != len(args):
                continue
            if word == "ready" and not numbers and not self.started:
                self.started = True  # set up, no student code has run yet
                self._next_step()
            elif word == "ask" and len(numbers) == 2 and self.current is not None:
                json_size, npz_size = numbers
                self.asks += 1
                self.ask_bytes += json_size + npz_size
                if json_size > oracle.MAX_ASK_JSON or npz_size > oracle.MAX_ASK_NPZ or \
                        self.asks > oracle.MAX_ASKS or \
                        self.ask_bytes > oracle.MAX_STEP_ASK_BYTES or \
                        json_size + npz_size > self.budget.raw:
                    self.broke = ("the sandbox asked for helper values beyond the grader's "
                                  f"caps ({oracle.MAX_ASKS} questions, "
                                  f"{oracle.MAX_STEP_ASK_BYTES >> 20} MiB per problem)")
                    return
                self.budget.raw -= json_size + npz_size
                self.frame = ("ask", self.current, json_size, npz_size)
            elif word == "done" and len(numbers) == 3 and numbers[0] == self.current:
                _, json_size, npz_size = numbers
                if json_size > protocol.MAX_JSON_BYTES or npz_size > \
                        protocol.MAX_ARRAY_BYTES or json_size + npz_size > self.budget.raw:
                    self.broke = ("the step's result is larger than the grader reads "
                                  f"({json_size + npz_size} bytes; caps: "
                                  f"{protocol.MAX_JSON_BYTES >> 20} MiB of JSON, "
                                  f"{protocol.MAX_ARRAY_BYTES >> 20} MiB of arrays per step, "
                                  f"{protocol.MAX_JOB_BYTES >> 20} MiB per notebook)")
                    return
                self.budget.raw -= json_size + npz_size
                self.frame = ("done", self.current, json_size, npz_size)

    def _supervise(self) -> None:
        """Without cgroups: sum memory and CPU time over the sandbox's processes, and the
        size of its work folder when that is on the host."""
        pids = uid_pids(self.uid) if self.uid is not None else \
            [self.proc.pid, *descendants(self.proc.pid), *session(self.proc.pid)]
        rss, page = 0, os.sysconf("SC_PAGE_SIZE")
        ticks = os.sysconf("SC_CLK_TCK")
        for pid in set(pids):
            try:
                with open(f"/proc/{pid}/statm", "rb") as f:
                    rss += int(f.read().split()[1]) * page
                with open(f"/proc/{pid}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
                start = fields[19]
                cpu = sum(int(x) for x in fields[11:15]) / ticks
                self.cpu_seen[(pid, start)] = max(cpu, self.cpu_seen.get((pid, start), 0))
            except (OSError, ValueError, IndexError):
                continue
        memory = (self.limits.memory_mb + self.limits.shm_mb) << 20
        if rss > memory:
            self.broke = (f"the sandbox's memory cap ({memory >> 20} MiB for all its "
                          "processes together) was reached")
        elif sum(self.cpu_seen.values()) > self.limits.submission_timeout:
            self.broke = (f"the sandbox's CPU-time cap ({self.limits.submission_timeout:g} "
                          "s for all its processes together) was reached")
        elif not self.caps.namespaces and _folder_size(self.tmp / "work") > \
                self.limits.disk_mb << 20:
            self.broke = (f"the sandbox's disk cap ({self.limits.disk_mb} MiB in its work "
                          "folder) was reached")


def _folder_size(path: Path, max_entries: int = 20_000) -> int:
    """Bytes under `path` (stops counting after `max_entries`: then reports over any cap)."""
    total, seen, stack = 0, 0, [str(path)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > max_entries:
                return 1 << 62
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
    return total


def _step_cap(steps, index, limits) -> float:
    if index is None:
        return STARTUP_SECONDS
    return limits.cell_timeout if steps[index].kind == "code" else limits.problem_timeout


def _kill(proc: subprocess.Popen, caps: Capabilities) -> None:
    """Kill the worker and everything it started."""
    if proc.poll() is None or not caps.namespaces:
        for pid in [*descendants(proc.pid), *session(proc.pid)]:
            signal_pid(pid)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        log.error("sandbox process %s did not die after SIGKILL", proc.pid)


def decode_step(raw_json: bytes, raw_npz: bytes, keys: list[str],
                budget: protocol.Budget) -> StepOutcome:
    """Decode a finished step's result (untrusted bytes): only the calls in `keys`, each
    array reference charged to `budget`."""
    try:
        record = json.loads(raw_json.decode("utf-8"))
        if not isinstance(record, dict):
            raise protocol.ProtocolError("result is not an object")
        arrays = protocol.ArrayFile(raw_npz)
    except (protocol.ProtocolError, ValueError, RecursionError) as error:
        # ValueError: bad UTF-8, bad JSON, integers beyond Python's int-str limit.
        return StepOutcome("crashed", error=f"invalid result written by the sandbox: "
                           f"{str(error)[:500]}")
    stdout = record.get("stdout")
    error = record.get("error")
    outcome = StepOutcome(
        "error" if record.get("status") == "error" else "ok",
        stdout=stdout[:200_000] if isinstance(stdout, str) else "",
        error=error[:5000] if isinstance(error, str) else None)
    calls = record.get("calls")
    if isinstance(calls, dict):
        for key in keys:
            if key in calls:
                outcome.calls[key] = _decode_call(calls[key], arrays, budget)
    return outcome


def _decode_call(entry: object, arrays, budget: protocol.Budget) -> CallOutcome:
    if not isinstance(entry, dict) or len(entry) != 1:
        return CallOutcome("failed", message="invalid result written by the sandbox")
    (kind, value), = entry.items()
    if kind == "ok":
        try:
            return CallOutcome("ok", protocol.decode(value, arrays, budget))
        except (protocol.ProtocolError, RecursionError) as error:
            return CallOutcome("failed", message=f"the output is not plain data: {error}")
    if kind == "raised" and isinstance(value, list) and len(value) == 2 \
            and all(isinstance(v, str) for v in value):
        return CallOutcome("raised", (value[0][:200], value[1][:2000]))
    if kind == "unplain" and isinstance(value, str):
        return CallOutcome("failed", message=f"the function returned something that is not "
                           f"plain data: {value[:2000]}")
    return CallOutcome("failed", message="invalid result written by the sandbox")
