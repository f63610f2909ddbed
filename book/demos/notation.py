"""Chapter 2 demos: from words to one-hot vectors, and the shapes of every array.

- `one_hot_demo`: a sentence, its tokens, their vocabulary indices and the one-hot
  matrix x (n_x, T_x); words outside the vocabulary map to <UNK>.
- `shapes_demo`: the sizes n_x, n_a, n_y, m, T_x and the shape of every array of the
  forward pass, with W_a = [Waa | Wax] acting on the stacked [a<t-1>; x<t>].
"""

from __future__ import annotations

import html
import re
from collections import Counter

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

from autograder.reference import init_rnn_parameters, rnn_cell_forward, rnn_forward

from .canvas import BlitFigure
from .widget import Demo

UNK = "<UNK>"
CORPUS = (
    "the cat sat on the mat . the dog sat on the log . a young wizard invented a new "
    "spell . harry and hermione read a book about the spell . the wizard and the cat "
    "read the book . a dog and a cat met on the road . hermione invented a new game and "
    "harry played the game . the dog played on the road ."
)
MAX_VOCAB = 24
MAX_TOKENS = 12


def tokenize(text: str) -> list[str]:
    """Lower-case words and punctuation marks, in order."""
    if not isinstance(text, str):
        raise ValueError(f"tokenize: text must be a string, got {type(text).__name__}")
    return re.findall(r"[a-z0-9']+|[.,!?;:]", text.lower())


def build_vocabulary(corpus: str, size: int) -> list[str]:
    """<UNK> followed by the `size` most frequent tokens of `corpus` (ties alphabetical)."""
    counts = Counter(tokenize(corpus))
    if not 1 <= size <= len(counts):
        raise ValueError(f"build_vocabulary: size must be in 1..{len(counts)}, got {size}")
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    return [UNK, *ranked[:size]]


def one_hot(indices: list[int], n_x: int) -> np.ndarray:
    """(n_x, T) matrix whose column t is 1 at row indices[t]."""
    x = np.zeros((n_x, len(indices)))
    x[indices, np.arange(len(indices))] = 1.0
    return x


def encode(sentence: str, vocab_size: int) -> dict:
    """Tokens, vocabulary indices (0 = <UNK>) and the one-hot matrix of a sentence."""
    vocabulary = build_vocabulary(CORPUS, vocab_size)
    index = {word: i for i, word in enumerate(vocabulary)}
    tokens = tokenize(sentence)[:MAX_TOKENS]
    indices = [index.get(token, 0) for token in tokens]
    return {"vocabulary": vocabulary, "tokens": tokens, "indices": indices,
            "x": one_hot(indices, len(vocabulary))}


def one_hot_demo() -> Demo:
    """Slider vocabulary size; text box sentence: tokens, indices, one-hot matrix."""
    controls = {
        "vocab_size": widgets.IntSlider(value=8, min=1, max=MAX_VOCAB,
                                        description="vocab size"),
        "sentence": widgets.Text(value="Harry and the young wizard invented a new spell.",
                                 description="sentence", continuous_update=False,
                                 layout=widgets.Layout(width="420px")),
    }
    full = build_vocabulary(CORPUS, MAX_VOCAB)
    fig = BlitFigure((6.4, 4.6))
    ax = fig.fig.subplots()
    image = ax.imshow(np.zeros((MAX_VOCAB + 1, MAX_TOKENS)), cmap="Greys", vmin=0, vmax=1,
                      aspect="auto", interpolation="nearest")
    ax.set_yticks(range(MAX_VOCAB + 1), [f"{i} {w}" for i, w in enumerate(full)], fontsize=7)
    shade = Rectangle((-0.5, 0.5), MAX_TOKENS, 0, color="#f2c1a0", alpha=0.55, lw=0)
    ax.add_patch(shade)
    ax.set_xticks(range(MAX_TOKENS), [""] * MAX_TOKENS)
    ax.set_xlabel("one-hot x<t>, one column per token (shaded rows: not in the vocabulary)",
                  fontsize=8)
    labels = [ax.text(t, 1.01, "", transform=ax.get_xaxis_transform(), rotation=45,
                      ha="left", va="bottom", fontsize=7) for t in range(MAX_TOKENS)]
    fig.fig.subplots_adjust(left=0.2, right=0.95, top=0.86, bottom=0.08)
    fig.animate(image, shade)

    def draw(r: dict) -> None:
        x = np.zeros((MAX_VOCAB + 1, MAX_TOKENS))
        x[: r["x"].shape[0], : r["x"].shape[1]] = r["x"]
        image.set_data(x)
        rows = len(r["vocabulary"])
        shade.set_bounds(-0.5, rows - 0.5, MAX_TOKENS, MAX_VOCAB + 1 - rows)
        for t, label in enumerate(labels):
            label.set_text(r["tokens"][t] if t < len(r["tokens"]) else "")
        fig.overlay(tuple(r["tokens"]), labels)  # glyphs drawn once per sentence

    def describe(r: dict) -> str:
        unk = "<b style='color:#c0392b'>0 &lt;UNK&gt;</b>"
        cells = "".join(
            f"<td style='padding:0 4px'>{html.escape(t)}<br>{unk if i == 0 else i}</td>"
            for t, i in zip(r["tokens"], r["indices"], strict=True)
        )
        unknown = sum(i == 0 for i in r["indices"])
        n_x, T = r["x"].shape
        return (f"<table style='font-size:85%'><tr>{cells}</tr></table>"
                f"n_x = {n_x} (vocabulary of {n_x - 1} words + &lt;UNK&gt;), T_x = {T}; "
                f"{unknown} of {T} tokens are &lt;UNK&gt;. x<sup>&lt;t&gt;</sup> is column t.")

    return Demo(title="Tokens, indices and one-hot vectors", controls=controls,
                main="vocab_size", compute=encode, draw=draw, figure=fig,
                describe=describe, frames=[1, 2, 4, 6, 8, 12, 16, 20, 24])


