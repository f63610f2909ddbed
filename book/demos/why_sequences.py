"""Chapter 1 demos: why a network for sequences needs memory and shared weights.

- `parameter_count_demo`: a feedforward network that reads a whole padded sequence
  grows with the sequence length; an RNN's parameters do not depend on it.
- `word_order_demo`: "arrive Taipei" and "leave Taipei": a network without memory maps
  "Taipei" to the same hidden vector in both sentences, an RNN does not.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from autograder.reference import init_rnn_parameters, rnn_forward

from .canvas import BlitFigure
from .widget import Demo

MAX_T = 50


def rnn_parameter_count(n_x: int, n_a: int, n_y: int) -> int:
    """Numbers in an RNN's parameters Wax, Waa, Wya, ba, by (the tests check this
    against the reference's `init_rnn_parameters`)."""
    return n_a * n_x + n_a * n_a + n_y * n_a + n_a + n_y


def dense_parameter_count(T: int, n_x: int, n_a: int, n_y: int) -> int:
    """A one-hidden-layer network reading T one-hot inputs at once and emitting T outputs."""
    return T * n_x * n_a + n_a + n_a * T * n_y + T * n_y


def parameter_counts(T: int, n_x: int, n_a: int, n_y: int = 2) -> dict:
    """Parameter counts for lengths 1..MAX_T; `T` marks the current length."""
    lengths = np.arange(1, MAX_T + 1)
    dense = np.array([dense_parameter_count(int(t), n_x, n_a, n_y) for t in lengths], float)
    rnn = np.full(lengths.shape, float(rnn_parameter_count(n_x, n_a, n_y)))
    return {"T": T, "lengths": lengths, "dense": dense, "rnn": rnn,
            "dense_at_T": int(dense[T - 1]), "rnn_at_T": int(rnn[T - 1])}


def parameter_count_demo() -> Demo:
    """Slider T (sequence length): parameters of a dense network vs an RNN."""
    controls = {
        "T": widgets.IntSlider(value=9, min=1, max=MAX_T, description="length T"),
        "n_x": widgets.Dropdown(options=[100, 1000, 10000], value=10000,
                                description="vocabulary"),
        "n_a": widgets.IntSlider(value=100, min=10, max=200, step=10, description="hidden n_a"),
    }
    fig = BlitFigure((6.4, 2.8))
    ax = fig.fig.subplots()
    ax.set_yscale("log")
    ax.set_xlim(0, MAX_T + 1)
    ax.set_ylim(5e2, 3e8)
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("parameters")
    (dense_line,) = ax.plot([], [], "--", color="C3", label="dense net over the whole sequence")
    (rnn_line,) = ax.plot([], [], color="C0", label="RNN (one cell, shared over time)")
    (marks,) = ax.plot([], [], "ko", ms=5)
    ax.legend(loc="upper left", fontsize=8)
    fig.fig.tight_layout()
    fig.animate(dense_line, rnn_line, marks)

    def draw(r: dict) -> None:
        dense_line.set_data(r["lengths"], r["dense"])
        rnn_line.set_data(r["lengths"], r["rnn"])
        marks.set_data([r["T"], r["T"]], [r["dense_at_T"], r["rnn_at_T"]])

    def describe(r: dict) -> str:
        ratio = r["dense_at_T"] / r["rnn_at_T"]
        return (f"T = {r['T']}: dense network {r['dense_at_T']:,} parameters, "
                f"RNN {r['rnn_at_T']:,} (&times;{ratio:,.1f}). The RNN handles any length "
                "with the same weights.")

    return Demo(title="Parameters: dense network vs RNN", controls=controls, main="T",
                compute=parameter_counts, draw=draw, figure=fig, describe=describe,
                frames=[1, 2, 5, 9, 15, 25, 35, 50])


SENTENCES = ("arrive Taipei on November 2nd", "leave Taipei on November 2nd")


