"""Forward values against numbers worked out by hand (scalar math, no reference code)."""

import math

import numpy as np
import pytest

from autograder import reference as ref


def test_softmax_known_values_and_stability():
    z = np.array([[0.0, 1000.0], [math.log(2.0), 1000.0]])
    p = ref.softmax(z)
    np.testing.assert_allclose(p[:, 0], [1 / 3, 2 / 3], rtol=1e-15)
    np.testing.assert_allclose(p[:, 1], [0.5, 0.5], rtol=1e-15)  # no overflow at 1000


def test_sigmoid_saturates_without_overflow():
    s = ref.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(s, [0.0, 0.5, 1.0])


def test_cross_entropy_and_perplexity_of_uniform_guess():
    y_pred = np.full((4, 2, 3), 0.25)
    y = np.array([[0, 1, 2], [3, 0, 1]])
    assert ref.cross_entropy(y_pred, y) == pytest.approx(math.log(4))
    assert ref.perplexity(y_pred, y) == pytest.approx(4.0)
    onehot = np.moveaxis(np.eye(4)[y], -1, 0)
    assert ref.cross_entropy(y_pred, onehot) == pytest.approx(math.log(4))


def test_cross_entropy_hand_value():
    # Two tokens: probability 0.5 and 0.25 on the right answer -> mean(-log) = 1.5 log 2.
    y_pred = np.array([[0.5, 0.25], [0.5, 0.75]])
    assert ref.cross_entropy(y_pred, np.array([0, 0])) == pytest.approx(1.5 * math.log(2))


def test_rnn_cell_scalar_by_hand():
    p = {
        "Wax": np.array([[0.5]]),
        "Waa": np.array([[-0.3]]),
        "ba": np.array([[0.1]]),
        "Wya": np.array([[1.0], [-1.0]]),
        "by": np.array([[0.0], [0.0]]),
    }
    a_next, y, _ = ref.rnn_cell_forward(np.array([[2.0]]), np.array([[1.0]]), p)
    a = math.tanh(0.5 * 2.0 - 0.3 * 1.0 + 0.1)
    assert a_next[0, 0] == pytest.approx(a, rel=1e-15)
    assert y[0, 0] == pytest.approx(math.exp(a) / (math.exp(a) + math.exp(-a)), rel=1e-14)
    a_relu, _, _ = ref.rnn_cell_forward(np.array([[-4.0]]), np.array([[1.0]]), p, "relu")
    assert a_relu[0, 0] == 0.0  # 0.5 * -4 - 0.3 + 0.1 < 0


def lee_memory_lstm():
    """One LSTM unit with saturated 0/1 gates (Hung-yi Lee's memory-cell example).

    Input x = (value, control, read): control = 1 writes value into the memory,
    control = -1 erases the memory, read = 1 opens the output gate.
    Order of the concatenation: [a_prev; value; control; read].
    """
    big = 100.0
    return {
        "Wi": np.array([[0.0, 0.0, big, 0.0]]), "bi": np.array([[-big / 2]]),
        "Wf": np.array([[0.0, 0.0, big, 0.0]]), "bf": np.array([[big / 2]]),
        "Wo": np.array([[0.0, 0.0, 0.0, big]]), "bo": np.array([[-big / 2]]),
        "Wc": np.array([[0.0, 0.1, 0.0, 0.0]]), "bc": np.array([[0.0]]),
        "Wy": np.array([[1.0]]), "by": np.array([[0.0]]),
    }  # fmt: skip


def test_lstm_saturated_gates_memory_example():
    sequence = [(1, 0, 0), (3, 1, 0), (2, 0, 0), (4, 1, 0), (2, 0, 0),
                (1, 0, 1), (3, -1, 0), (6, 1, 0), (1, 0, 1)]  # fmt: skip
    x = np.array(sequence, dtype=float).T[:, None, :]  # (3, 1, 9)
    a, _, c, _ = ref.lstm_forward(x, np.zeros((1, 1)), lee_memory_lstm())
    # By hand: write tanh(0.3) at step 2, add tanh(0.4) at step 4, erase at step 7,
    # write tanh(0.6) at step 8; the output gate opens at steps 6 and 9 only.
    m1 = math.tanh(0.3)
    m2 = m1 + math.tanh(0.4)
    m3 = math.tanh(0.6)
    expected_c = [0, m1, m1, m2, m2, m2, 0, m3, m3]
    expected_a = [0, 0, 0, 0, 0, math.tanh(m2), 0, 0, math.tanh(m3)]
    np.testing.assert_allclose(c[0, 0], expected_c, atol=1e-12)
    np.testing.assert_allclose(a[0, 0], expected_a, atol=1e-12)


