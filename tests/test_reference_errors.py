"""Bad input raises ValueError naming the argument, the shape it had and the one needed."""

import numpy as np
import pytest

from autograder import reference as ref

rng = np.random.default_rng(0)
n_x, n_a, n_y, m, T = 3, 5, 2, 4, 6
X = rng.standard_normal((n_x, m, T))
A0 = rng.standard_normal((n_a, m))
RNN = ref.init_rnn_parameters(n_x, n_a, n_y)
LSTM = ref.init_lstm_parameters(n_x, n_a, n_y)
GRU = ref.init_gru_parameters(n_x, n_a)
GRU_TORCH = ref.init_gru_torch_parameters(n_x, n_a)


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: ref.rnn_cell_forward(X[:, :, 0], A0[:, :3], RNN),
         r"a_prev has shape \(5, 3\), expected \(n_a, m\) = \(\?, 4\)"),
        (lambda: ref.rnn_cell_forward(X[:, :, 0].T, A0, RNN),
         r"a_prev has shape \(5, 4\), expected \(n_a, m\) = \(\?, 3\)"),
        (lambda: ref.rnn_forward(X[:, :, 0], A0, RNN),
         r"rnn_forward: x has shape \(3, 4\), expected \(n_x, m, T_x\)"),
        (lambda: ref.rnn_forward(X, A0, {**RNN, "Waa": np.zeros((5, 4))}),
         r"parameters\['Waa'\] has shape \(5, 4\), expected \(n_a, n_a\) = \(5, 5\)"),
        (lambda: ref.rnn_forward(X, A0, {k: v for k, v in RNN.items() if k != "by"}),
         r"parameters is missing 'by'"),
        (lambda: ref.rnn_forward(X, A0, RNN, activation="sigmoid"), r"activation must be one of"),
        (lambda: ref.rnn_forward(X[:, :, :0], A0, RNN), r"T_x = 0"),
        (lambda: ref.rnn_forward(X.tolist(), A0, RNN), r"x must be a numpy array"),
        (lambda: ref.lstm_cell_forward(X[:, :, 0], A0, A0[:2], LSTM),
         r"c_prev has shape \(2, 4\), expected \(n_a, m\) = \(5, 4\)"),
        (lambda: ref.lstm_forward(X, A0, {**LSTM, "Wf": np.zeros((5, 7))}),
         r"parameters\['Wf'\] has shape \(5, 7\), expected \(n_a, n_a \+ n_x\) = \(5, 8\)"),
        (lambda: ref.lstm_forward(X, A0, RNN), r"parameters is missing 'Wf'"),
        (lambda: ref.gru_forward(X, A0, {**GRU, "bu": np.zeros(5)}),
         r"parameters\['bu'\] has shape \(5,\), expected \(n_a, 1\) = \(5, 1\)"),
        (lambda: ref.gru_torch_forward(X, A0, {**GRU_TORCH, "Whn": np.zeros((3, 5))}),
         r"parameters\['Whn'\] has shape \(3, 5\), expected \(n_a, n_a\) = \(5, 5\)"),
        (lambda: ref.softmax(np.float64(1.0)), r"softmax: z must have a class axis"),
        (lambda: ref.cross_entropy(np.full((4, 2), 0.25), np.array([0, 4])),
         r"outside \[0, 4\)"),
        (lambda: ref.cross_entropy(np.full((4, 2), 0.25), np.array([0.0, 1.0])),
         r"y has shape \(2,\) \(dtype float64\)"),
    ],
)  # fmt: skip
def test_forward_errors_name_the_argument(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_backward_errors():
    a, _, caches = ref.rnn_forward(X, A0, RNN)
    with pytest.raises(ValueError, match=r"da has shape \(5, 4, 5\), expected \(n_a, m, T_x\)"):
        ref.rnn_backward(a[:, :, :5], caches)
    with pytest.raises(ValueError, match=r"caches must be the \(list of cell caches, x\) pair"):
        ref.rnn_backward(a, caches[0])
    _, _, _, lstm_caches = ref.lstm_forward(X, A0, LSTM)
    with pytest.raises(ValueError, match="cache must be the 10-tuple"):
        ref.lstm_cell_backward(A0, A0, caches[0][0])
    with pytest.raises(ValueError, match=r"dc_next has shape \(5, 3\)"):
        ref.lstm_cell_backward(A0, A0[:, :3], lstm_caches[0][0])
    with pytest.raises(ValueError, match="4-tuple"):
        ref.rnn_backward(a, lstm_caches)


def test_initialisers_reject_bad_sizes():
    with pytest.raises(ValueError, match="n_a must be a positive integer, got 0"):
        ref.init_rnn_parameters(3, 0, 2)
    with pytest.raises(ValueError, match="n_x must be a positive integer"):
        ref.init_lstm_parameters(2.5, 3, 2)
