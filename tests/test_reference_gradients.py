"""Every backward function of the reference core against central differences.

Random shapes and seeds; relative error (CS231n) at most 1e-7 for one step and 1e-6
for a whole sequence.
"""

import numpy as np
import pytest

from autograder import reference as ref

STEP_TOL = 1e-7
SEQUENCE_TOL = 1e-6


def random_sizes(seed):
    rng = np.random.default_rng(seed)
    n_x, n_a, n_y, m, T = (int(v) for v in rng.integers(2, 6, size=5))
    return rng, n_x, n_a, n_y, m, T


def assert_gradients(f, inputs, grads, upstream, tol):
    """Compare grads[name] with the numerical gradient of sum(f() * upstream)."""
    for name, array in inputs.items():
        numeric = ref.numerical_gradient(lambda _: f(), array, upstream)
        error = ref.rel_error(numeric, grads[name])
        assert error <= tol, f"{name}: relative error {error:.2e} > {tol:.0e}"


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_rnn_cell_backward(seed, activation):
    rng, n_x, n_a, n_y, m, _ = random_sizes(seed)
    p = ref.init_rnn_parameters(n_x, n_a, n_y, rng)
    p["ba"] = rng.standard_normal((n_a, 1))
    xt, a_prev = rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m))
    a_next, _, cache = ref.rnn_cell_forward(xt, a_prev, p, activation)
    da = rng.standard_normal(a_next.shape)
    g = ref.rnn_cell_backward(da, cache, activation)
    inputs = {"dxt": xt, "da_prev": a_prev, "dWax": p["Wax"], "dWaa": p["Waa"], "dba": p["ba"]}
    assert_gradients(
        lambda: ref.rnn_cell_forward(xt, a_prev, p, activation)[0], inputs, g, da, STEP_TOL
    )


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_rnn_backward(seed, activation):
    rng, n_x, n_a, n_y, m, T = random_sizes(seed)
    p = ref.init_rnn_parameters(n_x, n_a, n_y, rng)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a, _, caches = ref.rnn_forward(x, a0, p, activation)
    da = rng.standard_normal(a.shape)
    g = ref.rnn_backward(da, caches, activation)
    inputs = {"dx": x, "da0": a0, "dWax": p["Wax"], "dWaa": p["Waa"], "dba": p["ba"]}
    assert_gradients(lambda: ref.rnn_forward(x, a0, p, activation)[0], inputs, g, da, SEQUENCE_TOL)


def lstm_inputs(p):
    names = {f"d{k}": p[k] for k in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")}
    return names


@pytest.mark.parametrize("seed", range(3))
def test_lstm_cell_backward(seed):
    rng, n_x, n_a, n_y, m, _ = random_sizes(seed)
    p = ref.init_lstm_parameters(n_x, n_a, n_y, rng)
    xt = rng.standard_normal((n_x, m))
    a_prev, c_prev = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))

    def f():
        a_next, c_next, _, _ = ref.lstm_cell_forward(xt, a_prev, c_prev, p)
        return np.concatenate([a_next, c_next])

    a_next, _, _, cache = ref.lstm_cell_forward(xt, a_prev, c_prev, p)
    da, dc = rng.standard_normal(a_next.shape), rng.standard_normal(a_next.shape)
    g = ref.lstm_cell_backward(da, dc, cache)
    inputs = {"dxt": xt, "da_prev": a_prev, "dc_prev": c_prev, **lstm_inputs(p)}
    assert_gradients(f, inputs, g, np.concatenate([da, dc]), STEP_TOL)


