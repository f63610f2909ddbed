"""Cells arranged over time: unrolling and BPTT, the architectures, bidirectional RNNs
and an encoder-decoder with attention."""

from __future__ import annotations

from .draw import (
    BACKWARD,
    MUTED,
    Diagram,
    box,
    canvas,
    curve,
    dot,
    label,
    op,
    step,
    wire,
)


def unrolled(steps: int = 4) -> Diagram:
    """The folded cell with its loop, and the same cell unrolled over `steps` steps."""
    gap = 1.45
    d = canvas(3.2 + gap * steps, 3.3, x0=-0.2, y0=-0.25)
    ax = d.ax
    y = 1.4
    box(ax, (0.5, y), rf"$a{step('t')}$", w=0.7, h=0.48)
    box(ax, (0.5, 0.2), rf"$x{step('t')}$", "input", w=0.62, h=0.38)
    box(ax, (0.5, 2.6), rf"$\hat y{step('t')}$", "output", w=0.62, h=0.38)
    wire(ax, [(0.5, 0.39), (0.5, y - 0.24)])
    wire(ax, [(0.5, y + 0.24), (0.5, 2.41)])
    curve(ax, (0.85, y + 0.12), (0.85, y - 0.12), rad=-2.2)
    label(ax, (1.55, y), "=", fontsize=20)
    x_start = 2.3
    box(ax, (x_start, y), rf"$a{step('0')}$", "weight", w=0.55, h=0.42)
    prev = x_start + 0.28
    for k in range(1, steps + 1):
        last = k == steps
        t = "T_x" if last else str(k)
        cx = x_start + gap * k
        if last:  # the steps in between
            label(ax, (cx - gap / 2, y), r"$\cdots$", fontsize=14)
            prev = cx - gap / 2 + 0.25
        box(ax, (cx, y), rf"$a{step(t)}$", w=0.7, h=0.48)
        box(ax, (cx, 0.2), rf"$x{step(t)}$", "input", w=0.62, h=0.38)
        box(ax, (cx, 2.6), rf"$\hat y{step(t)}$", "output", w=0.62, h=0.38)
        wire(ax, [(cx, 0.39), (cx, y - 0.24)])
        wire(ax, [(cx, y + 0.24), (cx, 2.41)])
        if k < steps - 1 or last:
            wire(ax, [(prev, y), (cx - 0.35, y)])
        else:
            wire(ax, [(prev, y), (cx - 0.35, y)])
            wire(ax, [(cx + 0.35, y), (cx + gap / 2 - 0.25, y)])
        prev = cx + 0.35
    return d


