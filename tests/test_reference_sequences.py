"""The fast sequence functions agree with a plain loop over the cell functions."""

import numpy as np
import pytest

from autograder import reference as ref


@pytest.fixture
def lstm_setup():
    rng = np.random.default_rng(3)
    n_x, n_a, n_y, m, T = 4, 6, 3, 5, 7
    p = ref.init_lstm_parameters(n_x, n_a, n_y, rng)
    x = rng.standard_normal((n_x, m, T))
    a0, c0 = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
    return rng, p, x, a0, c0


def test_lstm_forward_matches_cell_loop(lstm_setup):
    _, p, x, a0, c0 = lstm_setup
    a, y, c, (caches, x_cached) = ref.lstm_forward(x, a0, p, c0)
    assert x_cached is x and len(caches) == x.shape[2]
    a_prev, c_prev = a0, c0
    for t in range(x.shape[2]):
        a_prev, c_prev, yt, cache = ref.lstm_cell_forward(x[:, :, t], a_prev, c_prev, p)
        np.testing.assert_allclose(a[:, :, t], a_prev, rtol=0, atol=1e-14)
        np.testing.assert_allclose(c[:, :, t], c_prev, rtol=0, atol=1e-14)
        np.testing.assert_allclose(y[:, :, t], yt, rtol=0, atol=1e-14)
        for mine, theirs in zip(caches[t][:9], cache[:9], strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-14)


def test_lstm_backward_matches_cell_loop(lstm_setup):
    rng, p, x, a0, c0 = lstm_setup
    a, _, _, caches = ref.lstm_forward(x, a0, p, c0)
    da = rng.standard_normal(a.shape)
    fast = ref.lstm_backward(da, caches)
    da_next, dc_next = np.zeros_like(a0), np.zeros_like(c0)
    total = {k: np.zeros_like(v) for k, v in fast.items() if k.startswith(("dW", "db"))}
    for t in reversed(range(x.shape[2])):
        step = ref.lstm_cell_backward(da[:, :, t] + da_next, dc_next, caches[0][t])
        np.testing.assert_allclose(fast["dx"][:, :, t], step["dxt"], rtol=1e-12, atol=1e-14)
        da_next, dc_next = step["da_prev"], step["dc_prev"]
        for k in total:
            total[k] += step[k]
    np.testing.assert_allclose(fast["da0"], da_next, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast["dc0"], dc_next, rtol=1e-12, atol=1e-14)
    for k, v in total.items():
        np.testing.assert_allclose(fast[k], v, rtol=1e-12, atol=1e-13, err_msg=k)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_rnn_forward_matches_cell_loop(activation):
    rng = np.random.default_rng(4)
    p = ref.init_rnn_parameters(3, 5, 2, rng)
    x, a0 = rng.standard_normal((3, 4, 6)), rng.standard_normal((5, 4))
    a, y, _ = ref.rnn_forward(x, a0, p, activation)
    a_prev = a0
    for t in range(6):
        a_prev, yt, _ = ref.rnn_cell_forward(x[:, :, t], a_prev, p, activation)
        np.testing.assert_allclose(a[:, :, t], a_prev, atol=1e-15)
        np.testing.assert_allclose(y[:, :, t], yt, atol=1e-15)


def test_outputs_are_float64_and_batch_independent():
    """Each column of the batch is computed on its own: batching changes nothing."""
    rng = np.random.default_rng(5)
    p = ref.init_lstm_parameters(3, 4, 2, rng)
    x, a0 = rng.standard_normal((3, 6, 5)), rng.standard_normal((4, 6))
    a, y, c, _ = ref.lstm_forward(x, a0, p)
    assert a.dtype == y.dtype == c.dtype == np.float64
    a1, y1, c1, _ = ref.lstm_forward(x[:, 2:3], a0[:, 2:3], p)
    np.testing.assert_allclose(a[:, 2:3], a1, atol=1e-15)
    np.testing.assert_allclose(y[:, 2:3], y1, atol=1e-15)
