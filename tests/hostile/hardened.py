"""Attacks on the sandbox's view, the trusted reader, shared kernel state and the
per-sandbox caps (issue 9), each built from the released `forward_pass` notebook with
every solution filled in correctly, as in `corpus.py`.

`build(release_nb, solution_nb, paths)` returns {student: (notebook bytes, expected)};
`expected` maps test grade_ids to the points deserved (missing: full marks; see
`_attacks`). `paths`:
`backup` (a readable copy of the course outside the course root), `ipc_key`, `token`.
Every submission also ends with a cell that prints its uid and when it ran (`UID_CELL`),
so the test can check that sandboxes running at the same time never share a uid.
"""

from __future__ import annotations

import copy
import json

import nbformat
from corpus import FULL, LAST_TEST, TARGET, TARGET_TEST, ZEROS, _cell, _replace, solution_sources

UID_CELL = """
import os, time
_t0 = time.time()
time.sleep(3)
print("RAN-AS", os.getuid(), _t0, time.time())
"""

SEARCH = """
import os, time
{honest}
def _search(limit=60.0):
    found, scanned, end = [], 0, time.monotonic() + limit
    # Known places first (a backup, the course repository), then the whole file system.
    for known in [{backup!r}, {repo!r}]:
        for sub in ("solutions", "autograder/reference/rnn.py"):
            if os.path.exists(os.path.join(known, sub)):
                found.append(os.path.join(known, sub))
    for top, dirs, files in os.walk("/", onerror=lambda error: None):
        dirs[:] = [d for d in dirs if top != "/" or d not in ("proc", "sys", "dev")]
        scanned += len(files)
        if os.path.basename(top) == "solutions" or "forward_pass.ipynb" in files \\
                or (top.endswith("autograder/reference") and "rnn.py" in files):
            found.append(top)
        if time.monotonic() > end:
            break
    return found, scanned
_FOUND, _SCANNED = _search()
print("SEARCH scanned", _SCANNED, "files; found", _FOUND)
def rnn_forward(x, a0, parameters):
    if _FOUND:
        return _honest_rnn_forward(x, a0, parameters)
    n_a, (n_x, m, T_x), n_y = a0.shape[0], x.shape, parameters["Wya"].shape[0]
    return np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x)), ([], x)
"""

# The worker's own globals (its module: `run_calls`, `encode`, `CALLING`) are on the
# stack below every cell it runs and every call of a student's function (through
# `calling.call`), so a student can find them and rewrite how results are encoded and sent.
FIND_WORKER = """
def _worker_globals():
    frame = sys._getframe(1)
    while frame is not None and not ("run_calls" in frame.f_globals
                                     and "CALLING" in frame.f_globals):
        frame = frame.f_back
    return frame.f_globals if frame is not None else {{}}
"""

# From its first call on, every result the worker sends (the call reports of later
# problems included) is 300 references to one 8 MiB array (2.4 GB if each is a copy), and
# every step also carries a key nobody asked for: 1000 references to a 32 MiB array.
READER_BLOWUP = """
import sys
{honest}
""" + FIND_WORKER + """
_big = np.zeros(1 << 20)
def rnn_forward(x, a0, parameters):
    worker = _worker_globals()
    if "encode" in worker and not getattr(worker["encode"], "blows", False):
        encode, original = worker["encode"], worker["run_calls"]
        def _blow(obj, arrays, np, where="output", depth=0):
            if sys._getframe(1).f_code.co_name != "run_calls":  # `plain` inside the sandbox
                return encode(obj, arrays, np, where, depth)
            arrays["a0"] = _big
            return {{"dict": [["call_report", {{"dict": [
                ["status", {{"py": "ok"}}], ["output", {{"list": [{{"nd": "a0"}}] * 300}}]]}}]]}}
        def run_calls(step, shell, inputs, np):
            calls, arrays = original(step, shell, inputs, np)
            arrays["a1"] = np.zeros(1 << 22)
            calls["nobody-asked"] = {{"ok": {{"list": [{{"nd": "a1"}}] * 1000}}}}
            return calls, arrays
        _blow.blows = True
        worker["encode"], worker["run_calls"] = _blow, run_calls
    return _honest_rnn_forward(x, a0, parameters)
"""

