"""Chapter 3 demos: the forward pass, one time step at a time, on a trained letter RNN.

- `step_through_demo`: slider t; the hidden states a<1..t> (heatmap) and the predicted
  distribution of the next letter at step t.
- `word_boundaries_demo`: slider training iterations; the prediction error along a
  stream of words written without spaces rises at the start of each word (Elman).
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from autograder.reference import cross_entropy, perplexity

from . import elman
from .canvas import BlitFigure
from .widget import Demo


def step_through(t: int, text: str = elman.TEST_TEXTS[0]) -> dict:
    """State of the trained letter RNN after reading the first t letters of `text`."""
    snapshots, _ = elman.train()
    parameters = snapshots[elman.CHECKPOINTS[-1]]
    run = elman.surprisal(parameters, text)
    T = len(text) - 1
    if not 1 <= t <= T:
        raise ValueError(f"step_through: t must be in 1..{T}, got {t}")
    return {"t": t, "text": text, "a": run["a"], "p": run["p"][:, t - 1],
            "next": text[t], "error": float(run["error"][t - 1])}


def step_through_demo() -> Demo:
    """Slider t: hidden states so far and the prediction for the next letter."""
    text = elman.TEST_TEXTS[0]
    T = len(text) - 1
    controls = {
        "t": widgets.IntSlider(value=4, min=1, max=T, description="step t"),
        "text": widgets.Dropdown(options=elman.TEST_TEXTS, value=text, description="text"),
    }

    def follow_text(change: dict) -> None:  # a shorter text has fewer steps
        controls["t"].max = len(change["new"]) - 1  # clamps t if needed

    controls["text"].observe(follow_text, names="value")
    n = len(elman.ALPHABET)
    width = max(len(s) for s in elman.TEST_TEXTS) - 1
    fig = BlitFigure((7.2, 3.2))
    ax_a, ax_p = fig.fig.subplots(1, 2, gridspec_kw={"width_ratios": (1.6, 1)})
    image = ax_a.imshow(np.zeros((elman.N_A, width)), aspect="auto", cmap="RdBu_r",
                        vmin=-1, vmax=1, interpolation="nearest")
    ax_a.set_ylabel(f"hidden units (n_a = {elman.N_A})", fontsize=8)
    ax_a.set_yticks([])
    bars = ax_p.barh(range(n), np.zeros(n), color="C0")
    ax_p.set_yticks(range(n), elman.ALPHABET, fontsize=7)
    ax_p.set_xlim(0, 1)
    ax_p.invert_yaxis()
    ax_p.set_xlabel("P(next letter)", fontsize=8)
    ax_p.set_title("prediction for the next letter", fontsize=9)
    ax_a.set_xticks(range(width), [""] * width)
    ax_a.set_xlabel("input letter x<t>", fontsize=8)
    fig.fig.tight_layout()
    fig.animate(image, *bars)

    def letters(text: str) -> None:  # static tick labels: one background per text
        ax_a.set_xticks(range(width), list(text[:-1]) + [""] * (width - len(text) + 1),
                        fontsize=7)

    for text in reversed(elman.TEST_TEXTS):  # draw every text's background up front
        fig.background(text, lambda text=text: letters(text))

    def draw(r: dict) -> None:
        fig.background(r["text"], lambda: letters(r["text"]))
        shown_a = np.full((elman.N_A, width), np.nan)
        shown_a[:, : r["t"]] = r["a"][:, : r["t"]]
        image.set_data(shown_a)
        target = elman.ALPHABET.index(r["next"])
        for k, (bar, p) in enumerate(zip(bars, r["p"], strict=True)):
            bar.set_width(p)
            bar.set_facecolor("C3" if k == target else "C0")
            bar.set_hatch("////" if k == target else "")  # not by colour alone
            bar.set_edgecolor("white" if k == target else "C0")  # the hatch's colour

    def describe(r: dict) -> str:
        best = elman.ALPHABET[int(np.argmax(r["p"]))]
        return (f"After reading <code>{html.escape(r['text'][: r['t']])}</code> the network "
                f"puts {r['p'][elman.ALPHABET.index(r['next'])]:.2f} on the true next letter "
                f"<b>{r['next']}</b> (red, hatched); its top guess is <b>{best}</b>. "
                f"Error -log p = {r['error']:.2f} nats.")

    return Demo(title="Stepping through time", controls=controls, main="t",
                compute=step_through, draw=draw, figure=fig, describe=describe,
                frames=list(range(1, T + 1, 3)))


def word_boundaries(iterations: int, text: str = elman.TEST_TEXTS[0]) -> dict:
    """Prediction error along `text` for the letter RNN after `iterations` of training."""
    snapshots, losses = elman.train()
    if iterations not in snapshots:
        raise ValueError(f"word_boundaries: iterations must be one of {sorted(snapshots)}, "
                         f"got {iterations}")
    parameters = snapshots[iterations]
    run = elman.surprisal(parameters, text)
    idx = elman.encode(text)
    y_pred = run["p"][:, None, :]
    targets = idx[None, 1:]
    starts = [s for s in elman.word_starts(text) if s > 0]
    error = run["error"]
    at_starts = error[[s - 1 for s in starts]]
    inside = np.delete(error, [s - 1 for s in starts])
    return {"iterations": iterations, "text": text, "error": error, "starts": starts,
            "cross_entropy": cross_entropy(y_pred, targets),
            "perplexity": perplexity(y_pred, targets),
            "error_at_starts": float(at_starts.mean()), "error_inside": float(inside.mean())}


def word_boundaries_demo() -> Demo:
    """Slider training iterations: error per letter; word starts are marked."""
    text = elman.TEST_TEXTS[0]
    controls = {
        "iterations": widgets.SelectionSlider(options=list(elman.CHECKPOINTS),
                                              value=elman.CHECKPOINTS[-1],
                                              description="training steps"),
        "text": widgets.Dropdown(options=elman.TEST_TEXTS, value=text, description="text"),
    }
    width = max(len(s) for s in elman.TEST_TEXTS) - 1
    fig = BlitFigure((7.2, 2.8))
    ax = fig.fig.subplots()
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(0, 5)
    ax.set_ylabel("error -log p (nats)", fontsize=8)
    (line,) = ax.plot([], [], "o-", color="C0", ms=3)
    uniform = ax.axhline(np.log(len(elman.ALPHABET)), color="gray", ls=":", lw=1)
    ax.text(width - 1, np.log(len(elman.ALPHABET)) + 0.1, "uniform guess", fontsize=7,
            ha="right", color="gray")
    del uniform
    ax.set_xticks(range(width), [""] * width)
    ax.set_xlabel("predicted letter (red bands: first letter of a word)", fontsize=8)
    bands = [ax.axvspan(t - 0.5, t + 0.5, color="C3", alpha=0.2, lw=0) for t in range(width)]
    fig.fig.tight_layout()
    fig.animate(line)

    def letters(text: str) -> None:  # static per text: tick labels and word-start bands
        ax.set_xticks(range(width), list(text[1:]) + [""] * (width - len(text) + 1),
                      fontsize=7)
        starts = {s - 1 for s in elman.word_starts(text)}
        for t, band in enumerate(bands):
            band.set_visible(t in starts)

    for text in reversed(elman.TEST_TEXTS):  # draw every text's background up front
        fig.background(text, lambda text=text: letters(text))

    def draw(r: dict) -> None:
        fig.background(r["text"], lambda: letters(r["text"]))
        line.set_data(np.arange(len(r["error"])), r["error"])

    def describe(r: dict) -> str:
        return (f"After {r['iterations']} training steps: mean error {r['error_at_starts']:.2f} "
                f"nats on the first letter of a word, {r['error_inside']:.2f} inside words; "
                f"cross-entropy {r['cross_entropy']:.2f} nats, perplexity "
                f"{r['perplexity']:.1f} (of {len(elman.ALPHABET)} letters).")

    return Demo(title="Finding words in an unsegmented stream", controls=controls,
                main="iterations", compute=word_boundaries, draw=draw, figure=fig,
                describe=describe)
