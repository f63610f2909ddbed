"""Attention (additive and dot) and the encoder-decoder with attention: hand-computed
weights and contexts, gradient checks on random shapes, clear errors."""

import numpy as np
import pytest

from autograder import reference as ref

STEP_TOL = 1e-7
SEQUENCE_TOL = 1e-6


def numerical_gradient(f, x, df, h=1e-3):
    """Central differences with Richardson extrapolation, (4 D(h/2) - D(h)) / 3: ~1e-12
    accurate, so rel_error stays meaningful for the small entries of long networks."""
    fine = ref.numerical_gradient(f, x, df, h / 2)
    return (4.0 * fine - ref.numerical_gradient(f, x, df, h)) / 3.0


def attention_case(seed, score):
    rng = np.random.default_rng(seed)
    n_s, n_h, n_e, m, T_x = (int(v) for v in rng.integers(2, 6, size=5))
    if score == "dot":
        n_s = n_h
    p = {
        "Wq": rng.standard_normal((n_e, n_s)),
        "Wk": rng.standard_normal((n_e, n_h)),
        "v": rng.standard_normal((n_e, 1)),
    }
    return rng, p, rng.standard_normal((n_s, m)), rng.standard_normal((n_h, m, T_x))


def seq2seq_case(seed, score):
    rng = np.random.default_rng(seed)
    n_x, n_a, n_yin, n_y, m, T_x, T_y = (int(v) for v in rng.integers(2, 4, size=7))
    n_s = 2 * n_a if score == "dot" else int(rng.integers(2, 5))
    p = ref.init_seq2seq_attention_parameters(n_x, n_a, n_s, n_yin, n_y, 3, score, rng)
    p = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in p.items()}
    x = rng.standard_normal((n_x, m, T_x))
    y_in = rng.standard_normal((n_yin, m, T_y))
    s0 = rng.standard_normal((n_s, m))
    return rng, p, x, y_in, s0


# --------------------------------------------------------------------- hand-computed


def test_dot_attention_by_hand():
    """Keys e1, e2; the query scores them log 3 and 0, so the weights are 3/4 and 1/4."""
    h = np.array([[1.0, 0.0], [0.0, 1.0]]).reshape(2, 1, 2)  # h<1> = e1, h<2> = e2
    s = np.array([[np.log(3.0)], [0.0]])
    context, alpha, _ = ref.attention_forward(s, h, score="dot")
    np.testing.assert_allclose(alpha, [[0.75, 0.25]], rtol=1e-15)
    np.testing.assert_allclose(context, [[0.75], [0.25]], rtol=1e-15)


def test_additive_attention_by_hand():
    """n_e = 1: the score of position t' is v tanh(Wq s + Wk h<t'>)."""
    h = np.array([[0.0, np.arctanh(0.5)], [7.0, -7.0]]).reshape(2, 1, 2)
    p = {"Wq": np.array([[3.0]]), "Wk": np.array([[1.0, 0.0]]), "v": np.array([[2.0]])}
    s = np.zeros((1, 1))
    context, alpha, _ = ref.attention_forward(s, h, p, "additive")
    e = np.array([2.0 * np.tanh(0.0), 2.0 * 0.5])  # scores 0 and 1
    expected = np.exp(e) / np.exp(e).sum()
    np.testing.assert_allclose(alpha[0], expected, rtol=1e-15)
    np.testing.assert_allclose(context[:, 0], h[:, 0] @ expected, rtol=1e-15)


def test_additive_attention_with_v_zero_is_the_average():
    _, p, s, h = attention_case(0, "additive")
    p["v"][:] = 0.0
    context, alpha, _ = ref.attention_forward(s, h, p)
    np.testing.assert_allclose(alpha, 1.0 / h.shape[2], rtol=1e-15)
    np.testing.assert_allclose(context, h.mean(axis=2), rtol=1e-14)


@pytest.mark.parametrize("score", ["additive", "dot"])
def test_seq2seq_shapes_and_distributions(score):
    _, p, x, y_in, s0 = seq2seq_case(1, score)
    y_pred, alphas, _ = ref.seq2seq_attention_forward(x, y_in, p, score, s0)
    n_y, m, T_y = p["Wy"].shape[0], x.shape[1], y_in.shape[2]
    assert y_pred.shape == (n_y, m, T_y)
    assert alphas.shape == (m, T_y, x.shape[2])
    np.testing.assert_allclose(y_pred.sum(axis=0), 1.0, rtol=1e-14)
    np.testing.assert_allclose(alphas.sum(axis=2), 1.0, rtol=1e-14)
    assert np.all(alphas > 0)


def test_seq2seq_first_step_by_hand():
    """With Wq, v = 0 the first context is the mean encoder state, so the first decoder
    state and prediction follow from the encoder's states by hand."""
    _, p, x, y_in, s0 = seq2seq_case(2, "additive")
    p["v"][:] = 0.0
    y_pred, _, _ = ref.seq2seq_attention_forward(x, y_in, p, "additive", s0)
    h, _ = ref.bidirectional_rnn_forward(x, None, None, p)
    concat = np.concatenate([h.mean(axis=2), y_in[:, :, 0]], axis=0)
    s1 = np.tanh(p["Wdx"] @ concat + p["Wdd"] @ s0 + p["bd"])
    z = p["Wy"] @ s1 + p["by"]
    np.testing.assert_allclose(y_pred[:, :, 0], np.exp(z) / np.exp(z).sum(axis=0), rtol=1e-13)