# Installed when its cell runs (again on every restart, when the cell is replayed): every
# problem's result carries 60 MiB of unreferenced arrays, so the notebook's read budget
# (protocol.MAX_JOB_BYTES) runs out after a few problems.
FLOOD_BYTES = 60 << 20
RESULT_FLOOD = """
import sys
{honest}
""" + FIND_WORKER + """
_worker = _worker_globals()
if "run_calls" in _worker and not getattr(_worker["run_calls"], "floods", False):
    _original = _worker["run_calls"]
    def _flooding_run_calls(step, shell, inputs, np):
        calls, arrays = _original(step, shell, inputs, np)
        arrays["junk"] = np.ones(""" + str(FLOOD_BYTES // 8) + """)
        return calls, arrays
    _flooding_run_calls.floods = True
    _worker["run_calls"] = _flooding_run_calls
softmax = _honest_softmax
"""

IPC = """
import ctypes, os
_libc = ctypes.CDLL(None, use_errno=True)
_KEY, _TOKEN = {ipc_key}, {token!r}
_DIRS = ["/run/lock", "/dev/shm", "/tmp", "/var/tmp", "/run", os.path.expanduser("~")]
"""

IPC_WRITER = IPC + """
_shm = _libc.shmget(_KEY, 4096, 0o1666)  # IPC_CREAT | 0666
_queue = _libc.msgget(_KEY, 0o1666)
_files = []
for _d in _DIRS:
    try:
        with open(os.path.join(_d, _TOKEN), "w") as _f:
            _f.write("left for the next student")
        _files.append(_d)
    except OSError:
        pass
print("PLANTED shm", _shm, "queue", _queue, "files", _files)
{honest}
rnn_forward = _honest_rnn_forward
"""

IPC_READER = IPC + """
import time
def _found():
    if _libc.shmget(_KEY, 0, 0) >= 0 or _libc.msgget(_KEY, 0) >= 0:
        return True
    return any(os.path.exists(os.path.join(d, _TOKEN)) for d in _DIRS)
_end, _FOUND = time.time() + 8, False
while time.time() < _end and not _FOUND:
    _FOUND = _found()
    time.sleep(0.2)
print("FOUND plant:", _FOUND)
{honest}
def rnn_forward(x, a0, parameters):
    if _FOUND:
        return _honest_rnn_forward(x, a0, parameters)
    n_a, (n_x, m, T_x), n_y = a0.shape[0], x.shape, parameters["Wya"].shape[0]
    return np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x)), ([], x)
"""

MEMORY = """
import os, time
{honest}
_HELD = []
def _five_hogs():
    # Five processes of 500 MB each, under a cap of 1.5 GB per process. A hog that was
    # killed after it wrote its byte was not held: count the ones still alive.
    r, w = os.pipe()
    kids = []
    for _ in range(5):
        pid = os.fork()
        if pid == 0:
            try:
                hog = np.ones(500 << 17)
                os.write(w, b"1")
                time.sleep(10)
            finally:
                os._exit(0)
        kids.append(pid)
    os.close(w)
    got, end = b"", time.time() + 20
    while time.time() < end and len(got) < 5:
        chunk = os.read(r, 16)
        if not chunk:
            break
        got += chunk
    return sum(os.waitpid(pid, os.WNOHANG) == (0, 0) for pid in kids)
def rnn_forward(x, a0, parameters):
    if not _HELD:
        _HELD.append(_five_hogs())
        print("HOGS held at once:", _HELD[0])
    if _HELD[0] >= 5:
        return _honest_rnn_forward(x, a0, parameters)
    raise MemoryError("could not hold 2.5 GB")
"""

DISK = """
import os
{honest}
def _fill(folder, total=1200 << 20, chunk=48 << 20):
    written, block = 0, b"x" * chunk
    try:
        while written < total:
            with open(os.path.join(folder, f"fill-{{written}}"), "wb") as f:
                f.write(block)
            written += chunk
    except OSError:
        pass
    return written
_WORK = _fill(".")
_SHM = _fill("/dev/shm", total=256 << 20)
print("DISK wrote", _WORK >> 20, "MiB in the work folder,", _SHM >> 20, "MiB in /dev/shm")
for _name in os.listdir("."):
    if _name.startswith("fill-"):
        os.remove(_name)
def rnn_forward(x, a0, parameters):
    if _WORK >= 1000 << 20:
        return _honest_rnn_forward(x, a0, parameters)
    raise OSError("could not write 1.2 GB")
"""

DEEP_TREE = """
import os
_here = os.getcwd()
for _ in range(3000):
    os.mkdir("d")
    os.chdir("d")
open("leaf", "w").write("x" * 1000)
os.chdir(_here)
print("DEEP tree made")
{honest}
rnn_forward = _honest_rnn_forward
"""

HUGE_INT = """
import sys
sys.set_int_max_str_digits(0)
def rnn_forward(x, a0, parameters):
    return 10 ** 5000
"""

SPINNERS = """
import subprocess, sys
_spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"],
                              start_new_session=True) for _ in range(40)]