def test_lstm_forget_gate_closed_gives_fresh_memory():
    rng = np.random.default_rng(0)
    p = ref.init_lstm_parameters(2, 3, 2, rng)
    for gate, bias in (("f", -1e3), ("i", 1e3), ("o", 1e3)):
        p[f"W{gate}"][:] = 0.0
        p[f"b{gate}"][:] = bias
    xt, a_prev = rng.standard_normal((2, 4)), rng.standard_normal((3, 4))
    c_prev = rng.standard_normal((3, 4))
    a_next, c_next, _, _ = ref.lstm_cell_forward(xt, a_prev, c_prev, p)
    cct = np.tanh(p["Wc"] @ np.concatenate([a_prev, xt]) + p["bc"])
    np.testing.assert_allclose(c_next, cct, atol=1e-15)  # old memory fully forgotten
    np.testing.assert_allclose(a_next, np.tanh(cct), atol=1e-15)


def test_gru_update_gate_extremes():
    rng = np.random.default_rng(1)
    p = ref.init_gru_parameters(2, 3, rng)
    xt, a_prev = rng.standard_normal((2, 4)), rng.standard_normal((3, 4))
    p["Wu"][:] = 0.0
    p["bu"][:] = -1e3  # u = 0: keep the old state exactly
    a_next, _ = ref.gru_cell_forward(xt, a_prev, p)
    np.testing.assert_array_equal(a_next, a_prev)
    p["bu"][:] = 1e3  # u = 1 and r = 0: the candidate ignores a_prev
    p["Wr"][:] = 0.0
    p["br"][:] = -1e3
    a_next, _ = ref.gru_cell_forward(xt, a_prev, p)
    np.testing.assert_allclose(a_next, np.tanh(p["Wc"][:, 3:] @ xt + p["bc"]), atol=1e-15)


def test_gru_forms_differ_only_where_the_reset_gate_acts():
    """With the reset gate fully open (r = 1) the two GRU forms agree, after z = 1 - u."""
    rng = np.random.default_rng(2)
    n_x, n_a = 2, 3
    cho = ref.init_gru_parameters(n_x, n_a, rng)
    cho["Wr"][:] = 0.0
    cho["br"][:] = 1e3
    torch_form = {
        "Wir": np.zeros((n_a, n_x)), "Whr": np.zeros((n_a, n_a)),
        "bir": np.full((n_a, 1), 1e3), "bhr": np.zeros((n_a, 1)),
        "Wiz": -cho["Wu"][:, n_a:], "Whz": -cho["Wu"][:, :n_a],
        "biz": -cho["bu"], "bhz": np.zeros((n_a, 1)),
        "Win": cho["Wc"][:, n_a:], "Whn": cho["Wc"][:, :n_a],
        "bin": cho["bc"], "bhn": np.zeros((n_a, 1)),
    }  # fmt: skip
    xt, a_prev = rng.standard_normal((n_x, 4)), rng.standard_normal((n_a, 4))
    a_cho, _ = ref.gru_cell_forward(xt, a_prev, cho)
    a_torch, _ = ref.gru_torch_cell_forward(xt, a_prev, torch_form)
    np.testing.assert_allclose(a_cho, a_torch, atol=1e-14)


def test_irnn_initialisation_is_identity():
    p = ref.init_irnn_parameters(2, 4, 3, rng=0)
    np.testing.assert_array_equal(p["Waa"], np.eye(4))
    # With zero input, a ReLU RNN with Waa = I carries a positive state unchanged.
    a_prev = np.abs(np.random.default_rng(0).standard_normal((4, 1)))
    a_next, _, _ = ref.rnn_cell_forward(np.zeros((2, 1)), a_prev, p, "relu")
    np.testing.assert_array_equal(a_next, a_prev)


def test_lstm_forget_bias_default_one():
    p = ref.init_lstm_parameters(2, 3, 1, rng=0)
    np.testing.assert_array_equal(p["bf"], np.ones((3, 1)))
    np.testing.assert_array_equal(p["bi"], np.zeros((3, 1)))
