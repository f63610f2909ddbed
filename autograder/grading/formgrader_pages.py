"""The formgrader's own pages escape every value.

nbgrader renders the formgrader's list pages (`manage_students/<student id>`, the
gradebook lists, ...) with a jinja environment of its own, without autoescape, and writes
values taken from the URL into a script: `/formgrader/manage_students/x";alert(1)//` runs
script on the Jupyter origin for whoever follows that link (a student can put it in a
notebook as an http link). The submission page itself is rendered by nbconvert with the
course's formgrade_macros.html.j2 (templates/formgrade/), which escapes its values.

`escape_formgrader_pages()` turns autoescape on for that environment; nbgrader_config.py
calls it, and the formgrader reads nbgrader_config.py before it makes the environment.
The pages' own markup is in their templates, never in values, so they render unchanged.
"""

from __future__ import annotations

import sys

_MODULE = "nbgrader.server_extensions.formgrader.formgrader"


def escape_formgrader_pages() -> None:
    """Make the formgrader extension (when this process loaded it) build its jinja
    environment with autoescape on."""
    module = sys.modules.get(_MODULE)
    if module is None:  # not the Jupyter server: nothing renders these pages here
        return
    extension = module.FormgradeExtension
    if getattr(extension.init_tornado_settings, "escapes_values", False):
        return
    original = extension.init_tornado_settings

    def init_tornado_settings(self, webapp) -> None:
        original(self, webapp)
        webapp.settings["nbgrader_jinja2_env"].autoescape = True

    init_tornado_settings.escapes_values = True
    extension.init_tornado_settings = init_tornado_settings
