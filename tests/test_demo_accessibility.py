"""Demos for every reader: the book's plots use colours that readers with a colour-vision
deficiency can tell apart and never rely on colour alone (book/demos/style.py), and every
live control is a labelled standard control that works from the keyboard.

Colour-blindness is simulated with the matrices of Machado, Oliveira and Fernandes
(2009, severity 1) in linear RGB; colours are compared by their CIE76 distance in Lab.
"""

from __future__ import annotations

import itertools

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
import pytest
from demos import style
from demos.catalog import DEMOS
from matplotlib.colors import to_hex, to_rgb

SIMULATIONS = {
    "normal vision": np.eye(3),
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
# Two colours closer than this (CIE76 Delta E) are hard to tell apart in a thin line.
MIN_DELTA_E = 15.0
TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]


def _lab(color: str, matrix) -> np.ndarray:
    c = np.array(to_rgb(color))
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    rgb = np.clip(np.asarray(matrix) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(colors) -> dict[str, tuple[float, str, str]]:
    """For each simulated vision, the two colours that look most alike, and how far apart."""
    out = {}
    for vision, matrix in SIMULATIONS.items():
        labs = {c: _lab(c, matrix) for c in colors}
        out[vision] = min(
            (float(np.linalg.norm(labs[a] - labs[b])), a, b)
            for a, b in itertools.combinations(colors, 2)
        )
    return out


def test_course_colours_stay_apart_for_colour_blind_readers():
    for vision, (distance, a, b) in closest_pair(style.COLORS).items():
        assert distance >= MIN_DELTA_E, f"{vision}: {a} and {b} look alike (Delta E {distance:.1f})"


def test_the_colour_check_can_fail():
    """matplotlib's default tab10 is not safe: its green and red merge for deuteranopes."""
    distance, a, b = closest_pair(TAB10)["deuteranopia"]
    assert distance < MIN_DELTA_E and {a, b} == {"#2ca02c", "#d62728"}


def test_importing_the_demos_installs_the_course_cycle():
    style.use()
    cycle = mpl.rcParams["axes.prop_cycle"].by_key()
    assert [to_hex(c) for c in cycle["color"]] == [c.lower() for c in style.COLORS]
    assert len(set(map(str, cycle["linestyle"]))) == len(style.COLORS)


def _looks(artist) -> tuple:
    """What tells a line or a bar apart without its colour."""
    if hasattr(artist, "get_linestyle") and hasattr(artist, "get_marker"):
        return ("line", str(artist.get_linestyle()), str(artist.get_marker()))
    return ("patch", artist.get_hatch() or "", artist.get_x() if hasattr(artist, "get_x") else 0)


@pytest.mark.parametrize(
    "factory", [f for fs in DEMOS.values() for f in fs], ids=lambda f: f.__name__
)
def test_no_demo_tells_its_series_apart_by_colour_alone(factory):
    """In each demo's figure, every frame: two series of different colours drawn on the same
    axes (labelled lines, or bars at the same place) also differ in line style, marker or
    hatch."""
    demo = factory()
    for value in demo.frame_values():
        demo.controls[demo.main].value = value
        for ax in demo.figure.fig.axes:
            lines = [line for line in ax.get_lines()
                     if not line.get_label().startswith("_") and line.get_visible()]
            seen: dict[tuple, str] = {}
            for line in lines:
                key, color = _looks(line), to_hex(line.get_color())
                assert seen.setdefault(key, color) == color, (
                    f"{demo.title}: lines {line.get_label()!r} and another differ by colour only"
                )
            bars = [p for p in ax.patches if hasattr(p, "get_x") and p.get_visible()]
            colors = {to_hex(p.get_facecolor()) for p in bars}
            if len(colors) > 1:  # a bar singled out by colour must differ in hatch too
                by_color = {c: {p.get_hatch() or "" for p in bars
                                if to_hex(p.get_facecolor()) == c} for c in colors}
                hatches = [frozenset(h) for h in by_color.values()]
                assert len(set(hatches)) == len(hatches), (
                    f"{demo.title}: bars differ by colour only ({sorted(colors)})"
                )


# ipywidgets controls whose front ends take keyboard focus and keys: native <select>,
# <input> and <button> elements, and sliders (ipywidgets 8: a focusable handle that
# arrow, Page and Home/End keys move, and an editable readout).
KEYBOARD_CONTROLS = (
    widgets.IntSlider, widgets.FloatSlider, widgets.SelectionSlider, widgets.Dropdown,
    widgets.Text, widgets.Checkbox, widgets.ToggleButton,
)


@pytest.mark.parametrize(
    "factory", [f for fs in DEMOS.values() for f in fs], ids=lambda f: f.__name__
)
def test_every_live_control_is_labelled_and_keyboard_operable(factory):
    demo = factory()
    for name, control in demo.controls.items():
        assert isinstance(control, KEYBOARD_CONTROLS), (
            f"{demo.title}: {name!r} is a {type(control).__name__}, not a control known to "
            "work from the keyboard"
        )
        assert control.description.strip(), f"{demo.title}: {name!r} has no visible label"
