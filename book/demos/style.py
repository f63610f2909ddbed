"""The course's plotting style: colours every reader can tell apart, and lines that do
not need colour at all.

`COLORS` is the Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008),
ordered so that ``C0``..``C3`` keep the hues of matplotlib's default ``tab10`` that the
prose names (blue, orange, green, red -> vermillion): its hues stay distinct under
protanopia, deuteranopia and tritanopia, where tab10's green and red do not.
`CYCLE` pairs each colour with a line style, so that a figure read in grey, or by a
reader who cannot tell two hues apart, still separates its lines (their legend shows
the style). `use()` installs both as matplotlib's default property cycle; importing
`demos` calls it, and every chapter's set-up cell calls `use(chapter=True)` (which also
sets the chapters' figure resolution and spines), so this module is the one place the
book's plot colours are set.
"""

from __future__ import annotations

import matplotlib as mpl
from cycler import cycler

COLORS = (
    "#0072B2",  # C0 blue
    "#E69F00",  # C1 orange
    "#009E73",  # C2 bluish green
    "#D55E00",  # C3 vermillion (the book's "red")
    "#CC79A7",  # C4 reddish purple
    "#56B4E9",  # C5 sky blue
    "#000000",  # C6 black
)  # Okabe-Ito's yellow is left out: 1.3:1 against white, too faint for a line
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 2)))
CYCLE = cycler(color=COLORS) + cycler(linestyle=LINESTYLES)

CHAPTER_RC = {"figure.dpi": 100, "axes.spines.top": False, "axes.spines.right": False}


def use(chapter: bool = False) -> None:
    """Make `CYCLE` matplotlib's default; with `chapter`, also the chapters' look."""
    mpl.rcParams["axes.prop_cycle"] = CYCLE
    if chapter:
        mpl.rcParams.update(CHAPTER_RC)
