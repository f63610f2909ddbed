"""The integrity report on small hand-written submissions (static analysis only)."""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.grading import integrity

REPO = Path(__file__).resolve().parents[1]

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


# Two students who wrote the short, canonical functions on their own, the way the
# docstrings and the book lead everyone to (not the instructor's text, the same tokens).
CANONICAL_EVE = '''
def softmax(z):
    exps = np.exp(z - z.max(axis=0, keepdims=True))
    return exps / exps.sum(axis=0, keepdims=True)

def rnn_cell_forward(xt, a_prev, parameters):
    Wax, Waa, Wya = parameters["Wax"], parameters["Waa"], parameters["Wya"]
    ba, by = parameters["ba"], parameters["by"]
    a_next = np.tanh(Waa @ a_prev + Wax @ xt + ba)
    yt_pred = softmax(Wya @ a_next + by)
    cache = (a_next, a_prev, xt, parameters)
    return a_next, yt_pred, cache
'''
CANONICAL_FAY = '''
def softmax(z):
    shifted = z - np.max(z, axis=0, keepdims=True)
    p = np.exp(shifted)
    return p / np.sum(p, axis=0, keepdims=True)

def rnn_cell_forward(xt, a_prev, parameters):
    W_ax, W_aa, W_ya = parameters["Wax"], parameters["Waa"], parameters["Wya"]
    b_a, b_y = parameters["ba"], parameters["by"]
    h = np.tanh(W_aa @ a_prev + W_ax @ xt + b_a)
    y_hat = softmax(W_ya @ h + b_y)
    cache = (h, a_prev, xt, parameters)
    return h, y_hat, cache
'''


def _solution_copy_renamed() -> str:
    """Every function of the instructor's solution, solution markers dropped and every
    local name changed: what a student who copied the solution hands in."""
    import re

    nb = nbformat.read(REPO / "solutions" / "forward_pass" / "forward_pass.ipynb", 4)
    code = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code"
                       and "### BEGIN SOLUTION" in c.source)
    code = "\n".join(line for line in code.splitlines() if "### " not in line)
    for old, new in {"a_next": "state", "yt_pred": "probs", "cache": "memo",
                     "shifted": "centred", "p_correct": "picked", "a_prev": "prev_state",
                     "y_pred": "outputs", "caches": "memos", "e": "ex"}.items():
        code = re.sub(rf"\b{old}\b", new, code)
    return code


def test_short_canonical_functions_written_independently_are_not_copies():
    solution = nbformat.read(REPO / "solutions" / "forward_pass" / "forward_pass.ipynb", 4)
    release = nbformat.read(REPO / "exercises" / "forward_pass" / "forward_pass.ipynb", 4)
    subs = {"eve": _nb(CANONICAL_EVE), "fay": _nb(CANONICAL_FAY),
            "cat": _nb(DIFFERENT), "gus": _nb(_solution_copy_renamed())}
    # They do match the solution and each other token for token after normalisation...
    eve, fay = integrity.functions(CANONICAL_EVE), integrity.functions(CANONICAL_FAY)
    assert integrity.similarity(eve["rnn_cell_forward"], fay["rnn_cell_forward"]) > 0.95
    # (fay's two functions are 141 tokens, all near-identical to the solution's: the old,
    # unweighted rule flagged anything from 120 tokens up)
    assert sum(len(tokens) for tokens in fay.values()) >= 120
    report = integrity.scan("forward_pass", subs, release, solution)
    flags = report.by_student()
    # ... but such functions leave no freedom: neither student is flagged.
    for student in ("eve", "fay"):
        assert not any("near-copy" in f.reason for f in flags.get(student, [])), flags
    # The renamed copy of the whole solution is.
    assert any(f.reason == "near-copy of the instructor's solution" for f in flags["gus"])
    detail = next(f.detail for f in flags["gus"] if "solution" in f.reason)
    assert "rnn_forward" in detail and "freedom" in detail


def test_a_copy_of_one_long_function_is_still_flagged():
    # LONG and RENAMED (above) share one 140-token loop with many choices in it.
    subs = {"ann": _nb(LONG), "ben": _nb(RENAMED), "cat": _nb(DIFFERENT),
            "eve": _nb(CANONICAL_EVE)}
    flags = integrity.scan("forward_pass", subs).by_student()
    assert any("near-copy of other submissions" in f.reason and "ben" in f.detail
               for f in flags["ann"])
