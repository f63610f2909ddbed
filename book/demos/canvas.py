"""A matplotlib figure that re-renders fast: a static background plus animated artists.

Drawing a whole figure (axes, ticks, labels) with Agg takes tens of milliseconds; a demo
update only changes a few lines, bars or images. `BlitFigure` draws the background once
and, on each update, restores it and redraws only the artists marked animated (the
standard matplotlib blitting technique), then encodes a PNG.
"""

from __future__ import annotations

import io

import PIL.Image  # matplotlib's own dependency
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 72


class BlitFigure:
    """A figure of `figsize` inches whose animated artists are redrawn on `png()`."""

    def __init__(self, figsize: tuple[float, float] = (7.0, 3.0), dpi: int = DPI) -> None:
        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self._artists: list[Artist] = []
        self._background = None
        self._backgrounds: dict = {}  # key -> saved background, see `background`
        self._key = None
        self._base = None
        self._overlays: dict = {}  # key -> background with overlay texts, see `overlay`
        self._overlay_key = None

    def animate(self, *artists: Artist) -> None:
        """Mark artists as changing between updates (they are not in the background)."""
        for artist in artists:
            artist.set_animated(True)
            self._artists.append(artist)

    def overlay(self, key, artists: list[Artist]) -> None:
        """Draw `artists` (texts that change rarely) once per `key` on top of the
        background and keep the result, so a slider step does not redraw their glyphs
        (text is by far the costliest thing to render). Set their content first.
        Not to be combined with `background` in the same figure."""
        fresh = [artist for artist in artists if not artist.get_animated()]
        for artist in fresh:
            artist.set_animated(True)  # never part of the base background
        if fresh or self._base is None:
            self._draw_background()
        if key == self._overlay_key:
            return
        self._overlay_key = key
        layered = self._overlays.get(key)
        if layered is None:
            self.canvas.restore_region(self._base)
            for artist in artists:
                if artist.get_visible():
                    self.fig.draw_artist(artist)
            layered = self.canvas.copy_from_bbox(self.fig.bbox)
            if len(self._overlays) >= 64:
                self._overlays.pop(next(iter(self._overlays)))
            self._overlays[key] = layered
        self._background = layered

    def _draw_background(self) -> None:
        self.canvas.draw()
        self._background = self._base = self.canvas.copy_from_bbox(self.fig.bbox)
        self._overlays.clear()
        self._overlay_key = None

    def forget(self, *artists: Artist) -> None:
        """Remove animated artists from the figure (e.g. before re-creating them)."""
        for artist in artists:
            if artist in self._artists:
                self._artists.remove(artist)
            artist.remove()

    def invalidate(self) -> None:
        """Ask for the background to be redrawn (after axis limits or labels changed)."""
        self._background = self._base = None
        self._backgrounds.clear()
        self._overlays.clear()
        self._key = self._overlay_key = None

    def background(self, key, prepare) -> None:
        """Switch to the background for `key` (e.g. a sentence shown as tick labels).

        The first time a key is seen, `prepare()` sets up the static artists and the
        background is drawn once and kept (up to 16 keys); later it is reused as is.
        """
        if key == self._key:
            return
        self._key = key
        prepare()
        self._background = self._backgrounds.get(key)
        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            if len(self._backgrounds) >= 16:
                self._backgrounds.pop(next(iter(self._backgrounds)))
            self._backgrounds[key] = self._background

    def png(self) -> bytes:
        """Render the figure and return it as PNG bytes."""
        if self._background is None:
            self._draw_background()
        self.canvas.restore_region(self._background)
        for artist in self._artists:
            if artist.figure is not None and artist.get_visible():
                self.fig.draw_artist(artist)
        image = PIL.Image.frombuffer(
            "RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba()
        )
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="png", compress_level=1)
        return buffer.getvalue()
