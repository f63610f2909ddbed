"""Demos: their computations (pure functions, checked against independent results) and
their widgets driven headlessly (every control set to new values changes the output)."""

from __future__ import annotations

import base64
import re

import ipywidgets as widgets
import numpy as np
import pytest
from demos import (
    architectures,
    bptt,
    char_lm,
    elman,
    forward_pass,
    gru_lstm,
    notation,
    seq2seq,
    why_sequences,
)
from demos import vanishing_gradients as vg
from demos.catalog import DEMOS
from demos.static import frames, frames_html

from autograder.course import load
from autograder.reference import (
    encode,
    init_rnn_parameters,
    init_seq2seq_attention_parameters,
    numerical_gradient,
    one_hot,
    rel_error,
    rnn_backward,
    rnn_forward,
    softmax,
)

# ------------------------------------------------------------------ pure computations


def test_rnn_parameter_count_matches_the_reference():
    for n_x, n_a, n_y in ((100, 10, 2), (7, 3, 5), (1000, 200, 2)):
        parameters = init_rnn_parameters(n_x, n_a, n_y, rng=0)
        expected = sum(p.size for p in parameters.values())
        assert why_sequences.rnn_parameter_count(n_x, n_a, n_y) == expected
    assert why_sequences.dense_parameter_count(3, 10, 4, 2) == 3 * 10 * 4 + 4 + 4 * 3 * 2 + 3 * 2
    r = why_sequences.parameter_counts(T=9, n_x=1000, n_a=50)
    assert np.all(r["rnn"] == r["rnn"][0])  # independent of the length
    assert np.all(np.diff(r["dense"]) > 0)


def test_word_order_memoryless_layer_cannot_tell_taipei_apart():
    r = why_sequences.word_order(t=2)
    # step 1: both models see only the first word, so they agree exactly
    assert r["rnn_gap"][0] == pytest.approx(r["ff_gap"][0])
    assert r["ff_gap"][0] > 0.1  # "arrive" vs "leave"
    assert np.all(r["ff_gap"][1:] == 0)  # same words from step 2 on
    assert np.all(r["rnn_gap"][1:] > 0.05)  # the RNN remembers
    with pytest.raises(ValueError, match="t must be in 1..5"):
        why_sequences.word_order(t=6)


def test_tokenize_vocabulary_and_unk():
    assert notation.tokenize("Harry met a CAT.") == ["harry", "met", "a", "cat", "."]
    vocabulary = notation.build_vocabulary(notation.CORPUS, 3)
    assert vocabulary == ["<UNK>", "the", ".", "a"]  # by frequency
    r = notation.encode("the wizard sat.", 3)
    assert r["indices"] == [1, 0, 0, 2]
    assert r["x"].shape == (4, 4)
    np.testing.assert_array_equal(r["x"].sum(axis=0), 1)
    assert r["x"][0, 1] == 1 and r["x"][0, 2] == 1  # <UNK> is row 0
    bigger = notation.encode("the wizard sat.", notation.MAX_VOCAB)
    assert 0 not in bigger["indices"]
    with pytest.raises(ValueError, match="size must be in"):
        notation.build_vocabulary(notation.CORPUS, 0)


def test_shapes_and_the_stacked_matrix():
    r = notation.shapes(n_a=5, n_x=3, n_y=2, m=4, T_x=6)
    s = r["shapes"]
    assert s["x"] == (3, 4, 6) and s["a"] == (5, 4, 6) and s["y_pred"] == (2, 4, 6)
    assert s["W_a = [Waa | Wax]"] == (5, 8) and s["[a<t-1>; x<t>]"] == (8, 4)
    assert r["stacked_gap"] < 1e-12


def test_elman_network_finds_word_boundaries():
    snapshots, losses = elman.train()
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:5])
    r = forward_pass.word_boundaries(elman.CHECKPOINTS[-1])
    assert r["error_at_starts"] > r["error_inside"] + 1.0  # error peaks at word starts
    untrained = forward_pass.word_boundaries(0)
    assert abs(untrained["error_at_starts"] - untrained["error_inside"]) < 0.5
    # the perplexity reported is exp(cross-entropy) of the same predictions
    assert r["perplexity"] == pytest.approx(np.exp(r["cross_entropy"]))
    assert elman.word_starts("aboyandagirl") == [0, 1, 4, 7, 8]


