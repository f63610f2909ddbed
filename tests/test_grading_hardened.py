"""The sandbox's view, the trusted reader, shared kernel state and per-sandbox caps
(issue 9), attacked through the real `nbgrader autograde`.

One batch (`tests/hostile/hardened.py`: ten attacks and eight honest submissions, 18
workers, more than the 16 uids the old scheme had) checks that every submission gets what
it deserves, that nothing outside the grading output changes, that nothing persists
(SysV IPC objects, files in shared places, processes, cgroups, the sandboxes' temporary
folders), that sandboxes running at the same time never share a uid, and that the
grading process stays small. A second run grades an honest notebook beside one that
starts 40 CPU spinners and compares its time with the time it takes alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import corpus  # noqa: E402
import hardened  # noqa: E402
from course import BIN, REPO, make_course, scores, submit  # noqa: E402

from autograder.grading import sandbox  # noqa: E402
from autograder.grading.sandbox import Capabilities, Limits, Step, run_job  # noqa: E402

pytestmark = pytest.mark.grading
ASSIGNMENT = corpus.ASSIGNMENT
WORKERS = 18
LIMITS = ["--SecureExecute.problem_timeout=90", "--SecureExecute.cell_timeout=90",
          "--SecureExecute.submission_timeout=300", f"--SecureExecute.workers={WORKERS}",
          "--SecureExecute.memory_mb=1536"]
SHARED_PLACES = ["/run/lock", "/dev/shm", "/tmp", "/var/tmp", "/run", "/root"]


def _needs_namespaces():
    if not sandbox.capabilities().namespaces:
        pytest.skip("the full sandbox needs root and unshare (here: "
                    f"{sandbox.capabilities().describe()})")


def _autograde(course: Path, *args: str, tmpdir: Path) -> tuple[subprocess.CompletedProcess,
                                                                 int]:
    """Real `nbgrader autograde`; returns the process and the largest resident set (KiB)
    of it and everything it started (measured by a wrapper of its own)."""
    env = {k: v for k, v in os.environ.items() if k != "RNN_COURSE_DB_URL"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["TMPDIR"] = str(tmpdir)  # every sandbox's folder on the host goes here
    wrapper = ("import resource, subprocess, sys\n"
               "p = subprocess.run(sys.argv[1:])\n"
               "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
               "file=sys.stderr)\nsys.exit(p.returncode)")
    proc = subprocess.run([sys.executable, "-c", wrapper, str(BIN / "nbgrader"), "autograde",
                           ASSIGNMENT, *args], cwd=course, capture_output=True, text=True,
                          timeout=1500, env=env)
    found = re.findall(r"MAXRSS (\d+)", proc.stderr)
    return proc, int(found[-1]) if found else -1


def _snapshot(*roots: Path, skip: tuple = ()) -> dict[str, str]:
    out = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not any(part in str(path) for part in skip):
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _ipcs() -> str:
    return subprocess.run(["ipcs", "-a"], capture_output=True, text=True).stdout


def _autograded(course: Path, student: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "_grading" / "autograded" / student / ASSIGNMENT /
                         f"{ASSIGNMENT}.ipynb", 4)


def _text(nb) -> str:
    return "\n".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                     for out in cell.get("outputs", []))


def _scores(course: Path) -> dict[str, dict[str, float]]:
    return scores(course, ASSIGNMENT)


def _full(course: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / '_grading' / 'gradebook.db'}") as gb:
        return {c.name: c.max_score for c in gb.find_notebook(ASSIGNMENT, ASSIGNMENT)
                .grade_cells if c.cell_type == "code"}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    _needs_namespaces()
    tmp = tmp_path_factory.mktemp("hardened")
    course = make_course(tmp / "course", ASSIGNMENT)
    # A readable copy of the course where no deny-list would look (as a backup would be).
    backup = Path("/srv") / f"rnn-course-backup-{secrets.token_hex(4)}"
    shutil.copytree(REPO / "solutions" / ASSIGNMENT, backup / "solutions" / ASSIGNMENT)
    shutil.copytree(REPO / "autograder" / "reference", backup / "autograder" / "reference")
    token = f"rnn-plant-{secrets.token_hex(6)}"
    paths = {"backup": str(backup), "repo": str(REPO), "token": token,
             "ipc_key": int(secrets.token_hex(3), 16) + 0x5A000000}
    release = nbformat.read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    solution = nbformat.read(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    cases = hardened.build(release, solution, paths)
    for student, (data, _) in cases.items():
        submit(course, student, ASSIGNMENT, data)
    results = course / "_grading" / "submitted" / "results_folder" / ASSIGNMENT / "results"
    results.mkdir()
    (results / "step_0.json").write_text('{"status": "ok"}')
    (results / "step_0.npz").write_bytes(b"not a zip")
    sandboxes = tmp / "sandbox-tmp"
    sandboxes.mkdir()
    skip = ("_grading/autograded", "_grading/gradebook.db", ".nbgrader.log", "__pycache__")
    watched = [course, REPO / "autograder" / "reference", backup]
    before = _snapshot(*watched, skip=skip)
    ipcs_before = _ipcs()
    secret = secrets.token_hex(16)  # hidden cases seeded as a real course's are
    try:
        proc, maxrss = _autograde(course, "--force", *LIMITS,
                                  f"--SecureExecute.course_secret={secret}", tmpdir=sandboxes)
        after = _snapshot(*watched, skip=skip)
    finally:
        shutil.rmtree(backup, ignore_errors=True)
    yield {"course": course, "cases": cases, "proc": proc, "maxrss": maxrss, "paths": paths,
           "secret": secret,
           "before": before, "after": after, "ipcs_before": ipcs_before,
           "ipcs_after": _ipcs(), "sandboxes": sandboxes}


def _deserved(source: str, secret: str) -> tuple[float, float]:
    """What an honest `rnn_forward` with this behaviour scores (public, hidden), judged
    in-process by the same checks with the course secret the batch was graded with."""
    from autograder.checks import check, seeds

    namespace = {"np": np}
    exec(source, namespace)  # our own corpus code, not a submission
    saved = list(seeds._explicit)
    seeds.set_secret(secret)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            fn = namespace[corpus.TARGET]
            return check(corpus.TARGET, fn, "public"), check(corpus.TARGET, fn, "hidden")
    finally:
        seeds._explicit[:] = saved


def _wanted(expected: dict, full: dict[str, float], secret: str) -> dict[str, float]:
    """Points per test cell (the rules of `hardened._attacks`)."""
    want = dict(full)
    for grade_id, value in expected.items():
        hidden = grade_id + "_hidden"
        both = [grade_id] + ([hidden] if hidden in full and hidden not in expected else [])
        if isinstance(value, tuple):
            for cell, points in zip(both, _deserved(value[1], secret), strict=False):
                want[cell] = points
            continue
        for cell in both:
            want[cell] = full[cell] if value == corpus.FULL else value
    return want


def test_batch_runs_and_each_submission_gets_what_it_deserves(batch):
    proc = batch["proc"]
    assert proc.returncode == 0, proc.stderr[-6000:]
    scores, full = _scores(batch["course"]), _full(batch["course"])
    assert set(scores) == set(batch["cases"])
    assert any(k.endswith("_hidden") for k in full)
    wrong = []
    for student, (_, expected) in batch["cases"].items():
        want = _wanted(expected, full, batch["secret"])
        got = scores[student]
        if any(abs(got.get(k, -1) - v) > 1e-6 for k, v in want.items()):
            wrong.append(f"{student}: got {got}, expected {want}")
    assert not wrong, "\n".join(wrong)


def test_the_view_is_an_allow_list(batch):
    """The file-system search saw the interpreter and packages, never a course copy."""
    text = _text(_autograded(batch["course"], "search_filesystem"))
    found = re.search(r"SEARCH scanned (\d+) files; found (.*)", text)
    assert found, text[-2000:]
    assert int(found.group(1)) > 1000, "the search did not run"
    assert found.group(2).strip() == "[]", found.group(2)
    view = sandbox.view()
    course_package = str((REPO / "autograder").resolve())
    assert not [p for p in view["binds"] if p == course_package
                or p.startswith(course_package + os.sep) or "/autograder" in p]
    assert not [p for p in view["binds"] if p.rstrip("/").endswith(("/solutions", "/work"))]


def test_nothing_outside_the_grading_output_changes(batch):
    before, after = batch["before"], batch["after"]
    changed = [p for p in set(before) | set(after) if before.get(p) != after.get(p)]
    assert not changed, changed


def test_no_state_survives_a_student(batch):
    course, paths = batch["course"], batch["paths"]
    writer = _text(_autograded(course, "ipc_writer"))
    planted = re.search(r"PLANTED shm (-?\d+) queue (-?\d+) files (.*)", writer)
    assert planted and int(planted.group(1)) >= 0 and int(planted.group(2)) >= 0, writer
    assert "/dev/shm" in planted.group(3) and "/tmp" in planted.group(3)
    assert "FOUND plant: False" in _text(_autograded(course, "ipc_reader"))
    key = f"0x{paths['ipc_key']:08x}"
    assert key not in batch["ipcs_after"], "a SysV IPC object outlived its sandbox"
    left = [f"{d}/{paths['token']}" for d in SHARED_PLACES
            if os.path.exists(f"{d}/{paths['token']}")]
    assert not left, left
    # The sandboxes' folders on the host (TMPDIR of the grading run) are all gone, the
    # 3000-deep tree included.
    assert list(batch["sandboxes"].iterdir()) == []


def _runs(course: Path, cases) -> list[tuple[int, float, float]]:
    runs = []
    for student in cases:
        found = re.findall(r"RAN-AS (\d+) ([\d.]+) ([\d.]+)", _text(_autograded(course,
                                                                                  student)))
        runs += [(int(u), float(a), float(b)) for u, a, b in found]
    return runs


def test_concurrent_sandboxes_never_share_a_uid_and_leave_nothing(batch):
    runs = _runs(batch["course"], batch["cases"])
    assert len(runs) >= 14, runs  # the honest ones and most attacks reached the last cell
    clashes = [(a, b) for i, a in enumerate(runs) for b in runs[i + 1:]
               if a[0] == b[0] and a[1] < b[2] and b[1] < a[2]]
    assert not clashes, clashes
    assert len({r[0] for r in runs}) > 16  # more sandboxes at once than the old 16 uids
    for uid in {r[0] for r in runs}:
        assert not sandbox.uid_pids(uid), f"a process of sandbox uid {uid} survived"
    if sandbox.capabilities().cgroups:
        left = [p for c in sandbox.CGROUP_CONTROLLERS for uid in {r[0] for r in runs}
                for p in sandbox.cgroup_parent(c).glob(f"job-{uid}-*")]
        assert not left, left


def test_caps_hold_for_the_whole_sandbox(batch):
    course = batch["course"]
    meta = _autograded(course, "honest_0").metadata["rnn_grading"]["result"]
    caps = sandbox.capabilities()
    assert ("cgroup" in meta["sandbox"]) == caps.cgroups, meta["sandbox"]
    memory = _text(_autograded(course, "memory_five_processes"))
    held = re.search(r"HOGS held at once: (\d+)", memory)
    assert held is None or int(held.group(1)) < 5, memory[-1000:]
    disk = re.search(r"DISK wrote (\d+) MiB in the work folder, (\d+) MiB in /dev/shm",
                     _text(_autograded(course, "disk_fill")))
    assert disk, "the disk attack did not report"
    assert int(disk.group(1)) <= Limits().disk_mb and int(disk.group(2)) <= Limits().shm_mb


def test_reading_results_is_bounded(batch):
    """2.4 GB of shared references and 60 MiB with every result: the grading process
    stays small and the flooder's extra reading is cut off within its own caps."""
    print(f"\npeak resident set of the grading: {batch['maxrss'] // 1024} MiB")
    assert 0 < batch["maxrss"] < 1_500_000, f"peak resident set {batch['maxrss']} KiB"
    flood = _autograded(batch["course"], "result_flood")
    assert "the step's result is larger than the grader reads" in _text(flood)
    meta = flood.metadata["rnn_grading"]["result"]
    assert meta["problems"][corpus.LAST_TEST]["status"] == "crashed"
    blowup = _text(_autograded(batch["course"], "reader_blowup"))
    # Every problem from rnn_forward on: its references alone are more than a problem's cap.
    assert blowup.count("exceed the grader's cap of") >= 6, blowup[-3000:]


