"""The inside of one cell: the plain RNN, the GRU (Ng's form) and the LSTM."""

from __future__ import annotations

from .draw import (
    MUTED,
    Diagram,
    box,
    canvas,
    dot,
    frame,
    label,
    op,
    step,
    wire,
)

A_PREV = rf"$a{step('t-1')}$"
A_NEXT = rf"$a{step('t')}$"
X_T = rf"$x{step('t')}$"


def rnn_cell() -> Diagram:
    """a<t> = tanh(W_aa a<t-1> + W_ax x<t> + b_a), y<t> = softmax(W_ya a<t> + b_y), and
    the loop that hands a<t> to the next step as its a<t-1>."""
    d = canvas(7.6, 5.65, x0=-0.3, y0=-0.95)
    ax = d.ax
    y = 1.6
    frame(ax, (1.2, 0.35), (6.0, 3.95), "one step of the cell")
    label(ax, (0.25, y + 0.3), A_PREV)
    wire(ax, [(-0.15, y), (1.6, y)])
    box(ax, (1.9, y), "$W_{aa}$", "weight")
    wire(ax, [(2.2, y), (2.95, y)])
    label(ax, (3.1, -0.15), X_T)
    wire(ax, [(3.1, 0.05), (3.1, 0.54)])
    box(ax, (3.1, 0.75), "$W_{ax}$", "weight")
    wire(ax, [(3.1, 0.96), (3.1, y - 0.15)])
    op(ax, (3.1, y), "+")
    label(ax, (3.1, 2.45), "$b_a$")
    wire(ax, [(3.1, 2.3), (3.1, y + 0.15)])
    wire(ax, [(3.25, y), (3.85, y)])
    box(ax, (4.2, y), "tanh", "tanh", w=0.7)
    wire(ax, [(4.55, y), (6.75, y)])
    label(ax, (6.95, y + 0.3), A_NEXT)
    dot(ax, (5.25, y))
    wire(ax, [(5.25, y), (5.25, 2.14)])
    box(ax, (5.25, 2.35), "$W_{ya}$", "weight")
    wire(ax, [(5.25, 2.56), (5.25, 2.85)])
    op(ax, (5.25, 3.0), "+")
    label(ax, (4.55, 3.0), "$b_y$")
    wire(ax, [(4.72, 3.0), (5.1, 3.0)])
    wire(ax, [(5.25, 3.15), (5.25, 3.39)])
    box(ax, (5.25, 3.6), "softmax", "output", w=1.0)
    wire(ax, [(5.25, 3.81), (5.25, 4.35)])
    label(ax, (5.25, 4.55), rf"$\hat y{step('t')}$")
    # The state loop: this step's a<t> is the next step's a<t-1>.
    wire(ax, [(6.75, y), (7.0, y), (7.0, -0.6), (-0.15, -0.6), (-0.15, y - 0.02)],
         color=MUTED, dashed=True)
    label(ax, (3.4, -0.78), rf"next step: $a{step('t')}$ becomes $a{step('t-1')}$",
          color=MUTED, style="italic", fontsize=10)
    return d


def gru_cell() -> Diagram:
    """Ng's GRU: c~ = tanh(W_c [G_r * a<t-1>; x<t>] + b_c),
    a<t> = G_u * c~ + (1 - G_u) * a<t-1>, gates from [a<t-1>; x<t>]."""
    d = canvas(7.8, 4.75, x0=-0.3, y0=-0.55)
    ax = d.ax
    top = 3.6
    frame(ax, (0.8, 0.2), (6.6, 3.25), "")
    # The state runs along the top.
    label(ax, (0.1, top + 0.3), A_PREV)
    wire(ax, [(-0.2, top), (4.25, top)], head=False)
    op(ax, (4.4, top), r"$\times$")
    wire(ax, [(4.55, top), (5.45, top)])
    op(ax, (5.6, top), "+")
    wire(ax, [(5.75, top), (7.2, top)])
    label(ax, (7.0, top + 0.3), A_NEXT)
    # a<t-1> and x<t> fan out on two buses to the gates.
    dot(ax, (1.0, top))
    wire(ax, [(1.0, top), (1.0, 0.95), (3.2, 0.95)], head=False)
    label(ax, (1.5, -0.3), X_T)
    wire(ax, [(1.5, -0.1), (1.5, 0.5), (5.6, 0.5)], head=False)
    for xg, name, w in ((2.0, "r", "W_r, b_r"), (3.2, "u", "W_u, b_u")):
        dot(ax, (xg, 0.5))
        dot(ax, (xg, 0.95))
        wire(ax, [(xg, 0.5), (xg, 1.39)])
        box(ax, (xg, 1.6), r"$\sigma$", "gate", w=0.5)
        label(ax, (xg + 0.12, 1.16), f"${w}$", ha="left", fontsize=8, color=MUTED)
        label(ax, (xg + 0.12, 2.0), rf"$\Gamma_{name}$", ha="left")
    # Reset gate scales a<t-1> before the candidate sees it.
    dot(ax, (2.0, top))
    wire(ax, [(2.0, top), (2.0, 2.6)])
    wire(ax, [(2.0, 1.81), (2.0, 2.3)])
    op(ax, (2.0, 2.45), r"$\times$")
    wire(ax, [(2.15, 2.45), (4.8, 2.45), (4.8, 1.9), (5.25, 1.9)])
    label(ax, (4.0, 2.25), rf"$\Gamma_r \odot a{step('t-1')}$", fontsize=9)
    dot(ax, (5.6, 0.5))
    wire(ax, [(5.6, 0.5), (5.6, 1.69)])
    box(ax, (5.6, 1.9), "tanh", "tanh", w=0.7)
    label(ax, (5.72, 1.2), "$W_c, b_c$", ha="left", fontsize=8, color=MUTED)
    wire(ax, [(5.6, 2.11), (5.6, 2.65)])
    label(ax, (5.72, 2.33), rf"$\tilde c{step('t')}$", ha="left")
    op(ax, (5.6, 2.8), r"$\times$")
    wire(ax, [(5.6, 2.95), (5.6, top - 0.15)])
    # Update gate: weights the candidate, and 1 - Gamma_u weights the old state.
    wire(ax, [(3.2, 1.81), (3.2, 3.12), (4.15, 3.12)], bridge=True)
    dot(ax, (3.2, 2.8))
    wire(ax, [(3.2, 2.8), (5.45, 2.8)])
    box(ax, (4.4, 3.12), r"$1-$", "weight", w=0.42, h=0.28, fontsize=9)
    wire(ax, [(4.4, 3.26), (4.4, top - 0.15)])
    return d


