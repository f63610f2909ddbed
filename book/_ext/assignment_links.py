"""The ``{assignment}`` role: a download link to a released assignment notebook.

The name must be an assignment of the course manifest (``course.toml`` beside the
book's configuration). ``{assignment}`notation``` becomes a download link to
``exercises/notation/notation.ipynb`` when that file exists, and plain text saying the
notebook is not released yet when it does not, so a chapter never breaks a ``-W``
build. A page is re-read when its assignment file appears or disappears.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from autograder.course import load


def _relpath(assignment: str) -> str:
    return f"exercises/{assignment}/{assignment}.ipynb"


def assignment_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    env: BuildEnvironment = inliner.document.settings.env
    assignment = text.strip()
    known = load(Path(env.srcdir) / "course.toml").assignments
    if assignment not in known:
        msg = inliner.reporter.error(
            f"assignment role: {assignment!r} is not an assignment of course.toml "
            f"(it has {', '.join(known)})", line=lineno
        )
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    rel = _relpath(assignment)
    exists = (Path(env.srcdir) / rel).is_file()
    seen = env.__dict__.setdefault("assignment_links", {})
    seen.setdefault(env.docname, {})[rel] = exists
    label = f"{assignment}.ipynb"
    if not exists:
        return [nodes.emphasis(rawtext, f"{label} (not released yet)")], []
    node = addnodes.download_reference(
        rawtext, "", reftarget="/" + rel, refdoc=env.docname, refdomain="",
        reftype="download", refexplicit=True, refwarn=False,
    )
    node += nodes.literal(rawtext, label, classes=["xref", "download"])
    return [node], []


def outdated(app, env, added, changed, removed) -> list[str]:
    """Pages whose assignment files appeared or disappeared since they were read."""
    stale = []
    for docname, links in getattr(env, "assignment_links", {}).items():
        if docname in removed:
            continue
        if any((Path(env.srcdir) / rel).is_file() != was for rel, was in links.items()):
            stale.append(docname)
    return stale


def purge(app, env, docname) -> None:
    getattr(env, "assignment_links", {}).pop(docname, None)


def merge(app, env, docnames, other) -> None:
    mine = env.__dict__.setdefault("assignment_links", {})
    for docname in docnames:
        if docname in getattr(other, "assignment_links", {}):
            mine[docname] = other.assignment_links[docname]


def setup(app: Sphinx) -> dict:
    app.add_role("assignment", assignment_role)
    app.connect("env-get-outdated", outdated)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
