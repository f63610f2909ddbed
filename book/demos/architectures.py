"""Chapter 7 demos: what an RNN reads and writes, and bidirectional context.

- `architecture_demo`: choose one-to-one, one-to-many, many-to-one, many-to-many,
  encoder-decoder, bidirectional or deep; see the unrolled network and the shape of
  every array, computed by running the reference's forward passes.
- `bidirectional_demo`: "Teddy Roosevelt was a great President" vs "Teddy bears are on
  sale today": at the word "Teddy" a forward RNN has read the same thing in both
  sentences; only the backward half of a bidirectional RNN can tell them apart.
- `attention_demo`: the attention weights of an encoder-decoder learning to reverse a
  sequence (see `seq2seq.py`); slider: training step.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle

from autograder.reference import (
    bidirectional_rnn_forward,
    init_bidirectional_rnn_parameters,
    init_rnn_parameters,
    init_stacked_parameters,
    rnn_cell_forward,
    rnn_forward,
    softmax,
    stacked_rnn_forward,
)

from . import seq2seq
from .canvas import BlitFigure
from .widget import Demo

KINDS = ("one-to-one", "one-to-many", "many-to-one", "many-to-many", "encoder-decoder",
         "bidirectional", "deep (2 layers)")
USES_T_Y = ("one-to-many", "encoder-decoder")
N_X, N_A, N_Y, M = 5, 4, 3, 2
MAX_T = 6


def _output(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """softmax(Wy a + by) at every step: a (n, m, T) -> (N_Y, m, T)."""
    Wy = rng.standard_normal((N_Y, a.shape[0]))
    return softmax(np.einsum("ya,amt->ymt", Wy, a))


NOTES = {
    "one-to-one": "a plain network: one input, one output, no time",
    "one-to-many": "one input (an image, a genre); each output is fed back as the next input",
    "many-to-one": "read a whole sequence, answer once (sentiment, classification)",
    "many-to-many": "one output per input, T_y = T_x (tagging, a language model)",
    "encoder-decoder": "encode T_x inputs into a<T_x>, decode T_y outputs (translation)",
    "bidirectional": "lower row reads left to right, upper row right to left",
    "deep (2 layers)": "layer 2 reads layer 1's hidden states",
}


def architecture(kind: str, T_x: int = 4, T_y: int = 3) -> dict:
    """Unrolled diagram (nodes, edges) and the shapes from running the forward pass.

    Nodes are (column, row) positions: row 0 inputs x, row 1 (and 2) hidden states,
    top row outputs y. Edges join node positions.
    """
    if kind not in KINDS:
        raise ValueError(f"architecture: kind must be one of {KINDS}, got {kind!r}")
    for name, value in (("T_x", T_x), ("T_y", T_y)):
        if not 1 <= value <= MAX_T:
            raise ValueError(f"architecture: {name} must be in 1..{MAX_T}, got {value}")
    rng = np.random.default_rng(0)
    p = init_rnn_parameters(N_X, N_A, N_Y, rng=rng)
    a0 = np.zeros((N_A, M))
    xs, hs, ys, edges, shapes = [], [], [], [], {}
    top = 2
    if kind == "one-to-one":
        x = rng.standard_normal((N_X, M))
        a, y, _ = rnn_cell_forward(x, a0, p)
        xs, hs, ys = [(0, 0)], [(0, 1)], [(0, 2)]
        shapes = {"x": x.shape, "a": a.shape, "y": y.shape}
    elif kind in ("many-to-one", "many-to-many"):
        x = rng.standard_normal((N_X, M, T_x))
        a, y, _ = rnn_forward(x, a0, p)
        xs = [(t, 0) for t in range(T_x)]
        hs = [(t, 1) for t in range(T_x)]
        ys = [(T_x - 1, 2)] if kind == "many-to-one" else [(t, 2) for t in range(T_x)]
        y = y[:, :, -1] if kind == "many-to-one" else y
        shapes = {"x": x.shape, "a": a.shape, "y": y.shape}
    elif kind == "one-to-many":
        x = np.zeros((N_X, M, T_y))
        x[:, :, 0] = rng.standard_normal((N_X, M))  # later steps read the previous output
        a, y, _ = rnn_forward(x, a0, p)
        xs, hs, ys = [(0, 0)], [(t, 1) for t in range(T_y)], [(t, 2) for t in range(T_y)]
        edges += [((t, 2), (t + 1, 1)) for t in range(T_y - 1)]
        shapes = {"x<1>": x[:, :, 0].shape, "a": a.shape, "y": y.shape}
    elif kind == "encoder-decoder":
        x = rng.standard_normal((N_X, M, T_x))
        a_enc, _, _ = rnn_forward(x, a0, p)
        p_dec = init_rnn_parameters(N_Y, N_A, N_Y, rng=rng)
        a_dec, y, _ = rnn_forward(np.zeros((N_Y, M, T_y)), a_enc[:, :, -1], p_dec)
        xs = [(t, 0) for t in range(T_x)]
        hs = [(t, 1) for t in range(T_x + T_y)]
        ys = [(T_x + t, 2) for t in range(T_y)]
        edges += [((T_x + t, 2), (T_x + t + 1, 1)) for t in range(T_y - 1)]
        shapes = {"x": x.shape, "encoder a": a_enc.shape, "context a<T_x>": a_enc[:, :, -1].shape,
                  "decoder a": a_dec.shape, "y": y.shape}
    elif kind == "bidirectional":
        x = rng.standard_normal((N_X, M, T_x))
        a, _ = bidirectional_rnn_forward(x, None, None,
                                         init_bidirectional_rnn_parameters(N_X, N_A, rng))
        y = _output(a, rng)
        xs = [(t, 0) for t in range(T_x)]
        hs = [(t, 1) for t in range(T_x)] + [(t + 0.35, 1.9) for t in range(T_x)]
        ys = [(t, 2.9) for t in range(T_x)]
        top = 2.9
        edges += [((t, 0), (t + 0.35, 1.9)) for t in range(T_x)]
        edges += [((t + 1.35, 1.9), (t + 0.35, 1.9)) for t in range(T_x - 1)]
        edges += [((t + 0.35, 1.9), (t, 2.9)) for t in range(T_x)]
        shapes = {"x": x.shape, "a = [a_f; a_b]": a.shape, "y": y.shape}
    else:  # deep
        x = rng.standard_normal((N_X, M, T_x))
        a, _ = stacked_rnn_forward(x, None, init_stacked_parameters(N_X, [N_A, N_A], rng=rng))
        y = _output(a[-1], rng)
        xs = [(t, 0) for t in range(T_x)]
        hs = [(t, 1) for t in range(T_x)] + [(t, 2) for t in range(T_x)]
        ys = [(t, 3) for t in range(T_x)]
        top = 3
        edges += [((t, 1), (t, 2)) for t in range(T_x)]
        edges += [((t, 2), (t, 3)) for t in range(T_x)]
        edges += [((t, 2), (t + 1, 2)) for t in range(T_x - 1)]
        shapes = {"x": x.shape, "layer 1 a": a[0].shape, "layer 2 a": a[1].shape,
                  "y": y.shape}
    row1 = [h for h in hs if h[1] == 1]
    edges += [((c, 0), (c, 1)) for c, _ in xs]
    edges += [(row1[i], row1[i + 1]) for i in range(len(row1) - 1)]
    if kind == "bidirectional":
        edges += [((c, 1), (c, 2.9)) for c, _ in ys]
    elif kind != "deep (2 layers)":
        edges += [((c, 1), (c, 2)) for c, _ in ys]
    return {"kind": kind, "note": NOTES[kind], "x": xs, "a": hs, "y": ys, "edges": edges,
            "top": top, "shapes": {k: tuple(v) for k, v in shapes.items()}}


def architecture_demo() -> Demo:
    """Choose an architecture: the unrolled network and every array's shape."""
    controls = {
        "kind": widgets.SelectionSlider(options=KINDS, value="encoder-decoder",
                                        description="architecture",
                                        layout=widgets.Layout(width="420px")),
        "T_x": widgets.IntSlider(value=4, min=1, max=MAX_T, description="T_x"),
        "T_y": widgets.IntSlider(value=3, min=1, max=MAX_T, description="T_y"),
    }

    def follow_kind(change: dict) -> None:  # T_y only matters where outputs have own length
        controls["T_y"].disabled = change["new"] not in USES_T_Y

    controls["kind"].observe(follow_kind, names="value")
    fig = BlitFigure((6.4, 2.8))
    ax = fig.fig.add_axes((0.02, 0.02, 0.96, 0.96))
    ax.set_xlim(-0.8, 2 * MAX_T - 0.2)
    ax.set_ylim(-0.5, 3.9)
    ax.axis("off")
    edges = LineCollection([], colors="0.4", lw=1.2, zorder=1)
    ax.add_collection(edges)
    styles = {"x": ("C2", "o"), "a": ("C0", "s"), "y": ("C3", "D")}  # colour and shape
    nodes = {k: ax.plot([], [], m, ms=15, color=c, zorder=2)[0] for k, (c, m) in styles.items()}
    ax.text(-0.7, 3.85, "inputs: green circles, hidden states: blue squares, outputs: red "
            "diamonds; time runs left to right",
            fontsize=8, va="top")  # static: text is the costliest thing to redraw
    fig.animate(edges, *nodes.values())

    def draw(r: dict) -> None:
        edges.set_segments([list(e) for e in r["edges"]])
        for key, line in nodes.items():
            points = np.array(r[key], float).reshape(-1, 2)
            line.set_data(points[:, 0], points[:, 1])

    def describe(r: dict) -> str:
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>"
                       for k, v in r["shapes"].items())
        return (f"<b>{html.escape(r['kind'])}</b>: {html.escape(r['note'])}."
                f"<table style='font-size:85%'>{rows}</table>Shapes (features, batch m = {M}, "
                "time) from running the reference forward pass.")

    return Demo(title="RNN architectures, unrolled", controls=controls, main="kind",
                compute=architecture, draw=draw, figure=fig, describe=describe)


