"""The sandbox's interface to the kernel is an allow-list (seccomp), and no kernel key
outlives the job that made it (issue 17, item 3).

Inside the real sandbox (`run_job`), each blocked call made through ctypes `syscall()`
fails with EPERM (clone3 with ENOSYS), in the worker, in its threads and in its children,
in the full sandbox and in the degraded process-only one; the honest workload (numpy
linear algebra, a matplotlib figure, threads, subprocesses, multiprocessing, IPython
magics) runs as before. The two-student attack runs through the real `nbgrader
autograde`: one student stores the solutions in a kernel key, a later student with the
same leased uid reads them from the keyring and runs them. A leased uid's keyrings are
emptied when it is released (defence in depth, without the filter).
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import nbformat
import pyseccomp
import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import corpus  # noqa: E402
from course import make_course, nbgrader, scores, submit  # noqa: E402

from autograder.grading import caps as caps_module  # noqa: E402
from autograder.grading import sandbox  # noqa: E402
from autograder.grading.sandbox import Limits, Step, run_job  # noqa: E402

EPERM, ENOSYS = 1, 38
LIMITS = Limits(cell_timeout=60, problem_timeout=60, submission_timeout=120)
# name: (system call, arguments). Most would work, or fail otherwise than with EPERM, for
# an unprivileged process without the filter; the arguments are chosen so that none harms
# the machine even as root without the filter (the degraded mode runs as the grading user).
NOWHERE = b"/nonexistent-rnn-probe"
BLOCKED = {
    "add_key": ("add_key", [b"user", b"probe", b"x", 1, -2]),  # into the process keyring
    "request_key": ("request_key", [b"user", b"probe", None, 0]),
    "keyctl": ("keyctl", [0, -2, 1]),  # KEYCTL_GET_KEYRING_ID, process keyring, create
    "unshare(CLONE_NEWUSER)": ("unshare", [0x10000000]),
    "unshare(CLONE_NEWNS)": ("unshare", [0x00020000]),
    "clone(CLONE_NEWNS)": ("clone", [0x00020000 | 17, 0, 0, 0, 0]),
    "clone(CLONE_NEWUSER)": ("clone", [0x10000000 | 17, 0, 0, 0, 0]),
    "clone3": ("clone3", [None, 0]),
    "setns": ("setns", [0, 0]),
    "ptrace(PTRACE_TRACEME)": ("ptrace", [0, 0, 0, 0]),
    "process_vm_readv": ("process_vm_readv", [1, None, 0, None, 0, 0]),
    "bpf": ("bpf", [0, None, 0]),
    "perf_event_open": ("perf_event_open", [None, 0, -1, -1, 0]),
    "userfaultfd(UFFD_USER_MODE_ONLY)": ("userfaultfd", [1]),
    "io_uring_setup": ("io_uring_setup", [1, None]),
    "mount": ("mount", [b"none", NOWHERE, b"tmpfs", 0, None]),
    "umount2": ("umount2", [NOWHERE, 0]),
    "pivot_root": ("pivot_root", [NOWHERE, NOWHERE]),
    "chroot": ("chroot", [NOWHERE]),
    "init_module": ("init_module", [None, 0, b""]),
    "finit_module": ("finit_module", [-1, b"", 0]),
    "delete_module": ("delete_module", [b"rnn_no_such_module", 0]),
    "kexec_load": ("kexec_load", [0, 0, None, 0xFFFF]),  # invalid flags
    "reboot": ("reboot", [0, 0, 0, None]),  # invalid magic numbers
    "swapon": ("swapon", [NOWHERE, 0]),
    "personality(READ_IMPLIES_EXEC)": ("personality", [0x0400000]),
    "socket(AF_ALG)": ("socket", [38, 5, 0]),
    "socket(AF_VSOCK)": ("socket", [40, 1, 0]),
    "memfd_secret": ("memfd_secret", [0]),
    "sethostname": ("sethostname", [b"x" * 65, 65]),  # longer than a host name may be
    "setuid": ("setuid", [0]),
}
ALLOWED = {
    "personality(query)": ("personality", [0xFFFFFFFF]),
    "socket(AF_UNIX)": ("socket", [1, 1, 0]),
    "socket(AF_INET6)": ("socket", [10, 1, 0]),
    "getpid": ("getpid", []),
}

PROBE = r'''
import ctypes, json, os, threading
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_PROBES = {probes}

def _arg(a):
    return ctypes.c_long(a) if isinstance(a, int) else None if a is None else a.encode("latin-1")

def _call(name):
    number, args = _PROBES[name]
    result = _libc.syscall(number, *[_arg(a) for a in args])
    return 0 if result >= 0 else ctypes.get_errno()

def _in_child(name):
    """The call, in a child process: one that works must not change this one."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, str(_call(name)).encode() + b"\n")
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        words = f.read().split()
    os.waitpid(pid, 0)
    return int(words[0]) if words else -1