@pytest.fixture(scope="module")
def spinner_course(tmp_path_factory):
    _needs_namespaces()
    tmp = tmp_path_factory.mktemp("spinners")
    course = make_course(tmp / "course", ASSIGNMENT)
    release = nbformat.read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    solution = nbformat.read(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    for student, (data, _) in hardened.spinner_pair(release, solution, {}).items():
        submit(course, student, ASSIGNMENT, data)
    (tmp / "sandbox-tmp").mkdir()
    return course, tmp / "sandbox-tmp"


def test_a_neighbour_cannot_slow_an_honest_student_into_a_timeout(spinner_course):
    course, sandboxes = spinner_course
    limits = ["--SecureExecute.problem_timeout=30", "--SecureExecute.cell_timeout=30",
              "--SecureExecute.workers=2"]
    alone, _ = _autograde(course, "--student=neighbour", *limits, tmpdir=sandboxes)
    assert alone.returncode == 0, alone.stderr[-3000:]
    seconds_alone = _autograded(course, "neighbour").metadata["rnn_grading"]["result"][
        "seconds"]
    beside, _ = _autograde(course, "--force", *limits, tmpdir=sandboxes)
    assert beside.returncode == 0, beside.stderr[-3000:]
    assert "SPINNING 40" in _text(_autograded(course, "spinner"))
    seconds_beside = _autograded(course, "neighbour").metadata["rnn_grading"]["result"][
        "seconds"]
    scores, full = _scores(course), _full(course)
    for student in ("neighbour", "spinner"):
        assert {k: scores[student][k] for k in full} == full, student
    print(f"\nhonest notebook alone {seconds_alone:.1f} s, beside 40 spinners "
          f"{seconds_beside:.1f} s")
    # Unfair sharing (one share per process) makes it about 20 times slower.
    assert seconds_beside < 4 * seconds_alone + 5
    assert list(sandboxes.iterdir()) == []


# -------------------------------------------- the fallbacks, at the process level


SUPERVISED = Capabilities(namespaces=True, drop_privileges=True, missing=(), cgroups=False,
                          cgroup_problem="forced off for this test")
HOGS = """
import os, time, numpy as np
r, w = os.pipe()
for _ in range(4):
    if os.fork() == 0:
        hog = np.ones(300 << 17)
        os.write(w, b"1")
        time.sleep(30)
        os._exit(0)
os.close(w)
time.sleep(30)
"""


def test_supervisor_sums_memory_over_processes_without_cgroups(tmp_path):
    _needs_namespaces()
    limits = Limits(cell_timeout=60, submission_timeout=90, memory_mb=1024)
    result = run_job([Step("code", source=HOGS), Step("code", source="print('next')")],
                     limits, caps=SUPERVISED)
    first = result.steps[0]
    assert first.status == "crashed" and "memory cap" in first.error, first
    assert result.steps[1].stdout == "next\n"


def test_degraded_mode_removes_a_deep_tree_and_keeps_grading(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    caps = sandbox.capabilities.__wrapped__("process")
    source = ("import os\nfor _ in range(3000):\n    os.mkdir('d')\n    os.chdir('d')\n"
              "open('leaf', 'w').write('x')\nprint('deep')")
    result = run_job([Step("code", source=source),
                      Step("code", source="def f(x):\n    return x + 1"),
                      Step("calls", calls=[{"key": "k", "function": "f",
                                            "args": (np.ones(2),)}])],
                     Limits(cell_timeout=60), caps=caps)
    assert result.steps[0].stdout == "deep\n"
    np.testing.assert_array_equal(result.steps[2].calls["k"].value, [2.0, 2.0])
    assert list(tmp_path.iterdir()) == []
