"""Interactive demos for the RNN book, one module per chapter.

Each demo is a function returning a `Demo` widget (see `widget.py`) whose computation is
a plain function of its control values built on `autograder.reference`. In a chapter:

    from demos import show
    from demos.forward_pass import hidden_state_demo
    show(hidden_state_demo())

shows the live widget and, below it, precomputed frames of its main control that work
in the static HTML book.
"""

from . import style
from .static import frames_html, show
from .widget import Demo

style.use()  # the course's colour-blind-safe colours and line styles (style.py)

__all__ = ["Demo", "frames_html", "show"]
