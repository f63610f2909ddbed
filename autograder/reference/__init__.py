"""The shared numpy reference implementation of recurrent networks (float64).

Shapes are (features, batch, time): x (n_x, m, T_x), hidden states (n_a, m, T_x),
predictions (n_y, m, T_x). Every forward function returns a cache; every backward
function takes the upstream gradient and that cache and returns a dict of gradients.
"""

from .activations import relu, sigmoid, softmax
from .clipping import clip, clip_by_norm, global_norm
from .gradcheck import numerical_gradient, rel_error
from .gru import gru_backward, gru_cell_backward, gru_cell_forward, gru_forward
from .gru_torch import (
    gru_torch_backward,
    gru_torch_cell_backward,
    gru_torch_cell_forward,
    gru_torch_forward,
)
from .initializers import (
    init_gru_parameters,
    init_gru_torch_parameters,
    init_irnn_parameters,
    init_lstm_parameters,
    init_rnn_parameters,
)
from .losses import cross_entropy, perplexity
from .lstm import lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward
from .rnn import rnn_backward, rnn_cell_backward, rnn_cell_forward, rnn_forward

__all__ = [
    "clip",
    "clip_by_norm",
    "cross_entropy",
    "global_norm",
    "gru_backward",
    "gru_cell_backward",
    "gru_cell_forward",
    "gru_forward",
    "gru_torch_backward",
    "gru_torch_cell_backward",
    "gru_torch_cell_forward",
    "gru_torch_forward",
    "init_gru_parameters",
    "init_gru_torch_parameters",
    "init_irnn_parameters",
    "init_lstm_parameters",
    "init_rnn_parameters",
    "lstm_backward",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "lstm_forward",
    "numerical_gradient",
    "perplexity",
    "rel_error",
    "relu",
    "rnn_backward",
    "rnn_cell_backward",
    "rnn_cell_forward",
    "rnn_forward",
    "sigmoid",
    "softmax",
]
