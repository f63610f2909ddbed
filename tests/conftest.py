"""Shared fixtures: the built book (built once per session) and a real browser.

``built_book`` runs ``jupyter-book build . -W -n --keep-going`` into ``_build/`` (the
notebooks execute in cache mode, so a rebuild after the first is quick) and returns
the HTML directory; a failed build fails the test with the end of the build log.
``browser`` is Debian's chromium driven by playwright; ``offline_page`` opens pages
with every request that would leave the machine blocked and recorded.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = ROOT / "_build"
HTML_DIR = BUILD_DIR / "html"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
# Schemes a page of the offline book may load; anything else would leave the machine.
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def build_book() -> Path:
    """Build the book into _build/ with -W; return the HTML directory or fail with the log."""
    BUILD_DIR.mkdir(exist_ok=True)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jupyter_book), "build", str(ROOT), "-W", "-n", "--keep-going"]
    # One build at a time, even with pytest-xdist workers or two developers' runs.
    with open(BUILD_DIR / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False
        )
    if proc.returncode != 0:
        log = (proc.stdout + proc.stderr)[-12000:]
        pytest.fail(
            f"`{' '.join(cmd)}` failed with exit code {proc.returncode}. "
            f"End of the build log:\n{log}",
            pytrace=False,
        )
    return HTML_DIR


@pytest.fixture(scope="session")
def built_book() -> Path:
    """The HTML directory of the book, built once per test session with -W."""
    return build_book()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium under playwright; skips (saying why) where it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium`) "
            "to run the browser tests; CI (.ci/run) always installs it"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@dataclass
class OfflinePage:
    """A page whose requests to other hosts are blocked, with everything it tried recorded."""

    page: object
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"request left the machine: {u}" for u in self.blocked]
            + [f"request failed: {u}" for u in self.failed]
            + [f"console error: {m}" for m in self.console_errors]
            + [f"uncaught exception: {m}" for m in self.page_errors]
        )


@pytest.fixture
def offline_page(browser) -> Iterator[OfflinePage]:
    """A fresh page that allows only file:/data: URLs and records everything else."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    record = OfflinePage(page)

    def route(route):
        url = route.request.url
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            record.blocked.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    page.on(
        "console",
        lambda msg: record.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: record.page_errors.append(str(exc)))
    page.on(
        "requestfailed",
        lambda req: record.failed.append(f"{req.url} ({req.failure})")
        if req.url.startswith(LOCAL_SCHEMES)
        else None,
    )
    yield record
    context.close()
