"""Diagrams of the book, drawn by code at build time in one style (see `draw.py`).

In a chapter, the last line of a cell shows a diagram as SVG:

    from diagrams import lstm_cell
    lstm_cell()
"""

from .cells import gru_cell, lstm_cell, rnn_cell
from .draw import Diagram
from .networks import bidirectional, bptt, seq2seq_attention, taxonomy, unrolled

__all__ = [
    "Diagram", "bidirectional", "bptt", "gru_cell", "lstm_cell", "rnn_cell",
    "seq2seq_attention", "taxonomy", "unrolled",
]
