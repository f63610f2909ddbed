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
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_STUDENT = ROOT / "tests" / "fixtures" / "lite_student"
REAL_STUDENT = (ROOT / "student").is_dir()
KERNEL_TIMEOUT_MS = 300_000

pytestmark = [pytest.mark.book, pytest.mark.browser]


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
        ".json": "application/json", ".whl": "application/octet-stream",
    }

    def log_message(self, *args) -> None:
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class Trap:
    """A proxy on loopback that records every request sent to it and refuses it."""

    def __init__(self) -> None:
        self.seen: list[str] = []
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
                self.seen.append(line)
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def site(built_book, browser, tmp_path_factory):
    """(page factory, base URL, problems) for the built book behind a loopback server."""
    lite = built_book / "lite"
    assert (lite / "jupyter-lite.json").is_file(), "the book was built without its lite site"
    extra = tmp_path_factory.mktemp("lite-fixture")
    server, base = serve(built_book)
    fixture_server, fixture_base = serve(extra)
    trap = Trap()
    live = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
        proxy={"server": f"http://127.0.0.1:{trap.port}"},
    )
    left: list[str] = []

    def new_page():
        context = live.new_context()  # service workers allowed: JupyterLite's drive uses one

        def route(route):
            url = route.request.url
            if url.startswith((base + "/", fixture_base + "/", "data:", "blob:")):
                route.continue_()
            else:
                left.append(url)
                route.abort("blockedbyclient")

        context.route("**/*", route)
        return context.new_page()

    yield {"new_page": new_page, "base": base, "fixture_dir": extra,
           "fixture_base": fixture_base, "left": left, "trap": trap}
    live.close()
    trap.close()
    server.shutdown()
    fixture_server.shutdown()
    assert left == [], f"requests left the machine: {left}"
    assert trap.seen == [], f"requests reached the trap proxy: {trap.seen}"


def assert_stayed_home(site) -> None:
    assert site["left"] == [], f"requests left the machine: {site['left']}"
    assert site["trap"].seen == [], f"requests reached the trap proxy: {site['trap'].seen}"


def cells(page):
    return page.locator(".jp-Notebook .jp-Cell")


def run_cell(page, index: int, timeout: int = KERNEL_TIMEOUT_MS) -> str:
    """Select cell `index` (command mode), run it, wait until it ran; its output text."""
    cell = cells(page).nth(index)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Enter")
    prompt = cell.locator(".jp-InputArea-prompt")
    page.wait_for_function(
        "el => /\\[\\d+\\]/.test(el.textContent)", arg=prompt.element_handle(),
        timeout=timeout,
    )
    return "\n".join(cell.locator(".jp-OutputArea-output").all_inner_texts())


def set_cell_text(page, index: int, text: str) -> None:
    cell = cells(page).nth(index)
    cell.scroll_into_view_if_needed()
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def open_notebook(site, path: str):
    page = site["new_page"]()
    page.goto(f"{site['base']}/lite/notebooks/index.html?path={path}")
    page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=120_000)
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


def student_wheel_url(site) -> str:
    """Build the throwaway fixture student wheel and serve it from loopback."""
    out = site["fixture_dir"]
    cmd = [sys.executable, "-m", "pip", "wheel", str(FIXTURE_STUDENT), "--no-deps",
           "--no-build-isolation", "-q", "-w", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    shutil.rmtree(FIXTURE_STUDENT / "build", ignore_errors=True)
    for info in FIXTURE_STUDENT.glob("*.egg-info"):
        shutil.rmtree(info)
    wheel = next(out.glob("rnn_course_checks-*.whl"))
    return f"{site['fixture_base']}/{wheel.name}"


COUNT_PARAMETERS = '''def count_parameters(n_x, n_a, n_y):
    return n_a * n_x + n_a * n_a + n_y * n_a + n_a + n_y
'''


def test_assignment_runs_its_public_check(site):
    page = open_notebook(site, "assignments/notation/notation.ipynb")
    sources = [c.inner_text() for c in cells(page).locator(".jp-InputArea-editor").all()]
    target = next(i for i, s in enumerate(sources) if "def count_parameters" in s)
    check = next(i for i, s in enumerate(sources)
                 if i > target and "count_parameters" in s and "check" in s)
    if not REAL_STUDENT:
        # Before the student package exists in the repository, exercise the path with a
        # throwaway wheel installed from loopback (the release still imports
        # autograder.checks, which the site does not ship).
        url = student_wheel_url(site)
        set_cell_text(page, check, f"%pip install {url}\nfrom rnn_checks import check\n"
                      'check("count_parameters", count_parameters, part="public")')
    # Cells before the exercise (imports, the setup cell), then the student's function.
    for i in range(target):
        if "check(" not in sources[i]:
            out = run_cell(page, i)
            assert "Error" not in out, f"cell {i} failed:\n{out}"
    set_cell_text(page, target, COUNT_PARAMETERS)
    run_cell(page, target)
    message = run_cell(page, check)
    print(f"\nlite: check message: {message!r}")
    assert "passed" in message and "Error" not in message, message
    assert_stayed_home(site)
