"""Serve the widget JavaScript from the book's own static files (no CDN).

myst-nb puts a widget page's scripts in ``nb_ipywidgets_js`` (see ``_config.yml``):
require.js and the ipywidgets HTML manager ``embed-amd.js``. By default those come
from public CDNs; here they point at ``_static/vendor/``, and this extension copies
the files there from ``node_modules/`` after every successful build.

Why npm and not a vendored copy: the two packages are pinned in ``package.json`` /
``package-lock.json`` (exact versions and integrity hashes), ``npm ci`` installs them
on a fresh machine (``make setup``, ``.ci/run``, the Pages workflow), and the
repository does not carry 8 MB of minified third-party JavaScript.

``widgets-shim.js`` (next to this file) runs just before ``embed-amd.js``: it tells the
manager where its font files live (it would otherwise look next to the page) and maps
the one MathJax 2 call the manager makes onto MathJax 3.

Sphinx 7.4 emits sphinx-thebe's inline configuration script twice (a ``const``
declared twice is a JavaScript error on every page); ``dedupe_scripts`` drops the copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE.parent.parent / "node_modules"
HTML_MANAGER = NODE_MODULES / "@jupyter-widgets" / "html-manager"
REQUIREJS = NODE_MODULES / "requirejs"
# The html manager's dist/ holds embed-amd.js and the font files it references by
# hashed name; source maps and the non-AMD bundles are not needed.
FONT_SUFFIXES = {".woff2", ".woff", ".ttf", ".eot", ".svg"}
FONT_FOLDERS = ("widgets", "widgets/@jupyter-widgets", "widgets/@jupyter-widgets/html-manager/dist")


def _sources() -> list[tuple[Path, str]]:
    """(source file, destination relative to _static/vendor) pairs."""
    dist = HTML_MANAGER / "dist"
    pairs = [
        (REQUIREJS / "require.js", "require.js"),
        (dist / "embed-amd.js", "widgets/embed-amd.js"),
        (dist / "embed.js.LICENSE.txt", "widgets/LICENSE-bundled.txt"),
        (HTML_MANAGER / "package.json", "widgets/package.json"),
        (HERE / "widgets-shim.js", "widgets/widgets-shim.js"),
    ]
    if dist.is_dir():
        fonts = [f for f in sorted(dist.iterdir()) if f.suffix in FONT_SUFFIXES]
        # The bundles resolve fonts against their module URLs under require's baseUrl.
        for folder in FONT_FOLDERS:
            pairs += [(f, f"{folder}/{f.name}") for f in fonts]
    return pairs


def check_installed(app: Sphinx) -> None:
    missing = [str(src) for src, _ in _sources() if not src.is_file()]
    if missing:
        raise ExtensionError(
            "offline_assets: the widget JavaScript is not installed "
            f"(missing {', '.join(missing)}). Run `npm ci` in the repository root."
        )


def copy_assets(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    vendor = Path(app.outdir) / "_static" / "vendor"
    for src, rel in _sources():
        dest = vendor / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)


def dedupe_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Drop repeated identical <script> entries (same src or body, same attributes)."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # A body-only script is registered once with filename None and once with "".
        filename = getattr(script, "filename", script) or ""
        attributes = getattr(script, "attributes", {})
        key = (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique
    # pydata-sphinx-theme logs a console error for an empty default colour mode.
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def drop_unused_widget_manager(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Load the widget state and manager only on a page that shows a widget view.

    myst-nb adds them whenever the notebook saved widget state; the demos show their
    precomputed frames on the static page instead, so most pages would download
    several MB of JavaScript to render nothing.
    """
    scripts = context.get("script_files")
    if not scripts or WIDGET_VIEW in context.get("body", ""):
        return
    widget_js = set(app.config.nb_ipywidgets_js)  # paths relative to _static/

    def is_widget_script(script) -> bool:
        filename = str(getattr(script, "filename", script) or "").removeprefix("_static/")
        kind = getattr(script, "attributes", {}).get("type")
        return filename in widget_js or kind == WIDGET_STATE

    scripts[:] = [script for script in scripts if not is_widget_script(script)]


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", check_installed)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("html-page-context", drop_unused_widget_manager, priority=900)
    app.connect("build-finished", copy_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
