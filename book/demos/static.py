"""Static frames: the demo's main control, precomputed, for a book read with no kernel.

`frames_html(demo)` sets the main control to each of its frame values, keeps the PNG and
the caption of each, and returns one self-contained HTML block: a range input, an
`<img>` and a caption, switched by a few lines of inline JavaScript. Images are inline
`data:` URIs, so the block needs no kernel, no network and no other file.
`show(demo)` displays one output that carries both: Jupyter (a live kernel) renders the
widget, while the static book prefers the output's HTML, the frames
(`nb_mime_priority_overrides` in `_config.yml`), so that every control a reader sees on
a page works.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import sys
from typing import Any

import ipywidgets as widgets
import PIL.Image

from .widget import Demo


def _label(control: widgets.ValueWidget, value: Any) -> str:
    options = getattr(control, "options", None)
    if options is not None:
        for option in options:
            if isinstance(option, tuple) and option[1] == value:
                return str(option[0])
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _shrink(png: bytes) -> bytes:
    """Re-encode a PNG with an adaptive 96-colour palette (a few KB per frame)."""
    image = PIL.Image.open(io.BytesIO(png)).convert("RGB")
    image = image.quantize(colors=96, method=PIL.Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    image.save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def frames(demo: Demo) -> list[dict[str, str]]:
    """[{label, src, caption}] for each frame value of the main control; restores it."""
    control = demo.controls[demo.main]
    start = control.value
    out = []
    try:
        for value in demo.frame_values():
            control.value = value
            if control.value != value:  # the widget refused or snapped the value
                raise ValueError(
                    f"{demo.title}: frame value {value!r} is not allowed for {demo.main!r}"
                )
            src = "data:image/png;base64," + base64.b64encode(_shrink(demo.image.value)).decode()
            out.append({"label": _label(control, value), "src": src, "caption": demo.caption.value})
    finally:
        control.value = start
    return out


_SCRIPT = """<script>(function () {
  var root = document.getElementById(%(id)s);
  var frames = %(frames)s;
  var slider = root.querySelector("input.demo-frames-slider");
  var show = function () {
    var f = frames[Number(slider.value)];
    root.querySelector("img.demo-frames-img").src = f.src;
    root.querySelector(".demo-frames-value").textContent = f.label;
    root.querySelector(".demo-frames-caption").innerHTML = f.caption;
  };
  slider.addEventListener("input", show);
  slider.addEventListener("change", show);
})();</script>"""


def frames_html(demo: Demo) -> str:
    """One self-contained HTML block: a slider over the precomputed frames."""
    shots = frames(demo)
    control = demo.controls[demo.main]
    first = 0
    for index, shot in enumerate(shots):
        if shot["label"] == _label(control, control.value):
            first = index
    digest = hashlib.sha1(demo.title.encode()).hexdigest()[:10]
    block_id = f"demo-frames-{digest}"
    name = html.escape(control.description or demo.main)
    shown = shots[first]
    return (
        f'<div class="demo-frames" id="{block_id}" data-demo="{html.escape(demo.title)}" '
        'style="border:1px solid #ddd;border-radius:4px;padding:6px;margin:6px 0">'
        '<div style="font-size:90%;color:#555">Precomputed frames (work without a kernel): '
        f"<b>{html.escape(demo.title)}</b></div>"
        f'<label>{name} <input type="range" class="demo-frames-slider" min="0" '
        f'max="{len(shots) - 1}" step="1" value="{first}" aria-label="{name}"> '
        f'<span class="demo-frames-value">{html.escape(shown["label"])}</span></label><br>'
        f'<img class="demo-frames-img" alt="{html.escape(demo.title)}" src="{shown["src"]}">'
        f'<div class="demo-frames-caption">{shown["caption"]}</div>'
        + _SCRIPT % {"id": json.dumps(block_id), "frames": json.dumps(shots).replace("</", "<\\/")}
        + "</div>"
    )


def show(demo: Demo) -> None:
    """Display the demo: the live widget in Jupyter, its precomputed frames in the book."""
    from IPython.display import display

    if sys.platform == "emscripten":  # the book's live site (Pyodide): no frames needed
        display(demo)
        return

    bundle = dict(demo._repr_mimebundle_() or {})
    bundle["text/html"] = frames_html(demo)
    display(bundle, raw=True)
