"""The sandbox runner and the plain-data protocol, at the process level (no nbgrader)."""

from __future__ import annotations

import io
import json
import os
import socket
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.grading import protocol, sandbox
from autograder.grading.sandbox import Limits, Step, run_job
from autograder.grading.testcells import TestCellError, parse_test_cell

REPO = Path(__file__).resolve().parents[1]
FAST = Limits(cell_timeout=4, problem_timeout=4, submission_timeout=60, memory_mb=1024,
              file_size_mb=1)


def _uid_processes(uid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    with open(f"/proc/{entry}/stat", "rb") as f:
                        if f.read().rsplit(b")", 1)[1].split()[0] != b"Z":
                            out.append(int(entry))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    return out


def test_protocol_round_trip_and_refusals():
    value = ({"W": np.arange(6.0).reshape(2, 3), "n": 3}, [True, None, "s", 1.5],
             np.array([1, 2], dtype=np.int32))
    arrays: dict = {}
    tree = protocol.encode(value, arrays)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    back = protocol.decode(tree, protocol.load_arrays(buf.getvalue()))
    assert isinstance(back, tuple) and back[1] == [True, None, "s", 1.5]
    np.testing.assert_array_equal(back[0]["W"], value[0]["W"])
    assert back[2].dtype == np.int32
    # Object arrays need pickle: refused, never unpickled.
    buf = io.BytesIO()
    np.savez(buf, a=np.array([object()], dtype=object))
    with pytest.raises(protocol.ProtocolError):
        protocol.load_arrays(buf.getvalue())
    with pytest.raises(protocol.ProtocolError):
        protocol.load_arrays(b"not a zip")
    for bad in ({"nd": "missing"}, {"py": [1]}, {"eval": "1"}, {"py": 1, "nd": "a"}, [1]):
        with pytest.raises(protocol.ProtocolError):
            protocol.decode(bad, {})
    with pytest.raises(TypeError):
        protocol.encode(object(), {})


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_reader_decodes_only_asked_keys_and_charges_every_reference():
    big = np.zeros(1 << 20)  # 8 MiB
    shared = {"ok": {"list": [{"nd": "a0"}] * 8}}  # 64 MiB once each reference counts
    record = {"status": "ok", "calls": {"k": shared, "unasked": {"ok": {"nd": "a1"}}}}
    raw = json.dumps(record).encode()
    blob = _npz(a0=big, a1=np.zeros(1 << 23))
    outcome = sandbox.decode_step(raw, blob, ["k"], protocol.Budget(step=100 << 20))
    assert set(outcome.calls) == {"k"} and len(outcome.calls["k"].value) == 8
    outcome = sandbox.decode_step(raw, blob, ["k"], protocol.Budget(step=32 << 20))
    assert outcome.calls["k"].kind == "failed" and "cap" in outcome.calls["k"].message
    # The notebook's budget spans steps: two steps of 40 MiB under a 64 MiB notebook cap.
    budget = protocol.Budget(job=64 << 20, step=64 << 20)
    five = json.dumps({"calls": {"k": {"ok": {"list": [{"nd": "a0"}] * 5}}}}).encode()
    assert sandbox.decode_step(five, blob, ["k"], budget.for_step()).calls["k"].kind == "ok"
    assert sandbox.decode_step(five, blob, ["k"], budget.for_step()).calls["k"].kind \
        == "failed"
    # An array whose header claims more than the file holds is refused before allocating.
    lying = bytearray(_npz(a0=np.zeros(4)))
    at = lying.find(b"(4,)")
    lying[at:at + 4] = b"(9**9,)"[:4]
    bad = sandbox.decode_step(json.dumps({"calls": {"k": {"ok": {"nd": "a0"}}}}).encode(),
                              bytes(lying), ["k"], protocol.Budget())
    assert bad.calls["k"].kind == "failed"


def test_reader_survives_results_python_cannot_parse():
    for raw in [b'{"calls": {"k": {"ok": {"py": ' + b"9" * 5000 + b"}}}}",
                b"[" * 100_000, b"\xff\xfe", b"[1, 2]"]:
        outcome = sandbox.decode_step(raw, b"", ["k"], protocol.Budget())
        assert outcome.status == "crashed" and "invalid result" in outcome.error


def test_test_cell_parser():
    calls = parse_test_cell('from autograder.checks import check\n\n(check("softmax", softmax, '
                            'part="public")\n### BEGIN HIDDEN TESTS\n + check("softmax", '
                            'softmax, part="hidden")\n### END HIDDEN TESTS\n)')
    assert [(c.name, c.function, c.part) for c in calls] == [
        ("softmax", "softmax", "public"), ("softmax", "softmax", "hidden")]
    for bad in ["import os\ncheck('softmax', softmax)", "check('softmax', softmax)\nx = 1/0",
                "check(name, softmax)", "check('softmax', lambda z: z)", "7.0",
                "check('softmax', softmax, part='secret')", "print(check('a', f))"]:
        with pytest.raises(TestCellError):
            parse_test_cell(bad)


def _canary():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.2)
    return server


