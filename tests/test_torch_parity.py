"""The reference against PyTorch (float64, CPU): outputs and gradients agree.

Weights go from the reference's dicts into torch.nn modules through the converters of
autograder.reference.torch_convert; the gradients come back through them. Skipped,
saying why, where torch is not installed (CI need not install it).
"""

import numpy as np
import pytest

from autograder import reference as ref

torch = pytest.importorskip(
    "torch",
    reason="PyTorch is not installed: the parity tests against torch.nn.RNN/LSTM/GRU need it "
    "(pip install torch==2.13.0, CPU build); the numpy-only checks of the layouts are in "
    "tests/test_torch_convert.py",
)

TOL = 1e-10  # float64 on both sides; only summation order differs


def random_sizes(seed):
    rng = np.random.default_rng(seed)
    n_x, n_a, m, T = (int(v) for v in rng.integers(2, 7, size=4))
    return rng, n_x, n_a, m, T


def randomize(parameters, rng):
    return {k: rng.standard_normal(v.shape) * 0.5 for k, v in parameters.items()}


def load(module, state):
    """Load a numpy state dict into a float64 module (strictly: every key must match)."""
    module.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()})
    return module


def leaf(a):
    return torch.tensor(np.ascontiguousarray(a), dtype=torch.float64, requires_grad=True)


def time_major(x):
    """(n, m, T) <-> (T, m, n)."""
    return np.ascontiguousarray(np.asarray(x).transpose(2, 1, 0))


def grads_of(module):
    """The module's gradients as a numpy state dict."""
    return {name: p.grad.numpy() for name, p in module.named_parameters()}


def weights_only(state, keep_bias="bias_ih"):
    """Drop one of PyTorch's two biases: both get the same gradient, which is the
    gradient of the reference's single bias, and from_torch would add them."""
    drop = "bias_hh" if keep_bias == "bias_ih" else "bias_ih"
    return {k: v for k, v in state.items() if not k.startswith(drop)}


def assert_close(actual, expected, name):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{name}: shape {actual.shape} != {expected.shape}"
    error = np.max(np.abs(actual - expected)) if actual.size else 0.0
    assert error <= TOL * max(1.0, np.max(np.abs(expected))), f"{name}: max difference {error:.2e}"


# ---------------------------------------------------------------------------------- RNN


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_rnn_sequence(seed, activation):
    rng, n_x, n_a, m, T = random_sizes(seed)
    p = randomize(ref.init_rnn_parameters(n_x, n_a, 2, rng), rng)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a, _, caches = ref.rnn_forward(x, a0, p, activation)
    da = rng.standard_normal(a.shape)
    g = ref.rnn_backward(da, caches, activation)

    module = load(
        torch.nn.RNN(n_x, n_a, nonlinearity=activation, dtype=torch.float64), ref.rnn_to_torch(p)
    )
    xt, h0 = leaf(time_major(x)), leaf(a0.T[None])
    out, h_n = module(xt, h0)
    (out * torch.from_numpy(time_major(da))).sum().backward()

    assert_close(time_major(out.detach().numpy()), a, "output")
    assert_close(h_n.detach().numpy()[0].T, a[:, :, -1], "h_n")
    assert_close(time_major(xt.grad.numpy()), g["dx"], "dx")
    assert_close(h0.grad.numpy()[0].T, g["da0"], "da0")
    back = ref.rnn_from_torch(weights_only(grads_of(module)))
    for key in ("Wax", "Waa", "ba"):
        assert_close(g["d" + key], back[key], "d" + key)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_rnn_cell(activation):
    rng, n_x, n_a, m, _ = random_sizes(7)
    p = randomize(ref.init_rnn_parameters(n_x, n_a, 2, rng), rng)
    xt, a_prev = rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m))
    a_next, _, cache = ref.rnn_cell_forward(xt, a_prev, p, activation)
    da = rng.standard_normal(a_next.shape)
    g = ref.rnn_cell_backward(da, cache, activation)

    cell = torch.nn.RNNCell(n_x, n_a, nonlinearity=activation, dtype=torch.float64)
    state = {k.replace("_l0", ""): v for k, v in ref.rnn_to_torch(p).items()}
    load(cell, state)
    x_t, h = leaf(xt.T), leaf(a_prev.T)
    out = cell(x_t, h)
    (out * torch.from_numpy(da.T.copy())).sum().backward()
    assert_close(out.detach().numpy().T, a_next, "a_next")
    assert_close(x_t.grad.numpy().T, g["dxt"], "dxt")
    assert_close(h.grad.numpy().T, g["da_prev"], "da_prev")
    assert_close(cell.weight_hh.grad.numpy(), g["dWaa"], "dWaa")
    assert_close(cell.bias_hh.grad.numpy()[:, None], g["dba"], "dba")