@pytest.mark.parametrize("seed", range(3))
def test_lstm_backward(seed):
    rng, n_x, n_a, n_y, m, T = random_sizes(seed)
    p = ref.init_lstm_parameters(n_x, n_a, n_y, rng)
    x = rng.standard_normal((n_x, m, T))
    a0, c0 = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))

    def f():
        a, _, c, _ = ref.lstm_forward(x, a0, p, c0)
        return np.concatenate([a, c])

    a, _, _, caches = ref.lstm_forward(x, a0, p, c0)
    da, dc = rng.standard_normal(a.shape), rng.standard_normal(a.shape)
    g = ref.lstm_backward(da, caches, dc)
    inputs = {"dx": x, "da0": a0, "dc0": c0, **lstm_inputs(p)}
    assert_gradients(f, inputs, g, np.concatenate([da, dc]), SEQUENCE_TOL)


@pytest.mark.parametrize("seed", range(3))
def test_gru_cell_backward(seed):
    rng, n_x, n_a, _, m, _ = random_sizes(seed)
    p = ref.init_gru_parameters(n_x, n_a, rng)
    for k in ("bu", "br", "bc"):
        p[k] = rng.standard_normal((n_a, 1))
    xt, a_prev = rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m))
    a_next, cache = ref.gru_cell_forward(xt, a_prev, p)
    da = rng.standard_normal(a_next.shape)
    g = ref.gru_cell_backward(da, cache)
    inputs = {"dxt": xt, "da_prev": a_prev, **{f"d{k}": v for k, v in p.items()}}
    assert_gradients(lambda: ref.gru_cell_forward(xt, a_prev, p)[0], inputs, g, da, STEP_TOL)


@pytest.mark.parametrize("seed", range(3))
def test_gru_backward(seed):
    rng, n_x, n_a, _, m, T = random_sizes(seed)
    p = ref.init_gru_parameters(n_x, n_a, rng)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a, caches = ref.gru_forward(x, a0, p)
    da = rng.standard_normal(a.shape)
    g = ref.gru_backward(da, caches)
    inputs = {"dx": x, "da0": a0, **{f"d{k}": v for k, v in p.items()}}
    assert_gradients(lambda: ref.gru_forward(x, a0, p)[0], inputs, g, da, SEQUENCE_TOL)


@pytest.mark.parametrize("seed", range(3))
def test_gru_torch_cell_backward(seed):
    rng, n_x, n_a, _, m, _ = random_sizes(seed)
    p = ref.init_gru_torch_parameters(n_x, n_a, rng)
    xt, a_prev = rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m))
    a_next, cache = ref.gru_torch_cell_forward(xt, a_prev, p)
    da = rng.standard_normal(a_next.shape)
    g = ref.gru_torch_cell_backward(da, cache)
    inputs = {"dxt": xt, "da_prev": a_prev, **{f"d{k}": v for k, v in p.items()}}
    assert_gradients(lambda: ref.gru_torch_cell_forward(xt, a_prev, p)[0], inputs, g, da, STEP_TOL)


@pytest.mark.parametrize("seed", range(3))
def test_gru_torch_backward(seed):
    rng, n_x, n_a, _, m, T = random_sizes(seed)
    p = ref.init_gru_torch_parameters(n_x, n_a, rng)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a, caches = ref.gru_torch_forward(x, a0, p)
    da = rng.standard_normal(a.shape)
    g = ref.gru_torch_backward(da, caches)
    inputs = {"dx": x, "da0": a0, **{f"d{k}": v for k, v in p.items()}}
    assert_gradients(lambda: ref.gru_torch_forward(x, a0, p)[0], inputs, g, da, SEQUENCE_TOL)


def test_softmax_backward_through_cross_entropy():
    """d cross_entropy / d logits = (softmax - onehot) / tokens, checked numerically."""
    rng = np.random.default_rng(7)
    z = rng.standard_normal((5, 3, 4))
    y = rng.integers(0, 5, size=(3, 4))
    onehot = np.moveaxis(np.eye(5)[y], -1, 0)
    analytic = (ref.softmax(z) - onehot) / y.size
    numeric = ref.numerical_gradient(
        lambda zz: np.array(ref.cross_entropy(ref.softmax(zz), y)), z, np.array(1.0)
    )
    assert ref.rel_error(numeric, analytic) < 1e-7
