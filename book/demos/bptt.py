"""Chapter 4 demos: backpropagation through time, step by step.

The gradient of a loss at step s with respect to Waa is a sum over the earlier steps t
of one term per step: dWaa = sum_s sum_{t <= s} dz<t> a<t-1>^T, where dz<t> is the
gradient reaching step t's pre-activation from the loss at s. These demos compute every
term with the reference's `rnn_cell_backward`, so each can be shown on its own.

- `contributions_demo`: slider: scale of Waa; size of each earlier step's term for a
  loss at the last step.
- `truncation_demo`: slider: truncation length k; truncated BPTT keeps only the terms
  with s - t < k; how far the truncated gradient is from the full one.
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import numpy as np

from autograder.reference import init_rnn_parameters, rnn_cell_backward, rnn_forward

from .canvas import BlitFigure
from .widget import Demo

T = 20
N_A = 16
N_X = 4


def scaled_rnn(scale: float, seed: int = 0) -> dict:
    """Reference RNN parameters with Waa rescaled to spectral radius `scale`."""
    parameters = init_rnn_parameters(N_X, N_A, 2, rng=seed)
    radius = np.max(np.abs(np.linalg.eigvals(parameters["Waa"])))
    parameters["Waa"] *= scale / radius
    return parameters


def term_norms(parameters: dict, x: np.ndarray, da: np.ndarray) -> np.ndarray:
    """Norm of every BPTT term: out[s, t] = ||dWaa term of step t for the loss at step s||.

    x (n_x, 1, T), da (n_a, 1, T): upstream gradient of the loss at step s on a<s>.
    Also returns, as the second value, the full dWaa (sum of all terms).
    """
    n_a = parameters["Waa"].shape[0]
    _, _, (caches, _) = rnn_forward(x, np.zeros((n_a, 1)), parameters)
    steps = x.shape[2]
    norms = np.zeros((steps, steps))
    terms = np.zeros((steps, steps, n_a, n_a))
    for s in range(steps):
        grad = da[:, :, s]
        for t in range(s, -1, -1):
            g = rnn_cell_backward(grad, caches[t])
            terms[s, t] = g["dWaa"]
            norms[s, t] = np.linalg.norm(g["dWaa"])
            grad = g["da_prev"]
    return norms, terms


@lru_cache(maxsize=64)
def _bptt_terms(scale: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 100)
    x = rng.standard_normal((N_X, 1, T))
    da = rng.standard_normal((N_A, 1, T)) / np.sqrt(N_A)
    return term_norms(scaled_rnn(scale, seed), x, da)


def contributions(scale: float, seed: int = 0) -> dict:
    """Size of each step's dWaa term for a loss at the last step only."""
    norms, _ = _bptt_terms(float(scale), int(seed))
    last = norms[T - 1]
    return {"scale": scale, "norms": last, "ratio": float(last[1] / last[T - 1])}


def contributions_demo() -> Demo:
    """Slider scale of Waa: how much each earlier step adds to dWaa (log scale)."""
    controls = {
        "scale": widgets.FloatSlider(value=0.9, min=0.2, max=1.8, step=0.2,
                                     description="radius of Waa"),
        "seed": widgets.IntSlider(value=0, min=0, max=5, description="seed"),
    }
    fig = BlitFigure((6.4, 2.8))
    ax = fig.fig.subplots()
    ax.set_yscale("log")
    ax.set_ylim(1e-12, 1e3)
    ax.set_xlim(0, T + 1)
    ax.set_xlabel("time step t (the loss is at the last step)", fontsize=8)
    ax.set_ylabel("||term of step t in dWaa||", fontsize=8)
    bars = ax.bar(range(1, T + 1), np.ones(T), color="C0", bottom=1e-12)
    fig.fig.tight_layout()
    fig.animate(*bars)

    def draw(r: dict) -> None:
        for bar, value in zip(bars, r["norms"], strict=True):
            bar.set_height(max(value, 1e-12) - 1e-12)

    def describe(r: dict) -> str:
        trend = "shrink" if r["ratio"] < 1 else "grow"
        return (f"Spectral radius {r['scale']:.1f}: step 2's term is "
                f"{r['ratio']:.1e} times the last step's. Going back in time the terms "
                f"{trend} roughly geometrically: that is the vanishing (or exploding) "
                "gradient seen from inside BPTT. (Step 1's term is zero: a<0> = 0.)")

    return Demo(title="How much each earlier step contributes", controls=controls,
                main="scale", compute=contributions, draw=draw, figure=fig,
                describe=describe)


