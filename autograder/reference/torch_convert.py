"""Converters between the reference's parameter dicts and PyTorch's state-dict layouts.

Plain numpy on both sides, no torch import: `torch_state = {k: torch.from_numpy(v) for
k, v in rnn_to_torch(parameters).items()}` loads into `torch.nn.RNN`, and
`rnn_from_torch({k: v.numpy() for k, v in module.state_dict().items()})` comes back.

PyTorch stores one layer of a recurrent module as

    weight_ih_l{k}{sfx}  (G * n_a, n_x)   input-to-hidden weights of the G gates, stacked
    weight_hh_l{k}{sfx}  (G * n_a, n_a)   hidden-to-hidden weights of the G gates, stacked
    bias_ih_l{k}{sfx}    (G * n_a,)       and two biases, added together
    bias_hh_l{k}{sfx}    (G * n_a,)

with `k` the layer and `sfx` "" for the forward direction, "_reverse" for the backward
direction of a bidirectional module. The gates are stacked in the order

    nn.RNN   G = 1:  the cell itself                    <->  Wax, Waa, ba
    nn.LSTM  G = 4:  i, f, g (the candidate), o         <->  Wi, Wf, Wc, Wo (and biases)
    nn.GRU   G = 3:  r, z, n                            <->  gru_torch's Wir, Wiz, Win, ...

The reference's LSTM weights act on the concatenation [a_prev; x]: their first n_a
columns are PyTorch's `weight_hh` rows, the remaining n_x columns its `weight_ih` rows.
PyTorch has two biases where the RNN and the LSTM have one; going to PyTorch the bias
goes into `bias_ih` and `bias_hh` is zero, coming back the two are added. So
reference -> torch -> reference is exact, and torch -> reference -> torch gives a module
that computes the same function (its biases are re-split). The output layer (Wya, by or
Wy, by) is an `nn.Linear` in PyTorch: see `linear_to_torch` / `linear_from_torch`.

There is no converter for the GRU of gru.py (Ng's form). Its update gate u is PyTorch's
1 - z (PyTorch's z weights the old state, as in Cho et al. 2014; a sign flip of the
weights would handle that), but its candidate is
tanh(Wc [r * a_prev; x] + bc): the reset gate multiplies a_prev *before* the matrix
product. PyTorch computes tanh(Win x + bin + r * (Whn h + bhn)), the gate applied
*after* the product (Cho et al.'s arXiv v1; gru.py follows their v3).
W (r * a) = r * (W a) for every r only when W is diagonal, so no choice of weights makes
one cell compute the other: the two are different models that merely share a name. Use
gru_torch.py when you want to compare with `torch.nn.GRU`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._validate import check_array, check_parameters

LSTM_TORCH_GATES = ("i", "f", "c", "o")  # PyTorch's order i, f, g, o; g is our c
GRU_TORCH_GATES = ("r", "z", "n")


def _names(func: str, layer: int, suffix: str) -> tuple[str, str, str, str]:
    """PyTorch's key names weight_ih, weight_hh, bias_ih, bias_hh of one layer/direction."""
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or layer < 0:
        raise ValueError(f"{func}: layer must be a non-negative integer, got {layer!r}")
    if suffix not in ("", "_reverse"):
        raise ValueError(f"{func}: suffix must be '' or '_reverse', got {suffix!r}")
    kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return tuple(f"{kind}_l{layer}{suffix}" for kind in kinds)


def _as_arrays(func: str, state: object) -> dict:
    """Copy a state dict to float64 numpy arrays (anything with __array__ is accepted)."""
    if not isinstance(state, Mapping):
        raise ValueError(f"{func}: state_dict must be a dict of arrays, got {type(state).__name__}")
    out = {}
    for key, value in state.items():
        if not isinstance(value, np.ndarray) and hasattr(value, "__array__"):
            value = np.asarray(value)
        out[key] = value
    return out


