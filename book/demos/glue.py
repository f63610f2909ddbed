"""Numbers for the prose: `glue(name, value)` in the cell that computes a value, and
{glue:text}`name:.2f` in the chapter's text, so that no computed number is ever typed.

At build time this is myst-nb's `glue` (the value is stored, not shown). Where myst-nb is
not installed (a chapter run in the JupyterLite site, in Pyodide) it does nothing: the
cell's printed output already shows the value there.
"""

from __future__ import annotations

import numbers

try:
    from myst_nb import glue as _myst_glue
except ImportError:  # pragma: no cover - Pyodide
    _myst_glue = None


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
    if _myst_glue is not None:
        _myst_glue(name, value, display=False)