def test_output_layer_and_softmax():
    """rnn_forward's y_pred is softmax(Linear(a)) with the converted output layer."""
    rng, n_x, n_a, m, T = random_sizes(8)
    p = randomize(ref.init_rnn_parameters(n_x, n_a, 5, rng), rng)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a, y_pred, _ = ref.rnn_forward(x, a0, p)
    linear = load(
        torch.nn.Linear(n_a, 5, dtype=torch.float64), ref.linear_to_torch(p["Wya"], p["by"])
    )
    with torch.no_grad():
        y = torch.softmax(linear(torch.from_numpy(time_major(a))), dim=-1).numpy()
    assert_close(time_major(y), y_pred, "y_pred")


# --------------------------------------------------------------------------------- LSTM


@pytest.mark.parametrize("seed", range(3))
def test_lstm_sequence(seed):
    rng, n_x, n_a, m, T = random_sizes(seed)
    p = randomize(ref.init_lstm_parameters(n_x, n_a, 2, rng), rng)
    x = rng.standard_normal((n_x, m, T))
    a0, c0 = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
    a, _, c, caches = ref.lstm_forward(x, a0, p, c0)
    da = rng.standard_normal(a.shape)
    g = ref.lstm_backward(da, caches)

    module = load(torch.nn.LSTM(n_x, n_a, dtype=torch.float64), ref.lstm_to_torch(p))
    xt, h0, cc0 = leaf(time_major(x)), leaf(a0.T[None]), leaf(c0.T[None])
    out, (h_n, c_n) = module(xt, (h0, cc0))
    (out * torch.from_numpy(time_major(da))).sum().backward()

    assert_close(time_major(out.detach().numpy()), a, "output")
    assert_close(h_n.detach().numpy()[0].T, a[:, :, -1], "h_n")
    assert_close(c_n.detach().numpy()[0].T, c[:, :, -1], "c_n")
    assert_close(time_major(xt.grad.numpy()), g["dx"], "dx")
    assert_close(h0.grad.numpy()[0].T, g["da0"], "da0")
    assert_close(cc0.grad.numpy()[0].T, g["dc0"], "dc0")
    back = ref.lstm_from_torch(weights_only(grads_of(module), keep_bias="bias_hh"))
    for key in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo"):
        assert_close(g["d" + key], back[key], "d" + key)


def test_lstm_sequence_with_cell_state_upstream():
    """lstm_backward's optional dc: a loss on every cell state (torch: through c_n only
    at the last step, so compare with dc on the last step alone)."""
    rng, n_x, n_a, m, T = random_sizes(4)
    p = randomize(ref.init_lstm_parameters(n_x, n_a, 2, rng), rng)
    x = rng.standard_normal((n_x, m, T))
    a0, c0 = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
    a, _, _, caches = ref.lstm_forward(x, a0, p, c0)
    dc = np.zeros(a.shape)
    dc[:, :, -1] = rng.standard_normal((n_a, m))
    g = ref.lstm_backward(np.zeros(a.shape), caches, dc)

    module = load(torch.nn.LSTM(n_x, n_a, dtype=torch.float64), ref.lstm_to_torch(p))
    xt, h0, cc0 = leaf(time_major(x)), leaf(a0.T[None]), leaf(c0.T[None])
    _, (_, c_n) = module(xt, (h0, cc0))
    (c_n[0] * torch.from_numpy(dc[:, :, -1].T.copy())).sum().backward()
    assert_close(time_major(xt.grad.numpy()), g["dx"], "dx")
    assert_close(cc0.grad.numpy()[0].T, g["dc0"], "dc0")
    back = ref.lstm_from_torch(weights_only(grads_of(module)))
    assert_close(g["dWf"], back["Wf"], "dWf")


