"""Chapter 5 demos: vanishing and exploding gradients, and clipping.

- `gradient_decay_demo`: slider: spectral radius of Waa; the norm of the Jacobian
  d a<T> / d a<t> against the distance T - t, for tanh and ReLU cells and for the
  identity-initialised ReLU RNN (IRNN).
- `cliff_demo`: a one-unit linear RNN whose output after 1000 steps is w^999. Its loss
  surface is flat on one side of w = 1 and a cliff on the other; slider: clipping
  threshold; the path gradient descent takes, with and without clipping.
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import numpy as np

from autograder.reference import (
    clip,
    init_irnn_parameters,
    init_rnn_parameters,
    rnn_cell_backward,
    rnn_forward,
)

from . import style
from .canvas import BlitFigure
from .widget import Demo

T = 60
N_A = 12
N_X = 3


def jacobian_norms(parameters: dict, x: np.ndarray, activation: str) -> np.ndarray:
    """out[d] = spectral norm of d a<T> / d a<T-d>, d = 0..T-1, for input x (n_x, T).

    The batch holds n_a copies of the sequence, and the upstream gradient is the identity,
    so one backward sweep with `rnn_cell_backward` yields every row of the Jacobian.
    """
    n_a = parameters["Waa"].shape[0]
    steps = x.shape[1]
    batch = np.repeat(x[:, None, :], n_a, axis=1)
    _, _, (caches, _) = rnn_forward(batch, np.zeros((n_a, n_a)), parameters, activation)
    grad = np.eye(n_a)
    norms = np.zeros(steps)
    for d in range(steps):
        norms[d] = np.linalg.norm(grad, 2)
        grad = rnn_cell_backward(grad, caches[steps - 1 - d], activation)["da_prev"]
    return norms


CELLS = ("tanh", "relu", "relu, identity init (IRNN)")


@lru_cache(maxsize=128)
def gradient_decay(radius: float, seed: int = 0) -> dict:
    """Jacobian norms against distance for each cell type, Waa at spectral `radius`."""
    rng = np.random.default_rng(seed + 7)
    x = rng.standard_normal((N_X, T))
    curves = {}
    for cell in CELLS:
        if cell.startswith("relu, identity"):
            parameters = init_irnn_parameters(N_X, N_A, 2, rng=seed, scale=radius)
        else:
            parameters = init_rnn_parameters(N_X, N_A, 2, rng=seed)
            parameters["Waa"] *= radius / np.max(np.abs(np.linalg.eigvals(parameters["Waa"])))
        curves[cell] = jacobian_norms(parameters, x, cell.split(",")[0])
    return {"radius": radius, "distance": np.arange(T), "curves": curves}


def gradient_decay_demo() -> Demo:
    """Slider spectral radius: ||d a<T> / d a<t>|| against T - t (log scale)."""
    controls = {
        "radius": widgets.FloatSlider(value=1.0, min=0.5, max=1.5, step=0.125,
                                      description="radius of Waa"),
        "seed": widgets.IntSlider(value=0, min=0, max=5, description="seed"),
    }
    fig = BlitFigure((6.4, 3.0))
    ax = fig.fig.subplots()
    ax.set_yscale("log")
    ax.set_xlim(0, T)
    ax.set_ylim(1e-12, 1e10)
    ax.set_xlabel("distance T - t (steps)", fontsize=8)
    ax.set_ylabel("||d a<T> / d a<t>||", fontsize=8)
    lines = [ax.plot([], [], color=f"C{i}", ls=style.LINESTYLES[i], label=cell)[0]
             for i, cell in enumerate(CELLS)]
    (guide,) = ax.plot([], [], color="k", ls=style.LINESTYLES[len(CELLS)], lw=1,
                       label="radius ** distance")
    ax.axhline(1, color="gray", lw=0.5)
    ax.legend(fontsize=7, loc="upper left")
    fig.fig.tight_layout()
    fig.animate(*lines, guide)

    def draw(r: dict) -> None:
        for line, cell in zip(lines, CELLS, strict=True):
            line.set_data(r["distance"], np.maximum(r["curves"][cell], 1e-300))
        guide.set_data(r["distance"], r["radius"] ** r["distance"])

    def describe(r: dict) -> str:
        parts = ", ".join(f"{cell}: {r['curves'][cell][-1]:.1e}" for cell in CELLS)
        return (f"Radius {r['radius']:.3g}; gradient norm after {T - 1} steps back: {parts}. "
                "Below 1 the signal vanishes geometrically; above 1 the ReLU cells explode "
                "while tanh saturates (its derivative shrinks), so it vanishes anyway. The "
                "IRNN at radius 1 passes the gradient unchanged through every unit that stays "
                "active, and cuts it where units switch off.")

    return Demo(title="Gradient norm over distance", controls=controls, main="radius",
                compute=gradient_decay, draw=draw, figure=fig, describe=describe)


N_STEPS = 1000  # the output after N_STEPS steps is w ** (N_STEPS - 1)
TARGET = 0.5
CLIP_OPTIONS = (("off", 0.0), ("500", 500.0), ("100", 100.0), ("10", 10.0), ("1", 1.0))


def cliff_output(w: float | np.ndarray) -> np.ndarray:
    """y = w ** 999: a one-unit linear RNN (a<t> = w a<t-1>, a<1> = 1) after 1000 steps."""
    with np.errstate(over="ignore"):
        return np.asarray(w, float) ** (N_STEPS - 1)


def cliff_output_by_reference(w: float) -> float:
    """The same y computed by the reference's rnn_forward (ReLU, one unit, w > 0)."""
    parameters = {"Wax": np.ones((1, 1)), "Waa": np.full((1, 1), w), "ba": np.zeros((1, 1)),
                  "Wya": np.ones((1, 1)), "by": np.zeros((1, 1))}
    x = np.zeros((1, 1, N_STEPS))
    x[0, 0, 0] = 1.0
    a, _, _ = rnn_forward(x, np.zeros((1, 1)), parameters, activation="relu")
    return float(a[0, 0, -1])


