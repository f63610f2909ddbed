"""The reference runs the same under the Pyodide the live site ships as under CPython.

Node.js loads the site's own Pyodide (``_build/html/lite/static/pyodide``: the pinned
core and the lock-checked numpy wheel the browser gets), mounts the repository, and runs
`EXERCISE` below: the forward and backward passes of the RNN, LSTM and GRU, clipping,
softmax and the cross-entropy of the reference, on fixed inputs, plus a finite-difference
gradient check of `rnn_backward` computed inside Pyodide. The test runs the same
`EXERCISE` in CPython and requires every number to agree to 1e-12 (relative) and the
gradient check to pass in Pyodide (its relative error is round-off, so it is only
bounded, not compared).

What this covers: the reference's numerical code on Pyodide 0.27.7's numpy 2.0.2
(Python 3.12, wasm32). Not covered here: the pytest files under tests/ themselves
(pytest is not part of the site's Pyodide set); the demos under Pyodide are exercised by
tests/test_lite_browser.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PYODIDE_JS = ROOT / "node_modules" / "pyodide" / "pyodide.js"

EXERCISE = textwrap.dedent('''
    import numpy as np
    from autograder import reference as R

    def exercise():
        rng = np.random.default_rng(0)
        n_x, n_a, n_y, m, T = 3, 5, 2, 4, 6
        x = rng.standard_normal((n_x, m, T))
        a0 = rng.standard_normal((n_a, m))
        da = rng.standard_normal((n_a, m, T))
        out = {}
        p = R.init_rnn_parameters(n_x, n_a, n_y, rng=1)
        a, y, caches = R.rnn_forward(x, a0, p)
        out.update(rnn_a=a, rnn_y=y, softmax=R.softmax(a[:, :, 0]))
        out.update({"rnn_" + k: v for k, v in R.rnn_backward(da, caches).items()})
        p = R.init_lstm_parameters(n_x, n_a, n_y, rng=2)
        a, y, c, caches = R.lstm_forward(x, a0, p)
        out.update(lstm_a=a, lstm_y=y, lstm_c=c)
        out.update({"lstm_" + k: v for k, v in R.lstm_backward(da, caches).items()})
        p = R.init_gru_parameters(n_x, n_a, rng=3)
        a, caches = R.gru_forward(x, a0, p)
        out.update(gru_a=a)
        grads = R.gru_backward(da, caches)
        out.update({"gru_" + k: v for k, v in grads.items()})
        out.update({"clip_" + k: v for k, v in R.clip(grads, 0.5).items()})
        out.update({"clip_by_norm_" + k: v for k, v in R.clip_by_norm(grads, 1.0).items()})
        labels = rng.integers(0, n_y, size=(m, T))
        target = np.eye(n_y)[labels].transpose(2, 0, 1)
        probs = R.softmax(rng.standard_normal((n_y, m, T)))
        out["cross_entropy"] = R.cross_entropy(probs, target)
        # Finite differences inside this interpreter: d(sum(a * da)) / d Waa.
        p = R.init_rnn_parameters(n_x, n_a, n_y, rng=4)
        a, _, caches = R.rnn_forward(x, a0, p)
        analytic = R.rnn_backward(da, caches)["dWaa"]
        def f(Waa):
            return R.rnn_forward(x, a0, {**p, "Waa": Waa})[0]
        numeric = R.numerical_gradient(f, p["Waa"].copy(), da)
        out["gradcheck_rel_error"] = R.rel_error(analytic, numeric)
        return {k: np.asarray(v, dtype=np.float64).ravel().tolist() for k, v in out.items()}
''')

NODE_SCRIPT = """
const { loadPyodide } = require(process.argv[2]);
(async () => {
  const py = await loadPyodide({ indexURL: process.argv[3] + "/" });
  await py.loadPackage(["numpy"], { messageCallback: () => {} });
  py.FS.mkdir("/repo");
  py.FS.mount(py.FS.filesystems.NODEFS, { root: process.argv[4] }, "/repo");
  py.runPython("import sys; sys.path.insert(0, '/repo')");
  py.runPython(process.argv[5]);
  const result = py.runPython(
    "import json, sys, numpy; json.dumps({'python': sys.version, 'platform': sys.platform,"
    + " 'numpy': numpy.__version__, 'out': exercise()})");
  process.stdout.write("RESULT " + result + "\\n");
})().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.mark.book
def test_reference_agrees_under_the_sites_pyodide(built_book, tmp_path):
    node = shutil.which("node")
    assert node, "node is needed (it also builds the book: npm ci)"
    site_pyodide = built_book / "lite" / "static" / "pyodide"
    assert (site_pyodide / "pyodide-lock.json").is_file(), "the site ships no Pyodide"
    script = tmp_path / "run.js"
    script.write_text(NODE_SCRIPT)
    proc = subprocess.run(
        [node, str(script), str(PYODIDE_JS), str(site_pyodide), str(ROOT), EXERCISE],
        capture_output=True, text=True, timeout=600, check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"node failed:\n{proc.stdout}\n{proc.stderr}"
    browser = json.loads(lines[-1][len("RESULT "):])
    assert browser["platform"] == "emscripten" and browser["python"].startswith("3.12")
    assert browser["numpy"] == "2.0.2"

    namespace: dict = {}
    exec(EXERCISE, namespace)  # the same code in CPython
    here = namespace["exercise"]()
    assert sorted(browser["out"]) == sorted(here)
    for key, values in here.items():
        if key == "gradcheck_rel_error":  # round-off of finite differences: compared below
            continue
        np.testing.assert_allclose(browser["out"][key], values, rtol=1e-12, atol=1e-14,
                                   err_msg=f"{key} differs between Pyodide and CPython")
    assert browser["out"]["gradcheck_rel_error"][0] < 1e-7