def test_step_through_matches_the_reference_forward_pass():
    r = forward_pass.step_through(5)
    parameters = elman.train()[0][elman.CHECKPOINTS[-1]]
    idx = elman.encode(r["text"][:5])
    _, y_pred, _ = rnn_forward(one_hot(idx[None], len(elman.ALPHABET)),
                               np.zeros((elman.N_A, 1)), parameters)
    np.testing.assert_allclose(r["p"], y_pred[:, 0, -1])
    assert r["p"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="t must be in"):
        forward_pass.step_through(0)


def test_step_through_slider_follows_the_text_length():
    demo = forward_pass.step_through_demo()
    demo.controls["t"].value = demo.controls["t"].max
    short = min(elman.TEST_TEXTS, key=len)
    demo.controls["text"].value = short
    assert demo.controls["t"].max == len(short) - 1
    assert demo.result["t"] == len(short) - 1 and demo.result["text"] == short


def test_bptt_terms_sum_to_the_reference_gradient():
    rng = np.random.default_rng(0)
    parameters = bptt.scaled_rnn(1.2)
    x = rng.standard_normal((bptt.N_X, 1, 7))
    da = rng.standard_normal((bptt.N_A, 1, 7))
    _, terms = bptt.term_norms(parameters, x, da)
    _, _, caches = rnn_forward(x, np.zeros((bptt.N_A, 1)), parameters)
    full = rnn_backward(da, caches)["dWaa"]
    np.testing.assert_allclose(terms.sum(axis=(0, 1)), full, rtol=1e-10, atol=1e-12)
    assert np.all(terms[np.triu_indices(7, 1)] == 0)  # no term from the future


def test_truncation_error_falls_to_zero_and_contributions_vanish():
    r = bptt.truncation(bptt.T, scale=1.0)
    assert r["error"] < 1e-12
    assert r["errors"][0] > 0.1
    assert bptt.truncation(3, 0.6)["error"] < bptt.truncation(3, 1.4)["error"]
    assert bptt.contributions(0.4)["ratio"] < 1e-4
    with pytest.raises(ValueError, match="k must be in"):
        bptt.truncation(0)


def test_jacobian_norms_match_an_explicit_product():
    rng = np.random.default_rng(1)
    parameters = init_rnn_parameters(3, 4, 2, rng=2)
    x = rng.standard_normal((3, 6))
    norms = vg.jacobian_norms(parameters, x, "tanh")
    a, _, _ = rnn_forward(x[:, None, :], np.zeros((4, 1)), parameters)
    jac = np.eye(4)
    for d in range(6):
        assert norms[d] == pytest.approx(np.linalg.norm(jac, 2), rel=1e-10)
        t = 5 - d
        jac = jac @ np.diag(1 - a[:, 0, t] ** 2) @ parameters["Waa"]


def test_gradient_decay_irnn_keeps_norm_one():
    r = vg.gradient_decay(1.0, seed=0)
    assert r["curves"]["relu, identity init (IRNN)"][-1] == pytest.approx(1.0)
    assert r["curves"]["tanh"][-1] < 1e-6


def test_cliff_closed_form_matches_the_reference_rnn():
    for w in (0.99, 0.999, 1.0, 1.001):
        assert vg.cliff_output_by_reference(w) == pytest.approx(float(vg.cliff_output(w)),
                                                                rel=1e-9)
    h = 1e-7
    numeric = (vg.cliff_loss(0.999 + h) - vg.cliff_loss(0.999 - h)) / (2 * h)
    assert vg.cliff_gradient(0.999) == pytest.approx(float(numeric), rel=1e-5)