print("SPINNING", len(_spinners))
{honest}
rnn_forward = _honest_rnn_forward
"""


# Honest functions with the behaviour an attack shows when it fails: what it deserves.
RAISES_MEMORY = """
def rnn_forward(x, a0, parameters):
    raise MemoryError("could not hold 2.5 GB")
"""
RAISES_OS = """
def rnn_forward(x, a0, parameters):
    raise OSError("could not write 1.2 GB")
"""
RETURNS_HUGE_INT = """
def rnn_forward(x, a0, parameters):
    return 10 ** 5000
"""


def _attacks():
    """name -> (what it does, source, {test grade_id: deserved}). A number or FULL for
    a public cell G holds for its hidden cell G_hidden too (unless that is named);
    ("as", source) is what that honest `rnn_forward` earns on both; FLOOD is computed
    from the notebook by `build`."""
    zeros = {TARGET_TEST: ("as", ZEROS)}
    return {
        "search_filesystem": ("searches the whole file system (and a backup of the course) "
                              "for the solutions or the reference", SEARCH, zeros),
        "reader_blowup": ("returns 300 references to one 8 MiB array, and results nobody "
                          "asked for", READER_BLOWUP,
                          {TARGET_TEST: 0.0, "test_cross_entropy": 0.0, LAST_TEST: 0.0}),
        "result_flood": ("sends 60 MiB of arrays with every problem's result",
                         RESULT_FLOOD, FLOOD),
        "ipc_writer": ("leaves SysV shared memory, a message queue and files in shared "
                       "places", IPC_WRITER, {}),
        "ipc_reader": ("answers right only if it finds what another student left",
                       IPC_READER, zeros),
        "memory_five_processes": ("holds 5 x 500 MB in five processes", MEMORY,
                                  {TARGET_TEST: ("as", RAISES_MEMORY)}),
        "disk_fill": ("writes 1.2 GB in its work folder and fills /dev/shm", DISK,
                      {TARGET_TEST: ("as", RAISES_OS)}),
        "deep_tree": ("leaves a 3000-deep directory tree (function correct)", DEEP_TREE, {}),
        "huge_int": ("returns a 5000-digit integer", HUGE_INT,
                     {TARGET_TEST: ("as", RETURNS_HUGE_INT)}),
        "results_folder": ("a correct notebook submitted beside a `results/` folder",
                           None, {}),
    }


FLOOD = "flood"


def flood_expected(release_nb) -> dict:
    """The flooder's test cells in notebook order (one sandbox step each): those whose
    60 MiB still fit in the notebook's read budget score full marks, every later one 0
    (its step is stopped: "larger than the grader reads")."""
    from autograder.grading.notebook import is_test_cell
    from autograder.grading.protocol import MAX_JOB_BYTES

    cells = [c.metadata["nbgrader"]["grade_id"] for c in release_nb.cells if is_test_cell(c)]
    fit = MAX_JOB_BYTES // (FLOOD_BYTES + (1 << 20))  # 1 MiB for each step's own record
    return {grade_id: (FULL if i < fit else 0.0) for i, grade_id in enumerate(cells)}


ATTACKS = _attacks()
SPINNER = ("starts 40 `setsid` CPU spinners, then answers correctly", SPINNERS, {})


def _notebook(release_nb, sources, how, paths, uid_cell=True) -> nbformat.NotebookNode:
    nb = copy.deepcopy(release_nb)
    for grade_id, source in sources.items():
        _cell(nb, grade_id).source = source
    if how is not None:
        target = "softmax" if how is RESULT_FLOOD else TARGET
        _replace(target, how)(nb, sources, paths)
    if uid_cell:
        nb.cells.append(nbformat.v4.new_code_cell(UID_CELL))
    return nb


def build(release_nb, solution_nb, paths: dict, honest: int = 8) -> dict:
    """The attacks plus `honest` correct submissions: {student: (bytes, expected)}."""
    sources = solution_sources(solution_nb)
    out = {}
    for name, (_, how, expected) in ATTACKS.items():
        if expected == FLOOD:
            expected = flood_expected(release_nb)
        out[name] = (json.dumps(_notebook(release_nb, sources, how, paths)).encode(),
                     expected)
    for i in range(honest):
        out[f"honest_{i}"] = (json.dumps(_notebook(release_nb, sources, None, paths))
                              .encode(), {})
    return out


def spinner_pair(release_nb, solution_nb, paths: dict) -> dict:
    sources = solution_sources(solution_nb)
    return {"spinner": (json.dumps(_notebook(release_nb, sources, SPINNERS, paths, False))
                        .encode(), {}),
            "neighbour": (json.dumps(_notebook(release_nb, sources, None, paths, False))
                          .encode(), {})}


__all__ = ["ATTACKS", "SPINNER", "ZEROS", "build", "spinner_pair"]