def cliff_loss(w: float | np.ndarray) -> np.ndarray:
    """L(w) = (w ** 999 - 0.5) ** 2."""
    with np.errstate(over="ignore"):
        return (cliff_output(w) - TARGET) ** 2


def cliff_gradient(w: float) -> float:
    """dL/dw = 2 (w ** 999 - 0.5) * 999 w ** 998."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(2 * (cliff_output(w) - TARGET) * (N_STEPS - 1) * w ** (N_STEPS - 2))


def cliff_descent(max_grad: float, lr: float = 1e-5, w0: float = 0.999,
                  steps: int = 20) -> dict:
    """Gradient descent on the cliff; max_grad > 0 clips the gradient, 0 means no clipping."""
    if max_grad < 0:
        raise ValueError(f"cliff_descent: max_grad must be >= 0 (0 = off), got {max_grad}")
    path, grads = [w0], []
    w = w0
    for _ in range(steps):
        g = cliff_gradient(w)
        if not np.isfinite(g):
            break
        grads.append(g)
        if max_grad > 0:
            g = float(clip({"dw": np.array([g])}, max_grad)["dw"][0])
        w = w - lr * g
        if not np.isfinite(w) or abs(w) > 10:  # flew off the surface
            path.append(float(np.clip(w, -10, 10)) if np.isfinite(w) else 10.0)
            break
        path.append(w)
    path = np.array(path)
    return {"max_grad": max_grad, "lr": lr, "path": path, "losses": cliff_loss(path),
            "grads": np.array(grads), "final_loss": float(cliff_loss(path[-1]))}


W_RANGE = (0.985, 1.005)


def _verdict(r: dict) -> str:
    w = r["path"][-1]
    if r["final_loss"] < 1e-3:
        return "Descent settled at the minimum, w = 0.5 ** (1/999) = 0.99931."
    if not W_RANGE[0] - 0.05 <= w <= W_RANGE[1]:
        return "A huge gradient on the cliff threw it far away, off the plot."
    if w < 0.995:
        return ("A step on the cliff threw it onto the flat plateau, where the gradient is "
                "almost zero: it is stuck.")
    moves = np.sign(np.diff(r["path"][-4:]))
    if np.all(moves[1:] != moves[:-1]):
        return "It is bouncing across the cliff: the steps are too long for its steepness."
    return "It is still walking towards the minimum: clipped steps are short."


def cliff_demo() -> Demo:
    """Slider clipping threshold: the path of gradient descent on the w ** 999 cliff."""
    controls = {
        "max_grad": widgets.SelectionSlider(options=CLIP_OPTIONS, value=0.0,
                                            description="clip at"),
        "lr": widgets.SelectionSlider(options=(("1e-6", 1e-6), ("3e-6", 3e-6),
                                               ("1e-5", 1e-5), ("3e-5", 3e-5)),
                                      value=1e-5, description="learning rate"),
        "w0": widgets.FloatSlider(value=0.999, min=0.99, max=1.002, step=0.001,
                                  readout_format=".3f", description="start w"),
    }
    fig = BlitFigure((6.4, 3.0))
    ax = fig.fig.subplots()
    grid = np.linspace(*W_RANGE, 800)
    ax.plot(grid, np.maximum(cliff_loss(grid), 1e-12), color="gray")
    ax.set_yscale("log")
    ax.set_xlim(*W_RANGE)
    ax.set_ylim(1e-6, 1e6)
    ax.set_xlabel("w", fontsize=8)
    ax.set_ylabel("loss (w^999 - 0.5)^2", fontsize=8)
    (path_line,) = ax.plot([], [], "o-", color="C3", ms=4, lw=1)
    (start,) = ax.plot([], [], "s", color="k", ms=6)
    fig.fig.tight_layout()
    fig.animate(path_line, start)

    def draw(r: dict) -> None:
        path_line.set_data(r["path"], np.maximum(r["losses"], 1e-12))
        start.set_data(r["path"][:1], np.maximum(r["losses"][:1], 1e-12))

    def describe(r: dict) -> str:
        clipping = (f"gradient clipped to ±{r['max_grad']:g}" if r["max_grad"] > 0
                    else "no clipping")
        left = not W_RANGE[0] <= r["path"][-1] <= W_RANGE[1]
        return (f"{clipping}, learning rate {r['lr']:g}: after {len(r['path']) - 1} steps "
                f"w = {r['path'][-1]:.5f}, loss {r['final_loss']:.3g}"
                f"{' (off the plot)' if left else ''}; the largest gradient met was "
                f"{np.max(np.abs(r['grads'])):.3g}. {_verdict(r)}")

    return Demo(title="The w^999 cliff and gradient clipping", controls=controls,
                main="max_grad", compute=cliff_descent, draw=draw, figure=fig,
                describe=describe)
