"""Mutants written as a student's edits of the notebooks' solution cells, from the
notebooks' instructions (what a student reads and gets wrong), by category:

- ordinary: a wrong formula, axis, order, sign, missing term or key;
- in-place: inputs changed in place, or an input returned where a new object is asked for;
- degenerate: inputs at the edges (zeros, 0 log 0, pad-valued data, upper-case or empty
  text, unsorted vocabularies, int32 for int64, large scores that overflow an unshifted
  softmax or defeat one global maximum, rel_error with opposite signs or near its floor);
- sampling: temperature and random generator mistakes in `sample`;
- blame: see BLAME (a wrong helper must cost its correct caller nothing).

EDIT_MUTANTS lists Mutant(label, category, Edit, function, sub-check that must fail,
text its message must contain, ...).
"""

from __future__ import annotations

from .student import Edit, Mutant


def E(assignment: str, cell: str, *pairs: tuple[str, str], source: str = "") -> Edit:
    return Edit(assignment, cell, tuple(pairs), source)


INPUTS = "does not change its inputs"
NOT = "a vocabulary not in sorted order"

# -- notation -------------------------------------------------------------------------------
N = "notation"
NOTATION = [
    Mutant("one-hot array of ints", "ordinary",
           E(N, "one_hot", ("np.zeros((n_values, m, T_x))",
                            "np.zeros((n_values, m, T_x), dtype=int)")),
           "one_hot", "shapes and types", "expected float64"),
    Mutant("one-hot counting indices from 1", "ordinary",
           E(N, "one_hot", ("out[indices[i, t], i, t]", "out[indices[i, t] - 1, i, t]")),
           "one_hot", "a 1 at each index, 0 elsewhere", "differs"),
    Mutant("one-hot with m and T_x swapped", "ordinary",
           E(N, "one_hot", ("m, T_x = indices.shape", "T_x, m = indices.shape"),
             ("out[indices[i, t], i, t]", "out[indices[t, i], i, t]")),
           "one_hot", "shapes and types", "has shape"),
    Mutant("padding mask from the values", "degenerate",
           E(N, "pad_sequences", ("    return indices, mask", "    mask = indices != pad_value\n"
                                  "    return indices, mask")),
           "pad_sequences", "tokens equal to the padding value", "mask differs"),
    Mutant("padded indices as int32", "degenerate",
           E(N, "pad_sequences", ("dtype=np.int64", "dtype=np.int32")),
           "pad_sequences", "shapes and types", "expected int64"),
    Mutant("padding before the tokens", "ordinary",
           E(N, "pad_sequences", ("indices[i, :len(s)] = s", "indices[i, T_max - len(s):] = s")),
           "pad_sequences", "indices", "indices differs"),
    Mutant("padding value ignored", "ordinary",
           E(N, "pad_sequences", ("np.full((len(sequences), T_max), pad_value,",
                                  "np.full((len(sequences), T_max), 0,")),
           "pad_sequences", "another padding value", "indices differs"),
    Mutant("padding the caller's lists in place", "in-place",
           E(N, "pad_sequences", source='''
def pad_sequences(sequences, pad_value=0):
    T_max = max(len(s) for s in sequences)
    lengths = [len(s) for s in sequences]
    for s in sequences:
        s.extend([pad_value] * (T_max - len(s)))
    indices = np.array(sequences, dtype=np.int64)
    mask = np.arange(T_max)[None, :] < np.array(lengths)[:, None]
    return indices, mask
'''), "pad_sequences", INPUTS, "changed the length of its input sequences"),
    Mutant("mask of ints", "ordinary",
           E(N, "pad_sequences", ("mask = np.zeros((len(sequences), T_max), dtype=bool)",
                                  "mask = np.zeros((len(sequences), T_max), dtype=int)"),
             ("mask[i, :len(s)] = True", "mask[i, :len(s)] = 1")),
           "pad_sequences", "shapes and types", "expected bool"),
    Mutant("parameter count without by", "ordinary",
           E(N, "count_parameters", (" + n_a + n_y)", " + n_a)")),
           "count_parameters", "Wax, Waa, Wya, ba and by", "is "),
    Mutant("parameter count as a float", "ordinary",
           E(N, "count_parameters", ("return int(", "return float(")),
           "count_parameters", "Wax, Waa, Wya, ba and by", "should be an int"),
    Mutant("stacked vertically", "ordinary",
           E(N, "stack_weights", ("np.hstack([Waa, Wax])", "np.vstack([Waa, Wax.T]).T")),
           "stack_weights", "Waa first, then Wax", "differs"),
]