def test_lstm_cell():
    rng, n_x, n_a, m, _ = random_sizes(9)
    p = randomize(ref.init_lstm_parameters(n_x, n_a, 2, rng), rng)
    xt = rng.standard_normal((n_x, m))
    a_prev, c_prev = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
    a_next, c_next, _, cache = ref.lstm_cell_forward(xt, a_prev, c_prev, p)
    da, dc = rng.standard_normal(a_next.shape), rng.standard_normal(c_next.shape)
    g = ref.lstm_cell_backward(da, dc, cache)

    cell = torch.nn.LSTMCell(n_x, n_a, dtype=torch.float64)
    load(cell, {k.replace("_l0", ""): v for k, v in ref.lstm_to_torch(p).items()})
    x_t, h, c = leaf(xt.T), leaf(a_prev.T), leaf(c_prev.T)
    h1, c1 = cell(x_t, (h, c))
    loss = (h1 * torch.from_numpy(da.T.copy())).sum() + (c1 * torch.from_numpy(dc.T.copy())).sum()
    loss.backward()
    assert_close(h1.detach().numpy().T, a_next, "a_next")
    assert_close(c1.detach().numpy().T, c_next, "c_next")
    assert_close(x_t.grad.numpy().T, g["dxt"], "dxt")
    assert_close(h.grad.numpy().T, g["da_prev"], "da_prev")
    assert_close(c.grad.numpy().T, g["dc_prev"], "dc_prev")
    back = ref.lstm_from_torch(
        {
            "weight_ih_l0": cell.weight_ih.grad.numpy(),
            "weight_hh_l0": cell.weight_hh.grad.numpy(),
            "bias_ih_l0": cell.bias_ih.grad.numpy(),
        }
    )
    for key in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo"):
        assert_close(g["d" + key], back[key], "d" + key)


# ----------------------------------------------------------------------- GRU (torch form)


@pytest.mark.parametrize("seed", range(3))
def test_gru_torch_sequence(seed):
    rng, n_x, n_a, m, T = random_sizes(seed)
    p = ref.init_gru_torch_parameters(n_x, n_a, rng)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a, caches = ref.gru_torch_forward(x, a0, p)
    da = rng.standard_normal(a.shape)
    g = ref.gru_torch_backward(da, caches)

    module = load(torch.nn.GRU(n_x, n_a, dtype=torch.float64), ref.gru_torch_to_torch(p))
    xt, h0 = leaf(time_major(x)), leaf(a0.T[None])
    out, _ = module(xt, h0)
    (out * torch.from_numpy(time_major(da))).sum().backward()

    assert_close(time_major(out.detach().numpy()), a, "output")
    assert_close(time_major(xt.grad.numpy()), g["dx"], "dx")
    assert_close(h0.grad.numpy()[0].T, g["da0"], "da0")
    back = ref.gru_torch_from_torch(grads_of(module))  # both biases exist in this form
    for key in p:
        assert_close(g["d" + key], back[key], "d" + key)