# -------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("score", ["additive", "dot"])
def test_attention_step_gradients(seed, score):
    rng, p, s, h = attention_case(seed, score)
    context, _, cache = ref.attention_forward(s, h, p, score)
    dcontext = rng.standard_normal(context.shape)
    g = ref.attention_backward(dcontext, cache)
    inputs = {"ds_prev": s, "dh": h}
    if score == "additive":
        inputs |= {"dWq": p["Wq"], "dWk": p["Wk"], "dv": p["v"]}
    assert set(g) == set(inputs)
    for name, array in inputs.items():
        numeric = numerical_gradient(
            lambda _: ref.attention_forward(s, h, p, score)[0], array, dcontext
        )
        error = ref.rel_error(g[name], numeric)
        assert error <= STEP_TOL, f"{name}: relative error {error:.2e}"


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("score", ["additive", "dot"])
def test_seq2seq_gradients(seed, score):
    rng, p, x, y_in, s0 = seq2seq_case(seed, score)
    y_pred, _, caches = ref.seq2seq_attention_forward(x, y_in, p, score, s0)
    dy = rng.standard_normal(y_pred.shape)
    g = ref.seq2seq_attention_backward(dy, caches)
    inputs = {"dx": x, "dy_in": y_in, "ds0": s0} | {"d" + k: v for k, v in p.items()}
    assert set(g) == set(inputs)

    def f(_):
        return ref.seq2seq_attention_forward(x, y_in, p, score, s0)[0]

    for name, array in inputs.items():
        error = ref.rel_error(g[name], numerical_gradient(f, array, dy))
        assert error <= SEQUENCE_TOL, f"{name}: relative error {error:.2e}"


def test_seq2seq_cross_entropy_gradient_is_y_pred_minus_y():
    """Through the documented upstream -y / (y_pred m T_y) the output-bias gradient is the
    familiar sum of (y_pred - y) / (m T_y)."""
    rng, p, x, y_in, s0 = seq2seq_case(3, "additive")
    y_pred, _, caches = ref.seq2seq_attention_forward(x, y_in, p, "additive", s0)
    n_y, m, T_y = y_pred.shape
    targets = rng.integers(0, n_y, (m, T_y))
    y = np.moveaxis(np.eye(n_y)[targets], -1, 0)
    g = ref.seq2seq_attention_backward(-y / (y_pred * m * T_y), caches)
    np.testing.assert_allclose(
        g["dby"][:, 0], (y_pred - y).sum(axis=(1, 2)) / (m * T_y), rtol=1e-12, atol=1e-15
    )


# ------------------------------------------------------------------------------ bad input


def test_dot_needs_equal_sizes():
    _, p, s, h = attention_case(4, "additive")
    with pytest.raises(ValueError, match=r"score='dot' needs .* n_s = \d+ and n_h = \d+"):
        ref.attention_forward(np.zeros((h.shape[0] + 1, h.shape[1])), h, score="dot")


def test_missing_attention_parameter_is_named():
    _, p, s, h = attention_case(5, "additive")
    del p["Wk"]
    with pytest.raises(ValueError, match=r"attention_forward: parameters is missing 'Wk'"):
        ref.attention_forward(s, h, p)


def test_query_of_the_wrong_batch():
    _, p, s, h = attention_case(6, "additive")
    with pytest.raises(ValueError, match=r"s_prev has shape .* expected \(n_s, m\)"):
        ref.attention_forward(np.zeros((s.shape[0], h.shape[1] + 1)), h, p)


def test_seq2seq_decoder_input_width_is_checked():
    _, p, x, y_in, s0 = seq2seq_case(7, "additive")
    n_s, width = p["Wdx"].shape
    with pytest.raises(
        ValueError,
        match=rf"parameters\['Wdx'\] has shape \({n_s}, {width}\), expected "
        rf"\(n_s, n_h \+ n_yin\) = \({n_s}, {width + 1}\)",
    ):
        ref.seq2seq_attention_forward(x, np.concatenate([y_in, y_in[:1]]), p, "additive", s0)


def test_seq2seq_bad_options():
    _, p, x, y_in, s0 = seq2seq_case(8, "additive")
    with pytest.raises(ValueError, match=r"score must be one of \('additive', 'dot'\)"):
        ref.seq2seq_attention_forward(x, y_in, p, "cosine")
    with pytest.raises(ValueError, match=r"y_in has shape .* expected \(n_yin, m, T_y\)"):
        ref.seq2seq_attention_forward(x, y_in[:, :1], p)
    with pytest.raises(ValueError, match=r"score='dot' needs n_s = 2 \* n_a = 4, got 5"):
        ref.init_seq2seq_attention_parameters(2, 2, 5, 2, 2, score="dot")


def test_seq2seq_backward_checks_its_inputs():
    _, p, x, y_in, s0 = seq2seq_case(9, "dot")
    y_pred, _, caches = ref.seq2seq_attention_forward(x, y_in, p, "dot", s0)
    with pytest.raises(ValueError, match=r"dy_pred has shape .* expected \(n_y, m, T_y\)"):
        ref.seq2seq_attention_backward(y_pred[:, :, :-1], caches)
    with pytest.raises(ValueError, match="caches must be the 6-tuple"):
        ref.seq2seq_attention_backward(y_pred, caches[:3])