# -- forward pass ---------------------------------------------------------------------------
F = "forward_pass"
FORWARD = [
    Mutant("softmax with one maximum for the whole array", "degenerate",
           E(F, "softmax", ("np.max(z, axis=0, keepdims=True)", "np.max(z)")),
           "softmax", "large scores, different in every column (stable)",
           "one maximum of the whole array", once=True),
    Mutant("softmax without the shift", "degenerate",
           E(F, "softmax", ("shifted = z - np.max(z, axis=0, keepdims=True)", "shifted = z")),
           "softmax", "large scores, different in every column (stable)",
           "subtract the column maximum", once=True),
    Mutant("softmax shifting z in place", "in-place",
           E(F, "softmax", ("shifted = z - np.max(z, axis=0, keepdims=True)",
                            "z -= np.max(z, axis=0, keepdims=True)\n    shifted = z")),
           "softmax", INPUTS, "changed its input z in place", once=True),
    Mutant("softmax normalised over the whole array", "ordinary",
           E(F, "softmax", ("np.sum(e, axis=0, keepdims=True)", "np.sum(e)")),
           "softmax", "over axis 0 (the classes)", "normalise over axis 0"),
    Mutant("softmax in float32", "ordinary",
           E(F, "softmax", ("e = np.exp(shifted)", "e = np.exp(shifted).astype(np.float32)")),
           "softmax", "shapes and types", "expected float64"),
    Mutant("cell without by", "ordinary",
           E(F, "rnn_cell_forward", ("softmax(Wya @ a_next + by)", "softmax(Wya @ a_next)")),
           "rnn_cell_forward", "all terms together", "yt_pred differs"),
    Mutant("cell with a sigmoid", "ordinary",
           E(F, "rnn_cell_forward", ("np.tanh(Waa @ a_prev + Wax @ xt + ba)",
                                     "1 / (1 + np.exp(-(Waa @ a_prev + Wax @ xt + ba)))")),
           "rnn_cell_forward", "all terms together", "a_next differs"),
    Mutant("cell with Waa and Wax exchanged", "ordinary",
           E(F, "rnn_cell_forward", ("np.tanh(Waa @ a_prev + Wax @ xt + ba)",
                                     "np.tanh(Wax @ a_prev + Waa @ xt + ba)")),
           "rnn_cell_forward", "shapes and types", "raised ValueError"),
    Mutant("cell with its own unshifted softmax", "degenerate",
           E(F, "rnn_cell_forward", ("yt_pred = softmax(Wya @ a_next + by)",
                                     "z = Wya @ a_next + by\n"
                                     "    yt_pred = np.exp(z) / np.exp(z).sum(axis=0)")),
           "rnn_cell_forward", "large scores Wya a + by (stable softmax)", "non-finite",
           once=True),
    Mutant("cell caching a_prev as a_next", "ordinary",
           E(F, "rnn_cell_forward", ("cache = (a_next, a_prev, xt, parameters)",
                                     "cache = (a_prev, a_prev, xt, parameters)")),
           "rnn_cell_forward", "the cache", "cache[0] (a_next)", once=True),
    Mutant("every step starts from a0", "ordinary",
           E(F, "rnn_forward", ("rnn_cell_forward(x[:, :, t], a_next, parameters)",
                                "rnn_cell_forward(x[:, :, t], a0, parameters)")),
           "rnn_forward", "every time step", "a differs"),
    Mutant("caches without x", "ordinary",
           E(F, "rnn_forward", ("return a, y_pred, (caches, x)", "return a, y_pred, caches")),
           "rnn_forward", "shapes and types", "caches should be a tuple"),
    Mutant("states written into a0", "in-place",
           E(F, "rnn_forward", ("    a_next = a0\n", "    a_next = a0\n    state = a0\n"),
             ("        a[:, :, t] = a_next\n", "        state[...] = a_next\n"
                                             "        a[:, :, t] = a_next\n")),
           "rnn_forward", INPUTS, "changed its input a0 in place", once=True),
    Mutant("ignores a0", "ordinary",
           E(F, "rnn_forward", ("    a_next = a0\n", "    a_next = np.zeros_like(a0)\n")),
           "rnn_forward", "one step (T_x = 1) starts from a0", "a differs"),
    Mutant("cross-entropy 0 log 0", "degenerate",
           E(F, "cross_entropy", ("p_correct = np.sum(y_pred * y, axis=0)",
                                  "return float(-np.sum(y * np.log(y_pred)) / "
                                  "(y.shape[1] * y.shape[2]))")),
           "cross_entropy", "exact zeros in y_pred (0 log 0 = 0)", "0 * log(0)", once=True),
    Mutant("cross-entropy for one-hot targets only", "ordinary",
           E(F, "cross_entropy", ("    if y.shape == y_pred.shape:\n", "    if True:\n")),
           "cross_entropy", "integer targets (m, T)", "expected a finite number"),
    Mutant("cross-entropy that expects int64 targets", "degenerate",
           E(F, "cross_entropy", ("    if y.shape == y_pred.shape:\n",
                                  "    if y.dtype != np.int64:\n")),
           "cross_entropy", "integer targets (m, T)", "expected a finite number", once=True),
    Mutant("cross-entropy over the batch only", "ordinary",
           E(F, "cross_entropy", ("-np.mean(np.log(p_correct))",
                                  "-np.mean(np.sum(np.log(p_correct), axis=1))")),
           "cross_entropy", "mean over batch and time", "differs"),
    Mutant("cross-entropy of every class", "ordinary",
           E(F, "cross_entropy", ("-np.mean(np.log(p_correct))", "-np.mean(np.log(y_pred))")),
           "cross_entropy", "one-hot targets", "differs"),
    Mutant("cross-entropy with an epsilon added in place", "in-place",
           E(F, "cross_entropy", ('    """\n', '    """\n    y_pred += 1e-12\n')),
           "cross_entropy", INPUTS, "changed its input y_pred in place", once=True),
    Mutant("perplexity exp(-J)", "ordinary",
           E(F, "perplexity", ("np.exp(cross_entropy(y_pred, y))",
                               "np.exp(-cross_entropy(y_pred, y))")),
           "perplexity", "exp of the cross-entropy", "differs"),
    Mutant("perplexity 2 ** J", "ordinary",
           E(F, "perplexity", ("np.exp(cross_entropy(y_pred, y))",
                               "2.0 ** cross_entropy(y_pred, y)")),
           "perplexity", "exp of the cross-entropy", "differs"),
]

