"""`Demo`: controls, a figure and a caption, wired so that every control is live.

A demo is three plain pieces: `compute(**values) -> result` (a pure function of the
control values, unit-tested on its own), `draw(result)` (updates the artists of a
`BlitFigure`) and `describe(result) -> str` (an HTML caption). `Demo` calls them in
turn whenever a control changes; `update()` is the step the benchmark times.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from .canvas import BlitFigure


class Demo(widgets.VBox):
    """A live demo: `controls` (name -> ipywidget) drive the figure and the caption.

    `main` names the control that the static book backs with precomputed frames;
    `frames` optionally lists the values to precompute (default: spread over its range).
    """

    def __init__(
        self,
        *,
        title: str,
        controls: dict[str, widgets.ValueWidget],
        main: str,
        compute: Callable[..., Any],
        draw: Callable[[Any], None],
        figure: BlitFigure,
        describe: Callable[[Any], str] | None = None,
        frames: Sequence[Any] | None = None,
    ) -> None:
        if main not in controls:
            raise ValueError(f"Demo: main control {main!r} is not one of {sorted(controls)}")
        self.title = title
        self.controls = controls
        self.main = main
        self.compute = compute
        self.draw = draw
        self.figure = figure
        self.describe = describe or (lambda result: "")
        self.frames = list(frames) if frames is not None else None
        width, _ = figure.canvas.get_width_height()
        self.image = widgets.Image(format="png", width=width)  # natural size, not stretched
        self.caption = widgets.HTML()
        self.result: Any = None
        header = widgets.HTML(f"<b>{html.escape(title)}</b>")
        box = widgets.Box(
            list(controls.values()), layout=widgets.Layout(flex_flow="row wrap")
        )
        super().__init__([header, box, self.image, self.caption])
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def values(self) -> dict[str, Any]:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self) -> None:
        """Recompute from the controls and redraw the figure and the caption."""
        self.result = self.compute(**self.values())
        self.draw(self.result)
        self.image.value = self.figure.png()
        self.caption.value = self.describe(self.result)

    def _on_change(self, change: dict) -> None:
        self.update()

    def frame_values(self) -> list[Any]:
        """The values of the main control that the static book precomputes."""
        if self.frames is not None:
            return list(self.frames)
        control = self.controls[self.main]
        if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
            return [False, True]
        options = getattr(control, "options", None)
        if options is not None:
            return [option[1] if isinstance(option, tuple) else option for option in options]
        lo, hi, step = control.min, control.max, control.step
        count = min(9, int(round((hi - lo) / step)) + 1)
        values = [lo + (hi - lo) * k / (count - 1) for k in range(count)]
        values = [lo + round((v - lo) / step) * step for v in values]
        if isinstance(control.value, int):
            values = [int(v) for v in values]
        return sorted(set(values))