SENTENCES = ("Teddy Roosevelt was a great President", "Teddy bears are on sale today")


def bidirectional_context(t: int, seed: int = 0) -> dict:
    """Forward and backward hidden states of both sentences; their distance at each step."""
    words = [s.lower().split() for s in SENTENCES]
    T = len(words[0])
    if not 1 <= t <= T:
        raise ValueError(f"bidirectional_context: t must be in 1..{T}, got {t}")
    vocab = sorted({w for s in words for w in s})
    x = np.zeros((len(vocab), 2, T))
    for i, sentence in enumerate(words):
        for step, word in enumerate(sentence):
            x[vocab.index(word), i, step] = 1.0
    n_a = 6
    parameters = init_bidirectional_rnn_parameters(len(vocab), n_a, rng=seed)
    for d in ("f", "b"):
        parameters[f"Wax_{d}"] *= 2.0
    a, _ = bidirectional_rnn_forward(x, None, None, parameters)
    a_f, a_b = a[:n_a], a[n_a:]
    gap_f = np.linalg.norm(a_f[:, 0] - a_f[:, 1], axis=0)
    gap_b = np.linalg.norm(a_b[:, 0] - a_b[:, 1], axis=0)
    return {"t": t, "words": words, "a_f": a_f, "a_b": a_b, "gap_f": gap_f, "gap_b": gap_b}