def bptt(steps: int = 4) -> Diagram:
    """The unrolled network with its forward arrows (black) and the gradient flowing
    back (red, dashed); every step's copy of W_aa, W_ax, b_a sends its gradient to the
    one shared set of weights, whose gradient is therefore a sum over steps."""
    gap = 1.7
    width = 1.3 + gap * steps
    d = canvas(width, 5.65, x0=-0.3, y0=-0.85)
    ax = d.ax
    y, off = 1.7, 0.09
    box(ax, (0.25, y), rf"$a{step('0')}$", "weight", w=0.55, h=0.42)
    prev = 0.53
    xs = [0.25 + gap * k for k in range(1, steps + 1)]
    for k, cx in enumerate(xs, start=1):
        box(ax, (cx, y), rf"$a{step(k)}$", w=0.8, h=0.48)
        box(ax, (cx, 0.7), rf"$x{step(k)}$", "input", w=0.5, h=0.38)
        box(ax, (cx, 2.75), rf"$\hat y{step(k)}$", "output", w=0.6, h=0.38)
        box(ax, (cx, 3.7), rf"$\mathcal{{L}}{step(k)}$", "loss", w=0.6, h=0.38)
        wire(ax, [(cx, 0.89), (cx, y - 0.24)])
        # forward up, backward down, side by side
        wire(ax, [(cx - off, y + 0.24), (cx - off, 2.56)])
        wire(ax, [(cx - off, 2.94), (cx - off, 3.51)])
        wire(ax, [(cx + off, 3.51), (cx + off, 2.94)], color=BACKWARD, dashed=True)
        wire(ax, [(cx + off, 2.56), (cx + off, y + 0.24)], color=BACKWARD, dashed=True)
        # forward along time, backward against it
        wire(ax, [(prev, y + off), (cx - 0.4, y + off)])
        wire(ax, [(cx - 0.4, y - off), (prev, y - off)], color=BACKWARD, dashed=True)
        prev = cx + 0.4
        # the shared weights: used by this step (grey), gradient sent back (red)
        wire(ax, [(cx - 0.3, -0.15), (cx - 0.3, y - 0.24)], color=MUTED, lw=1.0)
        wire(ax, [(cx + 0.3, y - 0.24), (cx + 0.3, -0.15)], color=BACKWARD, dashed=True)
    left, right = xs[0] - 0.6, xs[-1] + 0.6
    box(ax, ((left + right) / 2, -0.42), "", "weight", w=right - left, h=0.5)
    label(ax, ((left + right) / 2, -0.42),
          r"one $W_{aa}, W_{ax}, b_a$ for every step:   "
          r"$\partial\mathcal{L}/\partial W_{aa} = \sum_t$ (the part from step $t$)",
          fontsize=10)
    # legend
    lx, ly = -0.2, 4.55
    wire(ax, [(lx, ly), (lx + 0.45, ly)])
    label(ax, (lx + 0.55, ly), "forward", ha="left", fontsize=9)
    wire(ax, [(lx + 1.45, ly), (lx + 1.9, ly)], color=BACKWARD, dashed=True)
    label(ax, (lx + 2.0, ly), "backward (BPTT): gradients", ha="left", fontsize=9,
          color=BACKWARD)
    wire(ax, [(lx + 4.15, ly), (lx + 4.6, ly)], color=MUTED, lw=1.0)
    label(ax, (lx + 4.7, ly), "the same weights, used at each step", ha="left",
          fontsize=9, color=MUTED)
    return d


def _row(ax, x0: float, y: float, n: int, inputs, outputs, split: int | None = None,
         gap: float = 0.72) -> None:
    """n cells in a row from x0; inputs/outputs: the steps (0-based) that have one."""
    for t in range(n):
        cx = x0 + gap * t
        kind = "state" if split is None or t < split else "decoder"
        box(ax, (cx, y), "", kind, w=0.44, h=0.36)
        if t > 0:
            wire(ax, [(cx - gap + 0.24, y), (cx - 0.24, y)])
        if t in inputs:
            box(ax, (cx, y - 0.85), "$x$", "input", w=0.36, h=0.3, fontsize=9)
            wire(ax, [(cx, y - 0.68), (cx, y - 0.2)])
        if t in outputs:
            box(ax, (cx, y + 0.85), r"$\hat y$", "output", w=0.36, h=0.3, fontsize=9)
            wire(ax, [(cx, y + 0.2), (cx, y + 0.68)])


def taxonomy() -> Diagram:
    """The four shapes of input and output: 1-N, N-1, N-N and N-M."""
    d = canvas(9.4, 5.55, x0=-0.2, y0=-0.45)
    ax = d.ax
    panels = (
        (0.3, 3.55, "one to many (1-N): music, captions", [0], [0, 1, 2, 3], None),
        (5.0, 3.55, "many to one (N-1): sentiment", [0, 1, 2, 3], [3], None),
        (0.3, 0.95, "many to many, $T_x = T_y$ (N-N): tagging", [0, 1, 2, 3],
         [0, 1, 2, 3], None),
        (5.0, 0.95, r"many to many, $T_x \neq T_y$ (N-M): translation", [0, 1, 2],
         [3, 4, 5], 3),
    )
    for x0, y, title, ins, outs, split in panels:
        n = 6 if split else 4
        _row(ax, x0, y, n, ins, outs, split)
        label(ax, (x0 - 0.25, y + 1.35), title, ha="left", fontsize=10)
    label(ax, (5.0 + 0.72, 0.95 - 1.2), "encoder", fontsize=9, color=MUTED)
    label(ax, (5.0 + 0.72 * 4, 0.95 - 1.2), "decoder", fontsize=9, color=MUTED)
    return d


