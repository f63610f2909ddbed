"""SGD, Adagrad and Adam on parameter dicts: hand-computed steps, inputs untouched, errors.
(tests/test_torch_parity.py also runs them against torch.optim.)"""

import numpy as np
import pytest

from autograder import reference as ref


def params_and_grads():
    p = {"W": np.array([[1.0, -2.0], [0.5, 0.0]]), "b": np.array([[0.25], [-0.75]])}
    g = {
        "dW": np.array([[0.5, -4.0], [0.0, 2.0]]),
        "db": np.array([[-1.0], [3.0]]),
        "dx": np.ones(3),
    }  # extra gradients (inputs, states) are ignored
    return p, g


def test_sgd_step_by_hand():
    p, g = params_and_grads()
    new = ref.sgd(p, g, 0.1)
    np.testing.assert_allclose(new["W"], [[0.95, -1.6], [0.5, -0.2]], rtol=1e-15)
    np.testing.assert_allclose(new["b"], [[0.35], [-1.05]], rtol=1e-15)


def test_adagrad_steps_by_hand():
    """First step: G = g**2, so the update is lr * g / |g| = lr * sign(g) (0 where g = 0);
    second step with the same gradient: lr * g / (sqrt(2) |g|)."""
    p, g = params_and_grads()
    p1, state = ref.adagrad(p, g, None, 0.1, eps=1e-12)
    np.testing.assert_allclose(p1["W"], p["W"] - 0.1 * np.sign(g["dW"]), rtol=1e-12)
    np.testing.assert_array_equal(state["G"]["W"], g["dW"] ** 2)
    p2, state = ref.adagrad(p1, g, state, 0.1, eps=1e-12)
    np.testing.assert_allclose(p2["b"], p1["b"] - 0.1 * np.sign(g["db"]) / np.sqrt(2), rtol=1e-12)


def test_adam_steps_by_hand():
    """Bias correction makes the first step lr * sign(g); a constant gradient keeps it so."""
    p, g = params_and_grads()
    state = None
    for step in range(1, 4):
        new, state = ref.adam(p, g, state, 0.01, eps=1e-12)
        np.testing.assert_allclose(new["W"], p["W"] - 0.01 * np.sign(g["dW"]), atol=1e-12)
        assert state["t"] == step
        p = new


def test_adam_matches_its_formula_for_changing_gradients():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 2))
    p, state, m, v = {"w": w}, None, np.zeros_like(w), np.zeros_like(w)
    for t in range(1, 6):
        grad = rng.standard_normal(w.shape)
        p, state = ref.adam(p, {"dw": grad}, state, 0.1, 0.8, 0.9, 1e-8)
        m, v = 0.8 * m + 0.2 * grad, 0.9 * v + 0.1 * grad**2
        w = w - 0.1 * (m / (1 - 0.8**t)) / (np.sqrt(v / (1 - 0.9**t)) + 1e-8)
        np.testing.assert_allclose(p["w"], w, rtol=1e-13)


@pytest.mark.parametrize("name", ["sgd", "adagrad", "adam"])
def test_inputs_are_not_modified(name):
    p, g = params_and_grads()
    before = {k: v.copy() for k, v in p.items()}
    update = getattr(ref, name)
    update(p, g)
    for k in p:
        np.testing.assert_array_equal(p[k], before[k])


def test_missing_gradient_is_named():
    p, g = params_and_grads()
    del g["db"]
    with pytest.raises(ValueError, match=r"adam: gradients is missing 'db' for parameter 'b'"):
        ref.adam(p, g)


def test_gradient_of_the_wrong_shape():
    p, g = params_and_grads()
    g["dW"] = np.zeros((2, 3))
    with pytest.raises(
        ValueError,
        match=r"sgd: gradients\['dW'\] has shape \(2, 3\), expected "
        r"\(2, 2\)",
    ):
        ref.sgd(p, g)


def test_bad_hyperparameters_and_state():
    p, g = params_and_grads()
    with pytest.raises(ValueError, match="learning_rate must be a positive"):
        ref.sgd(p, g, -0.1)
    with pytest.raises(ValueError, match=r"beta1 must lie in \[0, 1\), got 1.0"):
        ref.adam(p, g, beta1=1.0)
    with pytest.raises(ValueError, match="state must be None or the state dict"):
        ref.adagrad(p, g, {"m": {}})