def test_gru_torch_cell():
    rng, n_x, n_a, m, _ = random_sizes(10)
    p = ref.init_gru_torch_parameters(n_x, n_a, rng)
    xt, a_prev = rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m))
    a_next, cache = ref.gru_torch_cell_forward(xt, a_prev, p)
    da = rng.standard_normal(a_next.shape)
    g = ref.gru_torch_cell_backward(da, cache)

    cell = torch.nn.GRUCell(n_x, n_a, dtype=torch.float64)
    load(cell, {k.replace("_l0", ""): v for k, v in ref.gru_torch_to_torch(p).items()})
    x_t, h = leaf(xt.T), leaf(a_prev.T)
    out = cell(x_t, h)
    (out * torch.from_numpy(da.T.copy())).sum().backward()
    assert_close(out.detach().numpy().T, a_next, "a_next")
    assert_close(x_t.grad.numpy().T, g["dxt"], "dxt")
    assert_close(h.grad.numpy().T, g["da_prev"], "da_prev")
    back = ref.gru_torch_from_torch({k + "_l0": v for k, v in grads_of(cell).items()})
    for key in p:
        assert_close(g["d" + key], back[key], "d" + key)


# --------------------------------------------------------------- stacked, bidirectional


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_stacked_against_num_layers(cell):
    rng, n_x, n_a, m, T = random_sizes(11)
    L = 3
    layers = [randomize(p, rng) for p in ref.init_stacked_parameters(n_x, [n_a] * L, cell, rng)]
    x = rng.standard_normal((n_x, m, T))
    a0 = [rng.standard_normal((n_a, m)) for _ in range(L)]
    c0 = [rng.standard_normal((n_a, m)) for _ in range(L)] if cell == "lstm" else None
    a, caches = ref.stacked_rnn_forward(x, a0, layers, cell, c0=c0)
    da = rng.standard_normal(a[-1].shape)
    g = ref.stacked_rnn_backward(da, caches)

    to_torch = ref.rnn_to_torch if cell == "rnn" else ref.lstm_to_torch
    state = {}
    for layer, p in enumerate(layers):
        state.update(to_torch(p, layer=layer))
    kind = torch.nn.RNN if cell == "rnn" else torch.nn.LSTM
    module = load(kind(n_x, n_a, num_layers=L, dtype=torch.float64), state)
    xt, h0 = leaf(time_major(x)), leaf(np.stack([s.T for s in a0]))
    if cell == "rnn":
        out, h_n = module(xt, h0)
    else:
        cc0 = leaf(np.stack([s.T for s in c0]))
        out, (h_n, _) = module(xt, (h0, cc0))
    (out * torch.from_numpy(time_major(da))).sum().backward()

    assert_close(time_major(out.detach().numpy()), a[-1], "output")
    for layer in range(L):
        assert_close(h_n.detach().numpy()[layer].T, a[layer][:, :, -1], f"h_n[{layer}]")
        assert_close(h0.grad.numpy()[layer].T, g["da0"][layer], f"da0[{layer}]")
        if cell == "lstm":
            assert_close(cc0.grad.numpy()[layer].T, g["dc0"][layer], f"dc0[{layer}]")
    assert_close(time_major(xt.grad.numpy()), g["dx"], "dx")
    from_torch = ref.rnn_from_torch if cell == "rnn" else ref.lstm_from_torch
    torch_grads = weights_only(grads_of(module))
    for layer in range(L):
        back = from_torch(torch_grads, layer=layer)
        for key in back:
            assert_close(g["layers"][layer]["d" + key], back[key], f"layer {layer} d{key}")