# -- backpropagation through time -----------------------------------------------------------
B = "bptt"
BPTT = [
    Mutant("dWax and dWaa exchanged", "ordinary",
           E(B, "rnn_cell_backward", ('"dWax": dz @ xt.T', '"dWax": dz @ a_prev.T'),
             ('"dWaa": dz @ a_prev.T', '"dWaa": dz @ xt.T')),
           "rnn_cell_backward", "shapes and types", "has shape"),
    Mutant("dba without keepdims", "ordinary",
           E(B, "rnn_cell_backward", ("np.sum(dz, axis=1, keepdims=True)", "np.sum(dz, axis=1)")),
           "rnn_cell_backward", "shapes and types", "dba has shape"),
    Mutant("tanh applied again in the derivative", "ordinary",
           E(B, "rnn_cell_backward", ("(1.0 - a_next ** 2)", "(1.0 - np.tanh(a_next) ** 2)")),
           "rnn_cell_backward", "dWax, dWaa and dba", "differs"),
    Mutant("da_prev without the transpose", "ordinary",
           E(B, "rnn_cell_backward", ('parameters["Waa"].T @ dz', 'parameters["Waa"] @ dz')),
           "rnn_cell_backward", "dxt and da_prev", "da_prev differs", once=True),
    Mutant("dz computed in da_next", "in-place",
           E(B, "rnn_cell_backward", ("dz = da_next * (1.0 - a_next ** 2)",
                                      "da_next *= 1.0 - a_next ** 2\n    dz = da_next")),
           "rnn_cell_backward", INPUTS, "changed its input da_next in place", once=True),
    Mutant("a_next squared in the cache", "in-place",
           E(B, "rnn_cell_backward", ("dz = da_next * (1.0 - a_next ** 2)",
                                      "a_next **= 2\n    dz = da_next * (1.0 - a_next)")),
           "rnn_cell_backward", INPUTS, "changed its input cache[0] in place", once=True),
    Mutant("time walked forwards", "ordinary",
           E(B, "rnn_backward", ("for t in reversed(range(T_x)):", "for t in range(T_x):")),
           "rnn_backward", "gradient from later steps", "differs"),
    Mutant("gradient from later steps added into da", "in-place",
           E(B, "rnn_backward", ("step = rnn_cell_backward(da[:, :, t] + da_from_later, "
                                 "cell_caches[t])",
                                 "da[:, :, t] += da_from_later\n"
                                 "        step = rnn_cell_backward(da[:, :, t], cell_caches[t])")),
           "rnn_backward", INPUTS, "changed its input da in place", once=True),
    Mutant("parameter gradients overwritten each step", "ordinary",
           E(B, "rnn_backward", ("grads[key] += step[key]", "grads[key] = step[key]")),
           "rnn_backward", "gradients summed over time", "summed over all time steps",
           once=True),
    Mutant("dx stored in reversed time", "ordinary",
           E(B, "rnn_backward", ('grads["dx"][:, :, t] = step["dxt"]',
                                 'grads["dx"][:, :, T_x - 1 - t] = step["dxt"]')),
           "rnn_backward", "dx at every step", "dx differs"),
    Mutant("da0 from the input gradient", "ordinary",
           E(B, "rnn_backward", ('grads["da0"] = da_from_later', 'grads["da0"] = da[:, :, 0]')),
           "rnn_backward", "gradient from later steps", "da0 differs", once=True,
           also=("one step (T_x = 1)",)),
    Mutant("carry dropped", "ordinary",
           E(B, "rnn_backward", ("rnn_cell_backward(da[:, :, t] + da_from_later, cell_caches[t])",
                                 "rnn_cell_backward(da[:, :, t], cell_caches[t])")),
           "rnn_backward", "gradient from later steps", "da_prev", once=True,
           also=("dx at every step",)),
    Mutant("rel_error with the floor added", "degenerate",
           E(B, "rel_error", ("np.maximum(1e-8, np.abs(x) + np.abs(y))",
                              "(np.abs(x) + np.abs(y) + 1e-8)")),
           "rel_error", "entries near the 1e-8 floor", "replaces", once=True),
    Mutant("rel_error over |x + y|", "degenerate",
           E(B, "rel_error", ("np.maximum(1e-8, np.abs(x) + np.abs(y))",
                              "np.maximum(1e-8, np.abs(x + y))")),
           "rel_error", "opposite signs", "not |x + y|"),
    Mutant("rel_error mean instead of max", "ordinary",
           E(B, "rel_error", ("float(np.max(", "float(np.mean(")),
           "rel_error", "two random arrays", "differs"),
    Mutant("rel_error subtracting in place", "in-place",
           E(B, "rel_error", ("return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + "
                              "np.abs(y))))",
                              "s = np.abs(x) + np.abs(y)\n    x -= y\n"
                              "    return float(np.max(np.abs(x) / np.maximum(1e-8, s)))")),
           "rel_error", INPUTS, "changed its input x in place", once=True),
]

