"""Converters between the reference's parameter dicts and PyTorch's state-dict layouts.

No torch needed: the layouts are checked entry by entry, round trips are exact, and a
numpy transcription of the equations in PyTorch's documentation (weights in PyTorch's
layout, nothing from the reference) computes the same states as the reference does
through the converters. tests/test_torch_parity.py repeats this against torch itself.
"""

import numpy as np
import pytest

from autograder import reference as ref


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def random_sizes(seed):
    rng = np.random.default_rng(seed)
    n_x, n_a, m, T = (int(v) for v in rng.integers(2, 6, size=4))
    return rng, n_x, n_a, m, T


def randomize(parameters, rng):
    """Random values everywhere, biases included (initialisers leave them at zero)."""
    return {k: rng.standard_normal(v.shape) for k, v in parameters.items()}


# --- PyTorch's documented equations, on PyTorch's layout (x_t (m, n_x), h (m, n_a)) ---


def torch_doc_rnn(x, h, s, layer=0):
    W_ih, W_hh, b_ih, b_hh = (
        s[f"{k}_l{layer}"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    )
    out = []
    for x_t in x:
        h = np.tanh(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        out.append(h)
    return np.stack(out)


def torch_doc_lstm(x, h, c, s):
    W_ih, W_hh, b_ih, b_hh = (
        s[f"{k}_l0"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    )
    out = []
    for x_t in x:
        gates = x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh
        i, f, g, o = np.split(gates, 4, axis=1)  # PyTorch's order i, f, g, o
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        out.append(h)
    return np.stack(out), c


def torch_doc_gru(x, h, s):
    W_ih, W_hh, b_ih, b_hh = (
        s[f"{k}_l0"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    )
    out = []
    for x_t in x:
        gi, gh = x_t @ W_ih.T + b_ih, h @ W_hh.T + b_hh
        (ir, iz, in_), (hr, hz, hn) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
        r, z = sigmoid(ir + hr), sigmoid(iz + hz)
        n = np.tanh(in_ + r * hn)
        h = (1 - z) * n + z * h
        out.append(h)
    return np.stack(out)


def to_torch_time_major(x):
    """(n, m, T) -> (T, m, n), PyTorch's default (batch_first=False) layout."""
    return x.transpose(2, 1, 0)


# ------------------------------------------------------------------------------ layouts


def test_rnn_layout_and_keys():
    rng, n_x, n_a, _, _ = random_sizes(0)
    p = randomize(ref.init_rnn_parameters(n_x, n_a, 3, rng), rng)
    s = ref.rnn_to_torch(p, layer=2, suffix="_reverse")
    assert set(s) == {
        "weight_ih_l2_reverse",
        "weight_hh_l2_reverse",
        "bias_ih_l2_reverse",
        "bias_hh_l2_reverse",
    }
    np.testing.assert_array_equal(s["weight_ih_l2_reverse"], p["Wax"])
    np.testing.assert_array_equal(s["weight_hh_l2_reverse"], p["Waa"])
    np.testing.assert_array_equal(s["bias_ih_l2_reverse"], p["ba"][:, 0])
    np.testing.assert_array_equal(s["bias_hh_l2_reverse"], np.zeros(n_a))
    assert all(v.dtype == np.float64 for v in s.values())


def test_lstm_gate_order_is_i_f_g_o():
    n_a, n_x = 2, 3
    # Gate k's weights are all k + 1 on a_prev and -(k + 1) on x, its bias 10 (k + 1).
    p = {}
    for k, g in enumerate("fico"):
        p[f"W{g}"] = np.hstack([np.full((n_a, n_a), k + 1.0), np.full((n_a, n_x), -(k + 1.0))])
        p[f"b{g}"] = np.full((n_a, 1), 10.0 * (k + 1))
    s = ref.lstm_to_torch(p)
    # torch order i, f, g, o = our i (2), f (1), c (3), o (4)
    expected_blocks = [2.0, 1.0, 3.0, 4.0]
    assert s["weight_ih_l0"].shape == (4 * n_a, n_x)
    assert s["weight_hh_l0"].shape == (4 * n_a, n_a)
    for block, value in enumerate(expected_blocks):
        rows = slice(block * n_a, (block + 1) * n_a)
        np.testing.assert_array_equal(s["weight_hh_l0"][rows], value)
        np.testing.assert_array_equal(s["weight_ih_l0"][rows], -value)
        np.testing.assert_array_equal(s["bias_ih_l0"][rows], 10.0 * value)
    np.testing.assert_array_equal(s["bias_hh_l0"], 0.0)


def test_gru_torch_layout_r_z_n():
    rng, n_x, n_a, _, _ = random_sizes(1)
    p = ref.init_gru_torch_parameters(n_x, n_a, rng)
    s = ref.gru_torch_to_torch(p)
    for k, g in enumerate("rzn"):
        rows = slice(k * n_a, (k + 1) * n_a)
        np.testing.assert_array_equal(s["weight_ih_l0"][rows], p[f"Wi{g}"])
        np.testing.assert_array_equal(s["weight_hh_l0"][rows], p[f"Wh{g}"])
        np.testing.assert_array_equal(s["bias_ih_l0"][rows], p[f"bi{g}"][:, 0])
        np.testing.assert_array_equal(s["bias_hh_l0"][rows], p[f"bh{g}"][:, 0])


def test_linear_layout():
    W, b = np.arange(6.0).reshape(3, 2), np.array([[1.0], [2.0], [3.0]])
    s = ref.linear_to_torch(W, b)
    np.testing.assert_array_equal(s["weight"], W)
    np.testing.assert_array_equal(s["bias"], [1.0, 2.0, 3.0])
    W2, b2 = ref.linear_from_torch(s)
    np.testing.assert_array_equal(W2, W)
    np.testing.assert_array_equal(b2, b)


# ---------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("seed", range(3))
def test_round_trips_are_exact(seed):
    rng, n_x, n_a, _, _ = random_sizes(seed)
    p = randomize(ref.init_rnn_parameters(n_x, n_a, 4, rng), rng)
    back = ref.rnn_from_torch(ref.rnn_to_torch(p), linear=ref.linear_to_torch(p["Wya"], p["by"]))
    assert back.keys() == p.keys()
    for k in p:
        np.testing.assert_array_equal(back[k], p[k])

    p = randomize(ref.init_lstm_parameters(n_x, n_a, 4, rng), rng)
    back = ref.lstm_from_torch(ref.lstm_to_torch(p), linear=ref.linear_to_torch(p["Wy"], p["by"]))
    assert back.keys() == p.keys()
    for k in p:
        np.testing.assert_array_equal(back[k], p[k])

    p = ref.init_gru_torch_parameters(n_x, n_a, rng)
    back = ref.gru_torch_from_torch(ref.gru_torch_to_torch(p))
    assert back.keys() == p.keys()
    for k in p:
        np.testing.assert_array_equal(back[k], p[k])


def test_from_torch_adds_the_two_biases_and_to_torch_keeps_the_function():
    rng, n_x, n_a, _, _ = random_sizes(2)
    s = {
        "weight_ih_l0": rng.standard_normal((4 * n_a, n_x)),
        "weight_hh_l0": rng.standard_normal((4 * n_a, n_a)),
        "bias_ih_l0": rng.standard_normal(4 * n_a),
        "bias_hh_l0": rng.standard_normal(4 * n_a),
    }
    p = ref.lstm_from_torch(s)
    # bias of gate f = rows n_a..2n_a of bias_ih + bias_hh
    np.testing.assert_allclose(p["bf"][:, 0], (s["bias_ih_l0"] + s["bias_hh_l0"])[n_a : 2 * n_a])
    s2 = ref.lstm_to_torch(p)
    np.testing.assert_array_equal(s2["weight_ih_l0"], s["weight_ih_l0"])
    np.testing.assert_array_equal(s2["weight_hh_l0"], s["weight_hh_l0"])
    np.testing.assert_allclose(
        s2["bias_ih_l0"] + s2["bias_hh_l0"],
        s["bias_ih_l0"] + s["bias_hh_l0"],
        rtol=1e-15,
        atol=1e-15,
    )


def test_missing_biases_mean_zero_biases():
    """A module built with bias=False has no bias keys."""
    rng, n_x, n_a, _, _ = random_sizes(3)
    s = {
        "weight_ih_l0": rng.standard_normal((n_a, n_x)),
        "weight_hh_l0": rng.standard_normal((n_a, n_a)),
    }
    p = ref.rnn_from_torch(s)
    np.testing.assert_array_equal(p["ba"], np.zeros((n_a, 1)))


def test_array_likes_are_accepted_and_copied():
    """Anything with __array__ (e.g. a CPU tensor) works; the result owns its memory."""

    class ArrayLike:
        def __init__(self, a):
            self.a = a

        def __array__(self, dtype=None, copy=None):
            return self.a

    rng, n_x, n_a, _, _ = random_sizes(4)
    raw = {
        "weight_ih_l0": rng.standard_normal((3 * n_a, n_x)),
        "weight_hh_l0": rng.standard_normal((3 * n_a, n_a)),
        "bias_ih_l0": rng.standard_normal(3 * n_a),
        "bias_hh_l0": rng.standard_normal(3 * n_a),
    }
    p = ref.gru_torch_from_torch({k: ArrayLike(v) for k, v in raw.items()})
    np.testing.assert_array_equal(p["Whz"], raw["weight_hh_l0"][n_a : 2 * n_a])
    raw["weight_hh_l0"][:] = 0.0
    assert np.any(p["Whz"] != 0.0)


# ----------------------------------------- the same function as PyTorch's documented one


@pytest.mark.parametrize("seed", range(2))
def test_rnn_matches_pytorch_equations(seed):
    rng, n_x, n_a, m, T = random_sizes(seed)
    p = randomize(ref.init_rnn_parameters(n_x, n_a, 2, rng), rng)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a, _, _ = ref.rnn_forward(x, a0, p)
    expected = torch_doc_rnn(to_torch_time_major(x), a0.T, ref.rnn_to_torch(p))
    np.testing.assert_allclose(to_torch_time_major(a), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(2))
def test_lstm_matches_pytorch_equations(seed):
    rng, n_x, n_a, m, T = random_sizes(seed)
    p = randomize(ref.init_lstm_parameters(n_x, n_a, 2, rng), rng)
    x = rng.standard_normal((n_x, m, T))
    a0, c0 = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
    a, _, c, _ = ref.lstm_forward(x, a0, p, c0)
    expected_h, expected_c = torch_doc_lstm(
        to_torch_time_major(x), a0.T, c0.T, ref.lstm_to_torch(p)
    )
    np.testing.assert_allclose(to_torch_time_major(a), expected_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c[:, :, -1].T, expected_c, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(2))
def test_gru_torch_matches_pytorch_equations(seed):
    rng, n_x, n_a, m, T = random_sizes(seed)
    p = ref.init_gru_torch_parameters(n_x, n_a, rng)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a, _ = ref.gru_torch_forward(x, a0, p)
    expected = torch_doc_gru(to_torch_time_major(x), a0.T, ref.gru_torch_to_torch(p))
    np.testing.assert_allclose(to_torch_time_major(a), expected, rtol=1e-12, atol=1e-12)


def test_cho_gru_is_not_the_pytorch_gru():
    """Why there is no converter for gru.py: even with the update gate mapped (z = 1 - u)
    and the natural weight mapping, the reset gate's position changes the result."""
    rng, n_x, n_a, m, T = random_sizes(5)
    p = randomize(ref.init_gru_parameters(n_x, n_a, rng), rng)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a_cho, _ = ref.gru_forward(x, a0, p)
    q = {}
    for g_cho, g_torch, sign in (("r", "r", 1.0), ("u", "z", -1.0), ("c", "n", 1.0)):
        q[f"Wh{g_torch}"] = sign * p[f"W{g_cho}"][:, :n_a]
        q[f"Wi{g_torch}"] = sign * p[f"W{g_cho}"][:, n_a:]
        q[f"bi{g_torch}"] = sign * p[f"b{g_cho}"]
        q[f"bh{g_torch}"] = np.zeros((n_a, 1))
    a_torch_form, _ = ref.gru_torch_forward(x, a0, q)
    assert np.max(np.abs(a_cho - a_torch_form)) > 1e-3
    # ...and with the reset gate held open (r = 1) the two do agree.
    p["br"], q["bir"] = np.full((n_a, 1), 1e3), np.full((n_a, 1), 1e3)
    np.testing.assert_allclose(
        ref.gru_forward(x, a0, p)[0], ref.gru_torch_forward(x, a0, q)[0], rtol=1e-12, atol=1e-12
    )


# ------------------------------------------------------------------------------ bad input


def test_missing_parameter_is_named():
    p = ref.init_rnn_parameters(3, 4, 2)
    del p["Waa"]
    with pytest.raises(ValueError, match=r"rnn_to_torch: parameters is missing 'Waa'"):
        ref.rnn_to_torch(p)


def test_wrong_shape_names_had_and_needed():
    p = ref.init_lstm_parameters(3, 4, 2)
    p["Wo"] = np.zeros((4, 6))
    with pytest.raises(
        ValueError,
        match=r"lstm_to_torch: parameters\['Wo'\] has shape \(4, 6\), "
        r"expected \(n_a, n_a \+ n_x\) = \(4, 7\)",
    ):
        ref.lstm_to_torch(p)


def test_missing_state_key_is_named():
    s = ref.gru_torch_to_torch(ref.init_gru_torch_parameters(3, 4))
    del s["weight_hh_l0"]
    with pytest.raises(
        ValueError,
        match=r"gru_torch_from_torch: state_dict is missing "
        r"'weight_hh_l0'",
    ):
        ref.gru_torch_from_torch(s)


def test_state_of_the_wrong_module_is_refused():
    """An nn.RNN state dict read as an LSTM: weight rows are n_a, not 4 n_a."""
    s = ref.rnn_to_torch(ref.init_rnn_parameters(3, 4, 2))
    with pytest.raises(
        ValueError,
        match=r"lstm_from_torch: state_dict\['weight_hh_l0'\] has "
        r"shape \(4, 4\), expected \(4 \* n_a, n_a\) = \(16, 4\)",
    ):
        ref.lstm_from_torch(s)


def test_wrong_bias_shape_is_refused():
    s = ref.rnn_to_torch(ref.init_rnn_parameters(3, 4, 2))
    s["bias_hh_l0"] = np.zeros((4, 1))
    with pytest.raises(ValueError, match=r"bias_hh_l0'\] has shape \(4, 1\), expected"):
        ref.rnn_from_torch(s)


@pytest.mark.parametrize("layer, suffix", [(-1, ""), (1.5, ""), (0, "_backward")])
def test_bad_layer_or_suffix(layer, suffix):
    with pytest.raises(ValueError, match="rnn_to_torch: (layer|suffix)"):
        ref.rnn_to_torch(ref.init_rnn_parameters(3, 4, 2), layer=layer, suffix=suffix)


def test_linear_of_the_wrong_width_is_refused():
    s = ref.rnn_to_torch(ref.init_rnn_parameters(3, 4, 2))
    with pytest.raises(ValueError, match=r"rnn_from_torch: linear\['weight'\] has shape \(2, 5\)"):
        ref.rnn_from_torch(s, linear={"weight": np.zeros((2, 5)), "bias": np.zeros(2)})
