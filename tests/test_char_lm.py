"""The character-level language model: text <-> ids, the loss and its gradients, truncated
BPTT windows, training, sampling with a temperature, perplexity, clear errors."""

import numpy as np
import pytest

from autograder import reference as ref

SEQUENCE_TOL = 1e-6
CORPUS = "the cat sat on the mat. the dog sat on the log. " * 6


@pytest.fixture(scope="module")
def corpus():
    vocabulary = ref.build_vocabulary(CORPUS)
    return vocabulary, ref.encode(CORPUS, vocabulary)


@pytest.fixture(scope="module")
def trained(corpus):
    """A small model trained once for the tests that need one (Adagrad, 300 steps)."""
    vocabulary, ids = corpus
    V = len(vocabulary)
    p0 = ref.init_rnn_parameters(V, 24, V, rng=0)
    p, losses = ref.char_lm_train(p0, ids, 300, seq_length=16, batch_size=4)
    return p0, p, losses


def numerical_gradient(f, x, df, h=1e-3):
    """Central differences with Richardson extrapolation, (4 D(h/2) - D(h)) / 3 (~1e-12)."""
    fine = ref.numerical_gradient(f, x, df, h / 2)
    return (4.0 * fine - ref.numerical_gradient(f, x, df, h)) / 3.0


def random_model(seed):
    rng = np.random.default_rng(seed)
    V, n_a, m, T = (int(v) for v in rng.integers(2, 6, size=4))
    p = ref.init_rnn_parameters(V, n_a, V, rng)
    p = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in p.items()}
    return rng, p, V, n_a, m, T


# ----------------------------------------------------------------------- text <-> ids


def test_vocabulary_encode_decode():
    vocabulary = ref.build_vocabulary("banana!")
    assert vocabulary == ["!", "a", "b", "n"]
    ids = ref.encode("banana!", vocabulary)
    assert ids.dtype == np.int64
    np.testing.assert_array_equal(ids, [2, 1, 3, 1, 3, 1, 0])
    assert ref.decode(ids, vocabulary) == "banana!"
    assert ref.decode([], vocabulary) == ""


def test_one_hot():
    out = ref.one_hot(np.array([[2, 0], [1, 2]]), 3)
    assert out.shape == (3, 2, 2) and out.dtype == np.float64
    np.testing.assert_array_equal(out[:, 0, 0], [0, 0, 1])
    np.testing.assert_array_equal(out[:, 1, 0], [0, 1, 0])
    np.testing.assert_array_equal(out.sum(axis=0), 1.0)


# ----------------------------------------------------------------- loss and gradients


def test_zero_model_loss_is_log_V_and_perplexity_is_V():
    """All-zero parameters predict the uniform distribution: loss log V, perplexity V."""
    V, n_a = 7, 3
    p = {k: np.zeros_like(v) for k, v in ref.init_rnn_parameters(V, n_a, V).items()}
    ids = np.array([[0, 3, 6, 2], [1, 1, 5, 4]])
    loss, grads, _ = ref.char_lm_loss(p, ids, ids[:, ::-1].copy())
    assert loss == pytest.approx(np.log(V), rel=1e-14)
    # d loss / d by = mean over tokens of (1/V - one_hot(target))
    targets = ids[:, ::-1]
    expected = np.full(V, 1.0 / V) - np.bincount(targets.ravel(), minlength=V) / targets.size
    np.testing.assert_allclose(grads["dby"][:, 0], expected, rtol=1e-14, atol=1e-17)
    assert ref.char_lm_perplexity(p, np.arange(V)) == pytest.approx(V, rel=1e-13)


@pytest.mark.parametrize("seed", range(4))
def test_loss_gradients(seed):
    rng, p, V, n_a, m, T = random_model(seed)
    inputs, targets = rng.integers(0, V, (m, T)), rng.integers(0, V, (m, T))
    a0 = rng.standard_normal((n_a, m))
    _, g, _ = ref.char_lm_loss(p, inputs, targets, a0)
    assert set(g) == {"d" + k for k in p}
    for key, value in p.items():
        numeric = numerical_gradient(
            lambda _: np.array(ref.char_lm_loss(p, inputs, targets, a0)[0]), value, np.array(1.0)
        )
        error = ref.rel_error(g["d" + key], numeric)
        assert error <= SEQUENCE_TOL, f"d{key}: relative error {error:.2e}"


def test_carried_state_continues_the_sequence():
    """Two windows with the state carried = one long window (forward values)."""
    rng, p, V, n_a, _, _ = random_model(5)
    ids = rng.integers(0, V, (2, 11))
    full, _, a_full = ref.char_lm_loss(p, ids[:, :-1], ids[:, 1:])
    first, _, a_mid = ref.char_lm_loss(p, ids[:, :4], ids[:, 1:5])
    second, _, a_end = ref.char_lm_loss(p, ids[:, 4:-1], ids[:, 5:], a_mid)
    assert full == pytest.approx((4 * first + 6 * second) / 10, rel=1e-13)
    np.testing.assert_allclose(a_end, a_full, rtol=1e-13)


