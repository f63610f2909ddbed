"""Correct solutions written differently, as a student's version of a solution cell:
einsum, loops, other stable softmax forms, other loop orders, other samplers. Each must
get full marks (and no note about its helpers). EDIT_ALTERNATIVES lists
(label, Edit, function, check)."""

from __future__ import annotations

from .student import Edit


def S(assignment: str, cell: str, source: str) -> Edit:
    return Edit(assignment, cell, (), source)


EDIT_ALTERNATIVES = [
    ("one-hot from the identity matrix", S("notation", "one_hot", '''
def one_hot(indices, n_values):
    return np.eye(n_values)[:, indices]
'''), "one_hot", "one_hot"),
    ("padding with list arithmetic", S("notation", "pad_sequences", '''
def pad_sequences(sequences, pad_value=0):
    T_max = max(map(len, sequences))
    indices = np.array([list(s) + [pad_value] * (T_max - len(s)) for s in sequences],
                       dtype=np.int64)
    mask = np.array([[t < len(s) for t in range(T_max)] for s in sequences])
    return indices, mask
'''), "pad_sequences", "pad_sequences"),
    ("parameter count from the shapes", S("notation", "count_parameters", '''
def count_parameters(n_x, n_a, n_y):
    shapes = [(n_a, n_x), (n_a, n_a), (n_y, n_a), (n_a, 1), (n_y, 1)]
    return sum(r * c for r, c in shapes)
'''), "count_parameters", "count_parameters"),
    ("stacked with np.block", S("notation", "stack_weights", '''
def stack_weights(Waa, Wax):
    return np.block([Waa, Wax])
'''), "stack_weights", "stack_weights"),
    ("softmax without keepdims (broadcasting)", S("forward_pass", "softmax", '''
def softmax(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)
'''), "softmax", "softmax"),
    ("softmax column by column", S("forward_pass", "softmax", '''
def softmax(z):
    out = np.empty_like(z, dtype=float)
    for index in np.ndindex(z.shape[1:]):
        column = z[(slice(None),) + index]
        e = np.exp(column - column.max())
        out[(slice(None),) + index] = e / e.sum()
    return out
'''), "softmax", "softmax"),
    ("softmax through log-sum-exp", S("forward_pass", "softmax", '''
def softmax(z):
    m = np.max(z, axis=0, keepdims=True)
    return np.exp(z - m - np.log(np.sum(np.exp(z - m), axis=0, keepdims=True)))
'''), "softmax", "softmax"),
    ("cell with einsum", S("forward_pass", "rnn_cell_forward", '''
def rnn_cell_forward(xt, a_prev, parameters):
    p = parameters
    a_next = np.tanh(np.einsum("ij,jm->im", p["Waa"], a_prev)
                     + np.einsum("ij,jm->im", p["Wax"], xt) + p["ba"])
    yt_pred = softmax(np.einsum("ij,jm->im", p["Wya"], a_next) + p["by"])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)
'''), "rnn_cell_forward", "rnn_cell_forward"),
    ("sequence collected in lists", S("forward_pass", "rnn_forward", '''
def rnn_forward(x, a0, parameters):
    states, predictions, caches = [], [], []
    a_t = a0
    for t in range(x.shape[2]):
        a_t, y_t, cache = rnn_cell_forward(x[:, :, t], a_t, parameters)
        states.append(a_t)
        predictions.append(y_t)
        caches.append(cache)
    return np.stack(states, axis=2), np.stack(predictions, axis=2), (caches, x)
'''), "rnn_forward", "rnn_forward"),
    ("cross-entropy by fancy indexing", S("forward_pass", "cross_entropy", '''
def cross_entropy(y_pred, y):
    n_y, m, T_x = y_pred.shape
    idx = y.argmax(axis=0) if y.ndim == 3 else y
    picked = y_pred[idx, np.arange(m)[:, None], np.arange(T_x)[None, :]]
    return float(-np.log(picked).sum() / (m * T_x))
'''), "cross_entropy", "cross_entropy"),
    ("cross-entropy with a boolean mask", S("forward_pass", "cross_entropy", '''
def cross_entropy(y_pred, y):
    if y.ndim == 2:
        y = (np.arange(y_pred.shape[0])[:, None, None] == y[None]).astype(float)
    return float(-np.mean(np.log(y_pred[y.astype(bool)])))
'''), "cross_entropy", "cross_entropy"),
    ("perplexity computed on its own", S("forward_pass", "perplexity", '''
def perplexity(y_pred, y):
    if y.ndim == 3:
        y = y.argmax(axis=0)
    p = np.take_along_axis(y_pred, y[None], axis=0)
    return float(np.exp(-np.log(p).mean()))
'''), "perplexity", "perplexity"),
    ("cell backward with einsum", S("bptt", "rnn_cell_backward", '''
def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, p = cache
    dz = da_next * (1 - a_next * a_next)
    return {"dxt": np.einsum("ji,jm->im", p["Wax"], dz),
            "da_prev": np.einsum("ji,jm->im", p["Waa"], dz),
            "dWax": np.einsum("im,jm->ij", dz, xt), "dWaa": np.einsum("im,jm->ij", dz, a_prev),
            "dba": dz.sum(axis=1)[:, None]}
'''), "rnn_cell_backward", "rnn_cell_backward"),
    ("BPTT summing lists at the end", S("bptt", "rnn_backward", '''
def rnn_backward(da, caches):
    cell_caches, x = caches
    steps, dx = [], np.zeros(x.shape)
    carry = np.zeros(da.shape[:2])
    for t in range(x.shape[2] - 1, -1, -1):
        g = rnn_cell_backward(da[:, :, t] + carry, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        carry = g["da_prev"]
        steps.append(g)
    grads = {k: sum(g[k] for g in steps) for k in ("dWax", "dWaa", "dba")}
    grads.update(dx=dx, da0=carry)
    return grads
'''), "rnn_backward", "rnn_backward"),
    ("relative error with np.where", S("bptt", "rel_error", '''
def rel_error(x, y):
    scale = np.abs(x) + np.abs(y)
    scale = np.where(scale > 1e-8, scale, 1e-8)
    return float((np.abs(x - y) / scale).max())
'''), "rel_error", "rel_error"),
    ("global norm of one long vector", S("vanishing_gradients", "global_norm", '''
def global_norm(gradients):
    return float(np.linalg.norm(np.concatenate([g.ravel() for g in gradients.values()])))
'''), "global_norm", "global_norm"),
    ("clip with np.clip", S("vanishing_gradients", "clip", '''
def clip(gradients, max_value):
    return {k: np.clip(v, -max_value, max_value) for k, v in gradients.items()}
'''), "clip", "clip"),
    ("clip by norm with a guarded division", S("vanishing_gradients", "clip_by_norm", '''
def clip_by_norm(gradients, max_norm):
    norm = global_norm(gradients)
    scale = min(1.0, max_norm / max(norm, 1e-12))
    return {k: g.copy() * scale for k, g in gradients.items()}
'''), "clip_by_norm", "clip_by_norm"),
    ("relu as z * (z > 0)", S("vanishing_gradients", "rnn_cell_forward", '''
def rnn_cell_forward(xt, a_prev, parameters, activation="tanh"):
    p = parameters
    z = p["Wax"] @ xt + p["Waa"] @ a_prev + p["ba"]
    a_next = z * (z > 0) if activation == "relu" else np.tanh(z)
    a_next = a_next + 0.0
    return a_next, softmax(p["Wya"] @ a_next + p["by"]), (a_next, a_prev, xt, parameters)
'''), "rnn_cell_forward", "rnn_cell_forward_relu"),
    ("relu backward with np.where", S("vanishing_gradients", "rnn_cell_backward", '''
def rnn_cell_backward(da_next, cache, activation="tanh"):
    a_next, a_prev, xt, p = cache
    if activation == "relu":
        dz = np.where(a_next > 0, da_next, 0.0)
    else:
        dz = da_next * (1 - a_next ** 2)
    return {"dxt": p["Wax"].T @ dz, "da_prev": p["Waa"].T @ dz, "dWax": dz @ xt.T,
            "dWaa": dz @ a_prev.T, "dba": np.sum(dz, axis=1, keepdims=True)}
'''), "rnn_cell_backward", "rnn_cell_backward_relu"),
    ("GRU sequence with np.stack", S("gru_lstm", "gru_forward", '''
def gru_forward(x, a0, parameters):
    states, caches, a_t = [], [], a0
    for xt in np.moveaxis(x, 2, 0):
        a_t, cache = gru_cell_forward(xt, a_t, parameters)
        states.append(a_t)
        caches.append(cache)
    return np.stack(states, axis=-1), (caches, x)
'''), "gru_forward", "gru_forward"),
    ("GRU backward with dict sums", S("gru_lstm", "gru_backward", '''
def gru_backward(da, caches):
    cell_caches, x = caches
    dx = np.zeros_like(x)
    total = {}
    carry = np.zeros_like(da[:, :, -1])
    for t in range(x.shape[2] - 1, -1, -1):
        g = gru_cell_backward(da[:, :, t] + carry, cell_caches[t])
        carry = g.pop("da_prev")
        dx[:, :, t] = g.pop("dxt")
        total = {k: total.get(k, 0) + v for k, v in g.items()}
    return {"dx": dx, "da0": carry, **total}
'''), "gru_backward", "gru_backward"),
    ("LSTM sequence from lists", S("gru_lstm", "lstm_forward", '''
def lstm_forward(x, a0, parameters, c0=None):
    a_t, c_t = a0, (np.zeros_like(a0) if c0 is None else c0)
    a, y, c, caches = [], [], [], []
    for t in range(x.shape[2]):
        a_t, c_t, y_t, cache = lstm_cell_forward(x[:, :, t], a_t, c_t, parameters)
        a.append(a_t)
        c.append(c_t)
        y.append(y_t)
        caches.append(cache)
    return np.stack(a, 2), np.stack(y, 2), np.stack(c, 2), (caches, x)
'''), "lstm_forward", "lstm_forward"),
    ("LSTM backward with a while loop", S("gru_lstm", "lstm_backward", '''
def lstm_backward(da, caches):
    cell_caches, x = caches
    grads = {"dx": np.zeros_like(x)}
    da_next = np.zeros_like(da[:, :, 0])
    dc_next = np.zeros_like(da_next)
    t = x.shape[2]
    while t > 0:
        t -= 1
        g = lstm_cell_backward(da[:, :, t] + da_next, dc_next, cell_caches[t])
        da_next, dc_next = g["da_prev"], g["dc_prev"]
        grads["dx"][:, :, t] = g["dxt"]
        for k, v in g.items():
            if k.startswith(("dW", "db")):
                grads[k] = grads[k] + v if k in grads else v.copy()
    grads["da0"], grads["dc0"] = da_next, dc_next
    return grads
'''), "lstm_backward", "lstm_backward"),
    ("bidirectional with np.flip", S("architectures", "bidirectional_rnn_forward", '''
def bidirectional_rnn_forward(x, a0_f, a0_b, parameters, activation="tanh", merge="concat"):
    p, m = parameters, x.shape[1]
    a0_f = np.zeros((p["Waa_f"].shape[0], m)) if a0_f is None else a0_f
    a0_b = np.zeros((p["Waa_b"].shape[0], m)) if a0_b is None else a0_b
    a_f, _, cache_f = rnn_forward(x, a0_f, direction(p, "f"))
    a_r, _, cache_b = rnn_forward(np.flip(x, axis=2).copy(), a0_b, direction(p, "b"))
    a_b = np.flip(a_r, axis=2)
    a = np.vstack([a_f, a_b]) if merge == "concat" else a_f + a_b
    return a, (cache_f, cache_b, a_f.shape[0], a_b.shape[0], activation, merge)
'''), "bidirectional_rnn_forward", "bidirectional_rnn_forward"),
    ("stacked with an index loop", S("architectures", "stacked_rnn_forward", '''
def stacked_rnn_forward(x, a0, parameters):
    a, below = [], x
    for l in range(len(parameters)):
        p = parameters[l]
        start = a0[l] if a0 is not None else np.zeros((p["ba"].shape[0], x.shape[1]))
        below = rnn_states(below, start, p["Wax"], p["Waa"], p["ba"])
        a.append(below)
    return a, {"layers": len(a)}
'''), "stacked_rnn_forward", "stacked_rnn_forward"),
    ("attention with einsum and log-sum-exp", S("architectures", "attention_forward", '''
def attention_forward(s_prev, h, parameters, score="additive"):
    if score == "dot":
        e = np.einsum("hm,hmt->mt", s_prev, h)
        pre = None
    else:
        pre = np.tanh((parameters["Wq"] @ s_prev)[:, :, None]
                      + np.einsum("eh,hmt->emt", parameters["Wk"], h))
        e = np.einsum("e,emt->mt", parameters["v"][:, 0], pre)
    top = e.max(axis=1, keepdims=True)
    alpha = np.exp(e - top - np.log(np.exp(e - top).sum(axis=1, keepdims=True)))
    context = np.einsum("mt,hmt->hm", alpha, h)
    return context, alpha, (s_prev, h, alpha, pre, parameters, score)
'''), "attention_forward", "attention_forward"),
    ("vocabulary from a set display", S("char_lm", "text_ids", '''
def build_vocabulary(text):
    return sorted({*text})


def encode(text, vocabulary):
    return np.fromiter((vocabulary.index(ch) for ch in text), dtype=np.int64, count=len(text))


def decode(ids, vocabulary):
    chars = np.array(vocabulary + [""])
    return "".join(chars[np.asarray(ids, dtype=np.int64)].tolist()) if len(ids) else ""
'''), "build_vocabulary", "build_vocabulary"),
    ("encode with list.index", S("char_lm", "text_ids", '''
def build_vocabulary(text):
    return sorted(set(text))


def encode(text, vocabulary):
    return np.array([vocabulary.index(ch) for ch in text], dtype=np.int64).reshape(len(text))


def decode(ids, vocabulary):
    return "".join(map(vocabulary.__getitem__, map(int, ids)))
'''), "encode", "encode"),
    ("decode through np.array", S("char_lm", "text_ids", '''
def build_vocabulary(text):
    return sorted(set(text))


def encode(text, vocabulary):
    lookup = dict(zip(vocabulary, range(len(vocabulary))))
    return np.array([lookup[ch] for ch in text], dtype=np.int64)


def decode(ids, vocabulary):
    chars = np.array(vocabulary + [""])
    return "".join(chars[np.asarray(ids, dtype=np.int64)].tolist()) if len(ids) else ""
'''), "decode", "decode"),
    ("Adagrad with dict comprehensions", S("char_lm", "adagrad", '''
def adagrad(parameters, gradients, state=None, learning_rate=0.1):
    old = state["G"] if state else {k: np.zeros_like(v) for k, v in parameters.items()}
    G = {k: old[k] + gradients["d" + k] ** 2 for k in parameters}
    new = {k: parameters[k] - learning_rate * gradients["d" + k] / (np.sqrt(G[k]) + 1e-8)
           for k in parameters}
    return new, {"G": G}
'''), "adagrad", "adagrad"),
    ("sampler by the inverse CDF", S("char_lm", "sample", '''
def sample(parameters, start, length, temperature=1.0, rng=None):
    rng = np.random.default_rng(rng)
    V, n_a = parameters["Wya"].shape
    a = np.zeros((n_a, 1))
    out = []

    def step(a, i):
        return np.tanh(parameters["Waa"] @ a + parameters["Wax"][:, [i]] + parameters["ba"])

    for i in np.atleast_1d(start):
        a = step(a, int(i))
    for _ in range(length):
        z = (parameters["Wya"] @ a + parameters["by"]).ravel()
        if temperature == 0:
            nxt = int(z.argmax())
        else:
            p = np.exp((z - z.max()) / temperature)
            nxt = min(int(np.searchsorted(np.cumsum(p / p.sum()), rng.random())), V - 1)
        out.append(nxt)
        a = step(a, nxt)
    return np.array(out, dtype=np.int64)
'''), "sample", "sample"),
    ("sampler by the Gumbel-max trick", S("char_lm", "sample", '''
def sample(parameters, start, length, temperature=1.0, rng=None):
    rng = np.random.default_rng(rng)
    V, n_a = parameters["Wya"].shape
    a = np.zeros((n_a, 1))
    prompt = [start] if np.isscalar(start) else start
    ids = np.zeros(length, dtype=np.int64)
    for i in prompt:
        a = np.tanh(parameters["Waa"] @ a + parameters["Wax"][:, [i]] + parameters["ba"])
    for t in range(length):
        z = (parameters["Wya"] @ a + parameters["by"])[:, 0]
        if temperature == 0:
            ids[t] = np.argmax(z)
        else:
            ids[t] = np.argmax(z / temperature + rng.gumbel(size=V))
        a = np.tanh(parameters["Waa"] @ a + parameters["Wax"][:, [ids[t]]] + parameters["ba"])
    return ids
'''), "sample", "sample"),
    ("sampler with a multinomial draw", S("char_lm", "sample", '''
def sample(parameters, start, length, temperature=1.0, rng=None):
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    V, n_a = parameters["Wya"].shape
    a = np.zeros((n_a, 1))
    for i in ([start] if np.ndim(start) == 0 else start):
        x = np.zeros((V, 1))
        x[i] = 1
        a = np.tanh(parameters["Waa"] @ a + parameters["Wax"] @ x + parameters["ba"])
    out = []
    while len(out) < length:
        z = parameters["Wya"] @ a + parameters["by"]
        if temperature == 0:
            nxt = int(np.argmax(z))
        else:
            nxt = int(np.argmax(rng.multinomial(1, softmax(z / temperature)[:, 0])))
        out.append(nxt)
        x = np.zeros((V, 1))
        x[nxt] = 1
        a = np.tanh(parameters["Waa"] @ a + parameters["Wax"] @ x + parameters["ba"])
    return np.array(out, dtype=np.int64)
'''), "sample", "sample"),
]