def test_cliff_descent_with_and_without_clipping():
    unclipped = vg.cliff_descent(0.0)
    assert unclipped["path"][-1] < 0.995  # thrown onto the plateau
    clipped = vg.cliff_descent(10.0)
    assert clipped["path"][-1] == pytest.approx(0.5 ** (1 / 999), abs=1e-4)
    steps = np.abs(np.diff(clipped["path"]))
    assert np.all(steps <= 10.0 * clipped["lr"] + 1e-15)
    with pytest.raises(ValueError, match="max_grad must be >= 0"):
        vg.cliff_descent(-1.0)


def test_memory_cell_keeps_erases_and_reads():
    r = gru_lstm.memory_cell(5.0)
    np.testing.assert_allclose(r["a"], r["output"] * np.tanh(r["c"]))  # LSTM output rule
    assert r["c"][2] > 1.0  # two writes added up
    assert abs(r["c"][5]) < 0.05  # erased at step 6
    assert r["a"][3] > 0.8  # read at step 4
    forgetful = gru_lstm.memory_cell(-6.0)
    assert abs(forgetful["c"][3]) < 0.05 and abs(forgetful["a"][3]) < 0.05
    shut = gru_lstm.memory_cell(5.0, input="forced shut")
    assert np.all(np.abs(shut["c"]) < 1e-6)
    with pytest.raises(ValueError, match="mode of forget"):
        gru_lstm.memory_cell(5.0, forget="sometimes")


def test_gru_unit_keeps_or_replaces():
    r = gru_lstm.gru_gates(-5.0)
    previous = np.concatenate([[0.0], r["a"][:-1]])
    np.testing.assert_allclose(r["a"], r["update"] * r["candidate"]
                               + (1 - r["update"]) * previous)  # Ng's update rule
    write = np.array(gru_lstm.GRU_WRITE) == 1
    assert np.all(np.abs(r["a"] - previous)[~write] < 0.02)  # kept
    assert np.all(np.abs(r["a"] - r["candidate"])[write] < 0.02)  # replaced
    always = gru_lstm.gru_gates(4.0)
    assert np.all(np.abs(always["a"] - always["candidate"]) < 0.05)
    np.testing.assert_allclose(r["candidate"][write],
                               np.tanh(2 * np.array(gru_lstm.VALUES))[write], atol=0.01)


def test_gated_cells_keep_long_dependencies():
    keep = gru_lstm.input_sensitivity(6.0)["norms"]
    assert keep["LSTM"][0] > 1e4 * keep["RNN"][0]
    assert keep["GRU"][0] > 1e3 * keep["RNN"][0]
    forget = gru_lstm.input_sensitivity(-2.0)["norms"]
    assert forget["LSTM"][0] < keep["LSTM"][0] * 1e-6
    np.testing.assert_allclose(forget["RNN"], keep["RNN"])  # the gate bias is not the RNN's
    memory = gru_lstm.input_sensitivity(6.0)["memory"]
    assert memory["LSTM"] > 1e3 * memory["RNN"] and memory["GRU"] > 1e2 * memory["RNN"]


@pytest.mark.parametrize("kind", architectures.KINDS)
def test_architecture_shapes(kind):
    r = architectures.architecture(kind, T_x=5, T_y=3)
    s = r["shapes"]
    n_y, m = architectures.N_Y, architectures.M
    expected_y = {"one-to-one": (n_y, m), "many-to-one": (n_y, m),
                  "one-to-many": (n_y, m, 3), "encoder-decoder": (n_y, m, 3)}
    assert s["y"] == expected_y.get(kind, (n_y, m, 5))
    assert len(r["y"]) == (s["y"][2] if len(s["y"]) == 3 else 1)
    if kind == "bidirectional":
        assert s["a = [a_f; a_b]"] == (2 * architectures.N_A, m, 5)
    with pytest.raises(ValueError, match="kind must be one of"):
        architectures.architecture("many-to-some")


def test_architecture_demo_disables_t_y_where_it_has_no_effect():
    demo = architectures.architecture_demo()
    assert not demo.controls["T_y"].disabled
    demo.controls["kind"].value = "many-to-many"
    assert demo.controls["T_y"].disabled
    demo.controls["kind"].value = "one-to-many"
    assert not demo.controls["T_y"].disabled