def lstm_cell() -> Diagram:
    """The LSTM: the cell state c runs along the top like a conveyor, changed only by
    a product (forget) and a sum (write); three gates and a candidate below it."""
    d = canvas(8.0, 5.0, x0=-0.35, y0=-0.55)
    ax = d.ax
    top, mid = 3.85, 2.2
    frame(ax, (0.75, 0.2), (6.75, 3.5), "")
    # The conveyor: c<t-1> to c<t> with one product and one sum on the way.
    ax.axhspan(top - 0.09, top + 0.09, xmin=0.0, xmax=1.0, color="#dbe9f6", zorder=0)
    label(ax, (0.15, top + 0.33), rf"$c{step('t-1')}$")
    wire(ax, [(-0.3, top), (1.85, top)])
    op(ax, (2.0, top), r"$\times$")
    wire(ax, [(2.15, top), (4.05, top)])
    op(ax, (4.2, top), "+")
    wire(ax, [(4.35, top), (7.55, top)])
    label(ax, (7.35, top + 0.33), rf"$c{step('t')}$")
    label(ax, (3.1, top + 0.36), "cell state: the conveyor", fontsize=9, color="#5a7ca3",
          style="italic")
    # a<t-1> and x<t> on two buses feed all four boxes.
    label(ax, (0.1, 0.95 + 0.28), A_PREV)
    wire(ax, [(-0.3, 0.95), (5.3, 0.95)], head=False)
    label(ax, (1.4, -0.3), X_T)
    wire(ax, [(1.4, -0.1), (1.4, 0.5), (5.3, 0.5)], head=False)
    boxes = (
        (2.0, r"$\sigma$", "gate", r"$\Gamma_f$", "forget", "W_f, b_f"),
        (3.1, r"$\sigma$", "gate", r"$\Gamma_i$", "input", "W_i, b_i"),
        (4.2, "tanh", "tanh", rf"$\tilde c{step('t')}$", "candidate", "W_c, b_c"),
        (5.3, r"$\sigma$", "gate", r"$\Gamma_o$", "output", "W_o, b_o"),
    )
    for xg, text, kind, name, role, w in boxes:
        dot(ax, (xg, 0.5))
        dot(ax, (xg, 0.95))
        wire(ax, [(xg, 0.5), (xg, 1.39)])
        box(ax, (xg, 1.6), text, kind, w=0.62 if kind == "tanh" else 0.5)
        label(ax, (xg + 0.1, 1.16), f"${w}$", ha="left", fontsize=8, color=MUTED)
        label(ax, (xg - 0.12, 2.05), name, ha="right")
        label(ax, (xg - 0.12, 2.38), role, ha="right", fontsize=8, color=MUTED)
    # Forget: multiply the conveyor.
    wire(ax, [(2.0, 1.81), (2.0, top - 0.15)])
    # Write: input gate times candidate, added to the conveyor.
    wire(ax, [(3.1, 1.81), (3.1, 2.9), (4.05, 2.9)])
    wire(ax, [(4.2, 1.81), (4.2, 2.75)])
    op(ax, (4.2, 2.9), r"$\times$")
    wire(ax, [(4.2, 3.05), (4.2, top - 0.15)])
    # Read: tanh of the new cell state, through the output gate.
    dot(ax, (6.1, top))
    wire(ax, [(6.1, top), (6.1, 3.15)])
    box(ax, (6.1, 2.95), "tanh", "tanh", w=0.62, h=0.36)
    wire(ax, [(6.1, 2.77), (6.1, mid + 0.15)])
    wire(ax, [(5.3, 1.81), (5.3, mid), (5.95, mid)])
    op(ax, (6.1, mid), r"$\times$")
    wire(ax, [(6.25, mid), (7.55, mid)])
    label(ax, (7.3, mid + 0.3), A_NEXT)
    return d


__all__ = ["gru_cell", "lstm_cell", "rnn_cell"]
