"""Every demo of the book, by chapter file (used by the tests and the benchmark).

The list lives in the course manifest (`course.toml`); this module turns its entries
("bptt.truncation_demo") into the factories of this package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from autograder.course import load

from .widget import Demo


def _factory(module: str, function: str) -> Callable[[], Demo]:
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)


DEMOS: dict[str, list[Callable[[], Demo]]] = {
    chapter.name: [_factory(d.module, d.function) for d in chapter.demos]
    for chapter in load().chapters
}
