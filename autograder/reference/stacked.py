"""Stacked (deep) RNNs: L recurrent layers, each reading the hidden states of the one below.

    a[1]<t> = cell(x<t>,      a[1]<t-1>)
    a[l]<t> = cell(a[l-1]<t>, a[l]<t-1>)      l = 2 .. L

Every layer is the core RNN (cell="rnn", tanh or relu) or LSTM (cell="lstm") with its
own parameters: `parameters` is a list of L dicts, counted from 0 as in PyTorch;
parameters[0] reads x (input size n_x), parameters[l] reads the states of layer l - 1.
An RNN layer needs Wax, Waa, ba; an LSTM layer Wf, Wi, Wc, Wo, bf, bi, bc, bo (any
output-layer keys are ignored: an output layer reads the top layer's states). This is
what `torch.nn.RNN` / `nn.LSTM` with num_layers = L compute (without dropout).
"""

from __future__ import annotations

import numpy as np

from ._validate import check_array, check_choice, check_parameters, check_steps
from .initializers import Rng, init_lstm_parameters, init_rnn_parameters
from .lstm import lstm_backward, lstm_forward
from .rnn import ACTIVATIONS, rnn_backward, rnn_forward

CELLS = ("rnn", "lstm")
LSTM_KEYS = ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo")
RNN_KEYS = ("Wax", "Waa", "ba")


def _layer(cell: str, p: dict) -> dict:
    """The core cell's parameter dict for one layer; its output layer is unused (1 unit)."""
    n_a = p["ba" if cell == "rnn" else "bf"].shape[0]
    keys = RNN_KEYS if cell == "rnn" else LSTM_KEYS
    out = {key: p[key] for key in keys}
    out["Wya" if cell == "rnn" else "Wy"] = np.zeros((1, n_a))
    out["by"] = np.zeros((1, 1))
    return out


def _check_layers(func: str, parameters: object, cell: str, n_x: int) -> list[int]:
    """Validate every layer's parameters; return the widths n_a of the layers."""
    if not isinstance(parameters, (list, tuple)) or not parameters:
        raise ValueError(
            f"{func}: parameters must be a non-empty list of per-layer dicts, "
            f"got {type(parameters).__name__}"
        )
    widths = []
    n_in = n_x
    for layer, p in enumerate(parameters):
        where = f"{func}: layer {layer}"
        bias = "ba" if cell == "rnn" else "bf"
        check_parameters(where, p, {bias: ((None, 1), "(n_a, 1)")})
        n_a = p[bias].shape[0]
        into = f"layer {layer}: n_a = {n_a} from {bias}, input size {n_in}"
        if cell == "rnn":
            shapes = {
                "Wax": ((n_a, n_in), "(n_a, n_in)"),
                "Waa": ((n_a, n_a), "(n_a, n_a)"),
                "ba": ((n_a, 1), "(n_a, 1)"),
            }
        else:
            shapes = {f"W{g}": ((n_a, n_a + n_in), "(n_a, n_a + n_in)") for g in "fico"}
            shapes.update({f"b{g}": ((n_a, 1), "(n_a, 1)") for g in "fico"})
        check_parameters(where, p, shapes, into)
        widths.append(n_a)
        n_in = n_a
    return widths


def _initial_states(func: str, name: str, states: object, widths: list[int], m: int) -> list:
    if states is None:
        return [np.zeros((n_a, m)) for n_a in widths]
    if not isinstance(states, (list, tuple)) or len(states) != len(widths):
        raise ValueError(
            f"{func}: {name} must be None or a list of {len(widths)} arrays (one per layer), "
            f"got {type(states).__name__}"
            + (f" of length {len(states)}" if isinstance(states, (list, tuple)) else "")
        )
    for layer, (s, n_a) in enumerate(zip(states, widths, strict=True)):
        check_array(func, f"{name}[{layer}]", s, (n_a, m), f"(n_a of layer {layer}, m)")
    return list(states)