# -- vanishing and exploding gradients ------------------------------------------------------
V = "vanishing_gradients"
VANISHING = [
    Mutant("global norm without the root", "ordinary",
           E(V, "global_norm", ("return float(np.sqrt(total))", "return float(total)")),
           "global_norm", "all gradients together", "squared norm"),
    Mutant("global norm squaring in place", "in-place",
           E(V, "global_norm", ("total += float(np.sum(g * g))",
                                "g *= g\n        total += float(np.sum(g))")),
           "global_norm", INPUTS, "changed its input gradients", once=True),
    Mutant("global norm of the largest gradient", "ordinary",
           E(V, "global_norm", ("total += float(np.sum(g * g))",
                                "total = max(total, float(np.sum(g * g)))")),
           "global_norm", "all gradients together", "differs"),
    Mutant("clip in place with out=", "in-place",
           E(V, "clip", ("return {key: np.minimum(np.maximum(g, -max_value), max_value) for key, g "
                         "in gradients.items()}",
                         "return {key: np.clip(g, -max_value, max_value, out=g) for key, g in "
                         "gradients.items()}")),
           "clip", INPUTS, "changed its input gradients", once=True),
    Mutant("clip writing back into the dict", "in-place",
           E(V, "clip", source='''
def clip(gradients, max_value):
    for key in gradients:
        gradients[key] = np.clip(gradients[key], -max_value, max_value)
    return gradients
'''), "clip", INPUTS, "the very dict", once=True),
    Mutant("clip returning the dict when nothing is large", "in-place",
           E(V, "clip", source='''
def clip(gradients, max_value):
    if all(np.abs(g).max() <= max_value for g in gradients.values()):
        return gradients
    return {key: np.clip(g, -max_value, max_value) for key, g in gradients.items()}
'''), "clip", INPUTS, "the very dict", once=True),
    Mutant("clip to [0, max_value]", "ordinary",
           E(V, "clip", ("np.maximum(g, -max_value)", "np.maximum(g, 0.0)")),
           "clip", "small entries unchanged", "must not change"),
    Mutant("clip by norm dividing by a zero norm", "degenerate",
           E(V, "clip_by_norm", ("scale = max_norm / norm if norm > max_norm else 1.0",
                                 "scale = min(1.0, max_norm / norm)")),
           "clip_by_norm", "all-zero gradients", "ZeroDivisionError", once=True),
    Mutant("clip by norm always rescaling", "ordinary",
           E(V, "clip_by_norm", ("scale = max_norm / norm if norm > max_norm else 1.0",
                                 "scale = max_norm / norm")),
           "clip_by_norm", "norm already small: unchanged", "differs"),
    Mutant("clip by norm returning its input", "in-place",
           E(V, "clip_by_norm", ("    scale = max_norm / norm if norm > max_norm else 1.0\n",
                                 "    if norm <= max_norm:\n        return gradients\n"
                                 "    scale = max_norm / norm\n")),
           "clip_by_norm", INPUTS, "the very dict", once=True),
    Mutant("clip by norm sharing the arrays", "in-place",
           E(V, "clip_by_norm", ("    scale = max_norm / norm if norm > max_norm else 1.0\n",
                                 "    if norm <= max_norm:\n"
                                 "        return {key: g for key, g in gradients.items()}\n"
                                 "    scale = max_norm / norm\n")),
           "clip_by_norm", INPUTS, "shares memory", once=True),
    Mutant("clip by norm scaling in place", "in-place",
           E(V, "clip_by_norm", ("return {key: g * scale for key, g in gradients.items()}",
                                 "for g in gradients.values():\n        g *= scale\n"
                                 "    return dict(gradients)")),
           "clip_by_norm", INPUTS, "changed its input gradients", once=True),
    Mutant("relu with np.max", "ordinary",
           E(V, "rnn_cell_forward", ("np.maximum(z, 0.0)", "np.max(z, 0)")),
           "rnn_cell_forward", "shapes and types", "raised ValueError",
           check="rnn_cell_forward_relu"),
    Mutant("relu as the default", "ordinary",
           E(V, "rnn_cell_forward", ('activation="tanh"):', 'activation="relu"):')),
           "rnn_cell_forward", "tanh is still the default", "differs",
           check="rnn_cell_forward_relu", once=True),
    Mutant("relu derivative at zero counted", "ordinary",
           E(V, "rnn_cell_backward", ("(a_next > 0)", "(a_next >= 0)")),
           "rnn_cell_backward", "relu derivative [z > 0]", "differs",
           check="rnn_cell_backward_relu"),
    Mutant("relu backward zeroing da_next in place", "in-place",
           E(V, "rnn_cell_backward", ("dz = da_next * (a_next > 0)",
                                      "da_next[a_next <= 0] = 0.0\n        dz = da_next")),
           "rnn_cell_backward", INPUTS, "changed its input da_next in place",
           check="rnn_cell_backward_relu", once=True),
]

