"""The built book meets WCAG 2.1 AA where a machine can tell, and its demos work from the
keyboard.

axe-core (npm, a dev dependency pinned in package-lock.json) is injected into every page
listed in _toc.yml; any violation of the rules tagged wcag2a, wcag2aa, wcag21a or
wcag21aa fails the test, with the rule, its impact and the elements that break it. No
rule is disabled. The pages are served from a local HTTP server (every other request is
blocked): from file:// a page's style sheets are cross-origin to axe, whose CSS preload
then fails on every page.

The keyboard test reaches one demo control per chapter the way a keyboard user does,
with Tab from the top of the page, checks that the focus is visible, presses an arrow key
and asserts that the figure changed.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import PAGES

from autograder.course import load

ROOT = Path(__file__).resolve().parents[1]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHAPTERS = [c.name for c in load().chapters]
# Tab presses allowed to reach the first demo control from the top of a page (the
# header, the table of contents and the prose's links come first).
MAX_TABS = 400

pytestmark = [pytest.mark.book, pytest.mark.browser, pytest.mark.npm]

RUN_AXE = """async (tags) => {
    if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
    const results = await axe.run(document, {
        runOnly: {type: 'tag', values: tags},
        resultTypes: ['violations'],
    });
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200)})),
    }));
}"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` (axe-core is a devDependency)")
    return AXE_JS.read_text()


@pytest.fixture(scope="session")
def book_server(built_book) -> Iterator[str]:
    """The built book over HTTP on 127.0.0.1 (quietly), for the life of the session."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def served_page(browser, book_server):
    """A page that may load the served book and data:/blob: URLs, and nothing else."""
    context = browser.new_context(service_workers="block")
    blocked: list[str] = []

    def route(route):
        url = route.request.url
        if url.startswith((book_server + "/", "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    page = context.new_page()
    page.blocked = blocked
    yield page
    context.close()


def axe_violations(page, axe_source: str) -> list[dict]:
    """Run axe-core with the WCAG 2.1 A and AA rules on the page; return its violations."""
    page.add_script_tag(content=axe_source)
    return page.evaluate(RUN_AXE, WCAG_TAGS)


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']}")
        lines += [f"    {n['target']}: {n['html']}" for n in v["nodes"][:5]]
    return "\n".join(lines)


@pytest.mark.parametrize("docname", PAGES)
def test_page_has_no_wcag_violations(built_book, book_server, served_page, axe_source, docname):
    assert (built_book / f"{docname}.html").is_file(), f"{docname}.html was not built"
    page = served_page
    page.goto(f"{book_server}/{docname}.html", wait_until="load")
    violations = axe_violations(page, axe_source)
    assert page.blocked == [], f"{docname}: requests left the machine: {page.blocked}"
    count = sum(len(v["nodes"]) for v in violations)
    assert violations == [], f"{docname}: {count} WCAG 2.1 AA violations\n{describe(violations)}"


def test_axe_finds_violations(book_server, served_page, axe_source):
    """The check above is not vacuous: axe, injected the same way, reports a button whose
    accessible name does not contain its visible label, and an image with no text
    alternative."""
    page = served_page
    page.goto(f"{book_server}/book/intro.html", wait_until="load")
    page.evaluate(
        """() => {
        document.querySelector('main').insertAdjacentHTML('beforeend',
            '<button aria-label="Download">Print this page</button>');
        document.querySelector('main').insertAdjacentHTML('beforeend',
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">');
        }"""
    )
    ids = sorted(v["id"] for v in axe_violations(page, axe_source))
    assert ids == ["image-alt", "label-content-name-mismatch"], ids


FOCUS = """() => {
    const el = document.activeElement;
    if (!el || !el.matches('input.demo-frames-slider')) return null;
    const style = getComputedStyle(el);
    return {
        demo: el.closest('div.demo-frames').dataset.demo,
        visible: el.matches(':focus-visible')
            && (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
                || style.boxShadow !== 'none'),
    };
}"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_demo_works_from_the_keyboard(built_book, offline_page, chapter):
    """Tab from the top of the page to the first demo control; an arrow key changes the figure."""
    page = offline_page.page
    page.goto((built_book / "book" / f"{chapter}.html").as_uri(), wait_until="load")
    page.locator("body").focus()
    focused = None
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS)
        if focused:
            break
    assert focused, f"{chapter}: {MAX_TABS} Tab presses did not reach a demo control"
    assert focused["visible"], f"{chapter}: the focused demo control shows no focus ring"
    block = page.locator("div.demo-frames", has=page.locator("input:focus"))
    slider = block.locator("input.demo-frames-slider")
    image = block.locator("img.demo-frames-img")
    before = slider.input_value(), image.get_attribute("src")
    at_end = slider.input_value() == slider.get_attribute("max")
    page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
    after = slider.input_value(), image.get_attribute("src")
    assert after[0] != before[0], f"{chapter}, {focused['demo']}: the arrow key did not move it"
    assert after[1] != before[1], f"{chapter}, {focused['demo']}: the figure did not change"
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
