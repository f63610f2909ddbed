"""The built book in a real browser, read from disk with the network blocked.

Every page listed in _toc.yml is opened from file://. Every request to another host is
blocked and recorded; the page must not make any, MathJax must have typeset every
formula, every image must have loaded, widgets (where a page has them) must have been
rendered by the locally served widget manager, and the console must stay clean.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_book_build import DEMO_SECTIONS, DIAGRAMS, demos_by_section

from autograder.course import load

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.book, pytest.mark.browser]


def toc_pages() -> list[str]:
    """Every document in _toc.yml (root and chapters), as docnames like 'book/04_bptt'."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [entry["file"] for entry in part["chapters"]]
    return pages


PAGES = toc_pages()

MATH_TYPESET = """async () => {
    if (!window.MathJax || !MathJax.startup) return {loaded: false};
    await MathJax.startup.promise;
    return {
        loaded: true,
        formulas: document.querySelectorAll('div.math, span.math').length,
        typeset: document.querySelectorAll('mjx-container').length,
        errors: document.querySelectorAll('mjx-merror, mjx-container [data-mjx-error]').length,
    };
}"""

IMAGES = """async () => {
    const imgs = Array.from(document.images);
    await Promise.all(imgs.map(img => img.decode().catch(() => null)));
    return imgs.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth}));
}"""


DIAGRAM_IMAGES = """async () => {
    const imgs = Array.from(document.querySelectorAll('figure img.diagram'));
    await Promise.all(imgs.map(img => img.decode().catch(() => null)));
    return imgs.map(img => ({
        figure: img.closest('figure').id, width: img.naturalWidth,
        svg: img.currentSrc.endsWith('.svg'), alt: img.getAttribute('alt') || '',
    }));
}"""

# The '## ' section (h2) that holds each static demo, in page order.
DEMO_PLACES = """() => Array.from(document.querySelectorAll('div.demo-frames')).map(demo => {
    let section = demo.closest('section');
    while (section && !section.querySelector(':scope > h2')) {
        section = section.parentElement.closest('section');
    }
    if (!section) return null;
    const h2 = section.querySelector(':scope > h2').cloneNode(true);
    h2.querySelectorAll('a.headerlink').forEach(a => a.remove());
    return h2.textContent.replace(/\u2019/g, "'").trim().replace(/^[0-9.]+\\s+/, '');
})"""


def test_every_chapter_is_in_the_toc():
    names = {Path(p).name for p in PAGES}
    expected = {Path(p).name for p in load().docnames}
    assert expected <= names, f"missing from _toc.yml: {sorted(expected - names)}"


@pytest.mark.parametrize("docname", PAGES)
def test_page_works_offline(built_book, offline_page, docname):
    html = built_book / f"{docname}.html"
    assert html.is_file(), f"{html} was not built"
    page = offline_page.page
    page.goto(html.as_uri(), wait_until="load")

    # Math: MathJax (served from _static/mathjax) loaded and typeset every formula.
    math = page.evaluate(MATH_TYPESET)
    has_math = page.locator("div.math, span.math").count() > 0
    if has_math:
        assert math["loaded"], f"{docname}: the page has math but MathJax did not load"
        assert math["typeset"] >= math["formulas"], f"{docname}: not all math typeset: {math}"
        assert math["errors"] == 0, f"{docname}: MathJax reported TeX errors: {math}"

    # Images: every <img> loaded (figures made at build time, logos, demo frames).
    for img in page.evaluate(IMAGES):
        assert img["width"] > 0, f"{docname}: image did not load: {img['src']}"

    # Diagrams (book/diagrams): each figure's SVG loaded and has real alt text.
    chapter = Path(docname).name
    drawn = page.evaluate(DIAGRAM_IMAGES)
    assert [d["figure"] for d in drawn] == DIAGRAMS.get(chapter, []), f"{docname}: {drawn}"
    for d in drawn:
        assert d["svg"] and d["width"] > 0, f"{docname}: diagram did not load: {d}"
        assert len(d["alt"].strip()) > 80, f"{docname}: {d['figure']} has no alt text"

    # Demos: each sits under the section heading that teaches what it shows.
    if chapter in DEMO_SECTIONS:
        expected = [section for _, section in demos_by_section(chapter)]
        assert page.evaluate(DEMO_PLACES) == expected, f"{docname}: demos misplaced"

    # Widgets: a page with widget views had them rendered by the local widget manager.
    views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
    if views:
        page.wait_for_selector(".jupyter-widgets", state="attached", timeout=20000)
        page.wait_for_timeout(500)  # let late requests (fonts, modules) show up

    assert offline_page.problems() == [], f"{docname}:\n" + "\n".join(offline_page.problems())


def test_book_has_math_images_and_blocks_the_network(built_book, offline_page):
    """The checks above are not vacuous: the book has math and figures, and the route
    really blocks a request that would leave the machine."""
    page = offline_page.page
    page.goto((built_book / "book" / "03_forward_pass.html").as_uri(), wait_until="load")
    math = page.evaluate(MATH_TYPESET)
    assert math["loaded"] and math["typeset"] > 0, math
    assert page.locator("img").count() > 0, "the forward-pass chapter has no figure"
    page.evaluate("fetch('https://example.org/x').catch(() => null)")
    page.wait_for_timeout(300)
    assert offline_page.blocked == ["https://example.org/x"]


def test_check_yourself_answer_opens_from_the_keyboard_offline(built_book, offline_page):
    """A chapter's answers are closed <details> toggles: from file://, with the network
    blocked, the first one takes keyboard focus, Enter opens it, and its math is typeset."""
    page = offline_page.page
    page.goto((built_book / "book" / "03_forward_pass.html").as_uri(), wait_until="load")
    first = page.locator("#check-yourself details").first
    assert first.evaluate("d => d.open") is False
    answer = first.locator("summary")
    answer.focus()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    assert first.evaluate("d => d.open") is True
    assert first.locator("mjx-container").count() > 0, "the answer's math is not typeset"
    assert offline_page.problems() == [], "\n".join(offline_page.problems())