# -- GRU and LSTM ---------------------------------------------------------------------------
G = "gru_lstm"
GATED = [
    Mutant("GRU stacks [x; a] instead of [a; x]", "ordinary",
           E(G, "gru_cell_forward", ("concat = np.concatenate([a_prev, xt], axis=0)",
                                     "concat = np.concatenate([xt, a_prev], axis=0)")),
           "gru_cell_forward", "gates u and r (gate order)", "differs"),
    Mutant("GRU reset applied to a_prev in place", "in-place",
           E(G, "gru_cell_forward", ("cct = np.tanh(p[\"Wc\"] @ np.concatenate([rt * a_prev, xt], "
                                     "axis=0) + p[\"bc\"])\n    a_next = ut * cct + (1.0 - ut) * "
                                     "a_prev",
                                     "old = a_prev.copy()\n    a_prev *= rt\n"
                                     "    cct = np.tanh(p[\"Wc\"] @ np.concatenate([a_prev, xt], "
                                     "axis=0) + p[\"bc\"])\n"
                                     "    a_next = ut * cct + (1.0 - ut) * old\n"
                                     "    a_prev = old")),
           "gru_cell_forward", INPUTS, "changed its input a_prev in place", once=True),
    Mutant("GRU cache with ut and rt exchanged", "ordinary",
           E(G, "gru_cell_forward", ("(a_next, a_prev, ut, rt, cct, xt, parameters)",
                                     "(a_next, a_prev, rt, ut, cct, xt, parameters)")),
           "gru_cell_forward", "gates u and r (gate order)", "holds the values of"),
    Mutant("GRU over time always from a0", "ordinary",
           E(G, "gru_forward", ("gru_cell_forward(x[:, :, t], a_next, parameters)",
                                "gru_cell_forward(x[:, :, t], a0, parameters)")),
           "gru_forward", "every time step", "a differs"),
    Mutant("GRU caches without x", "ordinary",
           E(G, "gru_forward", ("return a, (caches, x)", "return a, caches")),
           "gru_forward", "shapes and types", "caches should be a tuple"),
    Mutant("GRU backward candidate without u", "ordinary",
           E(G, "gru_cell_backward", ("dzc = da_next * ut * (1.0 - cct ** 2)",
                                      "dzc = da_next * (1.0 - cct ** 2)")),
           "gru_cell_backward", "candidate (dWc, dbc)", "differs"),
    Mutant("GRU backward dWr on the candidate's column", "ordinary",
           E(G, "gru_cell_backward", ('"dWr": dzr @ concat.T', '"dWr": dzr @ concat_c.T')),
           "gru_cell_backward", "reset gate (dWr, dbr)", "dWr differs", once=True),
    Mutant("GRU backward resetting a_prev in the cache", "in-place",
           E(G, "gru_cell_backward", ("concat_c = np.concatenate([rt * a_prev, xt], axis=0)",
                                      "kept = a_prev.copy()\n    a_prev *= rt\n"
                                      "    concat_c = np.concatenate([a_prev, xt], axis=0)\n"
                                      "    a_prev = kept")),
           "gru_cell_backward", INPUTS, "changed its input cache[1] in place", once=True),
    Mutant("GRU backward without the carry", "ordinary",
           E(G, "gru_backward", ("gru_cell_backward(da[:, :, t] + da_later, cell_caches[t])",
                                 "gru_cell_backward(da[:, :, t], cell_caches[t])")),
           "gru_backward", "gradient from later steps", "differs", once=True),
    Mutant("GRU backward adding the carry into da", "in-place",
           E(G, "gru_backward", ("step = gru_cell_backward(da[:, :, t] + da_later, cell_caches[t])",
                                 "da[:, :, t] += da_later\n"
                                 "        step = gru_cell_backward(da[:, :, t], cell_caches[t])")),
           "gru_backward", INPUTS, "changed its input da in place", once=True),
    Mutant("LSTM c_next with f and i exchanged", "ordinary",
           E(G, "lstm_cell_forward", ("c_next = ft * c_prev + it * cct",
                                      "c_next = it * c_prev + ft * cct")),
           "lstm_cell_forward", "cell state c_next", "forget gate on the old cell state"),
    Mutant("LSTM with its own unshifted softmax", "degenerate",
           E(G, "lstm_cell_forward", ('yt_pred = softmax(p["Wy"] @ a_next + p["by"])',
                                      'z = p["Wy"] @ a_next + p["by"]\n'
                                      '    yt_pred = np.exp(z) / np.exp(z).sum(axis=0)')),
           "lstm_cell_forward", "large scores Wy a + by (stable softmax)", "non-finite",
           once=True),
    Mutant("LSTM forgetting into c_prev in place", "in-place",
           E(G, "lstm_cell_forward", ("c_next = ft * c_prev + it * cct",
                                      "c_prev *= ft\n    c_next = c_prev + it * cct")),
           "lstm_cell_forward", INPUTS, "changed its input c_prev in place"),
    Mutant("LSTM cache with cct and ot exchanged", "ordinary",
           E(G, "lstm_cell_forward", ("ft, it, cct, ot, xt, parameters)",
                                      "ft, it, ot, cct, xt, parameters)")),
           "lstm_cell_forward", "the cache", "cache[6] (cct)"),
    Mutant("LSTM over time ignoring c0", "ordinary",
           E(G, "lstm_forward", ("c_next = np.zeros((n_a, m)) if c0 is None else c0",
                                 "c_next = np.zeros((n_a, m))")),
           "lstm_forward", "starts from a given c0", "differs", once=True),
    Mutant("LSTM over time without a default c0", "ordinary",
           E(G, "lstm_forward", ("c_next = np.zeros((n_a, m)) if c0 is None else c0",
                                 "c_next = c0")),
           "lstm_forward", "shapes and types", "raised TypeError"),
    Mutant("LSTM backward without dc_next", "ordinary",
           E(G, "lstm_cell_backward", ("dc = dc_next + da_next", "dc = da_next")),
           "lstm_cell_backward", "dxt, da_prev and dc_prev", "differs"),
    Mutant("LSTM backward output gate on c_next", "ordinary",
           E(G, "lstm_cell_backward", ('"o": da_next * tanh_c * ot * (1.0 - ot)',
                                       '"o": da_next * c_next * ot * (1.0 - ot)')),
           "lstm_cell_backward", "gate weights (dWf, dWi, dWc, dWo)", "dWo differs"),
    Mutant("LSTM backward biases summed over the units", "ordinary",
           E(G, "lstm_cell_backward", ('dz[g].sum(axis=1, keepdims=True)',
                                       'dz[g].sum(axis=0, keepdims=True)')),
           "lstm_cell_backward", "shapes and types", "has shape"),
    Mutant("LSTM backward adding into dc_next", "in-place",
           E(G, "lstm_cell_backward", ("dc = dc_next + da_next * ot * (1.0 - tanh_c ** 2)",
                                       "dc_next += da_next * ot * (1.0 - tanh_c ** 2)\n"
                                       "    dc = dc_next")),
           "lstm_cell_backward", INPUTS, "changed its input dc_next in place", once=True),
    Mutant("LSTM backward without the dc carry", "ordinary",
           E(G, "lstm_backward", ("lstm_cell_backward(da[:, :, t] + da_later, dc_later, "
                                  "cell_caches[t])",
                                  "lstm_cell_backward(da[:, :, t] + da_later, "
                                  "np.zeros_like(dc_later), cell_caches[t])")),
           "lstm_backward", "gradient from later steps", "dc0 differs", once=True),
    Mutant("LSTM backward without the da carry", "ordinary",
           E(G, "lstm_backward", ("lstm_cell_backward(da[:, :, t] + da_later, dc_later, "
                                  "cell_caches[t])",
                                  "lstm_cell_backward(da[:, :, t], dc_later, cell_caches[t])")),
           "lstm_backward", "gradient from later steps", "differs", once=True),
    Mutant("LSTM backward gradients overwritten each step", "ordinary",
           E(G, "lstm_backward", ('grads["dW" + g] += step["dW" + g]',
                                  'grads["dW" + g] = step["dW" + g]')),
           "lstm_backward", "gradients summed over time", "differs", once=True),
    Mutant("LSTM backward without dc0", "ordinary",
           E(G, "lstm_backward", ('grads["da0"], grads["dc0"] = da_later, dc_later',
                                  'grads["da0"] = da_later')),
           "lstm_backward", "gradient from later steps", "missing the key", once=True,
           # an output of the wrong kind earns nothing for not changing the inputs either
           also=("shapes and types", INPUTS)),
]

