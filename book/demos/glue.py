"""Numbers for the prose: `glue(name, value)` in the cell that computes a value, and
{glue:text}`name:.2f` in the chapter's text, so that no computed number is ever typed.

This speaks myst-nb's glue protocol (the output a `myst_nb.glue(name, value,
display=False)` call writes: the value's text under a hidden mime type, and its name in
the output's metadata) without importing myst-nb, whose glue module pulls in Sphinx
and costs a second or two of every chapter's run. Outside a Jupyter kernel, and in the
JupyterLite site (Pyodide), it does nothing: the cell's printed output shows the value.
"""

from __future__ import annotations

import numbers
import sys

# myst_nb.ext.glue.GLUE_PREFIX: a mime type no front end renders.
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, value) -> None:
    """Store a number (or a short string) under `name` for this page's {glue:text} roles.

    numpy scalars become Python int or float, because the role parses the stored text
    with `ast.literal_eval` before applying its format spec (`np.float64(0.5)` would not
    parse).
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Number, str)):
        raise TypeError(f"glue: {name} must be a number or a string, got {type(value).__name__}")
    if isinstance(value, numbers.Integral):
        value = int(value)
    elif isinstance(value, numbers.Real):
        value = float(value)
    if sys.platform == "emscripten":  # the live site: nothing to paste into
        return
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - plain Python without IPython
        return
    if get_ipython() is None:
        return
    display({GLUE_PREFIX + "text/plain": repr(value)}, raw=True,
            metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}})
