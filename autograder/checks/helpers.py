"""Recorded helper calls: what a correct caller hands the graded function it calls, and
what a correct helper answers (instructor side: computed with the reference).

A caller's case carries `helpers = {name: [[args, output], ...]}`; while the student's
caller runs, its `name` answers those very arguments with the recorded output (see
`calling`), so a wrong helper never costs the caller points, and a wrong caller still
fails in its own name. Everything here is plain data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from autograder import reference as ref

from .core import Case
from .plain import to_plain


def with_helpers(cases: list[Case], name: str, record: Callable[..., list]) -> list[Case]:
    """The cases with a recorded table for helper `name` (record(*args, **kwargs))."""
    out = []
    for case in cases:
        try:
            table = record(*case.args, **case.kwargs)
        except (ValueError, TypeError, KeyError, IndexError):
            table = []  # inputs a correct caller rejects: nothing to record
        out.append(dataclasses.replace(case, helpers={**case.helpers, name: to_plain(table)})
                   if table else case)
    return out


def softmax_in_cell(xt, a_prev, parameters, activation="tanh") -> list:
    a_next = ref.rnn_cell_forward(xt, a_prev, parameters, activation=activation)[0]
    z = parameters["Wya"] @ a_next + parameters["by"]
    return [[(z,), ref.softmax(z)]]


def rnn_cells(x, a0, parameters) -> list:
    table, a = [], a0
    for t in range(x.shape[2]):
        out = ref.rnn_cell_forward(x[:, :, t], a, parameters)
        table.append([(x[:, :, t].copy(), a, parameters), out])
        a = out[0]
    return table


def gru_cells(x, a0, parameters) -> list:
    table, a = [], a0
    for t in range(x.shape[2]):
        out = ref.gru_cell_forward(x[:, :, t], a, parameters)
        table.append([(x[:, :, t].copy(), a, parameters), out])
        a = out[0]
    return table


def lstm_cells(x, a0, parameters, c0=None) -> list:
    table, a = [], a0
    c = np.zeros_like(a0) if c0 is None else c0
    for t in range(x.shape[2]):
        out = ref.lstm_cell_forward(x[:, :, t], a, c, parameters)
        table.append([(x[:, :, t].copy(), a, c, parameters), out])
        a, c = out[0], out[1]
    return table


def _backward_cells(cell_backward, da, caches, two=False) -> list:
    cell_caches, _ = caches
    table = []
    da_later = np.zeros_like(da[:, :, 0])
    dc_later = np.zeros_like(da[:, :, 0])
    for t in reversed(range(da.shape[2])):
        args = (da[:, :, t] + da_later, dc_later, cell_caches[t]) if two else \
            (da[:, :, t] + da_later, cell_caches[t])
        g = cell_backward(*args)
        table.append([args, g])
        da_later = g["da_prev"]
        if two:
            dc_later = g["dc_prev"]
    return table


def rnn_cells_backward(da, caches) -> list:
    return _backward_cells(ref.rnn_cell_backward, da, caches)


def gru_cells_backward(da, caches) -> list:
    return _backward_cells(ref.gru_cell_backward, da, caches)


def lstm_cells_backward(da, caches) -> list:
    return _backward_cells(ref.lstm_cell_backward, da, caches, two=True)


def cross_entropy_of(y_pred, y) -> list:
    return [[(y_pred, y), ref.cross_entropy(y_pred, y)]]


def global_norm_of(gradients, max_norm=None) -> list:
    return [[(gradients,), ref.global_norm(gradients)]]