def bidirectional_demo() -> Demo:
    """Slider word position t: what the forward and backward RNNs know at that word."""
    controls = {
        "t": widgets.IntSlider(value=1, min=1, max=6, description="word t"),
        "seed": widgets.IntSlider(value=0, min=0, max=9, description="weights seed"),
    }
    T = 6
    fig = BlitFigure((7.2, 3.0))
    gs = fig.fig.add_gridspec(2, 2, width_ratios=(1.4, 1))
    axes = [fig.fig.add_subplot(gs[i, 0]) for i in range(2)]
    ax_gap = fig.fig.add_subplot(gs[:, 1])
    images, marks = [], []
    for i, ax in enumerate(axes):
        images.append(ax.imshow(np.zeros((12, T)), aspect="auto", cmap="RdBu_r", vmin=-1,
                                vmax=1, interpolation="nearest"))
        ax.set_xticks(range(T), SENTENCES[i].split(), fontsize=7)
        ax.set_yticks([2.5, 8.5], ["fwd", "bwd"], fontsize=7)
        ax.axhline(5.5, color="k", lw=0.8)
        # A Rectangle in data x and axes y (what axvspan returns from matplotlib 3.9 on;
        # 3.8, which the in-browser Pyodide ships, returns a Polygon with no set_x).
        marks.append(ax.add_patch(Rectangle((-0.5, 0), 1, 1, transform=ax.get_xaxis_transform(),
                                            fill=False, ec="k", lw=2)))
    bars = ax_gap.bar([0, 1], [0, 0], color=["C0", "C1"], hatch=["", "//"])
    ax_gap.set_xticks([0, 1], ["forward RNN", "backward RNN"], fontsize=8)
    ax_gap.set_ylim(0, 4)
    ax_gap.set_title("sentences' distance at word t", fontsize=8)
    fig.fig.tight_layout()
    fig.animate(*images, *marks, *bars)

    def draw(r: dict) -> None:
        t = r["t"]
        for i, image in enumerate(images):
            image.set_data(np.vstack([r["a_f"][:, i], r["a_b"][:, i]]))
            marks[i].set_x(t - 1.5)
        bars[0].set_height(r["gap_f"][t - 1])
        bars[1].set_height(r["gap_b"][t - 1])

    def describe(r: dict) -> str:
        t = r["t"]
        words = " / ".join(f"<i>{s[t - 1]}</i>" for s in r["words"])
        return (f"At word {t} ({words}) the forward states differ by {r['gap_f'][t - 1]:.2f}, "
                f"the backward states by {r['gap_b'][t - 1]:.2f}. At <i>teddy</i> the "
                "forward RNN has read the same single word in both sentences, so only the "
                "backward half can tell a president from a toy.")

    return Demo(title="Bidirectional context: which Teddy?", controls=controls, main="t",
                compute=bidirectional_context, draw=draw, figure=fig, describe=describe)