def bidirectional(steps: int = 4) -> Diagram:
    """A forward RNN (left to right) and a backward RNN (right to left) read the same
    inputs; each output reads both states of its step."""
    gap = 1.9
    d = canvas(2.3 + gap * steps, 4.6, x0=-0.45, y0=-0.35)
    ax = d.ax
    yf, yb, w, h = 1.45, 2.5, 0.7, 0.46
    xs = [gap * k - 0.6 for k in range(1, steps + 1)]
    box(ax, (xs[0] - gap + 0.65, yf), rf"$\overrightarrow{{a}}{step(0)}$", "weight",
        w=0.6, h=0.46, fontsize=13)
    box(ax, (xs[-1] + gap - 0.1, yb), rf"$\overleftarrow{{a}}{step(steps + 1)}$", "weight",
        w=0.75, h=0.46, fontsize=13)
    for k, cx in enumerate(xs, start=1):
        fx, bx = cx - 0.45, cx + 0.45
        box(ax, (fx, yf), rf"$\overrightarrow{{a}}{step(k)}$", w=w, h=h, fontsize=13)
        box(ax, (bx, yb), rf"$\overleftarrow{{a}}{step(k)}$", "tanh", w=w, h=h, fontsize=13)
        box(ax, (cx, 0.15), rf"$x{step(k)}$", "input", w=0.55, h=0.38)
        box(ax, (cx, 3.6), rf"$\hat y{step(k)}$", "output", w=0.55, h=0.38)
        # forward chain (left to right) and backward chain (right to left)
        start = fx - gap + w / 2 if k > 1 else xs[0] - gap + 0.95
        wire(ax, [(start, yf), (fx - w / 2, yf)])
        end = bx + gap - w / 2 if k < steps else xs[-1] + gap - 0.475
        wire(ax, [(end, yb), (bx + w / 2, yb)])
    for cx in xs:
        fx, bx = cx - 0.45, cx + 0.45
        dot(ax, (cx, 0.6))
        wire(ax, [(cx, 0.34), (cx, 0.6)], head=False)
        wire(ax, [(cx, 0.6), (fx, 0.6), (fx, yf - h / 2)])
        wire(ax, [(cx, 0.6), (bx, 0.6), (bx, yb - h / 2)], bridge=True)
        wire(ax, [(fx, yf + h / 2), (fx, 3.1), (cx - 0.1, 3.1), (cx - 0.1, 3.41)],
             bridge=True)
        wire(ax, [(bx, yb + h / 2), (bx, 3.1), (cx + 0.1, 3.1), (cx + 0.1, 3.41)])
    label(ax, (xs[-1] + 0.9, yf), "forward", ha="left", fontsize=9, color=MUTED)
    label(ax, (xs[0] - 1.0, yb + 0.42), "backward", ha="left", fontsize=9, color=MUTED)
    return d