def truncation(k: int, scale: float = 1.0, seed: int = 0) -> dict:
    """Truncated BPTT with k steps against the full gradient, loss at every step."""
    if not 1 <= k <= T:
        raise ValueError(f"truncation: k must be in 1..{T}, got {k}")
    norms, terms = _bptt_terms(float(scale), int(seed))
    s, t = np.indices((T, T))
    full = terms.sum(axis=(0, 1))
    errors = np.array([np.linalg.norm(terms[(s - t < kk) & (t <= s)].sum(axis=0) - full)
                       for kk in range(1, T + 1)]) / np.linalg.norm(full)
    return {"k": k, "scale": scale, "norms": norms, "kept": (s - t < k) & (t <= s),
            "errors": errors, "error": float(errors[k - 1])}


def truncation_demo() -> Demo:
    """Slider k: terms kept by truncated BPTT, and its error against the full gradient."""
    controls = {
        "k": widgets.IntSlider(value=4, min=1, max=T, description="truncate k"),
        "scale": widgets.FloatSlider(value=1.0, min=0.2, max=1.8, step=0.2,
                                     description="radius of Waa"),
    }
    fig = BlitFigure((7.2, 3.0))
    ax_m, ax_e = fig.fig.subplots(1, 2)
    image = ax_m.imshow(np.zeros((T, T)), cmap="viridis", vmin=-8, vmax=2,
                        interpolation="nearest")
    mask = ax_m.imshow(np.zeros((T, T, 4)), interpolation="nearest")
    ax_m.set_xlabel("term from step t", fontsize=8)
    ax_m.set_ylabel("loss at step s", fontsize=8)
    ax_m.set_title("log10 ||term||; faded: dropped", fontsize=9)
    ax_e.set_yscale("log")
    ax_e.set_xlim(0, T + 1)
    ax_e.set_ylim(1e-10, 10)
    ax_e.set_xlabel("truncation length k", fontsize=8)
    ax_e.set_title("relative error of truncated dWaa", fontsize=9)
    (curve,) = ax_e.plot([], [], "-", color="C0")
    (mark,) = ax_e.plot([], [], "o", color="C3")
    fig.fig.tight_layout()
    fig.animate(image, mask, curve, mark)

    def draw(r: dict) -> None:
        with np.errstate(divide="ignore"):
            logs = np.where(r["norms"] > 0, np.log10(r["norms"]), np.nan)
        image.set_data(logs)
        overlay = np.zeros((T, T, 4))
        dropped = ~r["kept"] & (np.tril(np.ones((T, T))) > 0)
        overlay[dropped] = (1.0, 1.0, 1.0, 0.7)
        mask.set_data(overlay)
        curve.set_data(np.arange(1, T + 1), np.maximum(r["errors"], 1e-10))
        mark.set_data([r["k"]], [max(r["error"], 1e-10)])

    def describe(r: dict) -> str:
        return (f"Backpropagating only k = {r['k']} steps from each loss keeps "
                f"{int(r['kept'].sum())} of {T * (T + 1) // 2} terms; the truncated dWaa is off "
                f"by {100 * r['error']:.2g}% (radius {r['scale']:.1f}). Small radius: a few "
                "steps suffice. Radius above 1: distant terms are large and truncation "
                "changes the gradient a lot.")

    return Demo(title="Truncated BPTT", controls=controls, main="k", compute=truncation,
                draw=draw, figure=fig, describe=describe,
                frames=[1, 2, 3, 4, 5, 7, 10, 15, 20])
