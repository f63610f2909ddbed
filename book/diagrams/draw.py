"""Drawing primitives shared by every diagram of the book: one palette, one font size.

Coordinates are inches on a canvas of the given size (one data unit = one inch), so a
box of width 0.6 looks the same in every figure. A `Diagram` shows itself as SVG in
Jupyter and in the built book (text drawn as paths: no font needed to read it).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

Point = tuple[float, float]

INK = "#333333"
BACKWARD = "#c0392b"  # gradients flowing back (BPTT)
MUTED = "#8a8a8a"
FONT = 11
# Fill colour by role; every diagram uses these and nothing else.
FILL = {
    "input": "#f6e7d8",   # x
    "state": "#dbe9f6",   # a, the cell as a whole, encoder cells
    "output": "#e3f2dc",  # y-hat, softmax
    "gate": "#fde2c8",    # sigmoid gates
    "tanh": "#e6dcf5",    # tanh and the candidate
    "weight": "#f2f2f2",  # matrix products, parameters
    "decoder": "#fde2c8",  # decoder cells (encoder-decoder)
    "loss": "#f9d6d5",    # per-step losses
}


class Diagram:
    """A finished drawing: displays as SVG, and keeps its text labels for tests."""

    def __init__(self, fig: Figure, ax: Axes):
        self.fig, self.ax = fig, ax

    @property
    def labels(self) -> list[str]:
        """Every text drawn on the diagram, as written (math included)."""
        return [t.get_text() for t in self.ax.texts]

    def svg(self) -> str:
        buffer = io.StringIO()
        with matplotlib.rc_context({"svg.hashsalt": "rnn-book", "svg.fonttype": "path"}):
            self.fig.savefig(buffer, format="svg", metadata={"Date": None})
        return buffer.getvalue()

    def _repr_svg_(self) -> str:
        return self.svg()


def canvas(width: float, height: float, x0: float = 0.0, y0: float = 0.0) -> Diagram:
    """An empty diagram of width x height inches whose lower-left corner is (x0, y0)."""
    fig = Figure(figsize=(width, height))  # not registered with pyplot: never shown twice
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(x0, x0 + width)
    ax.set_ylim(y0, y0 + height)
    ax.set_aspect("equal")
    ax.axis("off")
    return Diagram(fig, ax)


def box(ax: Axes, xy: Point, text: str = "", kind: str = "state", w: float = 0.6,
        h: float = 0.42, fontsize: float = FONT, **kw) -> Point:
    """A rounded box centred at xy, filled by role; returns its centre."""
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.03",
                                fc=FILL[kind], ec=kw.pop("ec", INK), lw=kw.pop("lw", 1.0),
                                zorder=2.6, **kw))
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=4)
    return xy


def frame(ax: Axes, lower_left: Point, upper_right: Point, title: str = "") -> None:
    """A light rounded outline around a group (the inside of one cell)."""
    (x0, y0), (x1, y1) = lower_left, upper_right
    ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0.05",
                                fc="#fbfbfd", ec="#9bb7d4", lw=1.2, zorder=0))
    if title:
        ax.text(x0 + 0.1, y1 - 0.1, title, ha="left", va="top", fontsize=FONT - 1,
                color="#5a7ca3", style="italic")


def op(ax: Axes, xy: Point, symbol: str, r: float = 0.15) -> Point:
    """A pointwise operation (+, x, 1-) drawn as a small circle."""
    ax.add_patch(Circle(xy, r, fc="white", ec=INK, lw=1.0, zorder=3))
    ax.text(xy[0], xy[1], symbol, ha="center", va="center", fontsize=FONT, zorder=4)
    return xy


def dot(ax: Axes, xy: Point, color: str = INK) -> None:
    """A junction: the wire splits (or, on a bus, joins) here."""
    ax.add_patch(Circle(xy, 0.045, fc=color, ec=color, zorder=3))


def wire(ax: Axes, points: Sequence[Point], head: bool = True, color: str = INK,
         dashed: bool = False, lw: float = 1.2, bridge: bool = False) -> None:
    """A polyline through points, with an arrowhead on its last segment. With bridge,
    it is drawn over the wires it crosses with a white gap (crossing, not joining)."""
    style = (0, (4, 2.5)) if dashed else "-"
    z = 2.5 if bridge else 2
    if bridge:  # a white band under the whole path hides the wires it crosses
        xs, ys = zip(*points, strict=True)
        ax.add_line(Line2D(xs, ys, color="white", lw=lw + 5, zorder=z - 0.1))
    if len(points) > 2:
        xs, ys = zip(*points[:-1], strict=True)
        ax.add_line(Line2D(xs, ys, color=color, lw=lw, linestyle=style, zorder=z,
                           solid_capstyle="butt"))
    start, end = points[-2], points[-1]
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>" if head else "-",
                                 mutation_scale=11, lw=lw, color=color, linestyle=style,
                                 shrinkA=0, shrinkB=0, zorder=z))


def curve(ax: Axes, start: Point, end: Point, rad: float, color: str = INK,
          dashed: bool = False, lw: float = 1.2) -> None:
    """A curved arrow from start to end (rad bends it, as in matplotlib's arc3)."""
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11, lw=lw,
                                 color=color, linestyle=(0, (4, 2.5)) if dashed else "-",
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=0, shrinkB=0,
                                 zorder=2))


def label(ax: Axes, xy: Point, text: str, ha: str = "center", va: str = "center",
          fontsize: float = FONT, color: str = INK, **kw) -> None:
    """Text at xy."""
    ax.text(xy[0], xy[1], text, ha=ha, va=va, fontsize=fontsize, color=color, zorder=4,
            **kw)


def step(t: str) -> str:
    """The book's time-step superscript, <t>, for use inside math."""
    return rf"^{{\langle {t} \rangle}}"