_in_thread = {{}}
_t = threading.Thread(target=lambda: _in_thread.update(add_key=_call("add_key"),
                                                       keyctl=_call("keyctl")))
_t.start(); _t.join()
with open("/proc/self/status") as _f:
    _status = dict(line.split(":", 1) for line in _f if ":" in line)
print("PROBES", json.dumps({{name: _in_child(name) for name in _PROBES}}))
print("THREAD", json.dumps(_in_thread))
print("SECCOMP", _status["Seccomp"].strip(), "NO_NEW_PRIVS", _status["NoNewPrivs"].strip())
'''


def _probe_cell() -> str:
    probes = {}
    for name, (call, args) in {**BLOCKED, **ALLOWED}.items():
        number = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, call)
        if number >= 0:  # a call this architecture has
            probes[name] = (number, [a.decode("latin-1") if isinstance(a, bytes) else a
                                     for a in args])
    return PROBE.format(probes=repr(probes))


def _probe(caps) -> tuple[dict, dict, str]:
    result = run_job([Step("code", source=_probe_cell())], LIMITS, caps=caps)
    step = result.steps[0]
    assert step.status == "ok", (step.error, step.stdout, result.log)
    found = dict(re.findall(r"^(PROBES|THREAD) (.*)$", step.stdout, re.M))
    return json.loads(found["PROBES"]), json.loads(found["THREAD"]), step.stdout


@pytest.mark.parametrize("mode", ["auto", "process"])
def test_blocked_calls_fail_with_eperm_inside_the_sandbox(mode):
    caps = sandbox.capabilities.__wrapped__(mode)
    if mode == "auto" and not caps.namespaces:
        pytest.skip(f"the full sandbox needs root and unshare ({caps.describe()})")
    errnos, in_thread, stdout = _probe(caps)
    expected = {name: ENOSYS if name == "clone3" else EPERM for name in BLOCKED}
    expected.update({name: 0 for name in ALLOWED})
    assert errnos == {k: v for k, v in expected.items() if k in errnos}, stdout
    assert {"add_key", "keyctl", "mount", "ptrace(PTRACE_TRACEME)"} <= set(errnos)
    assert in_thread == {"add_key": EPERM, "keyctl": EPERM}, stdout
    assert "SECCOMP 2 NO_NEW_PRIVS 1" in stdout  # filter mode, in the worker itself


HONEST = r'''
import concurrent.futures, io, multiprocessing, subprocess, sys, threading
import numpy as np
import matplotlib
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
a = rng.standard_normal((60, 60))
x = np.linalg.solve(a, np.ones(60))
u, s, vt = np.linalg.svd(a)
w = np.linalg.eigvals(a @ a.T)
print("linalg", bool(np.allclose(a @ x, 1)), bool(np.allclose((u * s) @ vt, a)),
      bool(np.all(w.real > -1e-9)))
