"""Mutants that go through real `nbgrader autograde`: a solution cell of the solved
notebook replaced by a wrong version. NOTEBOOK_MUTANTS maps an assignment to
(solution cell grade_id, wrong source, test cell that must lose points, message text)."""

NOTEBOOK_MUTANTS = {
    "forward_pass": ("softmax", '''
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
''', "test_softmax", "must normalise over axis 0"),
    "bptt": ("rnn_backward", '''
def rnn_backward(da, caches):
    cell_caches, x = caches
    grads = {"dx": np.zeros_like(x), "dWax": 0.0, "dWaa": 0.0, "dba": 0.0}
    for t in range(x.shape[2]):
        step = rnn_cell_backward(da[:, :, t], cell_caches[t])
        grads["dx"][:, :, t] = step["dxt"]
        for key in ("dWax", "dWaa", "dba"):
            grads[key] = grads[key] + step[key]
    grads["da0"] = step["da_prev"]
    return grads
''', "test_rnn_backward", "da_prev"),
    "gru_lstm": ("lstm_cell_forward", '''
def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    p = parameters
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(p["Wi"] @ concat + p["bi"])
    it = sigmoid(p["Wf"] @ concat + p["bf"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    ot = sigmoid(p["Wo"] @ concat + p["bo"])
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p)
''', "test_lstm_cell_forward", "holds the values of"),
    "vanishing_gradients": ("clip_by_norm", '''
def clip_by_norm(gradients, max_norm):
    out = {}
    for key, g in gradients.items():
        norm = np.sqrt(np.sum(g * g))
        out[key] = g * (max_norm / norm) if norm > max_norm else g.copy()
    return out
''', "test_clip_by_norm", "own norm"),
}


def _category_mutants() -> dict:
    """One student per category, each with one assignment whose notebook holds one mistake:
    student -> (assignment, {cell grade_id: source}, test cell that loses points, text its
    feedback shows, test cell that keeps every point or None)."""
    from .edits import BLAME, EDIT_MUTANTS

    def edit(label):
        return next(m.edit for m in EDIT_MUTANTS if m.label == label)

    inplace = edit("clip by norm returning its input")
    degenerate = edit("cross-entropy 0 log 0")
    sampling = edit("sampler drawing from np.random")
    blame = next(b[1] for b in BLAME if b[0].startswith("cell backward without the tanh"))
    return {
        "inplace": (inplace.assignment, {inplace.cell: inplace.apply()}, "test_clip_by_norm",
                    "the very dict", None),
        "degenerate": (degenerate.assignment, {degenerate.cell: degenerate.apply()},
                       "test_cross_entropy", "0 * log(0)", "test_perplexity"),
        "sampling": (sampling.assignment, {sampling.cell: sampling.apply()}, "test_sample",
                     "never used", None),
        "blame": (blame.assignment, {blame.cell: blame.apply()}, "test_rnn_cell_backward",
                  "fix rnn_cell_backward first", "test_rnn_backward"),
    }


CATEGORY_MUTANTS = _category_mutants()