# -- architectures --------------------------------------------------------------------------
A = "architectures"
ARCHITECTURES = [
    Mutant("bidirectional with a0_f and a0_b exchanged", "ordinary",
           E(A, "bidirectional_rnn_forward",
             ('    if a0_f is None:\n', '    a0_f, a0_b = a0_b, a0_f\n    if a0_f is None:\n')),
           "bidirectional_rnn_forward", "initial states a0_f and a0_b", "raised"),
    Mutant("bidirectional that always concatenates", "ordinary",
           E(A, "bidirectional_rnn_forward",
             ('if merge == "concat" else a_f + a_b', 'if merge else a_f + a_b')),
           "bidirectional_rnn_forward", "merge='sum'", "has shape", once=True),
    Mutant("bidirectional backward RNN reading forwards", "ordinary",
           E(A, "bidirectional_rnn_forward",
             ('rnn_forward(x[:, :, ::-1].copy(), a0_b, direction(p, "b"))',
              'rnn_forward(x, a0_b, direction(p, "b"))')),
           "bidirectional_rnn_forward", "backward direction reads the sequence from the end",
           "differs"),
    Mutant("bidirectional reversing x in place", "in-place",
           E(A, "bidirectional_rnn_forward",
             ('rnn_forward(x[:, :, ::-1].copy(), a0_b, direction(p, "b"))',
              'rnn_forward(_reverse(x), a0_b, direction(p, "b"))'),
             ('def bidirectional_rnn_forward', 'def _reverse(x):\n    x[...] = x[:, :, ::-1]\n'
              '    return x\n\n\ndef bidirectional_rnn_forward')),
           "bidirectional_rnn_forward", INPUTS, "changed its input x in place", once=True),
    Mutant("bidirectional backward dx not flipped back", "ordinary",
           E(A, "bidirectional_rnn_backward", ('g_b["dx"][:, :, ::-1]', 'g_b["dx"]')),
           "bidirectional_rnn_backward", "dx from both directions", "dx differs", once=True,
           also=("merge='sum'",)),
    Mutant("bidirectional backward splitting da for merge='sum'", "ordinary",
           E(A, "bidirectional_rnn_backward", ('    if merge == "concat":\n', '    if True:\n')),
           "bidirectional_rnn_backward", "merge='sum'", "raised"),
    Mutant("bidirectional backward flipping da in place", "in-place",
           E(A, "bidirectional_rnn_backward",
             ('g_b = rnn_backward(da_b[:, :, ::-1], cache_b)',
              'da_b[...] = da_b[:, :, ::-1]\n    g_b = rnn_backward(da_b, cache_b)')),
           "bidirectional_rnn_backward", INPUTS, "changed its input da in place", once=True),
    Mutant("stacked layer 2 reads x", "ordinary",
           E(A, "stacked_rnn_forward",
             ('inputs = rnn_states(inputs, start', 'inputs = rnn_states(x, start')),
           "stacked_rnn_forward", "shapes and types", "raised"),
    Mutant("stacked returns the top layer only", "ordinary",
           E(A, "stacked_rnn_forward", ("return states, None", "return states[-1], None")),
           "stacked_rnn_forward", "shapes and types", "a"),
    Mutant("attention without the shift", "degenerate",
           E(A, "attention_forward", ("    e = e - e.max(axis=1, keepdims=True)\n", "")),
           "attention_forward", "large scores, different for every example (stable)",
           "non-finite", once=True),
    Mutant("attention with one maximum for all examples", "degenerate",
           E(A, "attention_forward", ("e = e - e.max(axis=1, keepdims=True)", "e = e - e.max()")),
           "attention_forward", "large scores, different for every example (stable)",
           "non-finite", once=True),
    Mutant("attention context as a plain mean", "ordinary",
           E(A, "attention_forward", ("context += alpha[:, t] * h[:, :, t]",
                                      "context += h[:, :, t] / T_x")),
           "attention_forward", "context: alpha-weighted sum of h", "context differs"),
    Mutant("attention dot score through the additive path", "ordinary",
           E(A, "attention_forward", ('        if score == "dot":\n', '        if False:\n'),
             ('pre = None if score == "dot" else', 'pre =')),
           "attention_forward", "dot-product score", "raised"),
    Mutant("attention weighting h in place", "in-place",
           E(A, "attention_forward", ("    context = np.zeros((n_h, m))\n    for t in range(T_x):\n"
                                      "        context += alpha[:, t] * h[:, :, t]\n",
                                      "    for t in range(T_x):\n"
                                      "        h[:, :, t] *= alpha[:, t]\n"
                                      "    context = h.sum(axis=2)\n"),
             ("return context, alpha, (s_prev, h, alpha, pre, parameters, score)",
              "return context, alpha, (s_prev, None, alpha, pre, parameters, score)")),
           "attention_forward", INPUTS, "changed its input h in place", once=True),
    Mutant("attention backward dWq from the last position", "ordinary",
           E(A, "attention_backward", ('grads["dWq"] = dz_sum @ s_prev.T',
                                       'grads["dWq"] = dz @ s_prev.T')),
           "attention_backward", "dWq, dWk and dv", "dWq differs", once=True),
    Mutant("attention backward dot score without the s path", "ordinary",
           E(A, "attention_backward", ("            dh[:, :, t] += de[:, t] * s_prev\n", "")),
           "attention_backward", "dot-product score", "dh differs"),
]