def test_windows_are_parallel_streams():
    ids = np.arange(23)
    windows = list(ref.char_lm_windows(ids, seq_length=3, batch_size=2))
    # 22 = 2 streams of 11: [0..10] and [11..21]; windows of 3, the last one of 2.
    assert [w[0].shape for w in windows] == [(2, 3), (2, 3), (2, 3), (2, 2)]
    inputs = np.concatenate([w[0] for w in windows], axis=1)
    targets = np.concatenate([w[1] for w in windows], axis=1)
    np.testing.assert_array_equal(inputs, [np.arange(11), np.arange(11, 22)])
    np.testing.assert_array_equal(targets, inputs + 1)


# ---------------------------------------------------------------------------- training


def test_loss_decreases_with_adagrad(corpus, trained):
    vocabulary, _ = corpus
    _, _, losses = trained
    assert len(losses) == 300
    assert losses[0] == pytest.approx(np.log(len(vocabulary)), rel=0.1)
    assert np.mean(losses[-20:]) < 0.25 * np.mean(losses[:20])


def test_loss_decreases_with_adam_and_norm_clipping(corpus):
    vocabulary, ids = corpus
    V = len(vocabulary)
    p = ref.init_rnn_parameters(V, 16, V, rng=1)
    _, losses = ref.char_lm_train(p, ids, 200, 16, 4, "adam", 0.01, None, max_norm=1.0)
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20])


def test_clipping_bounds_the_update():
    """With SGD the update is -lr * clipped gradient: elementwise clipping bounds every
    entry's change, norm clipping the global norm of the change."""
    rng, p, V, n_a, m, T = random_model(6)
    p = {k: 5.0 * v for k, v in p.items()}  # large weights, large gradients
    inputs, targets = rng.integers(0, V, (m, T)), rng.integers(0, V, (m, T))
    _, raw, _ = ref.char_lm_loss(p, inputs, targets)
    assert max(np.abs(g).max() for g in raw.values()) > 1e-3
    new, state, _, _ = ref.char_lm_train_step(p, inputs, targets, None, None, "sgd", 1.0, 1e-3)
    assert state is None
    assert max(np.abs(new[k] - p[k]).max() for k in p) <= 1e-3 * (1 + 1e-12)
    new, _, _, _ = ref.char_lm_train_step(p, inputs, targets, None, None, "sgd", 1.0, None, 1e-3)
    change = np.sqrt(sum(np.sum((new[k] - p[k]) ** 2) for k in p))
    assert change == pytest.approx(1e-3, rel=1e-9)


