"""Run one submission's code in a sandboxed process and collect its plain outputs.

`run_job(steps, limits, slot)` runs a list of `Step`s (notebook cells to execute, and
"calls" of the student's functions on trusted inputs) in ONE fresh worker process
(`_worker.py`), so a submission pays for one interpreter start, not one per problem.

Protection (as root with `unshare`): new network, mount, PID, IPC and UTS namespaces; a
new root built from an allow-list (`view()`: the interpreter, the standard library, the
system's shared libraries and the packages a student may use, read-only; a private
size-capped /tmp holding the work folder; minimal /dev and /etc; /proc of the new PID
namespace; nothing else of the host); a uid leased to this job alone (`UidLease`), no
groups, no_new_privs; per-process rlimits; and caps for the whole sandbox: cgroups
(memory, processes, one CPU's worth of time with an equal share) where the machine allows,
otherwise a supervisor that sums the memory and CPU time of all the sandbox's processes.
`capabilities().describe()` says which protection and which caps are in force; anything
missing is logged loudly. Without root or `unshare` the job still runs in its own process
group with the rlimits and the supervisor.

Time caps: each cell and each problem (calls step) has a wall-time cap, and the whole
submission has one. A step that overruns, or kills its process (os._exit, segfault,
memory), is recorded as "timeout"/"crashed"; the worker is restarted, replays the code
cells before it, skips it, and carries on, so only that step is lost. Results come back
over a pipe while the step's caps run, bounded in bytes (`protocol`), and only the calls
the grader asked for are decoded.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
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
# The distributions a student's notebook may import (with everything they require).
STUDENT_PACKAGES = ("numpy", "matplotlib", "ipython", "ipywidgets", "traitlets")
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_CONTROLLERS = ("memory", "pids", "cpu")
UID_BASE, UID_RANGE = 200_000, 1 << 20
NAMESPACES = ["--net", "--mount", "--pid", "--ipc", "--uts"]
POLL_SECONDS = 0.25  # the supervisor's sampling period


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
                    f"view, size-capped private /tmp, leased unprivileged uid, rlimits, {caps},"
                    " wall-time caps")
        return ("sandbox DEGRADED, missing: " + "; ".join(self.missing)
                + f". Still isolated by process, rlimits, {caps} and wall-time caps.")


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
    problem = cgroup_problem() if mode != "process" else "forced by RNN_GRADING_SANDBOX"
    caps = Capabilities(namespaces, drop, tuple(missing), problem is None, problem or "")
    if missing:
        log.warning("SECURE GRADING IS DEGRADED on this machine: %s", caps.describe())
    elif not caps.cgroups:
        log.warning("SECURE GRADING: no cgroups (%s); per-sandbox caps are enforced by "
                    "polling, which is coarser", problem)
    return caps


def cpus() -> int:
    """CPUs this process may use (not the host's count inside a container)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# ---------------------------------------------------------------- the allow-listed view

def _real(path: str) -> str:
    return os.path.realpath(path)


def _symlink_chain(path: str, symlinks: dict) -> str:
    """Record every symlink from `path` to the file it names; return that file's path."""
    path = os.path.join(_real(os.path.dirname(path)), os.path.basename(path))
    for _ in range(40):
        if not os.path.islink(path):
            return path
        target = os.readlink(path)
        symlinks[path] = target
        path = os.path.normpath(os.path.join(os.path.dirname(path), target))
        path = os.path.join(_real(os.path.dirname(path)), os.path.basename(path))
    return _real(path)


def _distributions(names) -> list:
    """The installed distributions `names` and everything they require (no extras)."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    seen: dict = {}
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = dist
        for text in dist.requires or []:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return list(seen.values())


def _course_package() -> str:
    import autograder

    return _real(str(Path(autograder.__file__).parent))


@cache
def view() -> dict:
    """The allow-list the sandbox sees: {"binds": host paths bound read-only at the same
    path, "empty": folders inside them shown empty, "symlinks": [(path, target)]}."""
    binds: set[str] = set()
    symlinks: dict[str, str] = {}
    empty: set[str] = set()
    # The interpreter, as the worker is started (venv symlinks included), and its library.
    for exe in {sys.executable, _real(sys.executable)}:
        binds.add(_symlink_chain(exe, symlinks))
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    library = sysconfig.get_config_var("LDLIBRARY") or ""
    if libdir and library and os.path.isdir(libdir):
        for name in os.listdir(libdir):
            if name.startswith(library.split(".so")[0] + ".so"):
                binds.add(_symlink_chain(os.path.join(libdir, name), symlinks))
    stdlib = _real(sysconfig.get_paths()["stdlib"])
    binds.add(stdlib)
    empty.update(os.path.join(stdlib, name) for name in ("site-packages", "dist-packages")
                 if os.path.isdir(os.path.join(stdlib, name)))
    if sys.prefix != sys.base_prefix and os.path.isfile(os.path.join(sys.prefix,
                                                                     "pyvenv.cfg")):
        binds.add(os.path.join(_real(sys.prefix), "pyvenv.cfg"))
    # The system's shared libraries and the dynamic linker.
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    for path in [f"/usr/lib/{multiarch}", f"/lib/{multiarch}", "/usr/lib64", "/lib64",
                 "/etc/ld.so.cache"]:
        if multiarch or not path.endswith("/"):
            if os.path.exists(path):
                binds.add(_real(path))
    for top in ("/lib", "/lib64", "/bin", "/sbin"):
        if os.path.islink(top):
            symlinks[top] = os.readlink(top)
    # The students' packages: each top-level entry their RECORDs name, nothing else.
    course = _course_package()
    for dist in _distributions(STUDENT_PACKAGES):
        base = _real(str(dist.locate_file("")))
        for item in dist.files or []:
            parts = Path(item).parts
            if not parts or parts[0] == ".." or os.path.isabs(str(item)):
                continue
            entry = os.path.join(base, *parts[:2]) if parts[0] == "__pycache__" \
                else os.path.join(base, parts[0])
            if not os.path.exists(entry) or parts[0].split(".")[0] == "autograder":
                continue
            real = _real(entry)
            if real == course or real.startswith(course + os.sep) \
                    or course.startswith(real + os.sep):
                continue  # never the course's own package, however it is installed
            binds.add(real)
    ordered = sorted(binds)
    # A path inside another bound path is carried by it.
    kept = [p for p in ordered if not any(p.startswith(q + os.sep) for q in ordered)]
    return {"binds": kept, "empty": sorted(empty),
            "symlinks": sorted((k, v) for k, v in symlinks.items()
                               if not any(k.startswith(q + os.sep) for q in kept))}


# ------------------------------------------------------------------ unique sandbox ids

class UidLease:
    """A uid (and gid) no other sandbox on this machine is using: held by binding an
    abstract unix socket named after it (released by the kernel if this process dies),
    so any number of workers in any number of grading processes never share one."""

    _lock = threading.Lock()

    def __init__(self, hint: int = 0):
        start = (os.getpid() * 64 + hint) % UID_RANGE
        for i in range(UID_RANGE):
            uid = UID_BASE + (start + i) % UID_RANGE
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.bind(f"\0rnn-grading-uid-{uid}")
            except OSError:
                sock.close()
                continue
            self.uid, self.sock = uid, sock
            return
        raise SandboxError("no free sandbox uid")

    @classmethod
    def exactly(cls, uid: int) -> UidLease:
        """Lease `uid` itself (OSError if someone holds it)."""
        lease = cls.__new__(cls)
        lease.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            lease.sock.bind(f"\0rnn-grading-uid-{uid}")
        except OSError:
            lease.sock.close()
            raise
        lease.uid = uid
        return lease

    def release(self) -> None:
        self.sock.close()


# --------------------------------------------------------------------------- cgroups

def _own_cgroup(controller: str) -> str:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, names, path = line.split(":", 2)
            if controller in names.split(","):
                return path.lstrip("/")
    except OSError:
        pass
    return ""


def _cgroup_parent(controller: str) -> Path:
    return CGROUP_ROOT / controller / _own_cgroup(controller) / "rnn-grading"


@cache
def cgroup_problem() -> str | None:
    """None if per-job cgroups (v1: memory, pids, cpu) can be made here, else why not."""
    if os.environ.get("RNN_GRADING_CGROUPS", "auto") == "off":
        return "forced off by RNN_GRADING_CGROUPS=off"
    if os.geteuid() != 0:
        return "needs root"
    try:
        for controller in CGROUP_CONTROLLERS:
            if not (CGROUP_ROOT / controller / "cgroup.procs").exists():
                return f"no cgroup v1 {controller} controller at {CGROUP_ROOT / controller}"
            parent = _cgroup_parent(controller)
            parent.mkdir(exist_ok=True)
            probe = parent / f"probe-{os.getpid()}-{threading.get_ident()}"
            probe.mkdir(exist_ok=True)
            probe.rmdir()
        cpu = _cgroup_parent("cpu")
        (cpu / "cpu.shares").write_text(str(1024 * cpus()))
    except OSError as error:
        return f"cannot create cgroups: {error}"
    _sweep_stale_cgroups()
    return None


def _sweep_stale_cgroups() -> None:
    """Remove job cgroups left by a grading process that died: their uid lease is free."""
    for path in sorted(_cgroup_parent("pids").glob("job-*")):
        try:
            uid = int(path.name.split("-")[1])
            lease = UidLease.exactly(uid)
        except (ValueError, IndexError, OSError):
            continue  # malformed, or its grader is still running
        try:
            Cgroups.clear(path.name)
        finally:
            lease.release()


class Cgroups:
    """The job's own cgroups: memory (all processes and their tmpfs files), pids, and CPU
    (an equal share, at most one CPU). Killing and removing them ends every process."""

    def __init__(self, name: str, limits: Limits):
        self.clear(name)  # left by a grader that died
        self.paths = [_cgroup_parent(c) / name for c in CGROUP_CONTROLLERS]
        memory, pids, cpu = self.paths
        for path in self.paths:
            path.mkdir()
        self.memory_bytes = (limits.memory_mb + limits.disk_mb + limits.shm_mb) << 20
        (memory / "memory.limit_in_bytes").write_text(str(self.memory_bytes))
        swap = memory / "memory.memsw.limit_in_bytes"
        if swap.exists():
            swap.write_text(str(self.memory_bytes))
        (pids / "pids.max").write_text(str(limits.processes))
        (cpu / "cpu.shares").write_text("1024")
        (cpu / "cpu.cfs_period_us").write_text("100000")
        (cpu / "cpu.cfs_quota_us").write_text("100000")  # one CPU at most

    def oom_kills(self) -> int:
        try:
            for line in (self.paths[0] / "memory.oom_control").read_text().splitlines():
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return 0

    @staticmethod
    def _kill(path: Path, wait: float = 10.0) -> None:
        end = time.monotonic() + wait
        while time.monotonic() < end:
            try:
                pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
            except OSError:
                return
            if not pids:
                return
            for pid in pids:
                _signal(pid)
            time.sleep(0.02)
        log.error("processes in %s survived SIGKILL", path)

    def kill(self) -> None:
        self._kill(self.paths[1])

    @classmethod
    def clear(cls, name: str) -> None:
        """Kill and remove the cgroups called `name`, if they exist."""
        paths = [_cgroup_parent(c) / name for c in CGROUP_CONTROLLERS]
        if any(p.exists() for p in paths):
            cgroups = cls.__new__(cls)
            cgroups.paths = paths
            cgroups.remove()

    def remove(self) -> None:
        self.kill()
        for path in self.paths:
            for _ in range(100):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # still emptying
                    time.sleep(0.02)
            else:
                log.error("could not remove cgroup %s", path)


# ------------------------------------------------------------------------ data files

def data_files(*folders: Path, limit: int = 256 << 20, max_files: int = 2000,
               max_depth: int = 8) -> dict[str, Path]:
    """Regular files (not notebooks, not symlinks) under `folders`, by relative path: the
    assignment's data files, which the notebook may open from its working directory.
    Bounded in bytes, files and depth (a submitted folder may be hostile)."""
    out: dict[str, Path] = {}
    total = 0
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir() or folder.is_symlink():
            continue
        stack = [(folder, 0)]
        while stack and len(out) < max_files:
            path, depth = stack.pop()
            try:
                entries = sorted(os.scandir(path), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if depth + 1 < max_depth:
                            stack.append((Path(entry.path), depth + 1))
                        continue
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if not stat.S_ISREG(info.st_mode) or entry.name.endswith(".ipynb"):
                    continue
                if total + info.st_size > limit or len(out) >= max_files:
                    break
                total += info.st_size
                out[str(Path(entry.path).relative_to(folder))] = Path(entry.path)
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
            _kill_uid(lease.uid)
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
    for step in steps:
        if step.kind == "code":
            wire_steps.append({"kind": "code", "source": step.source})
        else:
            wire_steps.append({"kind": "calls", "calls": [
                {"key": c["key"], "function": c["function"],
                 "args": protocol.encode(tuple(c.get("args", ())), arrays),
                 "kwargs": protocol.encode(dict(c.get("kwargs", {})), arrays)}
                for c in step.calls]})
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
                           budget)
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


def _command(caps: Capabilities, jobdir: Path, fd: int) -> list[str]:
    worker = [sys.executable, "-I", "-B", str(WORKER), str(jobdir), str(fd)]
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
    broke a cap (None if it finished)."""

    def __init__(self, jobdir, tmp, plan, steps, limits, caps, deadline, uid, cgroups,
                 budget):
        self.jobdir, self.tmp, self.plan, self.steps = jobdir, tmp, plan, steps
        self.limits, self.caps, self.deadline = limits, caps, deadline
        self.uid, self.cgroups, self.budget = uid, cgroups, budget
        self.current = None
        self.done: list = []
        self.finished = False
        self.broke = ""          # a cap this attempt broke (memory, CPU, disk, bytes)
        self.buffer = bytearray()
        self.frame = None        # (index, json bytes, npz bytes) being received
        self.cpu_seen: dict = {}

    def run(self):
        (self.jobdir / "plan.json").write_text(json.dumps(self.plan), encoding="utf-8")
        oom_before = self.cgroups.oom_kills() if self.cgroups else 0
        read_fd, write_fd = os.pipe()
        proc = subprocess.Popen(
            _command(self.caps, self.jobdir, write_fd), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(write_fd,),
            start_new_session=True, env=_environment(self.caps, str(self.tmp / "work")),
            cwd="/")
        self.proc = proc
        os.close(write_fd)
        sel = selectors.DefaultSelector()
        sel.register(read_fd, selectors.EVENT_READ, "progress")
        sel.register(proc.stdout, selectors.EVENT_READ, "output")
        reason = ""
        text, dropped = [], 0
        self.step_deadline = time.monotonic() + STARTUP_SECONDS
        next_poll = time.monotonic() + POLL_SECONDS
        open_streams = 2
        try:
            while open_streams and not self.broke:
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
                _kill_uid(self.uid)
            sel.close()
            os.close(read_fd)
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

    def _feed(self, data: bytes) -> None:
        """Parse the progress stream: lines, and each step's result frame after "done"."""
        self.buffer += data
        while self.buffer and not self.broke:
            if self.frame is not None:
                index, json_size, npz_size = self.frame
                if len(self.buffer) < json_size + npz_size:
                    return
                raw = bytes(self.buffer[:json_size + npz_size])
                del self.buffer[:json_size + npz_size]
                self.frame = None
                keys = [c["key"] for c in self.steps[index].calls]
                self.done.append((index, decode_step(raw[:json_size], raw[json_size:], keys,
                                                     self.budget.decoded.for_step())))
                self.current = None
                self.step_deadline = time.monotonic() + STARTUP_SECONDS
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
            if word == "start" and len(numbers) == 1 and numbers[0] < len(self.steps):
                self.current = numbers[0]
                self.step_deadline = time.monotonic() + _step_cap(self.steps, self.current,
                                                                  self.limits)
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
                self.frame = (self.current, json_size, npz_size)
            elif word == "end" and not numbers:
                self.finished = True

    def _supervise(self) -> None:
        """Without cgroups: sum memory and CPU time over the sandbox's processes, and the
        size of its work folder when that is on the host."""
        pids = _uid_pids(self.uid) if self.uid is not None else \
            [self.proc.pid, *_descendants(self.proc.pid), *_session(self.proc.pid)]
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
        for pid in [*_descendants(proc.pid), *_session(proc.pid)]:
            _signal(pid)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        log.error("sandbox process %s did not die after SIGKILL", proc.pid)


def _proc_stat(pid: str) -> list[bytes] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _uid_pids(uid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid != uid:
                    continue
            except OSError:
                continue
            fields = _proc_stat(entry)
            if fields and fields[0] not in (b"Z", b"X"):
                out.append(int(entry))
    return out


def _session(sid: int) -> list[int]:
    """Processes of session `sid` (the worker's own: it starts a new session)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != sid:
            fields = _proc_stat(entry)
            if fields and len(fields) > 3 and fields[3] == str(sid).encode():
                out.append(int(entry))
    return out


def _kill_uid(uid: int, wait: float = 5.0) -> None:
    """SIGKILL every process of the sandbox's own uid until none is left (the uid is
    leased to this job alone; the PID namespace normally has done this already)."""
    end = time.monotonic() + wait
    while True:
        left = _uid_pids(uid)
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
        fields = _proc_stat(entry)
        try:
            ppid = int(fields[1]) if fields else None
        except ValueError:
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            out.append(child)
            todo.append(child)
    return out


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
