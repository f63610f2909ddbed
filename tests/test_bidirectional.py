"""Bidirectional RNN: hand-computed states, gradient checks on random shapes, clear errors."""

import numpy as np
import pytest

from autograder import reference as ref

SEQUENCE_TOL = 1e-6


def numerical_gradient(f, x, df, h=1e-3):
    """Central differences with Richardson extrapolation: (4 D(h/2) - D(h)) / 3 cancels the
    h**2 error term, so a larger step (less roundoff) gives ~1e-12 accuracy. That keeps
    rel_error meaningful for the tiny entries deep and long networks produce."""
    fine = ref.numerical_gradient(f, x, df, h / 2)
    return (4.0 * fine - ref.numerical_gradient(f, x, df, h)) / 3.0


def random_case(seed, n_a_b=None):
    rng = np.random.default_rng(seed)
    n_x, n_a, m, T = (int(v) for v in rng.integers(2, 6, size=4))
    p = ref.init_bidirectional_rnn_parameters(n_x, n_a, rng)
    p = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in p.items()}
    if n_a_b is not None:  # a backward direction of another width
        p["Wax_b"] = rng.standard_normal((n_a_b, n_x)) / 2
        p["Waa_b"] = rng.standard_normal((n_a_b, n_a_b)) / 2
        p["ba_b"] = rng.standard_normal((n_a_b, 1))
    x = rng.standard_normal((n_x, m, T))
    a0_f = rng.standard_normal((n_a, m))
    a0_b = rng.standard_normal((p["Waa_b"].shape[0], m))
    return rng, p, x, a0_f, a0_b


def test_hand_computed_scalar_case():
    """n_x = n_a = m = 1, T = 2, all weights 1, zero biases and initial states."""
    p = {k: np.ones((1, 1)) for k in ("Wax_f", "Waa_f", "Wax_b", "Waa_b")}
    p["ba_f"], p["ba_b"] = np.zeros((1, 1)), np.zeros((1, 1))
    x1, x2 = 0.5, -0.25
    x = np.array([x1, x2]).reshape(1, 1, 2)
    a, _ = ref.bidirectional_rnn_forward(x, None, None, p)
    forward = [np.tanh(x1), np.tanh(np.tanh(x1) + x2)]
    backward = [np.tanh(np.tanh(x2) + x1), np.tanh(x2)]  # read from the end
    np.testing.assert_allclose(a[:, 0, :], [forward, backward], rtol=1e-15)
    a_sum, _ = ref.bidirectional_rnn_forward(x, None, None, p, merge="sum")
    np.testing.assert_allclose(a_sum[0, 0], np.add(forward, backward), rtol=1e-15)


def test_forward_half_is_the_core_rnn_and_backward_half_sees_the_future():
    rng, p, x, a0_f, a0_b = random_case(0)
    n_a = a0_f.shape[0]
    a, _ = ref.bidirectional_rnn_forward(x, a0_f, a0_b, p)
    core = {"Wax": p["Wax_f"], "Waa": p["Waa_f"], "ba": p["ba_f"]}
    core.update(Wya=np.zeros((1, n_a)), by=np.zeros((1, 1)))
    np.testing.assert_allclose(a[:n_a], ref.rnn_forward(x, a0_f, core)[0], rtol=1e-14)
    # Changing the last input changes the backward states at every step, the forward
    # states only at the last step.
    x2 = x.copy()
    x2[:, :, -1] += 1.0
    a2, _ = ref.bidirectional_rnn_forward(x2, a0_f, a0_b, p)
    assert np.all(np.abs(a2[n_a:] - a[n_a:]).max(axis=(0, 1)) > 0)
    np.testing.assert_array_equal(a2[:n_a, :, :-1], a[:n_a, :, :-1])


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("merge", ["concat", "sum"])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_gradients(seed, merge, activation):
    rng, p, x, a0_f, a0_b = random_case(seed)
    a, caches = ref.bidirectional_rnn_forward(x, a0_f, a0_b, p, activation, merge)
    da = rng.standard_normal(a.shape)
    g = ref.bidirectional_rnn_backward(da, caches)
    assert set(g) == {"dx", "da0_f", "da0_b"} | {"d" + k for k in p}

    def f():
        return ref.bidirectional_rnn_forward(x, a0_f, a0_b, p, activation, merge)[0]

    inputs = {"dx": x, "da0_f": a0_f, "da0_b": a0_b} | {"d" + k: v for k, v in p.items()}
    for name, array in inputs.items():
        error = ref.rel_error(g[name], numerical_gradient(lambda _: f(), array, da))
        assert error <= SEQUENCE_TOL, f"{name}: relative error {error:.2e}"


def test_gradients_with_unequal_widths():
    rng, p, x, a0_f, a0_b = random_case(5, n_a_b=2)
    a, caches = ref.bidirectional_rnn_forward(x, a0_f, a0_b, p)
    assert a.shape[0] == a0_f.shape[0] + 2
    da = rng.standard_normal(a.shape)
    g = ref.bidirectional_rnn_backward(da, caches)
    for name, array in {"dx": x, "dWaa_b": p["Waa_b"], "da0_b": a0_b}.items():
        numeric = numerical_gradient(
            lambda _: ref.bidirectional_rnn_forward(x, a0_f, a0_b, p)[0], array, da
        )
        assert ref.rel_error(g[name], numeric) <= SEQUENCE_TOL, name


# ------------------------------------------------------------------------------ bad input


def test_missing_key_is_named():
    _, p, x, _, _ = random_case(1)
    del p["ba_b"]
    with pytest.raises(
        ValueError, match=r"bidirectional_rnn_forward: parameters is missing 'ba_b'"
    ):
        ref.bidirectional_rnn_forward(x, None, None, p)


def test_wrong_input_width_names_had_and_needed():
    _, p, x, _, _ = random_case(1)
    n_a, n_x = p["Wax_f"].shape
    with pytest.raises(
        ValueError,
        match=rf"parameters\['Wax_f'\] has shape \({n_a}, {n_x}\), expected "
        rf"\(n_a_f, n_x\) = \({n_a}, {n_x + 1}\)",
    ):
        ref.bidirectional_rnn_forward(np.zeros((n_x + 1, 2, 3)), None, None, p)


def test_wrong_initial_state():
    _, p, x, a0_f, _ = random_case(2)
    n_a, m = a0_f.shape
    with pytest.raises(ValueError, match=rf"a0_b has shape \({n_a}, {m + 1}\), expected"):
        ref.bidirectional_rnn_forward(x, a0_f, np.zeros((n_a, m + 1)), p)


def test_sum_needs_equal_widths_and_merge_is_checked():
    _, p, x, _, _ = random_case(3, n_a_b=1)
    with pytest.raises(ValueError, match="merge='sum' needs equal widths"):
        ref.bidirectional_rnn_forward(x, None, None, p, merge="sum")
    with pytest.raises(ValueError, match=r"merge must be one of \('concat', 'sum'\)"):
        ref.bidirectional_rnn_forward(x, None, None, p, merge="mean")


def test_backward_checks_da_and_caches():
    _, p, x, a0_f, a0_b = random_case(4)
    a, caches = ref.bidirectional_rnn_forward(x, a0_f, a0_b, p)
    with pytest.raises(ValueError, match=r"da has shape .* expected \(n_a_f \+ n_a_b, m, T_x\)"):
        ref.bidirectional_rnn_backward(a[:-1], caches)
    with pytest.raises(ValueError, match="caches must be the 6-tuple"):
        ref.bidirectional_rnn_backward(a, caches[:2])