def seq2seq_attention(weights=(0.08, 0.62, 0.22, 0.08)) -> Diagram:
    """One decoder step of an encoder-decoder with attention: the context c<t> is the
    sum of the bidirectional encoder's states h<t'> weighted by alpha<t,t'>, a softmax of
    scores that use s<t-1>; the decoder also reads the previous output y<t-1>."""
    d = canvas(8.9, 5.6, x0=-0.3, y0=-0.5)
    ax = d.ax
    ye, yd = 0.85, 3.55
    # the last encoder step stands apart, with a gap for the steps not drawn
    xs = [0.5 + 1.35 * k for k in range(len(weights) - 1)] + [5.0]
    tx = len(weights)
    for k, cx in enumerate(xs, start=1):
        t = "T_x" if k == tx else str(k)
        box(ax, (cx, ye), rf"$h{step(t)}$", w=0.75, h=0.46)
        box(ax, (cx, -0.2), rf"$x{step(t)}$", "input", w=0.62, h=0.36)
        wire(ax, [(cx, -0.02), (cx, ye - 0.23)])
        if k > 1:
            left, right = xs[k - 2] + 0.375, cx - 0.375
            if k == tx:  # "..." between step 3 and step T_x, in both directions
                mid = (left + right) / 2
                label(ax, (mid, ye), r"$\cdots$", fontsize=13)
                for a, b in ((left, mid - 0.2), (mid + 0.2, right)):
                    wire(ax, [(a, ye + 0.1), (b, ye + 0.1)], head=b == right)
                    wire(ax, [(b, ye - 0.1), (a, ye - 0.1)], head=a == left)
            else:  # left to right above, right to left below: a bidirectional encoder
                wire(ax, [(left, ye + 0.1), (right, ye + 0.1)])
                wire(ax, [(right, ye - 0.1), (left, ye - 0.1)])
    label(ax, (xs[-1] + 0.5, ye), "bidirectional\nencoder", ha="left", fontsize=9,
          color=MUTED)
    sx, sy = 6.9, 2.35
    op(ax, (sx, sy), r"$\Sigma$", r=0.2)
    fan = []
    for k, (cx, alpha) in enumerate(zip(xs, weights, strict=True), start=1):
        t = "T_x" if k == tx else str(k)
        wire(ax, [(cx, ye + 0.23), (sx - 0.2, sy - 0.05)], lw=0.6 + 6 * alpha,
             color="#4a6fa5")
        fan.append((cx + 0.55 * (sx - 0.2 - cx), ye + 0.23 + 0.55 * (sy - 0.05 - ye - 0.23)))
        label(ax, (cx - 0.08, ye + 0.42), rf"$\alpha{step('t,' + t)}$", ha="right",
              fontsize=9, color="#4a6fa5")
    # decoder
    box(ax, (5.5, yd), rf"$s{step('t-1')}$", "decoder", w=0.78, h=0.46)
    box(ax, (sx, yd), rf"$s{step('t')}$", "decoder", w=0.78, h=0.46)
    wire(ax, [(4.55, yd), (5.11, yd)])
    wire(ax, [(5.89, yd), (sx - 0.39, yd)])
    wire(ax, [(sx + 0.39, yd), (8.1, yd)])
    label(ax, (4.3, yd), r"$\cdots$", fontsize=13)
    label(ax, (8.25, yd), r"$\cdots$", fontsize=13)
    wire(ax, [(sx, sy + 0.2), (sx, yd - 0.23)])
    # the previous output is the decoder's input (the true one in training)
    box(ax, (8.0, 2.75), rf"$y{step('t-1')}$", "output", w=0.62, h=0.36)
    wire(ax, [(8.0, 2.93), (8.0, 3.1), (sx + 0.22, 3.1), (sx + 0.22, yd - 0.23)])
    label(ax, (sx + 0.12, (sy + yd) / 2 - 0.05), rf"$c{step('t')}$", ha="left")
    box(ax, (sx, 4.55), rf"$\hat y{step('t')}$", "output", w=0.62, h=0.38)
    wire(ax, [(sx, yd + 0.23), (sx, 4.36)])
    label(ax, (4.9, 4.55), "decoder", fontsize=9, color=MUTED)
    # the weights (a softmax of scores) depend on the decoder's previous state
    curve(ax, (5.5, yd - 0.23), fan[1], rad=0.25, color=MUTED, dashed=True)
    label(ax, (3.3, 2.75), rf"scores use $s{step('t-1')}$, softmax gives $\alpha$",
          fontsize=9, color=MUTED, ha="center")
    label(ax, (sx + 0.3, sy - 0.35),
          r"$c^{\langle t \rangle} = \sum_{t'} \alpha^{\langle t,t' \rangle}"
          r" h^{\langle t' \rangle}$",
          ha="left", fontsize=9)
    return d


__all__ = ["bidirectional", "bptt", "seq2seq_attention", "taxonomy", "unrolled"]