WORDS = ("ABCDEF", "HGAHBC", "CCDDEE", "BADGEH")


def attention_weights(step: int, word: str = WORDS[0]) -> dict:
    """Attention weights and predictions of the reversal model after `step` steps."""
    model = seq2seq.train()
    if step not in model["checkpoints"]:
        raise ValueError(f"attention_weights: step must be one of {seq2seq.CHECKPOINTS}, "
                         f"got {step}")
    r = seq2seq.alignment(model["checkpoints"][step], word)
    anti = r["alphas"][np.arange(seq2seq.T_X), np.arange(seq2seq.T_X)[::-1]]
    return {"step": step, "word": word, "losses": model["losses"][:step],
            "on_anti_diagonal": float(anti.mean()), **r}


def attention_demo() -> Demo:
    """Slider training step: where each output looks while the model learns to reverse."""
    controls = {
        "step": widgets.SelectionSlider(options=seq2seq.CHECKPOINTS,
                                        value=seq2seq.CHECKPOINTS[-1],
                                        description="training step"),
        "word": widgets.Dropdown(options=WORDS, value=WORDS[0], description="input"),
    }
    T = seq2seq.T_X
    fig = BlitFigure((6.4, 2.9))
    ax, ax_loss = fig.fig.subplots(1, 2, gridspec_kw={"width_ratios": (1, 1.3)})
    image = ax.imshow(np.zeros((T, T)), cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xlabel("input position t'", fontsize=8)
    ax.set_ylabel("output step t", fontsize=8)
    ax_loss.set_xlim(0, seq2seq.CHECKPOINTS[-1])
    ax_loss.set_ylim(0, 2.5)
    ax_loss.set_xlabel("training step", fontsize=8)
    ax_loss.set_ylabel("cross-entropy (nats)", fontsize=8)
    (curve,) = ax_loss.plot([], [], lw=1)
    fig.fig.tight_layout()
    fig.animate(image, curve)

    def ticks(word: str) -> None:  # static per word: one background each
        target = word[::-1]
        ax.set_xticks(range(T), list(word), fontsize=8)
        ax.set_yticks(range(T), list(target), fontsize=8)

    for word in reversed(WORDS):
        fig.background(word, lambda word=word: ticks(word))

    def draw(r: dict) -> None:
        fig.background(r["word"], lambda: ticks(r["word"]))
        image.set_data(r["alphas"])
        curve.set_data(np.arange(1, len(r["losses"]) + 1), r["losses"])

    def describe(r: dict) -> str:
        return (f"After {r['step']} steps the model writes <code>{r['predicted']}</code> for "
                f"<code>{r['word']}</code> (target <code>{r['target']}</code>, teacher "
                f"forcing). Mean attention on the mirrored input position: "
                f"{r['on_anti_diagonal']:.2f} (uniform would be {1 / T:.2f}). Each row of "
                "the heatmap is one output step; dark = where it looked.")

    return Demo(title="Attention while learning to reverse a sequence", controls=controls,
                main="step", compute=attention_weights, draw=draw, figure=fig,
                describe=describe)