def test_perplexity_falls_with_training(corpus, trained):
    _, ids = corpus
    p0, p, _ = trained
    held_out = ids[: 3 * len(ids) // 4 : -1][:60][::-1].copy()  # any stretch of the same text
    assert ref.char_lm_perplexity(p, held_out) < 0.3 * ref.char_lm_perplexity(p0, held_out)


# ---------------------------------------------------------------------------- sampling


def test_temperature_zero_is_greedy_and_near_zero_agrees(trained):
    _, p, _ = trained
    greedy = ref.sample(p, [1, 2, 3], 40, temperature=0.0)
    for seed in range(3):
        np.testing.assert_array_equal(ref.sample(p, [1, 2, 3], 40, 1e-4, rng=seed), greedy)


def test_greedy_sampling_by_hand():
    """A model with no recurrence whose logits put character (i + 1) mod V after i."""
    V = 5
    p = {
        "Wax": np.eye(V) * 10.0,  # a = tanh(10 one_hot(i))
        "Waa": np.zeros((V, V)),
        "ba": np.zeros((V, 1)),
        "Wya": np.roll(np.eye(V), 1, axis=0),  # logit of i + 1 is a_i
        "by": np.zeros((V, 1)),
    }
    np.testing.assert_array_equal(ref.sample(p, 3, 7, temperature=0), [4, 0, 1, 2, 3, 4, 0])


def test_samples_follow_softmax_of_logits_over_temperature():
    """With Waa = Wax = 0 every character is drawn independently from softmax(by / T)."""
    V = 4
    by = np.array([[1.0], [0.0], [-1.0], [0.5]])
    p = {k: np.zeros_like(v) for k, v in ref.init_rnn_parameters(V, 3, V).items()}
    p["by"] = by
    for temperature in (0.5, 2.0):
        draws = ref.sample(p, 0, 4000, temperature, rng=np.random.default_rng(0))
        expected = ref.softmax(by[:, 0] / temperature)
        np.testing.assert_allclose(np.bincount(draws, minlength=V) / 4000, expected, atol=0.03)


def test_next_char_probabilities(trained):
    """The prompt's next-character distribution: its argmax is the greedy sample's first
    character, temperature sharpens it, and 0 puts all mass on the argmax."""
    _, p, _ = trained
    prompt = [1, 2, 3]
    probs = ref.next_char_probabilities(p, prompt)
    assert probs.shape == (p["Wya"].shape[0],)
    assert probs.sum() == pytest.approx(1.0, rel=1e-14)
    first = ref.sample(p, prompt, 1, temperature=0)[0]
    assert np.argmax(probs) == first
    np.testing.assert_array_equal(
        ref.next_char_probabilities(p, prompt, 0.0), np.eye(len(probs))[first]
    )
    sharp = ref.next_char_probabilities(p, prompt, 0.5)
    np.testing.assert_allclose(sharp, probs**2 / np.sum(probs**2), rtol=1e-10)


def test_sampling_is_reproducible_from_the_seed(trained):
    _, p, _ = trained
    a = ref.sample(p, 0, 30, 1.0, rng=7)
    np.testing.assert_array_equal(a, ref.sample(p, 0, 30, 1.0, rng=7))
    assert not np.array_equal(a, ref.sample(p, 0, 30, 1.0, rng=8))


# ------------------------------------------------------------------------------ bad input


def test_unknown_character_is_named():
    with pytest.raises(ValueError, match=r"encode: character 'z' at position 3 is not in"):
        ref.encode("abcz", ["a", "b", "c"])
    with pytest.raises(ValueError, match="build_vocabulary: text must be a non-empty string"):
        ref.build_vocabulary("")


def test_bad_ids_are_refused():
    _, p, V, n_a, m, T = random_model(7)
    good = np.zeros((m, T), dtype=int)
    with pytest.raises(ValueError, match=rf"char_lm_loss: inputs holds ids outside \[0, {V}\)"):
        ref.char_lm_loss(p, good + V, good)
    with pytest.raises(ValueError, match="inputs must hold integer ids, got dtype float64"):
        ref.char_lm_loss(p, good.astype(float), good)
    with pytest.raises(ValueError, match=r"targets has shape .* expected \(m, T\), like inputs"):
        ref.char_lm_loss(p, good, good[:, :-1])
    with pytest.raises(ValueError, match=r"a0 has shape .* expected \(n_a, m\)"):
        ref.char_lm_loss(p, good, good, np.zeros((n_a + 1, m)))


def test_model_that_reads_another_vocabulary_is_refused():
    p = ref.init_rnn_parameters(5, 4, 6)
    with pytest.raises(
        ValueError,
        match=r"parameters\['Wax'\] has shape \(4, 5\), expected "
        r"\(n_a, V\) = \(4, 6\)",
    ):
        ref.sample(p, 0, 3)


def test_bad_sampling_options():
    p = ref.init_rnn_parameters(5, 4, 5)
    with pytest.raises(ValueError, match="temperature must be a finite number >= 0, got -1"):
        ref.sample(p, 0, 3, temperature=-1)
    with pytest.raises(ValueError, match=r"start holds ids outside \[0, 5\)"):
        ref.sample(p, 9, 3)
    with pytest.raises(ValueError, match="length must be a non-negative integer"):
        ref.sample(p, 0, -2)


def test_bad_training_options():
    p = ref.init_rnn_parameters(5, 4, 5)
    ids = np.arange(5)
    with pytest.raises(ValueError, match=r"optimizer must be one of \('adagrad', 'adam', 'sgd'\)"):
        ref.char_lm_train_step(p, ids[None], ids[None], optimizer="rmsprop")
    with pytest.raises(ValueError, match="seq_length must be a positive integer, got 0"):
        list(ref.char_lm_windows(ids, 0))
    with pytest.raises(ValueError, match="ids has 5 characters, too few for 8 streams"):
        list(ref.char_lm_windows(ids, 3, batch_size=8))
    with pytest.raises(ValueError, match="perplexity needs at least 2"):
        ref.char_lm_perplexity(p, ids[:1])


def test_chapter_8_trains_on_the_frozen_corpus():
    """Chapter 8 reads the committed snapshot, not the live chapters (whose every edit
    moved its numbers), and the snapshot is the one its README describes."""
    import hashlib
    import re
    from pathlib import Path

    book = Path(__file__).resolve().parents[1] / "book"
    data = book / "data" / "course_prose.txt"
    readme = (book / "data" / "README.md").read_text(encoding="utf-8")
    assert hashlib.sha256(data.read_bytes()).hexdigest() in readme
    assert "CC BY-SA 4.0" in readme
    text = data.read_text(encoding="utf-8").rstrip("\n")
    assert f"{len(text):,} characters" in readme
    assert f"({len(set(text))} distinct ones)" in readme
    chapter = (book / "08_char_lm_project.md").read_text(encoding="utf-8")
    assert 'Path("data/course_prose.txt")' in chapter
    assert not re.search(r"glob\(.0\[1-7\]", chapter), "chapter 8 reads the live chapters"
