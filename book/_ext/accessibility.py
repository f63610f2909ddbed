"""Give the theme's controls accessible names that contain their visible labels.

WCAG 2.1 success criterion 2.5.3 (label in name; axe-core's rule
``label-content-name-mismatch``) asks that a control's accessible name contain the text
it shows, so that a speech-input user can say what they see. Three controls of the book's
theme and of myst-nb broke it on every page (68 elements in the 12 pages):

- the search buttons (pydata-sphinx-theme): ``aria-label="Search"`` on a button that
  shows "Search Ctrl+K";
- the colour-mode button: ``aria-label="Color mode"``, while Font Awesome turns its
  icons' titles ("Light", "Dark", "System Settings") into the visible name;
- the "Show code cell source" toggles of hidden code cells (myst-nb):
  ``<summary aria-label="Toggle hidden content">`` around the visible words.

The first two are overridden as theme components (``templates/``, found
before the theme's own through ``templates_path``); the third by re-registering
myst-nb's HTML visitor for hidden cells without the ``aria-label``, so that the summary
is named by its visible text. ``tests/test_accessibility.py`` runs axe-core on every
page.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

TEMPLATES = Path(__file__).resolve().parent / "templates"


def add_templates(app: Sphinx, config: Config) -> None:
    """Put the overriding components ahead of the theme's in the template search path."""
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path.insert(0, str(TEMPLATES))


def visit_hidden_cell_input(self, node) -> None:
    """myst-nb's visit_HideCellInput, with the summary named by its visible prompt."""
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n')
    self.body.append("<summary>\n")
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def setup(app: Sphinx) -> dict:
    app.setup_extension("myst_nb")
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput

    app.add_node(
        HideCodeCellNode, override=True, html=(visit_hidden_cell_input, depart_HideCellInput)
    )
    app.connect("config-inited", add_templates)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
