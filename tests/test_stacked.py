"""Stacked (deep) RNN and LSTM: hand-computed states, gradient checks, clear errors."""

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


def random_case(seed, cell):
    rng = np.random.default_rng(seed)
    n_x, m, T, L = (int(v) for v in rng.integers(2, [5, 4, 5, 4]))
    widths = [int(v) for v in rng.integers(2, 5, size=L)]
    layers = ref.init_stacked_parameters(n_x, widths, cell, rng)
    layers = [{k: v + 0.3 * rng.standard_normal(v.shape) for k, v in p.items()} for p in layers]
    x = rng.standard_normal((n_x, m, T))
    a0 = [rng.standard_normal((n, m)) for n in widths]
    c0 = [rng.standard_normal((n, m)) for n in widths] if cell == "lstm" else None
    return rng, layers, x, a0, c0


def test_hand_computed_two_layer_case():
    """Scalar layers, no recurrence (Waa = 0): layer 2 is tanh(2 tanh(x) + 1)."""
    layers = [
        {"Wax": np.ones((1, 1)), "Waa": np.zeros((1, 1)), "ba": np.zeros((1, 1))},
        {"Wax": np.full((1, 1), 2.0), "Waa": np.zeros((1, 1)), "ba": np.ones((1, 1))},
    ]
    x = np.array([0.3, -1.2, 2.0]).reshape(1, 1, 3)
    a, _ = ref.stacked_rnn_forward(x, None, layers)
    np.testing.assert_allclose(a[0][0, 0], np.tanh(x[0, 0]), rtol=1e-15)
    np.testing.assert_allclose(a[1][0, 0], np.tanh(2 * np.tanh(x[0, 0]) + 1), rtol=1e-15)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_one_layer_is_the_core_cell(cell):
    _, layers, x, a0, c0 = random_case(0, cell)
    a, _ = ref.stacked_rnn_forward(x, a0[:1], layers[:1], cell, c0=c0 and c0[:1])
    n_a = a0[0].shape[0]
    core = dict(layers[0], by=np.zeros((1, 1)))
    core["Wya" if cell == "rnn" else "Wy"] = np.zeros((1, n_a))
    if cell == "rnn":
        expected = ref.rnn_forward(x, a0[0], core)[0]
    else:
        expected = ref.lstm_forward(x, a0[0], core, c0[0])[0]
    np.testing.assert_allclose(a[0], expected, rtol=1e-14)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("cell, activation", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh")])
def test_gradients(seed, cell, activation):
    rng, layers, x, a0, c0 = random_case(seed, cell)
    a, caches = ref.stacked_rnn_forward(x, a0, layers, cell, activation, c0)
    da = rng.standard_normal(a[-1].shape)
    g = ref.stacked_rnn_backward(da, caches)

    def f(_):
        return ref.stacked_rnn_forward(x, a0, layers, cell, activation, c0)[0][-1]

    checks = [("dx", g["dx"], x)]
    for layer, p in enumerate(layers):
        checks.append((f"da0[{layer}]", g["da0"][layer], a0[layer]))
        if c0 is not None:
            checks.append((f"dc0[{layer}]", g["dc0"][layer], c0[layer]))
        assert set(g["layers"][layer]) == {"d" + k for k in p}
        checks += [(f"layer {layer} d{k}", g["layers"][layer]["d" + k], v) for k, v in p.items()]
    for name, analytic, array in checks:
        error = ref.rel_error(analytic, numerical_gradient(f, array, da))
        assert error <= SEQUENCE_TOL, f"{name}: relative error {error:.2e}"


def test_output_layer_keys_are_ignored():
    """Full core dicts (with Wya, by) work as layers; their output layer plays no part."""
    rng = np.random.default_rng(3)
    layers = [ref.init_rnn_parameters(3, 4, 7, rng), ref.init_rnn_parameters(4, 2, 5, rng)]
    x = rng.standard_normal((3, 2, 3))
    a, _ = ref.stacked_rnn_forward(x, None, layers)
    layers[1]["Wya"] = layers[1]["Wya"] * 10
    np.testing.assert_array_equal(ref.stacked_rnn_forward(x, None, layers)[0][1], a[1])


# ------------------------------------------------------------------------------ bad input


def test_layer_with_the_wrong_input_width_is_named():
    layers = ref.init_stacked_parameters(3, [4, 5])
    layers[1]["Wax"] = np.zeros((5, 3))
    with pytest.raises(
        ValueError,
        match=r"stacked_rnn_forward: layer 1: parameters\['Wax'\] has shape \(5, 3\), "
        r"expected \(n_a, n_in\) = \(5, 4\)",
    ):
        ref.stacked_rnn_forward(np.zeros((3, 2, 4)), None, layers)


def test_missing_key_names_the_layer():
    layers = ref.init_stacked_parameters(3, [4, 5], "lstm")
    del layers[0]["Wo"]
    with pytest.raises(ValueError, match=r"layer 0: parameters is missing 'Wo'"):
        ref.stacked_rnn_forward(np.zeros((3, 2, 4)), None, layers, "lstm")


def test_initial_states_are_checked():
    layers = ref.init_stacked_parameters(3, [4, 5])
    x = np.zeros((3, 2, 4))
    with pytest.raises(ValueError, match=r"a0 must be None or a list of 2 arrays"):
        ref.stacked_rnn_forward(x, [np.zeros((4, 2))], layers)
    with pytest.raises(ValueError, match=r"a0\[1\] has shape \(4, 2\), expected"):
        ref.stacked_rnn_forward(x, [np.zeros((4, 2)), np.zeros((4, 2))], layers)


def test_bad_options():
    layers = ref.init_stacked_parameters(3, [4])
    x = np.zeros((3, 2, 4))
    with pytest.raises(ValueError, match=r"cell must be one of \('rnn', 'lstm'\)"):
        ref.stacked_rnn_forward(x, None, layers, cell="gru")
    with pytest.raises(ValueError, match="c0 is for cell='lstm' only"):
        ref.stacked_rnn_forward(x, None, layers, c0=[np.zeros((4, 2))])
    with pytest.raises(ValueError, match="non-empty list of per-layer dicts"):
        ref.stacked_rnn_forward(x, None, [])
    lstm = ref.init_stacked_parameters(3, [4], "lstm")
    with pytest.raises(ValueError, match="activation applies to cell='rnn' only"):
        ref.stacked_rnn_forward(x, None, lstm, "lstm", activation="relu")


def test_backward_checks_da():
    layers = ref.init_stacked_parameters(3, [4, 5])
    a, caches = ref.stacked_rnn_forward(np.zeros((3, 2, 4)), None, layers)
    with pytest.raises(ValueError, match=r"da has shape \(4, 2, 4\), expected"):
        ref.stacked_rnn_backward(a[0], caches)