def test_bidirectional_against_torch():
    rng, n_x, n_a, m, T = random_sizes(12)
    p = randomize(ref.init_bidirectional_rnn_parameters(n_x, n_a, rng), rng)
    x = rng.standard_normal((n_x, m, T))
    a0_f, a0_b = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
    a, caches = ref.bidirectional_rnn_forward(x, a0_f, a0_b, p)
    da = rng.standard_normal(a.shape)
    g = ref.bidirectional_rnn_backward(da, caches)

    state = {}
    for d, suffix in (("f", ""), ("b", "_reverse")):
        direction = {k: p[f"{k}_{d}"] for k in ("Wax", "Waa", "ba")}
        state.update(ref.rnn_to_torch(direction, suffix=suffix))
    module = load(torch.nn.RNN(n_x, n_a, bidirectional=True, dtype=torch.float64), state)
    xt, h0 = leaf(time_major(x)), leaf(np.stack([a0_f.T, a0_b.T]))
    out, h_n = module(xt, h0)
    (out * torch.from_numpy(time_major(da))).sum().backward()

    assert_close(time_major(out.detach().numpy()), a, "output (forward states, then backward)")
    assert_close(h_n.detach().numpy()[1].T, a[n_a:, :, 0], "h_n of the backward direction")
    assert_close(time_major(xt.grad.numpy()), g["dx"], "dx")
    assert_close(h0.grad.numpy()[0].T, g["da0_f"], "da0_f")
    assert_close(h0.grad.numpy()[1].T, g["da0_b"], "da0_b")
    torch_grads = weights_only(grads_of(module))
    for d, suffix in (("f", ""), ("b", "_reverse")):
        back = ref.rnn_from_torch(torch_grads, suffix=suffix)
        for key in ("Wax", "Waa", "ba"):
            assert_close(g[f"d{key}_{d}"], back[key], f"d{key}_{d}")


# ---------------------------------------------------------------- char LM, optimizers


def test_char_lm_loss_against_torch_cross_entropy():
    rng = np.random.default_rng(13)
    V, n_a, m, T = 6, 5, 3, 7
    p = randomize(ref.init_rnn_parameters(V, n_a, V, rng), rng)
    inputs, targets = rng.integers(0, V, (m, T)), rng.integers(0, V, (m, T))
    a0 = rng.standard_normal((n_a, m))
    loss, g, a_last = ref.char_lm_loss(p, inputs, targets, a0)

    rnn = load(torch.nn.RNN(V, n_a, dtype=torch.float64), ref.rnn_to_torch(p))
    linear = load(
        torch.nn.Linear(n_a, V, dtype=torch.float64), ref.linear_to_torch(p["Wya"], p["by"])
    )
    x = torch.nn.functional.one_hot(torch.from_numpy(inputs.T.copy()), V).double()
    out, h_n = rnn(x, torch.from_numpy(a0.T[None].copy()))
    logits = linear(out)  # (T, m, V)
    torch_loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, V), torch.from_numpy(targets.T.copy()).reshape(-1)
    )
    torch_loss.backward()
    assert abs(loss - torch_loss.item()) <= TOL
    assert_close(a_last, h_n.detach().numpy()[0].T, "a_last")
    back = ref.rnn_from_torch(
        weights_only(grads_of(rnn)), linear={k: v for k, v in grads_of(linear).items()}
    )
    for key in p:
        assert_close(g["d" + key], back[key], "d" + key)


@pytest.mark.parametrize("name", ["sgd", "adagrad", "adam"])
def test_optimizers_against_torch_optim(name):
    rng = np.random.default_rng(14)
    p = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal((3, 1))}
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    if name == "sgd":
        opt = torch.optim.SGD(tensors.values(), lr=0.1)
    elif name == "adagrad":
        opt = torch.optim.Adagrad(tensors.values(), lr=0.1, eps=1e-8)
    else:
        opt = torch.optim.Adam(tensors.values(), lr=0.01, betas=(0.8, 0.95), eps=1e-8)
    state = None
    for _ in range(5):
        grads = {"d" + k: rng.standard_normal(v.shape) for k, v in p.items()}
        if name == "sgd":
            p = ref.sgd(p, grads, 0.1)
        elif name == "adagrad":
            p, state = ref.adagrad(p, grads, state, 0.1, eps=1e-8)
        else:
            p, state = ref.adam(p, grads, state, 0.01, beta1=0.8, beta2=0.95, eps=1e-8)
        for k, t in tensors.items():
            t.grad = torch.from_numpy(grads["d" + k])
        opt.step()
    for k, t in tensors.items():
        assert_close(p[k], t.detach().numpy(), k)