def word_order(t: int, seed: int = 0, n_a: int = 8) -> dict:
    """Hidden states of an RNN and of a memoryless layer on the two sentences, steps 1..t.

    Both share the input weights Wax; the memoryless layer is the same RNN with Waa = 0.
    Returns the hidden states (n_a, T) of each sentence and the distance between the
    sentences' states at every step, for the RNN and for the memoryless layer.
    """
    words = [s.split() for s in SENTENCES]
    vocab = sorted({w for s in words for w in s})
    n_x = len(vocab)
    T = len(words[0])
    if not 1 <= t <= T:
        raise ValueError(f"word_order: t must be in 1..{T}, got {t}")
    x = np.zeros((n_x, 2, T))
    for i, sentence in enumerate(words):
        for step, word in enumerate(sentence):
            x[vocab.index(word), i, step] = 1.0
    parameters = init_rnn_parameters(n_x, n_a, 2, rng=seed)
    parameters["Wax"] *= 2.0  # one-hot inputs: make each word leave a clear mark
    a, _, _ = rnn_forward(x, np.zeros((n_a, 2)), parameters)
    memoryless, _, _ = rnn_forward(x, np.zeros((n_a, 2)), {**parameters,
                                                           "Waa": np.zeros((n_a, n_a))})
    rnn_gap = np.linalg.norm(a[:, 0] - a[:, 1], axis=0)
    ff_gap = np.linalg.norm(memoryless[:, 0] - memoryless[:, 1], axis=0)
    return {"t": t, "words": words, "a": a, "rnn_gap": rnn_gap, "ff_gap": ff_gap}


def word_order_demo() -> Demo:
    """Slider t (time step): the two sentences' hidden states so far, and how they differ."""
    controls = {
        "t": widgets.IntSlider(value=2, min=1, max=5, description="step t"),
        "seed": widgets.IntSlider(value=0, min=0, max=9, description="weights seed"),
    }
    T = 5
    fig = BlitFigure((7.2, 3.0))
    gs = fig.fig.add_gridspec(2, 2, width_ratios=(1.3, 1))
    axes = [fig.fig.add_subplot(gs[i, 0]) for i in range(2)]
    ax_gap = fig.fig.add_subplot(gs[:, 1])
    images = []
    for i, ax in enumerate(axes):
        images.append(ax.imshow(np.zeros((8, T)), aspect="auto", cmap="RdBu_r",
                                vmin=-1, vmax=1))
        ax.set_xticks(range(T), SENTENCES[i].split(), fontsize=8)
        ax.set_yticks([])
        ax.set_ylabel("a<t>", fontsize=8)
    ax_gap.set_xlim(0.5, T + 0.5)
    ax_gap.set_ylim(0, 3.2)
    ax_gap.set_xticks(range(1, T + 1))
    ax_gap.set_xlabel("step t")
    ax_gap.set_title("distance between the sentences' states", fontsize=9)
    (rnn_line,) = ax_gap.plot([], [], "o-", color="C0", label="RNN")
    (ff_line,) = ax_gap.plot([], [], "s--", color="C1", label="no memory")
    ax_gap.legend(fontsize=8, loc="upper right")
    fig.fig.tight_layout()
    fig.animate(*images, rnn_line, ff_line)

    def draw(r: dict) -> None:
        t = r["t"]
        for i, image in enumerate(images):
            shown = r["a"][:, i, :].copy()
            shown[:, t:] = np.nan
            image.set_data(shown)
        steps = np.arange(1, t + 1)
        rnn_line.set_data(steps, r["rnn_gap"][:t])
        ff_line.set_data(steps, r["ff_gap"][:t])

    def describe(r: dict) -> str:
        t = r["t"]
        word = r["words"][0][t - 1]
        return (f"Step {t} reads <i>{word}</i>. Without memory the two sentences' states "
                f"differ by {r['ff_gap'][t - 1]:.2f}; the RNN's by {r['rnn_gap'][t - 1]:.2f}: "
                "it still carries <i>arrive</i> vs <i>leave</i>.")

    return Demo(title="Same word, different history", controls=controls, main="t",
                compute=word_order, draw=draw, figure=fig, describe=describe)