# -- the character-level language model ------------------------------------------------------
C = "char_lm"
CHAR_LM = [
    Mutant("vocabulary in order of appearance", "ordinary",
           E(C, "text_ids", ("return sorted(set(text))", "return list(dict.fromkeys(text))")),
           "build_vocabulary", "distinct characters, sorted", "expected"),
    Mutant("vocabulary of the lower-cased text", "degenerate",
           E(C, "text_ids", ("return sorted(set(text))", "return sorted(set(text.lower()))")),
           "build_vocabulary", "upper-case letters and punctuation are characters too",
           "should be a list of", once=True),
    Mutant("vocabulary of letters only", "degenerate",
           E(C, "text_ids", ("return sorted(set(text))",
                             "return sorted(set(c for c in text if c.isalnum()))")),
           "build_vocabulary", "upper-case letters and punctuation are characters too",
           "should be a list of"),
    Mutant("vocabulary as a string", "ordinary",
           E(C, "text_ids", ("return sorted(set(text))", 'return "".join(sorted(set(text)))')),
           "build_vocabulary", "distinct characters, sorted", "should be a list"),
    Mutant("encode re-sorting the vocabulary", "degenerate",
           E(C, "text_ids", ("index = {ch: i for i, ch in enumerate(vocabulary)}",
                             "index = {ch: i for i, ch in enumerate(sorted(vocabulary))}")),
           "encode", NOT, "differs", once=True),
    Mutant("encode sorting the caller's vocabulary", "in-place",
           E(C, "text_ids", ("index = {ch: i for i, ch in enumerate(vocabulary)}",
                             "vocabulary.sort()\n    index = {ch: i for i, ch in "
                             "enumerate(vocabulary)}")),
           "encode", INPUTS, "changed its input vocabulary", also=(NOT,), once=True),
    Mutant("encode to int32", "degenerate",
           E(C, "text_ids", ("for ch in text], dtype=np.int64)",
                             "for ch in text], dtype=np.int32)")),
           "encode", "shapes and types", "expected int64"),
    Mutant("encode without a dtype", "degenerate",
           E(C, "text_ids", ("for ch in text], dtype=np.int64)", "for ch in text])")),
           "encode", "empty text", "expected an integer dtype", once=True),
    Mutant("encode lower-casing the text", "degenerate",
           E(C, "text_ids", ("for ch in text]", "for ch in text.lower()]")),
           "encode", "upper-case text", "raised KeyError", once=True),
    Mutant("decode with the sorted vocabulary", "degenerate",
           E(C, "text_ids", ('"".join(vocabulary[int(i)] for i in ids)',
                             '"".join(sorted(vocabulary)[int(i)] for i in ids)')),
           "decode", NOT, "expected", once=True),
    Mutant("decode to a list", "ordinary",
           E(C, "text_ids", ('"".join(vocabulary[int(i)] for i in ids)',
                             '[vocabulary[int(i)] for i in ids]')),
           "decode", "ids to text", "should be"),
    Mutant("decode sorting the vocabulary in place", "in-place",
           E(C, "text_ids", ('    return "".join(vocabulary[int(i)] for i in ids)',
                             '    vocabulary.sort()\n'
                             '    return "".join(vocabulary[int(i)] for i in ids)')),
           "decode", INPUTS, "changed its input vocabulary", also=(NOT,), once=True),
    Mutant("loss ignoring the carried state", "ordinary",
           E(C, "char_lm_loss", ("    if a0 is None:\n        a0 = np.zeros((n_a, m))\n",
                                 "    a0 = np.zeros((n_a, m))\n")),
           "char_lm_loss", "carried state a0 and the last state", "differs", once=True),
    Mutant("loss without the 1 / (mT) in dz", "ordinary",
           E(C, "char_lm_loss", ("dz = (y_pred - y) / (m * T)", "dz = y_pred - y")),
           "char_lm_loss", "output layer gradients (dWya, dby)", "differs"),
    Mutant("loss returning the first state", "ordinary",
           E(C, "char_lm_loss", ("a[:, :, -1].copy()", "a[:, :, 0].copy()")),
           "char_lm_loss", "carried state a0 and the last state", "a_last differs", once=True),
    Mutant("loss with dz = y - y_pred", "ordinary",
           E(C, "char_lm_loss", ("dz = (y_pred - y) / (m * T)", "dz = (y - y_pred) / (m * T)")),
           "char_lm_loss", "output layer gradients (dWya, dby)", "differs"),
    Mutant("Adagrad updating the arrays in place", "in-place",
           E(C, "adagrad", ("new_parameters[name] = w - learning_rate * g / (np.sqrt(G[name]) + "
                            "1e-8)",
                            "w -= learning_rate * g / (np.sqrt(G[name]) + 1e-8)\n"
                            "        new_parameters[name] = w")),
           "adagrad", INPUTS, "changed its input parameters", once=True),
    Mutant("Adagrad growing the old state in place", "in-place",
           E(C, "adagrad", ("G_old = {} if state is None else state[\"G\"]\n    new_parameters, "
                            "G = {}, {}",
                            "G_old = {} if state is None else state[\"G\"]\n    new_parameters, "
                            "G = {}, G_old")),
           "adagrad", INPUTS, "changed its input state", once=True),
    Mutant("Adagrad returning the parameters dict", "in-place",
           E(C, "adagrad", ("new_parameters, G = {}, {}", "new_parameters, G = parameters, {}")),
           "adagrad", INPUTS, "the very dict", once=True),
    Mutant("Adagrad dividing before adding g squared", "ordinary",
           E(C, "adagrad", ("G[name] = G_old.get(name, np.zeros_like(w)) + g ** 2\n"
                            "        new_parameters[name] = w - learning_rate * g / "
                            "(np.sqrt(G[name]) + 1e-8)",
                            "G[name] = G_old.get(name, np.zeros_like(w))\n"
                            "        new_parameters[name] = w - learning_rate * g / "
                            "(np.sqrt(G[name]) + 1e-8)\n"
                            "        G[name] = G[name] + g ** 2")),
           "adagrad", "first step (no state yet)", "differs"),
    Mutant("Adagrad without the learning rate", "ordinary",
           E(C, "adagrad", ("w - learning_rate * g", "w - g")),
           "adagrad", "first step (no state yet)", "differs"),
    Mutant("sampler ignoring the temperature", "sampling",
           E(C, "sample", ("softmax(z / temperature)", "softmax(z)")),
           "sample", "temperature > 0: draws follow softmax(z / temperature)",
           "ignoring the temperature", once=True),
    Mutant("sampler multiplying by the temperature", "sampling",
           E(C, "sample", ("softmax(z / temperature)", "softmax(z * temperature)")),
           "sample", "temperature > 0: draws follow softmax(z / temperature)",
           "softmax(z * temperature)", once=True),
    Mutant("sampler drawing from np.random", "sampling",
           E(C, "sample", ("rng.choice(V, p=softmax(z / temperature))",
                           "np.random.choice(V, p=softmax(z / temperature))")),
           "sample", "draws come from the rng you pass (same seed, same draws)", "never used",
           once=True),
    Mutant("sampler with a fresh unseeded generator", "sampling",
           E(C, "sample", ("rng.choice(V, p=softmax(z / temperature))",
                           "np.random.default_rng().choice(V, p=softmax(z / temperature))")),
           "sample", "draws come from the rng you pass (same seed, same draws)", "never used",
           once=True),
    Mutant("sampler with a fixed seed of its own", "sampling",
           E(C, "sample", ("rng = rng if isinstance(rng, np.random.Generator) else "
                           "np.random.default_rng(rng)", "rng = np.random.default_rng(0)")),
           "sample", "draws come from the rng you pass (same seed, same draws)", "never used",
           once=True),
    Mutant("sampler that always takes the argmax", "sampling",
           E(C, "sample", ("nxt = int(rng.choice(V, p=softmax(z / temperature)))",
                           "nxt = int(np.argmax(z))")),
           "sample", "temperature > 0: draws follow softmax(z / temperature)",
           "always the most likely", also=("draws come from the rng you pass (same seed, "
                                           "same draws)",), once=True),
    Mutant("sampler without the temperature-0 branch", "sampling",
           E(C, "sample", ("        if temperature == 0:\n            nxt = int(np.argmax(z))\n"
                           "        else:\n            nxt = int(rng.choice(V, p=softmax(z / "
                           "temperature)))",
                           "        nxt = int(rng.choice(V, p=softmax(z / temperature)))")),
           "sample", "temperature 0 picks the most likely character", "raised",
           also=("shapes and types", "a longer prompt sets the state first"), once=True),
    Mutant("sampler that needs a Generator", "sampling",
           E(C, "sample", ("    rng = rng if isinstance(rng, np.random.Generator) else "
                           "np.random.default_rng(rng)\n", "")),
           "sample", "temperature > 0: draws follow softmax(z / temperature)",
           "raised AttributeError", once=True),
    Mutant("sampler returning int32", "degenerate",
           E(C, "sample", ("np.array(out, dtype=np.int64)", "np.array(out, dtype=np.int32)")),
           "sample", "shapes and types", "expected int64"),
    Mutant("sampler returning the prompt too", "ordinary",
           E(C, "sample", ("    out = []\n", "    out = list(prompt)\n")),
           "sample", "shapes and types", "has shape"),
    Mutant("sampler applying the temperature to the caller's parameters", "in-place",
           E(C, "sample", ("    prompt = [start]", "    if temperature > 0:\n"
                           "        parameters[\"Wya\"] = parameters[\"Wya\"] / temperature\n"
                           "        parameters[\"by\"] = parameters[\"by\"] / temperature\n"
                           "    prompt = [start]"),
             ("softmax(z / temperature)", "softmax(z)")),
           "sample", INPUTS, "changed its input parameters['Wya']", once=True),
]