def stacked_rnn_forward(
    x: np.ndarray,
    a0: list[np.ndarray] | None,
    parameters: list[dict],
    cell: str = "rnn",
    activation: str = "tanh",
    c0: list[np.ndarray] | None = None,
) -> tuple[list[np.ndarray], tuple]:
    """Run L layers over x (n_x, m, T_x).

    a0: list of L initial states (n_a_l, m), or None for zeros; c0 likewise (LSTM only).
    activation: "tanh" or "relu" for cell="rnn" (the LSTM has its own nonlinearities).
    Returns a, the list of every layer's hidden states (n_a_l, m, T_x) (a[-1] is the top
    layer), and caches for stacked_rnn_backward.
    """
    func = "stacked_rnn_forward"
    check_choice(func, "cell", cell, CELLS)
    check_choice(func, "activation", activation, ACTIVATIONS)
    if cell == "lstm" and activation != "tanh":
        raise ValueError(f"{func}: activation applies to cell='rnn' only, got {activation!r}")
    if cell == "rnn" and c0 is not None:
        raise ValueError(f"{func}: c0 is for cell='lstm' only")
    check_array(func, "x", x, (None, None, None), "(n_x, m, T_x)")
    n_x, m, T_x = x.shape
    check_steps(func, T_x)
    widths = _check_layers(func, parameters, cell, n_x)
    a0 = _initial_states(func, "a0", a0, widths, m)
    if cell == "lstm":
        c0 = _initial_states(func, "c0", c0, widths, m)

    a, layer_caches = [], []
    inputs = x
    for layer, p in enumerate(parameters):
        if cell == "rnn":
            a_l, _, cache = rnn_forward(inputs, a0[layer], _layer(cell, p), activation)
        else:
            a_l, _, _, cache = lstm_forward(inputs, a0[layer], _layer(cell, p), c0[layer])
        a.append(a_l)
        layer_caches.append(cache)
        inputs = a_l
    return a, (layer_caches, cell, activation, widths)


def stacked_rnn_backward(da: np.ndarray, caches: tuple) -> dict:
    """Backward pass: da (n_a_L, m, T_x) is the gradient on the top layer's hidden states.

    Returns {"dx": (n_x, m, T_x), "da0": list of (n_a_l, m), "layers": list of L gradient
    dicts ({dWax, dWaa, dba} or {dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo})}, plus
    "dc0" (list) for the LSTM. The gradient on layer l's inputs is layer l-1's da.
    """
    func = "stacked_rnn_backward"
    if not (isinstance(caches, tuple) and len(caches) == 4 and caches[1] in CELLS):
        raise ValueError(
            f"{func}: caches must be the 4-tuple returned by stacked_rnn_forward, "
            f"got {type(caches).__name__}"
        )
    layer_caches, cell, activation, widths = caches
    _, m, T_x = layer_caches[-1][1].shape
    check_array(func, "da", da, (widths[-1], m, T_x), "(n_a of the top layer, m, T_x)")

    layers, da0, dc0 = [], [], []
    for layer in reversed(range(len(layer_caches))):
        if cell == "rnn":
            g = rnn_backward(da, layer_caches[layer], activation)
        else:
            g = lstm_backward(da, layer_caches[layer])
            dc0.append(g.pop("dc0"))
        da = g.pop("dx")  # the gradient on this layer's inputs = the layer below's states
        da0.append(g.pop("da0"))
        layers.append(g)
    grads = {"dx": da, "da0": da0[::-1], "layers": layers[::-1]}
    if cell == "lstm":
        grads["dc0"] = dc0[::-1]
    return grads


def init_stacked_parameters(
    n_x: int, widths: list[int], cell: str = "rnn", rng: Rng = 0
) -> list[dict]:
    """One parameter dict per layer, layer l of width widths[l] (RNN: Wax, Waa, ba;
    LSTM: Wf, Wi, Wc, Wo, bf, bi, bc, bo with the forget bias at 1)."""
    func = "init_stacked_parameters"
    check_choice(func, "cell", cell, CELLS)
    if not isinstance(widths, (list, tuple)) or not widths:
        raise ValueError(f"{func}: widths must be a non-empty list of layer widths")
    g = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    layers, n_in = [], n_x
    for n_a in widths:
        if cell == "rnn":
            p = init_rnn_parameters(n_in, n_a, 1, g)
            layers.append({key: p[key] for key in RNN_KEYS})
        else:
            p = init_lstm_parameters(n_in, n_a, 1, g)
            layers.append({key: p[key] for key in LSTM_KEYS})
        n_in = n_a
    return layers
