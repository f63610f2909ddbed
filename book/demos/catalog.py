"""Every demo of the book, by chapter file (used by the tests and the benchmark)."""

from __future__ import annotations

from collections.abc import Callable

from . import (
    architectures,
    bptt,
    char_lm,
    forward_pass,
    gru_lstm,
    notation,
    vanishing_gradients,
    why_sequences,
)
from .widget import Demo

DEMOS: dict[str, list[Callable[[], Demo]]] = {
    "01_why_sequences": [why_sequences.parameter_count_demo, why_sequences.word_order_demo],
    "02_notation": [notation.one_hot_demo, notation.shapes_demo],
    "03_forward_pass": [forward_pass.step_through_demo, forward_pass.word_boundaries_demo],
    "04_bptt": [bptt.contributions_demo, bptt.truncation_demo],
    "05_vanishing_gradients": [vanishing_gradients.gradient_decay_demo,
                               vanishing_gradients.cliff_demo],
    "06_gru_lstm": [gru_lstm.memory_cell_demo, gru_lstm.gru_gates_demo,
                    gru_lstm.long_dependency_demo],
    "07_architectures": [architectures.architecture_demo, architectures.bidirectional_demo,
                         architectures.attention_demo],
    "08_char_lm_project": [char_lm.temperature_demo, char_lm.training_demo],
}
