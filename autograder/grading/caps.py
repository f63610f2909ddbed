"""Per-sandbox identities and caps, shared by all of a sandbox's processes.

- `UidLease`: a uid no other sandbox on the machine holds (any number of workers); the
  uid's kernel keyrings are emptied when it is leased and when it is released.
- `Cgroups`: the job's own cgroup v1 groups (memory, pids, cpu), where the machine allows
  (`cgroup_problem()` says why not); killing them ends every process of the job.
- Process helpers for the supervisor that replaces cgroups elsewhere (`uid_pids`,
  `session`, `descendants`, `proc_stat`) and for clean-up (`kill_uid`, `signal_pid`).
"""

from __future__ import annotations

import logging
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from functools import cache
from pathlib import Path

log = logging.getLogger("autograder.grading")

CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_CONTROLLERS = ("memory", "pids", "cpu")
UID_BASE, UID_RANGE = 2_000_000, 1 << 20  # above the old per-pid scheme (< 1.7 M)


def cpus() -> int:
    """CPUs this process may use (not the host's count inside a container)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class UidLease:
    """A uid (and gid) no other sandbox on this machine is using: held by binding an
    abstract unix socket named after it (released by the kernel if this process dies),
    so any number of workers in any number of grading processes never share one."""


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
            clear_keyrings(uid)
            return
        raise RuntimeError("no free sandbox uid")

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
        clear_keyrings(uid)
        return lease

    def release(self) -> None:
        clear_keyrings(self.uid)
        self.sock.close()


# --------------------------------------------------------------------------- keyrings

SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}
# Started as root, becomes the uid, then empties its user keyring (-4), its user session
# keyring (-5) and its persistent keyring (KEYCTL_GET_PERSISTENT 22, linked into the
# process keyring -2).
CLEAR_KEYRINGS = """
import ctypes, os, sys
uid, nr = int(sys.argv[1]), int(sys.argv[2])
os.setgroups([])
os.setresgid(uid, uid, uid)
os.setresuid(uid, uid, uid)
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
KEYCTL_CLEAR, KEYCTL_GET_PERSISTENT = 7, 22
rings = [-4, -5, libc.syscall(nr, KEYCTL_GET_PERSISTENT, ctypes.c_long(-1), ctypes.c_long(-2))]
failed = [r for r in rings if r != -1 and libc.syscall(nr, KEYCTL_CLEAR, ctypes.c_long(r)) != 0]
sys.exit(1 if failed else 0)
"""


def key_owners() -> set[int]:
    """The uids that own kernel keys now (`/proc/key-users`; empty without keys)."""
    try:
        with open("/proc/key-users") as f:
            return {int(line.split(":", 1)[0]) for line in f if ":" in line}
    except (OSError, ValueError):
        return set()


def clear_keyrings(uid: int) -> None:
    """Empty `uid`'s keyrings, which outlive its processes: a key one job stored there would
    reach the next job with the same uid. Only where the uid owns keys (the seccomp
    filter keeps sandboxes from making any), by a child process that becomes the uid (the
    interpreter may not be executable by it); needs root."""
    number = SYS_KEYCTL.get(platform.machine())
    if uid not in key_owners() or number is None or os.geteuid() != 0:
        return
    try:
        proc = subprocess.run([sys.executable, "-I", "-S", "-c", CLEAR_KEYRINGS, str(uid),
                               str(number)], cwd="/", timeout=30, env={"PATH": "/usr/bin:/bin"},
                              capture_output=True)
        if proc.returncode != 0:
            log.error("could not clear the keyrings of sandbox uid %s: %s", uid,
                      proc.stderr.decode(errors="replace")[-500:])
    except (OSError, subprocess.SubprocessError) as error:
        log.error("could not clear the keyrings of sandbox uid %s: %s", uid, error)


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


def cgroup_parent(controller: str) -> Path:
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
            parent = cgroup_parent(controller)
            parent.mkdir(exist_ok=True)
            probe = parent / f"probe-{os.getpid()}-{threading.get_ident()}"
            probe.mkdir(exist_ok=True)
            probe.rmdir()
        cpu = cgroup_parent("cpu")
        (cpu / "cpu.shares").write_text(str(1024 * cpus()))
    except OSError as error:
        return f"cannot create cgroups: {error}"
    _sweep_stale_cgroups()
    return None


def _sweep_stale_cgroups() -> None:
    """Remove job cgroups left by a grading process that died: their uid lease is free."""
    for path in sorted(cgroup_parent("pids").glob("job-*")):
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

    def __init__(self, name: str, limits) -> None:  # limits: sandbox.Limits
        self.clear(name)  # left by a grader that died
        self.paths = [cgroup_parent(c) / name for c in CGROUP_CONTROLLERS]
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
                signal_pid(pid)
            time.sleep(0.02)
        log.error("processes in %s survived SIGKILL", path)

    def kill(self) -> None:
        self._kill(self.paths[1])

    @classmethod
    def clear(cls, name: str) -> None:
        """Kill and remove the cgroups called `name`, if they exist."""
        paths = [cgroup_parent(c) / name for c in CGROUP_CONTROLLERS]
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


def proc_stat(pid: str) -> list[bytes] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None


def uid_pids(uid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid != uid:
                    continue
            except OSError:
                continue
            fields = proc_stat(entry)
            if fields and fields[0] not in (b"Z", b"X"):
                out.append(int(entry))
    return out


def session(sid: int) -> list[int]:
    """Processes of session `sid` (the worker's own: it starts a new session)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != sid:
            fields = proc_stat(entry)
            if fields and len(fields) > 3 and fields[3] == str(sid).encode():
                out.append(int(entry))
    return out


def kill_uid(uid: int, wait: float = 5.0) -> None:
    """SIGKILL every process of the sandbox's own uid until none is left (the uid is
    leased to this job alone; the PID namespace normally has done this already)."""
    end = time.monotonic() + wait
    while True:
        left = uid_pids(uid)
        if not left or time.monotonic() > end:
            break
        for pid in left:
            signal_pid(pid)
        time.sleep(0.02)
    if left:
        log.error("processes of sandbox uid %s survived SIGKILL: %s", uid, left)


def signal_pid(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = proc_stat(entry)
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
