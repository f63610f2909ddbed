"""The integrity report on small hand-written submissions (static analysis only)."""

from __future__ import annotations

import nbformat

from autograder.grading import integrity

LONG = """
def rnn_forward(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_a = a0.shape[0]
    n_y = parameters["Wya"].shape[0]
    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((n_y, m, T_x))
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        y_pred[:, :, t] = yt_pred
        caches.append(cache)
    return a, y_pred, (caches, x)
"""
# The same code with every name changed: still a copy.
RENAMED = (LONG.replace("a_next", "h").replace("y_pred", "out").replace("caches", "store")
           .replace("cache", "c").replace("yt_pred", "o"))
DIFFERENT = """
def rnn_forward(x, a0, parameters):
    states, outputs, history = [], [], []
    h = a0
    for step in np.moveaxis(x, 2, 0):
        h, y, c = rnn_cell_forward(step, h, parameters)
        states.append(h)
        outputs.append(y)
        history.append(c)
    return np.stack(states, axis=2), np.stack(outputs, axis=2), (history, x)
"""


def _nb(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_flags_copies_and_tricks_but_not_independent_work():
    subs = {"ann": _nb(LONG), "ben": _nb(RENAMED), "cat": _nb(DIFFERENT),
            "dan": _nb(DIFFERENT.replace("np.stack(states", "np.asarray(states"),
                       "import importlib\nm = importlib.import_module('autograder.reference')",
                       "get_ipython().input_transformers_post.append(f)\nexec('x = 1')")}
    report = integrity.scan("forward_pass", subs)
    flags = report.by_student()
    assert any("near-copy of other submissions" in f.reason and "ben" in f.detail
               for f in flags["ann"])
    assert not any("near-copy" in f.reason and "ann" in f.detail
                   for f in flags.get("cat", []))  # different structure: no flag
    reasons = " ".join(f.reason for f in flags["dan"])
    for word in ("importlib", "IPython input transformers", "calls exec()",
                 "names course files"):
        assert word in reasons, (word, reasons)
    assert "# Integrity report: forward_pass" in report.markdown()
