"""The coverage map (book/coverage.md) claims only what the linked sections teach.

Every row of the map names a concept of the source notes, a key term, and one or more
links to sections of the book. In the *built* book each link must lead to an element
that exists, and the text of the section it opens (prose, math source and code) must
contain the row's key term: one term for all the row's links, or one term per link, in
order.
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
COVERAGE_MD = ROOT / "book" / "coverage.md"


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


class CoverageRows(HTMLParser):
    """Rows of every table body in the page: (concept, [key terms], [hrefs])."""

    def __init__(self):
        super().__init__()
        self.rows: list[tuple[str, list[str], list[str]]] = []
        self._in_body = False
        self._cells: list[dict] | None = None
        self._code_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self._cells = []
        elif self._cells is not None and tag == "td":
            self._cells.append({"text": "", "codes": [], "hrefs": []})
        elif self._cells and tag == "code":
            self._code_depth += 1
            self._cells[-1]["codes"].append("")
        elif self._cells and tag == "a" and a.get("href"):
            self._cells[-1]["hrefs"].append(a["href"])

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag == "code" and self._code_depth:
            self._code_depth -= 1
        elif tag == "tr" and self._cells is not None:
            concept, keys, links = self._cells
            self.rows.append(
                (normalise(concept["text"]), [normalise(k) for k in keys["codes"]], links["hrefs"])
            )
            self._cells = None

    def handle_data(self, data):
        if self._cells:
            self._cells[-1]["text"] += data
            if self._code_depth:
                self._cells[-1]["codes"][-1] += data


class SectionTexts(HTMLParser):
    """The text inside every element that has an id (a section includes its subsections)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.texts: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of every open element

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        element_id = dict(attrs).get("id")
        if element_id is not None:
            self.texts.setdefault(element_id, [])
        self._open.append((tag, element_id))

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):  # close up to the matching tag
            if self._open[i][0] == tag:
                del self._open[i:]
                return

    def handle_data(self, data):
        for _, element_id in self._open:
            if element_id is not None:
                self.texts[element_id].append(data)


@cache
def sections(page: Path) -> dict[str, str]:
    parser = SectionTexts()
    parser.feed(page.read_text(encoding="utf-8"))
    return {k: normalise("".join(v)) for k, v in parser.texts.items()}


def test_every_source_row_has_a_key_term_and_a_link():
    """Source-level check: the map's tables have the key-term column filled in."""
    rows = [
        line for line in COVERAGE_MD.read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and not line.startswith(("| concept", "| ---"))
    ]
    assert len(rows) >= 60, f"the coverage map has only {len(rows)} rows"
    for line in rows:
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        assert len(cells) == 3, f"row without concept | key term | taught in: {line}"
        terms = re.findall(r"`([^`]+)`", cells[1])
        links = re.findall(r"\]\(([^)]+)\)", cells[2])
        assert terms and links, f"row without a key term or a link: {line}"
        assert len(terms) in (1, len(links)), f"{len(terms)} terms, {len(links)} links: {line}"


@pytest.mark.book
def test_every_row_links_a_section_that_contains_its_key_term(built_book):
    page = built_book / "book" / "coverage.html"
    parser = CoverageRows()
    parser.feed(page.read_text(encoding="utf-8"))
    rows = parser.rows
    assert len(rows) >= 60, f"the built coverage page has only {len(rows)} table rows"

    problems = []
    for concept, terms, hrefs in rows:
        if not hrefs or not terms or len(terms) not in (1, len(hrefs)):
            problems.append(f"{concept[:60]!r}: {len(terms)} key terms, {len(hrefs)} links")
            continue
        for k, href in enumerate(hrefs):
            term = terms[0] if len(terms) == 1 else terms[k]
            url = urlsplit(href)
            target = (page.parent / url.path).resolve()
            if url.scheme or not target.is_file():
                problems.append(f"{concept[:60]!r}: link {href} leads to no page of the book")
                continue
            text = sections(target).get(url.fragment or "main-content")
            if text is None:
                problems.append(f"{concept[:60]!r}: {target.name} has no element #{url.fragment}")
            elif term not in text:
                problems.append(f"{concept[:60]!r}: {href} does not contain the key term {term!r}")
    assert not problems, "coverage map rows that claim too much:\n" + "\n".join(problems)