def shapes(n_a: int, n_x: int = 3, n_y: int = 2, m: int = 2, T_x: int = 4) -> dict:
    """Run one cell and the unrolled forward pass on random data; report every shape.

    Also checks the stacked form: W_a [a_prev; x_t] equals Waa a_prev + Wax x_t.
    """
    rng = np.random.default_rng(0)
    parameters = init_rnn_parameters(n_x, n_a, n_y, rng=rng)
    x = rng.standard_normal((n_x, m, T_x))
    a0 = rng.standard_normal((n_a, m))
    a_next, yt_pred, _ = rnn_cell_forward(x[:, :, 0], a0, parameters)
    a, y_pred, _ = rnn_forward(x, a0, parameters)
    Wa = np.hstack([parameters["Waa"], parameters["Wax"]])
    stacked = np.vstack([a0, x[:, :, 0]])
    gap = np.abs(Wa @ stacked - (parameters["Waa"] @ a0 + parameters["Wax"] @ x[:, :, 0]))
    return {
        "sizes": {"n_a": n_a, "n_x": n_x, "n_y": n_y, "m": m, "T_x": T_x},
        "Waa": parameters["Waa"], "Wax": parameters["Wax"], "a_prev": a0, "xt": x[:, :, 0],
        "a_next": a_next,
        "shapes": {"x": x.shape, "a0": a0.shape, "Wax": parameters["Wax"].shape,
                   "Waa": parameters["Waa"].shape, "Wya": parameters["Wya"].shape,
                   "ba": parameters["ba"].shape, "by": parameters["by"].shape,
                   "W_a = [Waa | Wax]": Wa.shape, "[a<t-1>; x<t>]": stacked.shape,
                   "a_next": a_next.shape, "yt_pred": yt_pred.shape, "a": a.shape,
                   "y_pred": y_pred.shape},
        "stacked_gap": float(gap.max()),
    }


MAX_SIZE = 8


def shapes_demo() -> Demo:
    """Sliders n_a, n_x, n_y, m, T_x: W_a [a; x] drawn to scale, and every shape."""
    controls = {
        "n_a": widgets.IntSlider(value=4, min=1, max=MAX_SIZE, description="n_a"),
        "n_x": widgets.IntSlider(value=3, min=1, max=MAX_SIZE, description="n_x"),
        "n_y": widgets.IntSlider(value=2, min=1, max=6, description="n_y"),
        "m": widgets.IntSlider(value=2, min=1, max=4, description="batch m"),
        "T_x": widgets.IntSlider(value=4, min=1, max=10, description="T_x"),
    }
    fig = BlitFigure((6.4, 3.4))
    ax = fig.fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.5, 2 * MAX_SIZE + 2 * 4 + 6)
    ax.set_ylim(2 * MAX_SIZE + 3, -2.2)
    ax.axis("off")
    kw = {"cmap": "RdBu_r", "vmin": -2, "vmax": 2, "interpolation": "nearest"}
    blocks = {name: ax.imshow(np.zeros((1, 1)), **kw) for name in
              ("Waa", "Wax", "a_prev", "xt", "a_next")}
    labels = {name: ax.text(0, 0, "", ha="center", va="bottom", fontsize=7) for name in
              ("Waa", "Wax", "a_prev", "a_next")}
    labels["xt"] = ax.text(0, 0, "", ha="center", va="top", fontsize=7)
    signs = [ax.text(0, 0, s, ha="center", va="center", fontsize=14) for s in ("×", "→")]
    fig.animate(*blocks.values())

    def place(name: str, values: np.ndarray, left: float, top: float, label: str) -> None:
        rows, cols = values.shape
        blocks[name].set_data(values)
        blocks[name].set_extent((left, left + cols, top + rows, top))
        below = name == "xt"
        labels[name].set_position((left + cols / 2, top + rows + 0.2 if below else top - 0.2))
        labels[name].set_text(label)

    def draw(r: dict) -> None:
        s = r["sizes"]
        n_a, n_x, m = s["n_a"], s["n_x"], s["m"]
        place("Waa", r["Waa"], 0, 0, f"Waa\n({n_a},{n_a})")
        place("Wax", r["Wax"], n_a + 0.15, 0, f"Wax\n({n_a},{n_x})")
        left = n_a + n_x + 2.5
        signs[0].set_position((left - 1.1, n_a / 2))
        place("a_prev", r["a_prev"], left, 0, f"a<t-1>\n({n_a},{m})")
        place("xt", r["xt"], left, n_a + 0.15, f"x<t>\n({n_x},{m})")
        right = left + m + 3
        signs[1].set_position((right - 1.5, n_a / 2))
        place("a_next", r["a_next"], right, 0, f"tanh(...) = a<t>\n({n_a},{m})")
        fig.overlay((n_a, n_x, m), [*labels.values(), *signs])  # glyphs once per size

    def describe(r: dict) -> str:
        rows = "".join(f"<tr><td><code>{html.escape(k)}</code></td><td>{v}</td></tr>"
                       for k, v in r["shapes"].items())
        return (f"<table style='font-size:85%'>{rows}</table>"
                f"max |W_a[a; x] - (Waa a + Wax x)| = {r['stacked_gap']:.1e}")

    return Demo(title="Every shape in the forward pass", controls=controls, main="n_a",
                compute=shapes, draw=draw, figure=fig, describe=describe)