def test_bidirectional_context_only_backward_sees_the_difference():
    r = architectures.bidirectional_context(1)
    assert r["gap_f"][0] == 0.0
    assert r["gap_b"][0] > 0.1
    assert np.all(r["gap_f"][1:] > 0)


def test_seq2seq_gradients_match_finite_differences():
    n = len(seq2seq.SYMBOLS)
    parameters = init_seq2seq_attention_parameters(n, 3, 4, n + 1, n, rng=5)
    ids = np.random.default_rng(2).integers(0, len(seq2seq.SYMBOLS), (2, seq2seq.T_X))
    _, grads, _ = seq2seq.loss_and_gradients(parameters, ids)
    for key in ("v", "Wdd", "by", "Waa_b"):
        def f(_, key=key):
            return np.array(seq2seq.loss_and_gradients(parameters, ids)[0])
        numeric = numerical_gradient(f, parameters[key], np.array(1.0))
        assert rel_error(numeric, grads["d" + key]) < 1e-5, key


def test_attention_learns_the_mirrored_alignment():
    trained = architectures.attention_weights(seq2seq.CHECKPOINTS[-1], "HGAHBC")
    assert trained["predicted"] == trained["target"] == "CBHAGH"
    assert trained["on_anti_diagonal"] > 0.5
    untrained = architectures.attention_weights(0, "HGAHBC")
    assert untrained["on_anti_diagonal"] < 0.3
    np.testing.assert_allclose(trained["alphas"].sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="word must be 6 symbols"):
        seq2seq.alignment(seq2seq.train()["checkpoints"][0], "ABZ")


def test_temperature_sharpens_and_flattens():
    entropies = [char_lm.temperature_sample(t)["entropy"] for t in (0.0, 0.5, 1.0, 2.0)]
    assert entropies[0] == 0.0
    assert entropies == sorted(entropies) and entropies[1] < entropies[3]
    model = char_lm.trained_model()
    parameters = model["checkpoints"][char_lm.CHECKPOINTS[-1]]
    ids = encode("the cat ", model["vocabulary"])
    V = len(model["vocabulary"])
    _, y_pred, _ = rnn_forward(one_hot(ids[None, :], V), np.zeros((char_lm.N_A, 1)),
                               parameters)
    np.testing.assert_allclose(char_lm.next_char_distribution(parameters, ids, 1.0),
                               y_pred[:, 0, -1], rtol=1e-10)
    logits = np.log(y_pred[:, 0, -1])
    np.testing.assert_allclose(char_lm.next_char_distribution(parameters, ids, 0.5),
                               softmax(logits[:, None] / 0.5)[:, 0], rtol=1e-8)


def test_char_model_learns():
    first = char_lm.training_progress(0)
    last = char_lm.training_progress(char_lm.CHECKPOINTS[-1])
    assert first["perplexity"] > 15 and last["perplexity"] < 2.0
    words = set(re.findall(r"[a-z]+", char_lm.TEXT))
    sampled = re.findall(r"[a-z]+", last["sample"])
    assert np.mean([w in words for w in sampled]) > 0.8  # it writes real words


# ------------------------------------------------------------------ widgets, headless

ALL_DEMOS = [factory for factories in DEMOS.values() for factory in factories]


@pytest.fixture(params=ALL_DEMOS, ids=lambda f: f.__name__)
def demo(request):
    """A fresh demo for each test: the tests move its controls."""
    return request.param()


def test_every_chapter_has_two_demos():
    assert list(DEMOS) == [c.name for c in load().chapters]
    assert all(len(factories) >= 2 for factories in DEMOS.values())


