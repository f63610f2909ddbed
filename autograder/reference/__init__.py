"""The shared numpy reference implementation of recurrent networks (float64).

Shapes are (features, batch, time): x (n_x, m, T_x), hidden states (n_a, m, T_x),
predictions (n_y, m, T_x). Every forward function returns a cache; every backward
function takes the upstream gradient and that cache and returns a dict of gradients.
"""

from .activations import relu, sigmoid, softmax
from .attention import (
    attention_backward,
    attention_forward,
    init_seq2seq_attention_parameters,
    seq2seq_attention_backward,
    seq2seq_attention_forward,
)
from .bidirectional import (
    bidirectional_rnn_backward,
    bidirectional_rnn_forward,
    init_bidirectional_rnn_parameters,
)
from .char_lm import (
    build_vocabulary,
    char_lm_loss,
    char_lm_perplexity,
    char_lm_train,
    char_lm_train_step,
    char_lm_windows,
    decode,
    encode,
    next_char_probabilities,
    one_hot,
    sample,
)
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
from .optim import adagrad, adam, sgd
from .rnn import rnn_backward, rnn_cell_backward, rnn_cell_forward, rnn_forward
from .stacked import init_stacked_parameters, stacked_rnn_backward, stacked_rnn_forward
from .torch_convert import (
    gru_torch_from_torch,
    gru_torch_to_torch,
    linear_from_torch,
    linear_to_torch,
    lstm_from_torch,
    lstm_to_torch,
    rnn_from_torch,
    rnn_to_torch,
)

__all__ = [
    "adagrad",
    "adam",
    "attention_backward",
    "attention_forward",
    "bidirectional_rnn_backward",
    "bidirectional_rnn_forward",
    "build_vocabulary",
    "char_lm_loss",
    "char_lm_perplexity",
    "char_lm_train",
    "char_lm_train_step",
    "char_lm_windows",
    "clip",
    "clip_by_norm",
    "cross_entropy",
    "decode",
    "encode",
    "global_norm",
    "gru_backward",
    "gru_cell_backward",
    "gru_cell_forward",
    "gru_forward",
    "gru_torch_backward",
    "gru_torch_cell_backward",
    "gru_torch_cell_forward",
    "gru_torch_forward",
    "gru_torch_from_torch",
    "gru_torch_to_torch",
    "init_bidirectional_rnn_parameters",
    "init_gru_parameters",
    "init_gru_torch_parameters",
    "init_irnn_parameters",
    "init_lstm_parameters",
    "init_rnn_parameters",
    "init_seq2seq_attention_parameters",
    "init_stacked_parameters",
    "linear_from_torch",
    "linear_to_torch",
    "lstm_backward",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "lstm_forward",
    "lstm_from_torch",
    "lstm_to_torch",
    "next_char_probabilities",
    "numerical_gradient",
    "one_hot",
    "perplexity",
    "rel_error",
    "relu",
    "rnn_backward",
    "rnn_cell_backward",
    "rnn_cell_forward",
    "rnn_forward",
    "rnn_from_torch",
    "rnn_to_torch",
    "sample",
    "seq2seq_attention_backward",
    "seq2seq_attention_forward",
    "sgd",
    "sigmoid",
    "softmax",
    "stacked_rnn_backward",
    "stacked_rnn_forward",
]