fig, ax = plt.subplots()
ax.plot(np.arange(10), np.arange(10) ** 2)
buf = io.BytesIO()
fig.savefig(buf, format="png")
plt.close(fig)
print("figure", buf.getvalue()[:4] == b"\x89PNG", matplotlib.get_backend())
with concurrent.futures.ThreadPoolExecutor(4) as pool:
    print("threads", sum(pool.map(lambda k: int(np.sum(np.arange(k))), range(100))))
print("subprocess", subprocess.run([sys.executable, "-c", "print(6 * 7)"],
                                   capture_output=True, text=True).stdout.strip())
with multiprocessing.get_context("fork").Pool(2) as pool:
    print("multiprocessing", pool.map(abs, [-1, -2, 3]))
lock = multiprocessing.get_context("spawn").Lock()
print("semaphore", lock.acquire(), lock.release())
'''


def test_honest_workload_is_unaffected():
    caps = sandbox.capabilities()
    steps = [Step("code", source=HONEST),
             Step("code", source="%timeit -n 3 -r 1 sum(range(100))\nimport os\n"
                                 "print('pid', os.getpid() > 0, 'uid', os.getuid())"),
             Step("code", source="def f(x):\n    return x * 2"),
             Step("calls", calls=[{"key": "k", "function": "f", "args": (3.0,)}])]
    result = run_job(steps, LIMITS, caps=caps)
    first, second = result.steps[0], result.steps[1]
    assert first.status == "ok", (first.error, first.stdout, result.log)
    assert "linalg True True True" in first.stdout
    assert "figure True Agg" in first.stdout
    assert "threads 161700" in first.stdout and "subprocess 42" in first.stdout
    assert "multiprocessing [1, 2, 3]" in first.stdout
    assert "semaphore True None" in first.stdout
    assert second.status == "ok" and "loops" in second.stdout, second
    assert result.steps[3].calls["k"].value == 6.0


def test_missing_filter_is_said_loudly(monkeypatch):
    monkeypatch.setenv("RNN_GRADING_SECCOMP", "off")
    sandbox.seccomp_problem.cache_clear()
    try:
        caps = sandbox.capabilities.__wrapped__()
    finally:
        sandbox.seccomp_problem.cache_clear()
    assert not caps.seccomp
    assert "DEGRADED" in caps.describe() and "seccomp" in caps.describe()
    assert "RNN_GRADING_SECCOMP=off" in caps.describe()
    # The sandbox still runs (the worker does not try to install the filter).
    result = run_job([Step("code", source="print('ran')")], LIMITS, caps=caps)
    assert result.steps[0].stdout == "ran\n"


# ------------------------------------------------------------ keyrings of leased uids

AS_UID = """
import ctypes, os, sys
uid, what, description = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
os.setgroups([]); os.setresgid(uid, uid, uid); os.setresuid(uid, uid, uid)
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
if what == "add":  # add_key into the user keyring (-4)
    result = libc.syscall({add_key}, b"user", description, b"print(1)", 8, ctypes.c_long(-4))
else:  # KEYCTL_SEARCH (10) of the user keyring
    result = libc.syscall({keyctl}, 10, ctypes.c_long(-4), b"user", description, 0)
print(result, ctypes.get_errno())
"""


def _as_uid(uid: int, what: str, description: str) -> int:
    code = AS_UID.format(**{n: pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, n)
                            for n in ("add_key", "keyctl")})
    out = subprocess.run([sys.executable, "-I", "-c", code, str(uid), what, description],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0])


def test_a_leased_uid_keyrings_are_emptied_on_release():
    import os

    if os.geteuid() != 0:
        pytest.skip("needs root (leased uids are used as root)")
    lease = caps_module.UidLease(hint=11)
    description = f"rnn-probe-{secrets.token_hex(4)}"
    try:
        assert _as_uid(lease.uid, "add", description) > 0
        assert _as_uid(lease.uid, "find", description) > 0
        with open("/proc/key-users") as f:
            assert f"{lease.uid}:" in f.read()
    finally:
        lease.release()
    assert _as_uid(lease.uid, "find", description) == -1  # gone (ENOKEY)


# ------------------------------------- the two-student attack, through nbgrader autograde

WRITER = """
import ctypes as _ctypes
_libc = _ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = _ctypes.c_long
_code = {code!r}.encode()
_key = _libc.syscall({add_key}, b"user", {description!r}, _code, len(_code),
                     _ctypes.c_long(-4))  # the user keyring, which outlives this job
print("STORED", _key, _ctypes.get_errno())
"""
READER = """
import ctypes as _ctypes
_libc = _ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = _ctypes.c_long

def _stolen():
    key = _libc.syscall({keyctl}, 10, _ctypes.c_long(-4), b"user", {description!r}, 0)
    if key < 0:
        key = _libc.syscall({request_key}, b"user", {description!r}, None, 0)
    if key < 0:
        return ""
    buf = _ctypes.create_string_buffer(1 << 16)
    size = _libc.syscall({keyctl}, 11, _ctypes.c_long(key), buf, len(buf))  # KEYCTL_READ
    return buf.raw[:max(size, 0)].decode()

_CODE = _stolen()
print("FOUND", len(_CODE))
exec(_CODE)
"""


@pytest.mark.grading
def test_a_key_left_by_one_student_never_reaches_the_next(tmp_path):
    if not sandbox.capabilities().drop_privileges:
        pytest.skip("uids are leased only as root")
    course = make_course(tmp_path / "course", corpus.ASSIGNMENT)
    release = nbformat.read(course / "exercises" / corpus.ASSIGNMENT /
                            f"{corpus.ASSIGNMENT}.ipynb", 4)
    solution = nbformat.read(course / "solutions" / corpus.ASSIGNMENT /
                             f"{corpus.ASSIGNMENT}.ipynb", 4)
    sources = corpus.solution_sources(solution)
    numbers = {n: pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, n)
               for n in ("add_key", "keyctl", "request_key")}
    description = f"rnn-solutions-{secrets.token_hex(6)}".encode()
    code = "\n\n".join(sources.values())
    writer, reader = copy.deepcopy(release), copy.deepcopy(release)
    first = True
    for cell in writer.cells:  # every solution right, and all of them stored in a key
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in sources:
            cell.source = sources[grade_id]
            if first:
                cell.source += WRITER.format(code=code, description=description, **numbers)
                first = False
    first = True
    for cell in reader.cells:  # no solution code: whatever the keyring holds, run
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in sources:
            cell.source = (READER.format(description=description, **numbers) if first
                           else "exec(_CODE)")
            first = False
    # nbgrader grades students in order of their ids; one worker: the same leased uid.
    submit(course, "a_writer", corpus.ASSIGNMENT, json.dumps(writer).encode())
    submit(course, "b_reader", corpus.ASSIGNMENT, json.dumps(reader).encode())
    nbgrader(course, "autograde", corpus.ASSIGNMENT, "--force", "--SecureExecute.workers=1")
    got = scores(course, corpus.ASSIGNMENT)
    with Gradebook(f"sqlite:///{course / '_grading' / 'gradebook.db'}") as gb:
        full = {c.name: c.max_score for c in gb.find_notebook(
            corpus.ASSIGNMENT, corpus.ASSIGNMENT).grade_cells if c.cell_type == "code"}
    assert {k: got["a_writer"][k] for k in full} == full, got  # the writer is right

    def text(student):
        nb = nbformat.read(course / "_grading" / "autograded" / student /
                           corpus.ASSIGNMENT / f"{corpus.ASSIGNMENT}.ipynb", 4)
        return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                         for o in c.get("outputs", []))

    reader_points = sum(got["b_reader"][k] for k in full)
    assert reader_points == 0, f"the reader scored {reader_points} of {sum(full.values())}"
    assert "FOUND 0" in text("b_reader"), text("b_reader")
    stored = re.search(r"STORED (-?\d+) (\d+)", text("a_writer"))
    assert stored and (int(stored.group(1)), int(stored.group(2))) == (-1, EPERM), \
        text("a_writer")