def _other_values(control: widgets.ValueWidget) -> list:
    """Allowed values different from the current one, including the extremes."""
    if isinstance(control, widgets.Text):
        return ["Hermione read the spell book.", "", "zzz qqq"]
    options = getattr(control, "options", None)
    if options is not None:
        values = [o[1] if isinstance(o, tuple) else o for o in options]
    elif isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        values = [not control.value]
    else:
        values = [control.min, control.max, (control.min + control.max) / 2]
        if isinstance(control.value, int):
            values = [int(round(v)) for v in values]
    return [v for v in dict.fromkeys(values) if v != control.value]


def test_every_control_changes_the_output(demo):
    assert demo.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    for name, control in demo.controls.items():
        if control.disabled:  # e.g. T_y where the architecture ties it to T_x
            continue
        start = control.value
        for value in _other_values(control):
            before = (demo.image.value, demo.caption.value)
            control.value = value  # the observer recomputes synchronously
            assert demo.values()[name] == value
            after = (demo.image.value, demo.caption.value)
            assert after != before, f"{demo.title}: setting {name} = {value!r} changed nothing"
        control.value = start


def test_main_control_changes_the_figure(demo):
    control = demo.controls[demo.main]
    values = demo.frame_values()
    assert len(values) >= 3
    images = set()
    for value in values:
        control.value = value
        images.add(demo.image.value)
    assert len(images) == len(values), f"{demo.title}: some frames look identical"


def test_static_frames_are_self_contained(demo):
    start = demo.controls[demo.main].value
    shots = frames(demo)
    assert demo.controls[demo.main].value == start  # restored
    assert len({s["src"] for s in shots}) == len(shots)
    for shot in shots:
        assert shot["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(shot["src"].split(",", 1)[1])[:4] == b"\x89PNG"
    page = frames_html(demo)
    assert "http:" not in page and "https:" not in page  # nothing to fetch
    assert page.count("data:image/png;base64,") == len(shots) + 1  # frames + first shown
    assert 'class="demo-frames-slider"' in page
    assert len(page) < 400_000, f"{demo.title}: static frames are {len(page)} bytes"


def test_demo_rejects_an_unknown_main_control():
    with pytest.raises(ValueError, match="main control 'nope'"):
        from demos.canvas import BlitFigure
        from demos.widget import Demo
        Demo(title="x", controls={"a": widgets.IntSlider()}, main="nope",
             compute=lambda a: a, draw=lambda r: None, figure=BlitFigure())


def _allowed_values(control: widgets.ValueWidget) -> list:
    """Every value a control allows (sliders: every step), a few odd texts for text boxes."""
    if isinstance(control, widgets.Text):
        return ["", "...", "ünïcödé 日本語", "word " * 40, control.value]
    options = getattr(control, "options", None)
    if options is not None:
        return [o[1] if isinstance(o, tuple) else o for o in options]
    count = int(round((control.max - control.min) / control.step)) + 1
    values = [control.min + k * control.step for k in range(count)]
    return [int(v) for v in values] if isinstance(control.value, int) else values


def test_no_control_value_raises(demo):
    """Every allowed value of every control, one control at a time, then the corners
    (each control at its first or last allowed value) together."""
    for control in demo.controls.values():
        start = control.value
        for value in _allowed_values(control):
            control.value = value  # an exception here fails the test
            assert demo.image.value[:4] == b"\x89PNG"
        control.value = start
    combos = [{}]
    for name, control in demo.controls.items():
        allowed = _allowed_values(control)
        ends = list(dict.fromkeys([allowed[0], allowed[-1]]))
        combos = [{**combo, name: value} for combo in combos for value in ends]
    for combo in combos[:64]:
        for name, value in combo.items():
            if not demo.controls[name].disabled:
                demo.controls[name].value = value
        assert demo.image.value[:4] == b"\x89PNG"


def test_show_gives_jupyter_the_widget_and_the_book_the_frames(monkeypatch):
    import IPython.display
    from demos.static import show
    from demos.why_sequences import parameter_count_demo

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    show(parameter_count_demo())
    [(bundle, raw)] = shown
    assert raw
    assert "model_id" in bundle["application/vnd.jupyter.widget-view+json"]
    assert 'class="demo-frames-slider"' in bundle["text/html"]