def _read_torch_layer(
    func: str, state: object, gates: int, layer: int, suffix: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Validated (W_ih, W_hh, b_ih, b_hh, n_x, n_a) of one layer; a missing bias is zeros
    (a module built with bias=False has neither)."""
    w_ih, w_hh, b_ih, b_hh = _names(func, layer, suffix)
    state = _as_arrays(func, state)
    for key in (w_ih, w_hh):
        if key not in state:
            raise ValueError(f"{func}: state_dict is missing {key!r} (has {sorted(state)})")
    G = "" if gates == 1 else f"{gates} * "
    check_array(func, f"state_dict[{w_hh!r}]", state[w_hh], (None, None), f"({G}n_a, n_a)")
    n_a = state[w_hh].shape[1]
    check_array(func, f"state_dict[{w_hh!r}]", state[w_hh], (gates * n_a, n_a), f"({G}n_a, n_a)")
    check_array(func, f"state_dict[{w_ih!r}]", state[w_ih], (gates * n_a, None), f"({G}n_a, n_x)")
    zeros = np.zeros(gates * n_a)
    for key in (b_ih, b_hh):
        if key in state:
            check_array(func, f"state_dict[{key!r}]", state[key], (gates * n_a,), f"({G}n_a,)")
    return (
        np.array(state[w_ih], dtype=np.float64),
        np.array(state[w_hh], dtype=np.float64),
        np.array(state.get(b_ih, zeros), dtype=np.float64),
        np.array(state.get(b_hh, zeros), dtype=np.float64),
        state[w_ih].shape[1],
        n_a,
    )


def _infer_sizes(func: str, parameters: object, key: str, dims: str) -> tuple[int, int]:
    if not isinstance(parameters, Mapping) or key not in parameters:
        check_parameters(func, parameters, {key: ((None, None), dims)})
    check_array(func, f"parameters[{key!r}]", parameters[key], (None, None), dims)
    return parameters[key].shape


def _with_output_layer(
    parameters: dict, linear: Mapping | None, w: str, b: str, n_a: int, func: str
) -> dict:
    if linear is not None:
        weight, bias = linear_from_torch(linear)
        if weight.shape[1] != n_a:
            raise ValueError(
                f"{func}: linear['weight'] has shape {weight.shape}, expected (n_y, {n_a})"
            )
        parameters[w], parameters[b] = weight, bias
    return parameters


# ---------------------------------------------------------------------------- vanilla RNN


def rnn_to_torch(parameters: dict, layer: int = 0, suffix: str = "") -> dict[str, np.ndarray]:
    """RNN parameters Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1) -> nn.RNN state dict.

    Returns weight_ih_l{layer} = Wax, weight_hh_l{layer} = Waa, bias_ih_l{layer} = ba
    (as shape (n_a,)) and bias_hh_l{layer} = zeros; keys carry `suffix` ("_reverse" for
    the backward direction). Wya, by are not part of nn.RNN (see linear_to_torch).
    For activation="relu" build the module with nn.RNN(..., nonlinearity="relu").
    """
    func = "rnn_to_torch"
    n_a, n_x = _infer_sizes(func, parameters, "Wax", "(n_a, n_x)")
    check_parameters(
        func,
        parameters,
        {
            "Wax": ((n_a, n_x), "(n_a, n_x)"),
            "Waa": ((n_a, n_a), "(n_a, n_a)"),
            "ba": ((n_a, 1), "(n_a, 1)"),
        },
        f"n_a = {n_a}, n_x = {n_x} from Wax",
    )
    w_ih, w_hh, b_ih, b_hh = _names(func, layer, suffix)
    return {
        w_ih: np.array(parameters["Wax"], dtype=np.float64),
        w_hh: np.array(parameters["Waa"], dtype=np.float64),
        b_ih: np.array(parameters["ba"], dtype=np.float64).reshape(n_a),
        b_hh: np.zeros(n_a),
    }


def rnn_from_torch(
    state_dict: Mapping, layer: int = 0, suffix: str = "", linear: Mapping | None = None
) -> dict[str, np.ndarray]:
    """nn.RNN state dict (numpy arrays) -> Wax, Waa, ba with ba = bias_ih + bias_hh.

    `linear`: optional nn.Linear state dict {"weight" (n_y, n_a), "bias" (n_y,)} of the
    output layer, which adds Wya and by (needed by rnn_forward).
    """
    func = "rnn_from_torch"
    w_ih, w_hh, b_ih, b_hh, _, n_a = _read_torch_layer(func, state_dict, 1, layer, suffix)
    parameters = {"Wax": w_ih, "Waa": w_hh, "ba": (b_ih + b_hh).reshape(n_a, 1)}
    return _with_output_layer(parameters, linear, "Wya", "by", n_a, func)


# ---------------------------------------------------------------------------------- LSTM


def lstm_to_torch(parameters: dict, layer: int = 0, suffix: str = "") -> dict[str, np.ndarray]:
    """LSTM parameters Wf, Wi, Wc, Wo (n_a, n_a + n_x), bf, bi, bc, bo (n_a, 1) -> nn.LSTM
    state dict, gates stacked in PyTorch's order i, f, g (= c), o:

        weight_ih (4 n_a, n_x) = [Wi[:, n_a:]; Wf[:, n_a:]; Wc[:, n_a:]; Wo[:, n_a:]]
        weight_hh (4 n_a, n_a) = [Wi[:, :n_a]; Wf[:, :n_a]; Wc[:, :n_a]; Wo[:, :n_a]]
        bias_ih (4 n_a,) = [bi; bf; bc; bo],  bias_hh = zeros.
    """
    func = "lstm_to_torch"
    n_a, n_concat = _infer_sizes(func, parameters, "Wf", "(n_a, n_a + n_x)")
    n_x = n_concat - n_a
    if n_x < 1:
        raise ValueError(
            f"{func}: parameters['Wf'] has shape {(n_a, n_concat)}, expected (n_a, n_a + n_x) "
            "with n_x >= 1"
        )
    shapes = {}
    for g in LSTM_TORCH_GATES:
        shapes[f"W{g}"] = ((n_a, n_a + n_x), "(n_a, n_a + n_x)")
        shapes[f"b{g}"] = ((n_a, 1), "(n_a, 1)")
    check_parameters(func, parameters, shapes, f"n_a = {n_a}, n_x = {n_x} from Wf")
    w_ih, w_hh, b_ih, b_hh = _names(func, layer, suffix)
    W = np.concatenate([parameters[f"W{g}"] for g in LSTM_TORCH_GATES], axis=0).astype(np.float64)
    b = np.concatenate([parameters[f"b{g}"] for g in LSTM_TORCH_GATES], axis=0)
    return {
        w_ih: np.ascontiguousarray(W[:, n_a:]),
        w_hh: np.ascontiguousarray(W[:, :n_a]),
        b_ih: np.array(b, dtype=np.float64).reshape(4 * n_a),
        b_hh: np.zeros(4 * n_a),
    }


def lstm_from_torch(
    state_dict: Mapping, layer: int = 0, suffix: str = "", linear: Mapping | None = None
) -> dict[str, np.ndarray]:
    """nn.LSTM state dict (numpy arrays) -> Wf, Wi, Wc, Wo (n_a, n_a + n_x), bf, bi, bc, bo
    (n_a, 1) with each bias = bias_ih + bias_hh; `linear` (nn.Linear state dict) adds Wy, by.
    """
    func = "lstm_from_torch"
    w_ih, w_hh, b_ih, b_hh, _, n_a = _read_torch_layer(func, state_dict, 4, layer, suffix)
    b = b_ih + b_hh
    parameters = {}
    for k, g in enumerate(LSTM_TORCH_GATES):
        rows = slice(k * n_a, (k + 1) * n_a)
        parameters[f"W{g}"] = np.concatenate([w_hh[rows], w_ih[rows]], axis=1)
        parameters[f"b{g}"] = b[rows].reshape(n_a, 1)
    return _with_output_layer(parameters, linear, "Wy", "by", n_a, func)


# ------------------------------------------------------------------- GRU (PyTorch form)


def gru_torch_to_torch(parameters: dict, layer: int = 0, suffix: str = "") -> dict[str, np.ndarray]:
    """gru_torch parameters -> nn.GRU state dict (exact both ways, gates r, z, n):

    weight_ih = [Wir; Wiz; Win] (3 n_a, n_x),   weight_hh = [Whr; Whz; Whn] (3 n_a, n_a),
    bias_ih = [bir; biz; bin] (3 n_a,),         bias_hh = [bhr; bhz; bhn] (3 n_a,).
    """
    func = "gru_torch_to_torch"
    n_a, n_x = _infer_sizes(func, parameters, "Wir", "(n_a, n_x)")
    shapes = {}
    for g in GRU_TORCH_GATES:
        shapes[f"Wi{g}"] = ((n_a, n_x), "(n_a, n_x)")
        shapes[f"Wh{g}"] = ((n_a, n_a), "(n_a, n_a)")
        shapes[f"bi{g}"] = ((n_a, 1), "(n_a, 1)")
        shapes[f"bh{g}"] = ((n_a, 1), "(n_a, 1)")
    check_parameters(func, parameters, shapes, f"n_a = {n_a}, n_x = {n_x} from Wir")
    w_ih, w_hh, b_ih, b_hh = _names(func, layer, suffix)

    def stack(prefix: str) -> np.ndarray:
        return np.concatenate([parameters[f"{prefix}{g}"] for g in GRU_TORCH_GATES], axis=0)

    return {
        w_ih: stack("Wi").astype(np.float64),
        w_hh: stack("Wh").astype(np.float64),
        b_ih: stack("bi").astype(np.float64).reshape(3 * n_a),
        b_hh: stack("bh").astype(np.float64).reshape(3 * n_a),
    }


def gru_torch_from_torch(
    state_dict: Mapping, layer: int = 0, suffix: str = ""
) -> dict[str, np.ndarray]:
    """nn.GRU state dict (numpy arrays) -> gru_torch parameters Wir, Wiz, Win (n_a, n_x),
    Whr, Whz, Whn (n_a, n_a), bir, biz, bin, bhr, bhz, bhn (n_a, 1). Missing biases
    (a module built with bias=False) become zeros."""
    func = "gru_torch_from_torch"
    w_ih, w_hh, b_ih, b_hh, _, n_a = _read_torch_layer(func, state_dict, 3, layer, suffix)
    parameters = {}
    for k, g in enumerate(GRU_TORCH_GATES):
        rows = slice(k * n_a, (k + 1) * n_a)
        parameters[f"Wi{g}"] = w_ih[rows].copy()
        parameters[f"Wh{g}"] = w_hh[rows].copy()
        parameters[f"bi{g}"] = b_ih[rows].reshape(n_a, 1)
        parameters[f"bh{g}"] = b_hh[rows].reshape(n_a, 1)
    return parameters


# ------------------------------------------------------------------------- output layer


def linear_to_torch(weight: np.ndarray, bias: np.ndarray) -> dict[str, np.ndarray]:
    """An output layer W (n_y, n_a), b (n_y, 1) (e.g. Wya, by) -> nn.Linear state dict
    {"weight" (n_y, n_a), "bias" (n_y,)}."""
    func = "linear_to_torch"
    check_array(func, "weight", weight, (None, None), "(n_y, n_a)")
    check_array(func, "bias", bias, (weight.shape[0], 1), "(n_y, 1)")
    return {
        "weight": np.array(weight, dtype=np.float64),
        "bias": np.array(bias, dtype=np.float64).reshape(weight.shape[0]),
    }


def linear_from_torch(state_dict: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """nn.Linear state dict {"weight" (n_y, n_a), "bias" (n_y,)} -> (W (n_y, n_a), b (n_y, 1))."""
    func = "linear_from_torch"
    state = _as_arrays(func, state_dict)
    if "weight" not in state:
        raise ValueError(f"{func}: state_dict is missing 'weight' (has {sorted(state)})")
    check_array(func, "state_dict['weight']", state["weight"], (None, None), "(n_y, n_a)")
    n_y = state["weight"].shape[0]
    bias = state.get("bias", np.zeros(n_y))
    check_array(func, "state_dict['bias']", bias, (n_y,), "(n_y,)")
    return np.array(state["weight"], dtype=np.float64), np.array(bias, dtype=np.float64).reshape(
        n_y, 1
    )