@pytest.mark.sandbox
@pytest.mark.skipif(not sandbox.capabilities().namespaces,
                    reason="needs root and unshare (the degraded mode is tested below)")
def test_namespace_sandbox_isolates_limits_and_cleans_up():
    server = _canary()
    port = server.getsockname()[1]
    ref = REPO / "autograder" / "reference" / "rnn.py"
    steps = [
        Step("code", source=f"open({str(ref)!r}).read()"),                     # 0 hidden
        Step("code", source="import os\nprint('uid', os.getuid(), os.getgroups())"),  # 1
        Step("code", source=f"import socket\nsocket.create_connection(('127.0.0.1', {port}),"
                            " timeout=2)"),                                    # 2 no network
        Step("code", source="import os\nprint(sorted(os.listdir('/tmp')))"),  # 3
        Step("code", source="open('big', 'wb').write(b'x' * (2 << 20))"),     # 4 file size
        Step("code", source="import numpy as np\nnp.ones(1 << 28)"),          # 5 memory
        Step("code", source="import subprocess, sys\nsubprocess.Popen([sys.executable, "
                            "'-c', 'import time; time.sleep(300)'], start_new_session=True)"),
                                                                              # 6 escapee
        Step("code", source="def f(x):\n    return object()\n"
                            "def g(x):\n    return x * 2, {'s': float(x.sum())}"),  # 7
        Step("calls", calls=[{"key": "a", "function": "f", "args": (np.ones(2),)},
                             {"key": "b", "function": "g", "args": (np.ones(2),)},
                             {"key": "c", "function": "nope", "args": ()}]),  # 8
        Step("code", source="while True:\n    pass"),                          # 9 timeout
        Step("calls", calls=[{"key": "d", "function": "g", "args": (np.arange(3.0),)}]),
    ]
    start = time.monotonic()
    result = run_job(steps, FAST, slot=5)
    took = time.monotonic() - start
    s = result.steps
    assert result.mode == "namespaces"
    assert s[0].status == "error" and "FileNotFoundError" in s[0].error
    uid = int(s[1].stdout.split()[1])
    assert sandbox.UID_BASE <= uid < sandbox.UID_BASE + sandbox.UID_RANGE
    assert s[1].stdout.strip() == f"uid {uid} []"
    assert s[2].status == "error" and "OSError" in (s[2].error or "") + s[2].stdout \
        or "Network is unreachable" in s[2].stdout
    # /tmp is private: the submission's folder and, where the Python installation itself
    # lives under /tmp (a venv in a clone there), the read-only path back to it.
    exposed_in_tmp = {Path(p).parts[2] for p in sandbox.view()["binds"]
                      if Path(p).is_relative_to("/tmp") and len(Path(p).parts) > 2}
    assert s[3].stdout.strip() == str(sorted({"submission"} | exposed_in_tmp))
    assert s[4].status == "error" and "File too large" in s[4].stdout
    assert s[5].status == "error" and "MemoryError" in s[5].error
    assert s[6].status == "ok"
    assert s[8].calls["a"].kind == "failed" and "not plain data" in s[8].calls["a"].message
    got = s[8].calls["b"].value
    np.testing.assert_array_equal(got[0], [2.0, 2.0])
    assert got[1] == {"s": 2.0}
    assert s[8].calls["c"].kind == "raised" and s[8].calls["c"].value[0] == "NameError"
    assert s[9].status == "timeout"
    np.testing.assert_array_equal(s[10].calls["d"].value[0], [0.0, 2.0, 4.0])
    assert took < 30
    assert _uid_processes(uid) == [], "a sandbox process outlived its job"
    try:
        server.accept()
        raise AssertionError("the sandbox reached the network")
    except TimeoutError:
        pass
    finally:
        server.close()


@pytest.mark.sandbox
def test_degraded_process_sandbox_still_limits_and_says_so(caplog):
    caps = sandbox.capabilities.__wrapped__("process")
    assert not caps.namespaces and caps.missing
    assert "DEGRADED" in caps.describe()
    steps = [
        Step("code", source="import numpy as np\nnp.ones(1 << 28)"),
        Step("code", source="import subprocess, time\n"
                            "p = subprocess.Popen(['sleep', '300'])\nopen('pid', 'w')"
                            ".write(str(p.pid))\nwhile True:\n    time.sleep(0.1)"),
        Step("code", source="print('after')"),
    ]
    result = run_job(steps, FAST, caps=caps)
    assert result.steps[0].status == "error" and "MemoryError" in result.steps[0].error
    assert result.steps[1].status == "timeout"
    assert result.steps[2].stdout == "after\n"
    assert result.mode == "process"


def test_data_files_are_copied_but_not_symlinks_or_notebooks(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "corpus.txt").write_text("hello")
    (tmp_path / "nb.ipynb").write_text("{}")
    (tmp_path / "leak.txt").symlink_to(REPO / "README.md")
    files = sandbox.data_files(tmp_path)
    assert set(files) == {"data/corpus.txt"}
    result = run_job([Step("code", source="print(open('data/corpus.txt').read())")], FAST,
                     files=files)
    assert result.steps[0].stdout == "hello\n"
