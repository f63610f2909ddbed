"""Chapter 6 demos: gates at work, and why gated cells keep gradients alive.

- `memory_cell_demo`: one LSTM unit with hand-set weights on a worked example: the
  input says when to write a value, when to erase the memory and when to read it out.
  Slider: the forget-gate bias; dropdowns force any gate open or shut.
- `gru_gates_demo`: one GRU unit on a similar example: the update gate decides between
  keeping the state and taking the candidate (forgetting and writing are one decision),
  the reset gate decides whether the candidate builds on the old state.
- `long_dependency_demo`: the norm of d a<T> / d x<t> against t for an RNN, a GRU and
  an LSTM with the same random weights' scale. Slider: the gate bias that makes the
  gated cells keep their state (LSTM forget bias +b, GRU update bias -b).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from autograder.reference import (
    gru_backward,
    gru_cell_forward,
    gru_forward,
    init_gru_parameters,
    init_lstm_parameters,
    init_rnn_parameters,
    lstm_backward,
    lstm_cell_forward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)

from . import style
from .canvas import BlitFigure
from .widget import Demo

# The worked example: x<t> = (value, write, read). write = 1 adds tanh(2 value) to the
# cell, write = -1 erases it, read = 1 lets the cell's content out.
VALUES = (0.8, 0.5, 0.5, 0.9, 0.3, 0.7, -0.4, 0.6, 0.2, 0.5)
WRITE = (1, 0, 1, 0, 0, -1, 1, 0, 0, 0)
READ = (0, 0, 0, 1, 0, 1, 0, 1, 0, 1)
GATE_MODES = ("as wired", "forced open", "forced shut")
GATES = ("forget", "input", "output")


def memory_cell_parameters(forget_bias: float, modes: dict[str, str]) -> dict:
    """Hand-set weights of a one-unit LSTM acting on [a_prev; value; write; read]."""
    p = {
        "Wf": np.array([[0.0, 0.0, 10.0, 0.0]]), "bf": np.array([[forget_bias]]),
        "Wi": np.array([[0.0, 0.0, 10.0, 0.0]]), "bi": np.array([[-5.0]]),
        "Wc": np.array([[0.0, 2.0, 0.0, 0.0]]), "bc": np.zeros((1, 1)),
        "Wo": np.array([[0.0, 0.0, 0.0, 10.0]]), "bo": np.array([[-5.0]]),
        "Wy": np.ones((1, 1)), "by": np.zeros((1, 1)),
    }
    for gate, mode in modes.items():
        key = gate[0]
        if mode not in GATE_MODES:
            raise ValueError(f"memory_cell_parameters: mode of {gate} must be one of "
                             f"{GATE_MODES}, got {mode!r}")
        if mode != "as wired":
            p[f"W{key}"] = np.zeros((1, 4))
            p[f"b{key}"] = np.array([[20.0 if mode == "forced open" else -20.0]])
    return p


def memory_cell(forget_bias: float, forget: str = "as wired", input: str = "as wired",
                output: str = "as wired") -> dict:
    """Run the worked example step by step with `lstm_cell_forward`; record every gate."""
    p = memory_cell_parameters(forget_bias, {"forget": forget, "input": input,
                                             "output": output})
    a, c = np.zeros((1, 1)), np.zeros((1, 1))
    rows = {name: [] for name in ("c", "a", "forget", "input", "output", "candidate")}
    for value, write, read in zip(VALUES, WRITE, READ, strict=True):
        xt = np.array([[value], [write], [read]], float)
        a, c, _, cache = lstm_cell_forward(xt, a, c, p)
        _, _, _, _, ft, it, cct, ot, _, _ = cache
        for name, v in (("c", c), ("a", a), ("forget", ft), ("input", it),
                        ("output", ot), ("candidate", cct)):
            rows[name].append(float(v[0, 0]))
    return {"forget_bias": forget_bias, **{k: np.array(v) for k, v in rows.items()}}


def memory_cell_demo() -> Demo:
    """Slider forget-gate bias; gate overrides: the cell state and output over time."""
    controls = {
        "forget_bias": widgets.FloatSlider(value=5.0, min=-6.0, max=6.0, step=1.5,
                                           description="forget bias"),
        **{gate: widgets.Dropdown(options=GATE_MODES, value="as wired",
                                  description=f"{gate} gate") for gate in GATES},
    }
    T = len(VALUES)
    steps = np.arange(1, T + 1)
    fig = BlitFigure((7.2, 3.4))
    ax, ax_g = fig.fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (2, 1)})
    ax.set_xlim(0.5, T + 0.5)
    ax.set_ylim(-2.2, 3.2)
    ax.axhline(0, color="gray", lw=0.5)
    for t, (v, w, r) in enumerate(zip(VALUES, WRITE, READ, strict=True), start=1):
        label = f"{v:+.1f}" + ("\nwrite" if w == 1 else "\nerase" if w == -1 else "")
        label += "\nread" if r else ""
        ax.text(t, 3.1, label, ha="center", va="top", fontsize=6.5)
    (c_line,) = ax.plot([], [], "o-", color="C0", label="cell state c<t>")
    (a_line,) = ax.plot([], [], "s--", color="C3", label="output a<t>")
    ax.legend(fontsize=7, loc="lower left", ncol=2)
    image = ax_g.imshow(np.zeros((3, T)), cmap="Greens", vmin=0, vmax=1, aspect="auto",
                        extent=(0.5, T + 0.5, 2.5, -0.5))
    ax_g.set_yticks(range(3), GATES, fontsize=7)
    ax_g.set_xticks(steps)
    ax_g.set_xlabel("time step t", fontsize=8)
    fig.fig.tight_layout()
    fig.animate(c_line, a_line, image)

    def draw(r: dict) -> None:
        c_line.set_data(steps, r["c"])
        a_line.set_data(steps, r["a"])
        image.set_data(np.vstack([r["forget"], r["input"], r["output"]]))

    def describe(r: dict) -> str:
        return (f"Forget bias {r['forget_bias']:+.1f}: the forget gate is "
                f"{np.mean(r['forget']):.2f} on average (1 = keep). The cell ends at "
                f"c = {r['c'][-1]:+.2f}; read-outs a<t> at the read steps: "
                + ", ".join(f"{a:+.2f}" for a, rd in zip(r["a"], READ, strict=True) if rd)
                + ". Green = gate open.")

    return Demo(title="An LSTM memory cell, gate by gate", controls=controls,
                main="forget_bias", compute=memory_cell, draw=draw, figure=fig,
                describe=describe)


GRU_WRITE = (1, 0, 0, 1, 0, 0, 1, 0, 1, 0)


def gru_gates(update_bias: float, reset_bias: float = -5.0) -> dict:
    """One GRU unit (Ng's form: u weights the candidate) on x<t> = (value, write), step by step.

    u = sigmoid(10 write + update_bias): about 1 on write steps (take the candidate),
    about 0 otherwise (keep the state) when update_bias = -5. The candidate is
    tanh(r a<t-1> + 2 value): with the reset gate shut (the default) it is the new value
    alone, so a write replaces the state; open, it builds on the old state.
    """
    p = {"Wu": np.array([[0.0, 0.0, 10.0]]), "bu": np.array([[update_bias]]),
         "Wr": np.zeros((1, 3)), "br": np.array([[reset_bias]]),
         "Wc": np.array([[1.0, 2.0, 0.0]]), "bc": np.zeros((1, 1))}
    a = np.zeros((1, 1))
    rows = {name: [] for name in ("a", "update", "reset", "candidate")}
    for value, write in zip(VALUES, GRU_WRITE, strict=True):
        a, cache = gru_cell_forward(np.array([[value], [write]], float), a, p)
        _, _, ut, rt, cct, _, _ = cache
        for name, v in (("a", a), ("update", ut), ("reset", rt), ("candidate", cct)):
            rows[name].append(float(v[0, 0]))
    return {"update_bias": update_bias, "reset_bias": reset_bias,
            **{k: np.array(v) for k, v in rows.items()}}


def gru_gates_demo() -> Demo:
    """Slider update-gate bias (and reset-gate bias): the GRU state over time."""
    controls = {
        "update_bias": widgets.FloatSlider(value=-5.0, min=-8.0, max=4.0, step=1.5,
                                           description="update bias"),
        "reset_bias": widgets.FloatSlider(value=-5.0, min=-5.0, max=5.0, step=2.5,
                                          description="reset bias"),
    }
    T = len(VALUES)
    steps = np.arange(1, T + 1)
    fig = BlitFigure((7.2, 3.4))
    ax, ax_g = fig.fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (2, 1)})
    ax.set_xlim(0.5, T + 0.5)
    ax.set_ylim(-1.2, 1.6)
    ax.axhline(0, color="gray", lw=0.5)
    for t, (v, w) in enumerate(zip(VALUES, GRU_WRITE, strict=True), start=1):
        ax.text(t, 1.55, f"{v:+.1f}" + ("\nwrite" if w else ""), ha="center", va="top",
                fontsize=6.5)
    (a_line,) = ax.plot([], [], "o-", color="C0", label="state a<t>")
    (c_line,) = ax.plot([], [], "s:", color="C1", label="candidate c~<t>")
    ax.legend(fontsize=7, loc="lower left", ncol=2)
    image = ax_g.imshow(np.zeros((2, T)), cmap="Greens", vmin=0, vmax=1, aspect="auto",
                        extent=(0.5, T + 0.5, 1.5, -0.5))
    ax_g.set_yticks(range(2), ("update u", "reset r"), fontsize=7)
    ax_g.set_xticks(steps)
    ax_g.set_xlabel("time step t", fontsize=8)
    fig.fig.tight_layout()
    fig.animate(a_line, c_line, image)

    def draw(r: dict) -> None:
        a_line.set_data(steps, r["a"])
        c_line.set_data(steps, r["candidate"])
        image.set_data(np.vstack([r["update"], r["reset"]]))

    def describe(r: dict) -> str:
        kept = 1 - r["update"][np.array(GRU_WRITE) == 0].mean()
        return (f"Update bias {r['update_bias']:+.1f}, reset bias {r['reset_bias']:+.1f}: "
                f"on steps without <i>write</i> the unit keeps {100 * kept:.0f}% of its state "
                "(1 - u); on write steps it takes the candidate. One gate does both jobs: "
                "what is written replaces what is forgotten, a' = u c~ + (1 - u) a. "
                f"Final state {r['a'][-1]:+.2f}.")

    return Demo(title="A GRU unit: one gate to keep or replace", controls=controls,
                main="update_bias", compute=gru_gates, draw=draw, figure=fig,
                describe=describe)


T_LONG = 40
N_A = 8
N_X = 3


def input_sensitivity(gate_bias: float, seed: int = 0) -> dict:
    """||d a<T> / d x<t>|| (Frobenius) for t = 1..T, for an RNN, a GRU and an LSTM.

    Batch = n_a copies of one random sequence, upstream gradient = identity at the last
    step, so dx holds the whole Jacobian. LSTM forget bias = +gate_bias, GRU update
    bias = -gate_bias (u near 0 keeps the old state). `memory` is how far a<T> moves
    when the first input is negated: the memory itself, not just its gradient.
    """
    rng = np.random.default_rng(seed + 11)
    x = np.repeat(rng.standard_normal((N_X, 1, T_LONG)), N_A, axis=1)
    a0 = np.zeros((N_A, N_A))
    da = np.zeros((N_A, N_A, T_LONG))
    da[:, :, -1] = np.eye(N_A)
    flipped = x[:, :1].copy()  # the same sequence with the first input negated
    flipped[:, :, 0] *= -1
    rnn_p = init_rnn_parameters(N_X, N_A, 1, rng=seed)
    a, _, caches = rnn_forward(x, a0, rnn_p)
    curves = {"RNN": rnn_backward(da, caches)["dx"]}
    memory = {"RNN": a[:, 0, -1] - rnn_forward(flipped, a0[:, :1], rnn_p)[0][:, 0, -1]}
    gru_p = init_gru_parameters(N_X, N_A, rng=seed)
    gru_p["bu"] = np.full((N_A, 1), -float(gate_bias))
    a, caches = gru_forward(x, a0, gru_p)
    curves["GRU"] = gru_backward(da, caches)["dx"]
    memory["GRU"] = a[:, 0, -1] - gru_forward(flipped, a0[:, :1], gru_p)[0][:, 0, -1]
    lstm_p = init_lstm_parameters(N_X, N_A, 1, rng=seed, forget_bias=float(gate_bias))
    a, _, _, caches = lstm_forward(x, a0, lstm_p)
    curves["LSTM"] = lstm_backward(da, caches)["dx"]
    memory["LSTM"] = a[:, 0, -1] - lstm_forward(flipped, a0[:, :1], lstm_p)[0][:, 0, -1]
    norms = {k: np.linalg.norm(v, axis=(0, 1)) for k, v in curves.items()}
    return {"gate_bias": gate_bias, "steps": np.arange(1, T_LONG + 1), "norms": norms,
            "memory": {k: float(np.linalg.norm(v)) for k, v in memory.items()}}


def long_dependency_demo() -> Demo:
    """Slider gate bias: how much a<T> still depends on each earlier input."""
    controls = {
        "gate_bias": widgets.FloatSlider(value=1.0, min=-2.0, max=6.0, step=1.0,
                                         description="gate bias b"),
        "seed": widgets.IntSlider(value=0, min=0, max=5, description="seed"),
    }
    fig = BlitFigure((6.4, 3.0))
    ax = fig.fig.subplots()
    ax.set_yscale("log")
    ax.set_xlim(0, T_LONG + 1)
    ax.set_ylim(1e-12, 1e2)
    ax.set_xlabel("input step t (a<T> is read at the last step)", fontsize=8)
    ax.set_ylabel("||d a<T> / d x<t>||", fontsize=8)
    lines = {name: ax.plot([], [], color=f"C{i}", ls=style.LINESTYLES[i], label=name)[0]
             for i, name in enumerate(("RNN", "GRU", "LSTM"))}
    ax.legend(fontsize=8, loc="lower right")
    fig.fig.tight_layout()
    fig.animate(*lines.values())

    def draw(r: dict) -> None:
        for name, line in lines.items():
            line.set_data(r["steps"], np.maximum(r["norms"][name], 1e-300))

    def describe(r: dict) -> str:
        first = ", ".join(f"{k} {v[0]:.1e}" for k, v in r["norms"].items())
        memory = ", ".join(f"{k} {v:.1e}" for k, v in r["memory"].items())
        return (f"Gate bias b = {r['gate_bias']:+.0f}. Sensitivity of the last state to the "
                f"first input: {first}. Negating the first input moves the last state by: "
                f"{memory}. The RNN's sensitivity shrinks geometrically; the gated cells "
                "add to their memory instead of rewriting it, and with b large (forget gate "
                "open, update gate shut) the first input is still felt after "
                f"{T_LONG} steps.")

    return Demo(title="Remembering across 40 steps: RNN, GRU, LSTM", controls=controls,
                main="gate_bias", compute=input_sensitivity, draw=draw, figure=fig,
                describe=describe)
