"""Run every chapter of the live site (JupyterLite, Pyodide) in Chromium and time it.

    python benchmarks/bench_lite_chapters.py [chapter ...]   # after `make book`

For each chapter: open it as the "Run live" button does, Run All Cells, wait until
every code cell has run (or an error stopped the run), and print the seconds and any
error output. Requests for other hosts are refused and listed. A slow, whole-book
companion to tests/test_lite_browser.py (which tests one chapter and one assignment).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402
from test_lite_browser import CHROMIUM_ARGS, open_notebook, serve  # noqa: E402

DONE = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
  const errors = [...document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .filter(e => /Error|Traceback/.test(e.textContent));
  return {busy: prompts.filter(p => p.textContent.includes('*')).length,
          ran: prompts.filter(p => /\\[\\d+\\]/.test(p.textContent)).length,
          total: prompts.length, errors: errors.length};
}"""


def main() -> int:
    html = ROOT / "_build" / "html"
    chapters = sys.argv[1:] or sorted(
        p.stem for p in (html / "lite" / "files" / "chapters").glob("*.ipynb"))
    server, base = serve(html)
    left: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for name in chapters:
            context = browser.new_context()
            context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                (base, "data:", "blob:")) else (left.append(r.request.url), r.abort()))
            page = context.new_page()
            site = {"new_page": lambda page=page: page, "base": base}
            started = time.perf_counter()
            open_notebook(site, f"chapters/{name}.ipynb")
            page.get_by_role("menuitem", name="Run").click()
            page.get_by_text("Run All Cells", exact=True).click()
            state = {}
            while time.perf_counter() - started < 900:
                page.wait_for_timeout(2000)
                state = page.evaluate(DONE)
                if state["busy"] == 0 and (state["ran"] == state["total"] or state["errors"]):
                    break
            errors = [e for e in page.locator(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
            ).all_inner_texts() if "Error" in e or "Traceback" in e]
            print(f"{name}: {time.perf_counter() - started:6.1f} s, {state}, "
                  f"errors: {[e[-300:] for e in errors]}", flush=True)
            context.close()
        browser.close()
    server.shutdown()
    print(f"requests for other hosts: {left}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
