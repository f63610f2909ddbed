"""The book's diagrams (book/diagrams): each draws, carries the book's notation, keeps
every label inside the picture and apart from the others, and becomes a standalone SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import combinations

import diagrams
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

# Labels each diagram must show, written as in the book (MathJax source = mathtext here).
NOTATION = {
    "rnn_cell": [r"$W_{aa}$", r"$W_{ax}$", r"$W_{ya}$", "$b_a$", "$b_y$", "tanh", "softmax",
                 r"$a^{\langle t-1 \rangle}$", r"$a^{\langle t \rangle}$",
                 r"$x^{\langle t \rangle}$", r"$\hat y^{\langle t \rangle}$"],
    "unrolled": [r"$a^{\langle 0 \rangle}$", r"$a^{\langle 1 \rangle}$",
                 r"$a^{\langle T_x \rangle}$", r"$\hat y^{\langle T_x \rangle}$"],
    "bptt": [r"$\mathcal{L}^{\langle 1 \rangle}$", r"$a^{\langle 4 \rangle}$", "forward",
             "backward (BPTT): gradients"],
    "gru_cell": [r"$\Gamma_r$", r"$\Gamma_u$", r"$\tilde c^{\langle t \rangle}$", "tanh",
                 r"$1-$", r"$\Gamma_r \odot a^{\langle t-1 \rangle}$", "$W_c, b_c$"],
    "lstm_cell": [r"$\Gamma_f$", r"$\Gamma_i$", r"$\Gamma_o$", r"$\tilde c^{\langle t \rangle}$",
                  r"$c^{\langle t-1 \rangle}$", r"$c^{\langle t \rangle}$",
                  "cell state: the conveyor", "forget", "input", "output"],
    "taxonomy": ["one to many (1-N): music, captions", "many to one (N-1): sentiment",
                 "encoder", "decoder"],
    "bidirectional": [r"$\overrightarrow{a}^{\langle 1 \rangle}$",
                      r"$\overleftarrow{a}^{\langle 1 \rangle}$", "forward", "backward"],
    "seq2seq_attention": [r"$h^{\langle 1 \rangle}$", r"$s^{\langle t-1 \rangle}$",
                          r"$\alpha^{\langle t,1 \rangle}$", r"$c^{\langle t \rangle}$",
                          r"$\hat y^{\langle t \rangle}$", r"$y^{\langle t-1 \rangle}$",
                          "bidirectional\nencoder", r"$\cdots$"],
}


@pytest.fixture(scope="module", params=sorted(NOTATION))
def drawn(request):
    diagram = getattr(diagrams, request.param)()
    FigureCanvasAgg(diagram.fig).draw()
    return request.param, diagram


def test_every_diagram_is_listed():
    assert sorted(NOTATION) == sorted(n for n in diagrams.__all__ if n != "Diagram")


def test_diagram_uses_the_books_notation(drawn):
    name, diagram = drawn
    missing = [label for label in NOTATION[name] if label not in diagram.labels]
    assert not missing, f"{name} lacks the labels {missing}; it has {diagram.labels}"


def test_labels_are_inside_the_picture_and_do_not_overlap(drawn):
    name, diagram = drawn
    renderer = diagram.fig.canvas.get_renderer()
    page = diagram.fig.bbox
    boxes = []
    for text in diagram.ax.texts:
        box = text.get_window_extent(renderer)
        inside = (box.x0 >= page.x0 - 1 and box.y0 >= page.y0 - 1
                  and box.x1 <= page.x1 + 1 and box.y1 <= page.y1 + 1)
        assert inside, f"{name}: {text.get_text()!r} is cut off at the edge ({box} in {page})"
        boxes.append((text.get_text(), box))
    for (a, box_a), (b, box_b) in combinations(boxes, 2):
        width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        assert width <= 1 or height <= 1, f"{name}: labels {a!r} and {b!r} overlap"


def test_svg_is_standalone_and_sized(drawn):
    name, diagram = drawn
    svg = diagram._repr_svg_()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg"), name
    assert float(root.get("width").removesuffix("pt")) > 100, name
    assert float(root.get("height").removesuffix("pt")) > 100, name
    assert "<text" not in svg, f"{name}: text must be drawn as paths (no font needed)"
    assert not re.search(r'href="(?!#)', svg), f"{name}: the SVG loads something external"
    assert svg == diagram._repr_svg_(), f"{name}: the SVG is not reproducible"
