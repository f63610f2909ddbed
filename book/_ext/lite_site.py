"""The book's JupyterLite site (``lite/``): Python in the reader's browser, no server.

- After a successful HTML build, ``tools/build_lite.py`` builds the site into
  ``<outdir>/lite`` (pinned Pyodide served by the book itself, hash-checked packages,
  rebuilt only when an input changed).
- Every chapter page gets a **Run live** button in its header: it opens the chapter as
  a notebook in the lite site, where every demo control is live.
- Each demo's precomputed frames get one line saying how to make the demo fully live.
- Each ``{assignment}`` download link gets a "run live" link that opens the released
  notebook in the lite site.

Set ``RNN_BOOK_NO_LITE=1`` to skip building the site (the links stay).
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

ROOT = Path(__file__).resolve().parents[2]
LOGGER = logging.getLogger(__name__)
CHAPTER = re.compile(r"^book/(\d\d_[a-z0-9_]+)$")
ASSIGNMENT_TARGET = re.compile(r"^/?exercises/([a-z0-9_]+)/\1\.ipynb$")
NOTEBOOK_APP = "lite/notebooks/index.html"
LIVE_ASSIGNMENT_NOTE = (
    "Live, the notebook runs in your browser with the student package installed (its "
    "first cell installs it): work, run the public checks, and your edits are kept in "
    "this browser's storage, so they survive a reload (clearing the site's data erases "
    "them). To hand it in, use File > Download and submit the downloaded .ipynb."
)
# A precomputed-frames block opens with its title line (book/demos/static.py); the note
# goes right after that line.
DEMO_FRAMES = re.compile(r'(<div class="demo-frames"[^>]*>(?:<div[^>]*>.*?</div>)?)', re.S)


def lite_url(path: str) -> str:
    """URL of a notebook of the lite site, relative to the book's root."""
    return f"{NOTEBOOK_APP}?path={path}"


def chapter_path(pagename: str) -> str | None:
    match = CHAPTER.match(pagename)
    return f"chapters/{match.group(1)}.ipynb" if match else None


def add_run_live(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """A "Run live" header button on every chapter that has code; a note on each demo."""
    path = chapter_path(pagename)
    if path is None or doctree is None or not _has_code(doctree):
        return
    url = context["pathto"](NOTEBOOK_APP, 1) + f"?path={path}"
    buttons = context.get("header_buttons")
    if buttons is not None:
        buttons.insert(0, {
            "type": "link", "url": url, "text": "Run live", "label": "run-live",
            "icon": "fas fa-play",
            "tooltip": "Open this chapter as a notebook that runs in your browser",
        })
    note = (
        '<div class="demo-live-note" style="font-size:90%;color:#555">'
        "Only the main slider works on this page: "
        f'<a href="{url}" target="_blank">Run live</a> (top of the page) opens the chapter '
        "as a notebook in your browser; run its cells and every control is live.</div>"
    )
    body = context.get("body", "")
    context["body"] = DEMO_FRAMES.sub(lambda m: m.group(1) + note, body)


def _has_code(doctree) -> bool:
    return any("cell" in node.get("classes", []) for node in doctree.findall(nodes.container))


def add_assignment_live_links(app: Sphinx, doctree, docname: str) -> None:
    """After each assignment download link: '(run live)' in the lite site."""
    for ref in list(doctree.findall(addnodes.download_reference)):
        match = ASSIGNMENT_TARGET.match(ref.get("reftarget", ""))
        if not match:
            continue
        name = match.group(1)
        depth = docname.count("/")
        url = "../" * depth + lite_url(f"assignments/{name}/{name}.ipynb")
        link = nodes.reference("", "run it live in your browser", refuri=url,
                               classes=["assignment-live"])
        ref.parent.insert(ref.parent.index(ref) + 1,
                          [nodes.Text(" ("), link, nodes.Text(")")])
        paragraph = ref.parent
        while not isinstance(paragraph, nodes.paragraph) and paragraph.parent is not None:
            paragraph = paragraph.parent
        if isinstance(paragraph, nodes.paragraph) and paragraph.parent is not None:
            note = nodes.paragraph("", LIVE_ASSIGNMENT_NOTE, classes=["assignment-live-note"])
            paragraph.parent.insert(paragraph.parent.index(paragraph) + 1, note)


def build_site(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html" or os.environ.get("RNN_BOOK_NO_LITE"):
        return
    spec = importlib.util.spec_from_file_location("build_lite", ROOT / "tools" / "build_lite.py")
    module = sys.modules.setdefault("build_lite", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    try:
        module.build(Path(app.outdir) / "lite", log=LOGGER.info)
    except Exception as error:  # noqa: BLE001 - reported as a build error with its cause
        raise ExtensionError(f"lite_site: building the JupyterLite site failed: {error}") from error


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", add_run_live, priority=600)
    app.connect("doctree-resolved", add_assignment_live_links)
    app.connect("build-finished", build_site)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