EDIT_MUTANTS = NOTATION + FORWARD + BPTT + VANISHING + GATED + ARCHITECTURES + CHAR_LM


# -- blame: a wrong helper costs its correct caller nothing -----------------------------------
# (label, Edit of the helper's cell, helper's check, caller function, caller's check)
BLAME = [
    ("cross_entropy summed -> perplexity", E(F, "cross_entropy", (
        "-np.mean(np.log(p_correct))", "-np.sum(np.log(p_correct))")),
     "cross_entropy", "perplexity", "perplexity"),
    ("cross_entropy not implemented -> perplexity", E(F, "cross_entropy", source='''
def cross_entropy(y_pred, y):
    raise NotImplementedError()
'''), "cross_entropy", "perplexity", "perplexity"),
    ("softmax over axis 1 -> rnn_cell_forward", E(F, "softmax", (
        "np.max(z, axis=0, keepdims=True)", "np.max(z, axis=1, keepdims=True)"), (
        "np.sum(e, axis=0, keepdims=True)", "np.sum(e, axis=1, keepdims=True)")),
     "softmax", "rnn_cell_forward", "rnn_cell_forward"),
    ("unshifted softmax -> rnn_cell_forward", E(F, "softmax", (
        "shifted = z - np.max(z, axis=0, keepdims=True)", "shifted = z")),
     "softmax", "rnn_cell_forward", "rnn_cell_forward"),
    ("cell without tanh -> rnn_forward", E(F, "rnn_cell_forward", (
        "np.tanh(Waa @ a_prev + Wax @ xt + ba)", "Waa @ a_prev + Wax @ xt + ba")),
     "rnn_cell_forward", "rnn_forward", "rnn_forward"),
    ("cell backward without the tanh derivative -> rnn_backward", E(B, "rnn_cell_backward", (
        "dz = da_next * (1.0 - a_next ** 2)", "dz = da_next")),
     "rnn_cell_backward", "rnn_backward", "rnn_backward"),
    ("global norm without the root -> clip_by_norm", E(V, "global_norm", (
        "return float(np.sqrt(total))", "return float(total)")),
     "global_norm", "clip_by_norm", "clip_by_norm"),
    ("GRU cell with u and 1 - u exchanged -> gru_forward", E(G, "gru_cell_forward", (
        "a_next = ut * cct + (1.0 - ut) * a_prev", "a_next = (1.0 - ut) * cct + ut * a_prev")),
     "gru_cell_forward", "gru_forward", "gru_forward"),
    ("GRU cell backward without u on the candidate -> gru_backward", E(G, "gru_cell_backward", (
        "dzc = da_next * ut * (1.0 - cct ** 2)", "dzc = da_next * (1.0 - cct ** 2)")),
     "gru_cell_backward", "gru_backward", "gru_backward"),
    ("LSTM cell with f and i exchanged -> lstm_forward", E(G, "lstm_cell_forward", (
        "c_next = ft * c_prev + it * cct", "c_next = it * c_prev + ft * cct")),
     "lstm_cell_forward", "lstm_forward", "lstm_forward"),
    ("LSTM cell backward without dc_next -> lstm_backward", E(G, "lstm_cell_backward", (
        "dc = dc_next + da_next", "dc = da_next")),
     "lstm_cell_backward", "lstm_backward", "lstm_backward"),
]
