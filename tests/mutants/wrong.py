"""Deliberately wrong implementations, one typical mistake each.

MUTANTS lists (name, check, sub-check that must fail, text the message must contain,
function). Each mutant is a small edit of a correct implementation; the reference is
used for the parts that are not being broken, so that only the named mistake differs.
"""

from __future__ import annotations

import numpy as np

from autograder import reference as ref


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax0(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


# -- notation ------------------------------------------------------------------------------
def one_hot_batch_first(indices, n):
    return (indices[..., None] == np.arange(n)).astype(np.float64)  # (m, T, n)


def count_parameters_no_biases(n_x, n_a, n_y):
    return n_a * n_x + n_a * n_a + n_y * n_a


def stack_weights_swapped(Waa, Wax):
    return np.concatenate([Wax, Waa], axis=1)


def pad_sequences_mask_inverted(sequences, pad_value=0):
    from autograder.checks.notation import pad_sequences

    indices, mask = pad_sequences(sequences, pad_value)
    return indices, ~mask


# -- forward pass --------------------------------------------------------------------------
def softmax_axis1(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_unstable(z):
    e = np.exp(z)
    return e / e.sum(axis=0, keepdims=True)


def rnn_cell_forward_no_bias(xt, a_prev, p):
    a = np.tanh(p["Waa"] @ a_prev + p["Wax"] @ xt)
    return a, _softmax0(p["Wya"] @ a + p["by"]), (a, a_prev, xt, p)


def rnn_cell_forward_no_tanh(xt, a_prev, p):
    a = p["Waa"] @ a_prev + p["Wax"] @ xt + p["ba"]
    return a, _softmax0(p["Wya"] @ a + p["by"]), (a, a_prev, xt, p)


def rnn_cell_forward_cache_order(xt, a_prev, p):
    a, y, _ = ref.rnn_cell_forward(xt, a_prev, p)
    return a, y, (a_prev, a, xt, p)


def rnn_forward_off_by_one(x, a0, p):
    """Stores the state *before* each step instead of after it."""
    a, y, caches = ref.rnn_forward(x, a0, p)
    shifted = np.concatenate([a0[:, :, None], a[:, :, :-1]], axis=2)
    return shifted, y, caches


def rnn_forward_ignores_a0(x, a0, p):
    return ref.rnn_forward(x, np.zeros_like(a0), p)


def cross_entropy_sum(y_pred, y):
    if y.shape == y_pred.shape:
        return float(-np.sum(y * np.log(y_pred)))
    return float(-np.sum(np.log(np.take_along_axis(y_pred, y[None], 0))))


# -- BPTT ----------------------------------------------------------------------------------
def rnn_cell_backward_no_tanh_derivative(da_next, cache):
    a_next, a_prev, xt, p = cache
    dz = da_next
    return {"dxt": p["Wax"].T @ dz, "da_prev": p["Waa"].T @ dz, "dWax": dz @ xt.T,
            "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


def rnn_cell_backward_dba_mean(da_next, cache):
    g = ref.rnn_cell_backward(da_next, cache)
    a_next = cache[0]
    g["dba"] = (da_next * (1 - a_next**2)).mean(axis=1, keepdims=True)
    return g


def rnn_backward_dWaa_last_step_only(da, caches):
    """dWaa not summed over time: only the last step's contribution is kept."""
    g = ref.rnn_backward(da, caches)
    cell_caches, x = caches
    g["dWaa"] = ref.rnn_cell_backward(da[:, :, -1], cell_caches[-1])["dWaa"]
    return g


def rnn_backward_drops_later_steps(da, caches):
    """Uses da[:, :, t] alone: the gradient flowing back from step t+1 is dropped."""
    cell_caches, x = caches
    grads = {"dx": np.zeros_like(x), "dWax": 0.0, "dWaa": 0.0, "dba": 0.0}
    for t in range(x.shape[2]):
        step = ref.rnn_cell_backward(da[:, :, t], cell_caches[t])
        grads["dx"][:, :, t] = step["dxt"]
        for key in ("dWax", "dWaa", "dba"):
            grads[key] = grads[key] + step[key]
    grads["da0"] = ref.rnn_cell_backward(da[:, :, 0], cell_caches[0])["da_prev"]
    return grads


def rel_error_no_floor(x, y):
    return float(np.max(np.abs(x - y) / (np.abs(x) + np.abs(y))))


# -- vanishing gradients -------------------------------------------------------------------
def global_norm_sum_of_norms(gradients):
    return float(sum(np.linalg.norm(g) for g in gradients.values()))


def clip_rescales_everything(gradients, max_value):
    """Changes small entries too: divides every gradient by its largest entry."""
    return {k: g * (max_value / np.max(np.abs(g))) for k, g in gradients.items()}


def clip_upper_only(gradients, max_value):
    return {k: np.minimum(g, max_value) for k, g in gradients.items()}


def clip_by_norm_per_tensor(gradients, max_norm):
    out = {}
    for k, g in gradients.items():
        n = np.linalg.norm(g)
        out[k] = g * (max_norm / n) if n > max_norm else g.copy()
    return out


def relu_cell_forward_abs(xt, a_prev, p, activation="tanh"):
    if activation != "relu":
        return ref.rnn_cell_forward(xt, a_prev, p)
    a = np.abs(p["Waa"] @ a_prev + p["Wax"] @ xt + p["ba"])
    return a, _softmax0(p["Wya"] @ a + p["by"]), (a, a_prev, xt, p)


def relu_cell_backward_tanh_derivative(da_next, cache, activation="tanh"):
    return ref.rnn_cell_backward(da_next, cache)  # ignores the activation


# -- GRU / LSTM ----------------------------------------------------------------------------
def _gru(xt, a_prev, p, swap_gates=False, reset_after=False, swap_update=False):
    concat = np.concatenate([a_prev, xt])
    Wu, bu, Wr, br = p["Wu"], p["bu"], p["Wr"], p["br"]
    if swap_gates:
        Wu, bu, Wr, br = Wr, br, Wu, bu
    u = _sigmoid(Wu @ concat + bu)
    r = _sigmoid(Wr @ concat + br)
    n_a = a_prev.shape[0]
    if reset_after:  # PyTorch-style: the reset gate multiplies after the matrix product
        cc = np.tanh(r * (p["Wc"][:, :n_a] @ a_prev) + p["Wc"][:, n_a:] @ xt + p["bc"])
    else:
        cc = np.tanh(p["Wc"] @ np.concatenate([r * a_prev, xt]) + p["bc"])
    a = (1 - u) * cc + u * a_prev if swap_update else u * cc + (1 - u) * a_prev
    return a, (a, a_prev, u, r, cc, xt, p)


def gru_cell_forward_gates_swapped(xt, a_prev, p):
    return _gru(xt, a_prev, p, swap_gates=True)


def gru_cell_forward_reset_after_product(xt, a_prev, p):
    return _gru(xt, a_prev, p, reset_after=True)


def gru_cell_forward_update_swapped(xt, a_prev, p):
    return _gru(xt, a_prev, p, swap_update=True)


def gru_cell_backward_no_direct_path(da_next, cache):
    g = ref.gru_cell_backward(da_next, cache)
    ut = cache[2]
    g["da_prev"] = g["da_prev"] - da_next * (1 - ut)
    return g


def gru_backward_last_step_parameters(da, caches):
    """Parameter gradients overwritten at every step instead of summed over time."""
    cell_caches, x = caches
    g = {"dx": np.zeros_like(x)}
    da_later = np.zeros_like(da[:, :, 0])
    for t in reversed(range(x.shape[2])):
        step = ref.gru_cell_backward(da[:, :, t] + da_later, cell_caches[t])
        g["dx"][:, :, t] = step["dxt"]
        da_later = step["da_prev"]
        for key in ("dWu", "dbu", "dWr", "dbr", "dWc", "dbc"):
            g[key] = step[key]  # should be +=
    g["da0"] = da_later
    return g


def lstm_cell_forward_f_i_swapped(xt, a_prev, c_prev, p):
    q = dict(p)
    q["Wf"], q["Wi"], q["bf"], q["bi"] = p["Wi"], p["Wf"], p["bi"], p["bf"]
    return ref.lstm_cell_forward(xt, a_prev, c_prev, q)


def lstm_cell_forward_no_tanh_on_c(xt, a_prev, c_prev, p):
    a, c, y, cache = ref.lstm_cell_forward(xt, a_prev, c_prev, p)
    ot = cache[7]
    a = ot * c
    return a, c, _softmax0(p["Wy"] @ a + p["by"]), (a,) + cache[1:]


def lstm_cell_backward_dc_prev_without_forget(da_next, dc_next, cache):
    g = ref.lstm_cell_backward(da_next, dc_next, cache)
    g["dc_prev"] = g["dc_prev"] / cache[4]  # dc instead of dc * ft
    return g


def lstm_backward_drops_dc_from_later(da, caches):
    cell_caches, x = caches
    p = cell_caches[0][9]
    grads = {"dx": np.zeros_like(x)}
    for g in "fico":
        grads["dW" + g] = np.zeros_like(p["W" + g])
        grads["db" + g] = np.zeros_like(p["b" + g])
    da_later = np.zeros_like(da[:, :, 0])
    for t in reversed(range(x.shape[2])):
        step = ref.lstm_cell_backward(da[:, :, t] + da_later, np.zeros_like(da_later),
                                      cell_caches[t])
        grads["dx"][:, :, t] = step["dxt"]
        da_later, dc0 = step["da_prev"], step["dc_prev"]
        for g in "fico":
            grads["dW" + g] += step["dW" + g]
            grads["db" + g] += step["db" + g]
    grads["da0"], grads["dc0"] = da_later, dc0
    return grads


# -- architectures -------------------------------------------------------------------------
def bidirectional_not_flipped_back(x, a0_f, a0_b, parameters, activation="tanh",
                                   merge="concat"):
    a, caches = ref.bidirectional_rnn_forward(x, a0_f, a0_b, parameters, activation, merge)
    n_f = parameters["Waa_f"].shape[0]
    a = a.copy()
    a[n_f:] = a[n_f:, :, ::-1]
    return a, None


def bidirectional_backward_not_reversed(da, caches):
    """Feeds the backward RNN its upstream gradient in forward time order."""
    cache_f, cache_b, n_f, n_b, activation, merge = caches
    g_f = ref.rnn_backward(np.ascontiguousarray(da[:n_f]), cache_f)
    g_b = ref.rnn_backward(np.ascontiguousarray(da[n_f:]), cache_b)
    grads = {"dx": g_f["dx"] + g_b["dx"][:, :, ::-1], "da0_f": g_f["da0"], "da0_b": g_b["da0"]}
    for d, g in (("f", g_f), ("b", g_b)):
        for key in ("Wax", "Waa", "ba"):
            grads[f"d{key}_{d}"] = g["d" + key]
    return grads


def stacked_ignores_a0(x, a0, parameters):
    a, _ = ref.stacked_rnn_forward(x, None, parameters)
    return a, None


def attention_softmax_over_batch(s_prev, h, parameters, score="additive"):
    context, alpha, _ = ref.attention_forward(s_prev, h, parameters, score)
    # recompute with the softmax taken over the batch axis
    logits = np.log(alpha)
    wrong = np.exp(logits) / np.exp(logits).sum(axis=0, keepdims=True)
    return np.einsum("hmt,mt->hm", h, wrong), wrong, None


def attention_backward_no_softmax_jacobian(dcontext, cache):
    """Treats the softmax as if it were the identity: de = alpha * dalpha."""
    s_prev, h, alpha, pre, p, score = cache
    dalpha = np.einsum("hm,hmt->mt", dcontext, h)
    de_wrong = alpha * dalpha
    dz = p["v"][:, :, None] * de_wrong[None] * (1.0 - pre**2)
    g = ref.attention_backward(dcontext, cache)
    g["ds_prev"] = p["Wq"].T @ dz.sum(axis=2)
    return g


# -- char LM -------------------------------------------------------------------------------
def char_lm_loss_sum(parameters, inputs, targets, a0=None):
    loss, grads, a = ref.char_lm_loss(parameters, inputs, targets, a0)
    return loss * inputs.size, grads, a


def char_lm_loss_dby_last_step(parameters, inputs, targets, a0=None):
    loss, grads, a = ref.char_lm_loss(parameters, inputs, targets, a0)
    last, g_last, _ = ref.char_lm_loss(parameters, inputs[:, -1:], targets[:, -1:], None)
    grads["dby"] = g_last["dby"] / inputs.shape[1]
    return loss, grads, a


def adagrad_forgets_history(parameters, gradients, state=None, learning_rate=0.1):
    return ref.adagrad(parameters, gradients, None, learning_rate)


def sample_ignores_prompt(parameters, start, length, temperature=1.0, rng=None):
    first = start if np.ndim(start) == 0 else start[-1]
    return ref.sample(parameters, int(first), length, temperature, rng)


MUTANTS = [
    ("one-hot with the batch axis first", "one_hot", "shapes and types", "shape",
     one_hot_batch_first),
    ("parameter count without biases", "count_parameters", "Wax, Waa, Wya, ba and by",
     "biases", count_parameters_no_biases),
    ("[Wax | Waa] instead of [Waa | Wax]", "stack_weights", "Waa first, then Wax",
     "put Waa first", stack_weights_swapped),
    ("padding mask inverted", "pad_sequences", "mask", "mask differs",
     pad_sequences_mask_inverted),
    ("softmax over the wrong axis", "softmax", "over axis 0 (the classes)", "axis 0",
     softmax_axis1),
    ("softmax without subtracting the max", "softmax",
     "large scores, different in every column (stable)",
     "subtract the column maximum", softmax_unstable),
    ("RNN cell without the bias", "rnn_cell_forward", "only the bias term", "a_next differs",
     rnn_cell_forward_no_bias),
    ("RNN cell without tanh", "rnn_cell_forward", "all terms together", "a_next differs",
     rnn_cell_forward_no_tanh),
    ("cache entries in the wrong order", "rnn_cell_forward", "the cache", "cache[0] (a_next)",
     rnn_cell_forward_cache_order),
    ("off by one in time", "rnn_forward", "every time step", "shifted by one step",
     rnn_forward_off_by_one),
    ("initial state a0 ignored", "rnn_forward", "one step (T_x = 1) starts from a0",
     "a differs", rnn_forward_ignores_a0),
    ("cross-entropy summed, not averaged", "cross_entropy", "mean over batch and time",
     "sum over tokens", cross_entropy_sum),
    ("tanh derivative forgotten", "rnn_cell_backward", "dWax, dWaa and dba",
     "skipped the tanh", rnn_cell_backward_no_tanh_derivative),
    ("dba averaged over the batch", "rnn_cell_backward", "dWax, dWaa and dba", "dba differs",
     rnn_cell_backward_dba_mean),
    ("dWaa not summed over time", "rnn_backward", "gradients summed over time",
     "summed over all time steps", rnn_backward_dWaa_last_step_only),
    ("gradient from later steps dropped", "rnn_backward", "gradient from later steps",
     "da_prev", rnn_backward_drops_later_steps),
    ("relative error without the 1e-8 floor", "rel_error", "zeros compare as 0 (the 1e-8 floor)",
     "finite number", rel_error_no_floor),
    ("global norm as a sum of norms", "global_norm", "all gradients together",
     "own norm", global_norm_sum_of_norms),
    ("clipping that changes small entries", "clip", "small entries unchanged",
     "must not change", clip_rescales_everything),
    ("clipping only the upper side", "clip", "negative entries clipped to -max_value",
     "below -max_value", clip_upper_only),
    ("clipping each gradient by its own norm", "clip_by_norm", "one scale for all gradients",
     "its own norm", clip_by_norm_per_tensor),
    ("ReLU cell computing |z| instead of max(z, 0)", "rnn_cell_forward_relu",
     "relu: max(z, 0)", "that is |z|", relu_cell_forward_abs),
    ("ReLU cell backward with the tanh derivative", "rnn_cell_backward_relu",
     "relu derivative [z > 0]", "tanh derivative", relu_cell_backward_tanh_derivative),
    ("GRU gates u and r swapped", "gru_cell_forward", "gates u and r (gate order)",
     "holds the values of", gru_cell_forward_gates_swapped),
    ("GRU reset gate after the matrix product", "gru_cell_forward",
     "reset gate on a_prev inside the candidate", "multiplies a_prev before",
     gru_cell_forward_reset_after_product),
    ("GRU u and 1 - u swapped", "gru_cell_forward", "a_next = u * c~ + (1 - u) * a_prev",
     "u and 1 - u are swapped", gru_cell_forward_update_swapped),
    ("GRU backward without the direct (1 - u) path", "gru_cell_backward", "dxt and da_prev",
     "da_prev differs", gru_cell_backward_no_direct_path),
    ("GRU parameter gradients not summed over time", "gru_backward",
     "gradients summed over time", "dWc differs", gru_backward_last_step_parameters),
    ("LSTM forget and input gates swapped", "lstm_cell_forward",
     "gate order (ft, it, cct, ot)", "holds the values of", lstm_cell_forward_f_i_swapped),
    ("LSTM a_next without tanh(c_next)", "lstm_cell_forward", "a_next and yt_pred",
     "a_next differs", lstm_cell_forward_no_tanh_on_c),
    ("LSTM dc_prev without the forget gate", "lstm_cell_backward", "dxt, da_prev and dc_prev",
     "dc_prev differs", lstm_cell_backward_dc_prev_without_forget),
    ("LSTM cell-state gradient from later steps dropped", "lstm_backward",
     "gradient from later steps", "dc0 differs", lstm_backward_drops_dc_from_later),
    ("bidirectional backward states left reversed", "bidirectional_rnn_forward",
     "backward direction reads the sequence from the end", "reversed time order",
     bidirectional_not_flipped_back),
    ("bidirectional backward gradient not reversed in time", "bidirectional_rnn_backward",
     "backward direction (dWax_b, dWaa_b, dba_b, da0_b)", "reverse its upstream gradient",
     bidirectional_backward_not_reversed),
    ("stacked RNN ignores the initial states", "stacked_rnn_forward",
     "three layers, given initial states", "differs", stacked_ignores_a0),
    ("attention softmax over the batch", "attention_forward",
     "alpha: softmax over the input positions", "over the time axis",
     attention_softmax_over_batch),
    ("attention backward without the softmax Jacobian", "attention_backward",
     "ds_prev and dh", "ds_prev differs", attention_backward_no_softmax_jacobian),
    ("char-LM loss summed over the window", "char_lm_loss", "the loss", "mean per character",
     char_lm_loss_sum),
    ("char-LM dby from the last step only", "char_lm_loss",
     "output layer gradients (dWya, dby)", "dby", char_lm_loss_dby_last_step),
    ("Adagrad forgets its history", "adagrad", "second step adds to the state", "differs",
     adagrad_forgets_history),
    ("sampler ignores the prompt", "sample", "a longer prompt sets the state first",
     "differs", sample_ignores_prompt),
]
