"""Serve the widget JavaScript from the book's own static files (no CDN).

myst-nb puts a widget page's scripts in ``nb_ipywidgets_js`` (see ``_config.yml``):
require.js and the ipywidgets HTML manager ``embed-amd.js``. By default those come
from public CDNs; here they point at ``_static/vendor/``, and this extension copies
the files there from ``node_modules/`` after every successful build.

Why npm and not a vendored copy: the two packages are pinned in ``package.json`` /
``package-lock.json`` (exact versions and integrity hashes), ``npm ci`` installs them
on a fresh machine (``make setup``, ``.ci/run``, the Pages workflow), and the
repository does not carry 8 MB of minified third-party JavaScript.

``assets-path.js`` (next to this file) runs before ``embed-amd.js`` and tells the
manager where its font files live; otherwise it derives their URL from the page's
origin, which is ``null`` under ``file://``.
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


def _sources() -> list[tuple[Path, str]]:
    """(source file, destination relative to _static/vendor) pairs."""
    dist = HTML_MANAGER / "dist"
    pairs = [
        (REQUIREJS / "require.js", "require.js"),
        (dist / "embed-amd.js", "widgets/embed-amd.js"),
        (dist / "embed.js.LICENSE.txt", "widgets/LICENSE-bundled.txt"),
        (HTML_MANAGER / "package.json", "widgets/package.json"),
        (HERE / "assets-path.js", "widgets/assets-path.js"),
    ]
    if dist.is_dir():
        pairs += [(f, f"widgets/{f.name}") for f in sorted(dist.iterdir())
                  if f.suffix in FONT_SUFFIXES]
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


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", check_installed)
    app.connect("build-finished", copy_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
