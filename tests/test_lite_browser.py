"""The book's live site in a real browser, with nothing allowed off the machine.

The built book is served by a loopback HTTP server (JupyterLite needs http: service
workers and fetch do not work from file://). Chromium sends every request for another
host to a trap proxy on loopback that records it and refuses it, and playwright's
routing refuses and records every request that is not for the loopback server, so a
request leaving the machine, from the page, a worker or the service worker, fails the
test. The tests then use the site as a reader and a student would:

- a chapter opened with "Run live": run all cells, move a control that is not the
  demo's main slider, and see the figure change;
- an assignment: fill one function, run its public check and read the check's message.

Timings (kernel ready, first demo figure) are printed; they are not pass/fail.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS

from autograder.course import load

ROOT = Path(__file__).resolve().parents[1]
KERNEL_TIMEOUT_MS = 240_000

pytestmark = [pytest.mark.book, pytest.mark.browser]


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
        ".json": "application/json", ".whl": "application/octet-stream",
    }

    served: list[str] = []  # every path asked for, in order (the server's own record)

    def log_request(self, code="-", size="-") -> None:
        Handler.served.append(self.path)

    def log_message(self, *args) -> None:
        pass


def serve(directory: Path, handler=Handler) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# Chromium's own background traffic (component updates, sign-in, autofill), which the
# flags below reduce but do not silence. These exact hosts are the browser's, never the
# book's; they are refused like everything else, but not counted against the page.
CHROMIUM_OWN_HOSTS = ("update.googleapis.com", "accounts.google.com",
                      "content-autofill.googleapis.com", "optimizationguide-pa.googleapis.com",
                      "safebrowsingohttpgateway.googleapis.com", "clients2.google.com")
QUIET_ARGS = ["--disable-sync", "--no-first-run", "--disable-default-apps",
              "--disable-features=AutofillServerCommunication,OptimizationHints,Translate"]


class Trap:
    """A proxy on loopback that records every request sent to it and refuses it."""

    def __init__(self, ignore: tuple[str, ...] = ()) -> None:
        self.ignore = ignore
        self.seen: list[str] = []
        self.ignored: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    line = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                except OSError:
                    line = "(unreadable request)"
                host = re.sub(r"^\S+ (?:https?://)?([^/:\s]+).*$", r"\1", line)
                (self.ignored if host in self.ignore else self.seen).append(line)
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def site(built_book, browser):
    """(page factory, base URL, problems) for the built book behind a loopback server."""
    lite = built_book / "lite"
    assert (lite / "jupyter-lite.json").is_file(), "the book was built without its lite site"
    server, base = serve(built_book)
    trap = Trap(ignore=CHROMIUM_OWN_HOSTS)
    # Chromium's own flag, not playwright's proxy option (which also proxies loopback):
    # loopback goes direct, every other host goes to the trap.
    live = browser.browser_type.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=[*CHROMIUM_ARGS, *QUIET_ARGS, f"--proxy-server=http://127.0.0.1:{trap.port}"],
    )
    left: list[str] = []

    def new_page():
        context = live.new_context()  # service workers allowed: JupyterLite's drive uses one

        def route(route):
            url = route.request.url
            if url.startswith((base + "/", "data:", "blob:")):
                route.continue_()
            else:
                left.append(url)
                route.abort("blockedbyclient")

        context.route("**/*", route)
        return context.new_page()

    yield {"new_page": new_page, "base": base, "browser": live, "left": left, "trap": trap}
    live.close()
    trap.close()
    if trap.ignored:
        print(f"\nlite: Chromium's own requests refused (not the page's): {trap.ignored}")
    server.shutdown()
    assert left == [], f"requests left the machine: {left}"
    assert trap.seen == [], f"requests reached the trap proxy: {trap.seen}"


def assert_stayed_home(site) -> None:
    assert site["left"] == [], f"requests left the machine: {site['left']}"
    assert site["trap"].seen == [], f"requests reached the trap proxy: {site['trap'].seen}"


def cells(page):
    return page.locator(".jp-Notebook .jp-Cell")


def settled(action, attempts: int = 10):
    """Retry a UI action while JupyterLab re-renders the element it acts on."""
    from playwright.sync_api import Error

    for attempt in range(attempts):
        try:
            return action()
        except Error as error:
            if "not attached" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.5)


def accept_dialogs(page) -> list[str]:
    """Accept any JupyterLab dialog in front of the notebook (on a loaded machine the
    kernel-selection dialog can open before the notebook's kernel is known; accepting it
    takes the notebook's Pyodide kernel); their texts, printed for the log. The cells
    must still run and give their outputs afterwards, so nothing is hidden."""
    texts = []
    dialogs = page.locator("dialog.jp-Dialog")
    for _ in range(5):
        if dialogs.count() == 0 or not dialogs.first.is_visible():
            break
        texts.append(dialogs.first.inner_text())
        dialogs.first.locator(".jp-Dialog-button.jp-mod-accept").first.click()
        time.sleep(0.5)
    if texts:
        print(f"lite: accepted JupyterLab dialog(s): {texts}")
    return texts


def run_cell(page, index: int, timeout: int = KERNEL_TIMEOUT_MS) -> str:
    """Select cell `index` (command mode), run it, wait until it ran; its output text."""
    cell = cells(page).nth(index)
    prompt = cell.locator(".jp-InputArea-prompt")
    for _ in range(3):  # a key press can be lost while the page still renders; once
        accept_dialogs(page)
        settled(lambda: cell.locator(".jp-InputPrompt").click())  # queued, the prompt
        page.keyboard.press("Escape")  # shows [*], so pressing again never runs it twice
        page.keyboard.press("Control+Enter")
        try:
            page.wait_for_function("el => !/\\[ \\]/.test(el.textContent)",
                                   arg=prompt.element_handle(), timeout=10_000)
            break
        except Exception:
            continue
    try:
        page.wait_for_function(
            "el => /\\[\\d+\\]/.test(el.textContent)", arg=prompt.element_handle(),
            timeout=timeout,
        )
    except Exception as error:
        page.screenshot(path=str(ROOT / "_build" / "lite-failure.png"), full_page=True)
        shown = "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())
        raise AssertionError(f"cell {index} did not finish; outputs on the page:\n"
                             f"{shown[-3000:]}\n(screenshot: _build/lite-failure.png)") from error
    return "\n".join(cell.locator(".jp-OutputArea-output").all_inner_texts())


def set_cell_text(page, index: int, text: str) -> None:
    cell = cells(page).nth(index)
    settled(lambda: cell.locator(".cm-content").click())
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)
    shown = cell.locator(".cm-content").inner_text()
    assert shown.split() == text.split(), f"cell {index} shows {shown!r}, not the typed text"


def open_notebook(site, path: str):
    page = site["new_page"]()
    page.goto(f"{site['base']}/lite/notebooks/index.html?path={path}")
    # a code cell's editor: a rendered markdown cell's editor is hidden, and an assignment
    # notebook starts with one
    page.wait_for_selector(".jp-Notebook .jp-CodeCell .cm-content", timeout=120_000)
    return page


def test_chapter_demo_every_control_is_live(site, built_book):
    chapter = built_book / "book" / "01_why_sequences.html"
    html = chapter.read_text(encoding="utf-8")
    assert "chapters/01_why_sequences.ipynb" in html, "the chapter has no Run live link"

    started = time.perf_counter()
    page = open_notebook(site, "chapters/01_why_sequences.ipynb")
    setup = run_cell(page, 0)  # %pip install rnn-course-book: the kernel is up and ready
    kernel_ready = time.perf_counter() - started
    assert "Error" not in setup, setup
    page.get_by_role("menuitem", name="Run").click()
    page.get_by_text("Run All Cells", exact=True).click()
    demo = page.locator(".widget-vbox", has_text="Parameters: dense network vs RNN").first
    image = demo.locator(".widget-image")
    image.wait_for(timeout=KERNEL_TIMEOUT_MS)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle(), timeout=60_000)
    first_figure = time.perf_counter() - started
    print(f"\nlite: kernel ready {kernel_ready:.1f} s, first demo figure {first_figure:.1f} s")

    # The main control is the T slider; move the n_x dropdown instead.
    select = demo.locator("select").first
    before_src, before_png = image.get_attribute("src"), image.screenshot()
    options = select.locator("option").all_inner_texts()
    current = select.input_value()
    other = next(i for i, o in enumerate(options) if o.strip() != current.strip())
    select.select_option(index=other)
    page.wait_for_function("([img, src]) => img.src !== src",
                           arg=[image.element_handle(), before_src], timeout=60_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle(), timeout=30_000)
    assert image.screenshot() != before_png, "the figure did not change with n_x"
    assert_stayed_home(site)


COUNT_PARAMETERS = '''def count_parameters(n_x, n_a, n_y):
    return n_a * n_x + n_a * n_a + n_y * n_a + n_a + n_y
'''


def test_assignment_runs_its_public_check(site, built_book):
    """The released notebook as a student gets it: its own setup cell installs the
    student package from the site, and its own locked public test cell runs the check."""
    path = "assignments/notation/notation.ipynb"
    released = json.loads((ROOT / "exercises" / "notation" / "notation.ipynb").read_text())
    notebook = json.loads((built_book / "lite" / "files" / path).read_text())
    assert notebook["cells"] == released["cells"], "the site's assignment is not the release"
    sources = ["".join(c["source"]) if c["cell_type"] == "code" else ""
               for c in notebook["cells"]]
    grade_ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in notebook["cells"]]
    setup = grade_ids.index("setup")
    target = grade_ids.index("count_parameters")
    check = grade_ids.index("test_count_parameters")
    assert "%pip install rnn-course-checks" in sources[setup], sources[setup]
    assert 'check("count_parameters", count_parameters' in sources[check], sources[check]

    started = time.perf_counter()
    page = open_notebook(site, path)
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-Notebook .jp-Cell').length === n",
        arg=len(sources), timeout=60_000)  # every cell rendered (no windowing)
    asked = len(Handler.served)
    installed = run_cell(page, setup)
    wheels = [p.split("?")[0] for p in Handler.served[asked:]
              if p.split("?")[0].endswith(".whl")]
    print(f"\nlite: setup cell done {time.perf_counter() - started:.1f} s: {installed!r}")
    assert "rnn_checks is ready" in installed and "Error" not in installed, installed
    assert any(p.startswith("/lite/pypi/rnn_course_checks-") for p in wheels), (
        f"the setup cell did not install the site's student wheel; wheels asked for: {wheels}")
    # The other cells before the exercise (imports), then the student's function.
    for i in range(setup + 1, target):
        if sources[i] and "check(" not in sources[i]:
            out = run_cell(page, i)
            assert "Error" not in out, f"cell {i} failed:\n{out}"
    set_cell_text(page, target, COUNT_PARAMETERS)
    run_cell(page, target)
    message = run_cell(page, check)
    print(f"lite: check message: {message!r}")
    assert "public checks passed" in message and "Error" not in message, message
    assert_stayed_home(site)


def test_the_guards_catch_a_request_for_another_host(site):
    """Both guards are live: routing records a page's request, the trap a request that
    bypasses routing (a context without it), so the checks above are not vacuous."""
    page = site["new_page"]()
    page.goto(f"{site['base']}/book/glossary.html")
    page.evaluate("fetch('http://example.org/routed').catch(() => null)")
    page.wait_for_timeout(500)
    assert site["left"] == ["http://example.org/routed"]
    site["left"].clear()
    bare = site["browser"].new_context().new_page()
    bare.goto(f"{site['base']}/book/glossary.html")
    bare.evaluate("fetch('http://example.org/trapped').catch(() => null)")
    bare.wait_for_timeout(1000)
    assert any("example.org/trapped" in line for line in site["trap"].seen), site["trap"].seen
    site["trap"].seen.clear()
    bare.context.close()



OUTPUTS = ".jp-OutputArea-output"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
ALL_CELLS_RAN = """stderr => {
    const prompts = [...document.querySelectorAll(
        '.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent);
    const failed = [...document.querySelectorAll(stderr)]
        .some(e => e.textContent.includes('Traceback'));
    return prompts.every(t => /\\[\\d+\\]/.test(t))
        || (failed && !prompts.some(t => t.includes('*')));
}"""


@pytest.mark.parametrize("chapter", [c.name for c in load().chapters[1:]])
def test_chapter_runs_live_to_the_end(site, chapter):
    """Every cell of the chapter runs in the lite kernel (Pyodide's numpy 2.0 and
    matplotlib 3.8, 32-bit integers) with no Python error, and figures appear. Chapter 1
    is the test above; chapter 8 reads its frozen corpus (data/) from the site's files."""
    started = time.perf_counter()
    page = open_notebook(site, f"chapters/{chapter}.ipynb")
    run_cell(page, 0)
    page.get_by_role("menuitem", name="Run").click()
    page.get_by_text("Run All Cells", exact=True).click()
    page.wait_for_function(ALL_CELLS_RAN, arg=STDERR, timeout=KERNEL_TIMEOUT_MS, polling=1000)
    took = time.perf_counter() - started
    errors = [e for e in page.locator(STDERR).all_inner_texts() if "Traceback" in e]
    assert errors == [], f"{chapter} failed live:\n{errors[0][-3000:]}"
    figures = page.locator(".widget-image, .jp-RenderedImage img").count()
    print(f"\nlite: {chapter}: every cell ran in {took:.1f} s, {figures} figures")
    assert figures > 0, f"{chapter} ran live but showed no figure"
    assert_stayed_home(site)
