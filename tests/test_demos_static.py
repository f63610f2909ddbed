"""The demos in the built (static) book answer the reader with no kernel and no network:
moving a demo's precomputed-frames slider in a real browser changes the figure shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.course import load

pytestmark = [pytest.mark.book, pytest.mark.browser]

CHAPTERS = [c.name for c in load().chapters]


def check_demo_frames(page, html_file: Path) -> int:
    """Open a chapter page and move every frames slider with the keyboard; return the count."""
    page.goto(html_file.as_uri())
    blocks = page.locator("div.demo-frames")
    count = blocks.count()
    assert count >= 2, f"{html_file.name}: {count} static demos, expected at least 2"
    for i in range(count):
        block = blocks.nth(i)
        name = block.get_attribute("data-demo")
        image = block.locator("img.demo-frames-img")
        slider = block.locator("input.demo-frames-slider")
        label = block.locator(".demo-frames-value")
        block.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), name
        last = int(slider.get_attribute("max"))
        assert last >= 2, f"{name}: only {last + 1} frames"
        first_src, first_label = image.get_attribute("src"), label.text_content()
        start = int(slider.input_value())
        slider.focus()
        key = "Home" if start > 0 else "End"
        page.keyboard.press(key)  # as a reader would move it
        moved = int(slider.input_value())
        assert moved != start, f"{name}: {key} did not move the slider"
        src = image.get_attribute("src")
        assert src != first_src, f"{name}: moving the slider did not change the figure"
        assert label.text_content() != first_label, f"{name}: the value label did not change"
        page.keyboard.press("ArrowLeft" if key == "End" else "ArrowRight")
        assert int(slider.input_value()) != moved, f"{name}: an arrow key did not move it"
        assert image.get_attribute("src") != src, f"{name}: one step did not change the figure"
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), name
    return count


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_static_demo_sliders_change_the_figure(built_book, offline_page, chapter):
    html_file = built_book / "book" / f"{chapter}.html"
    assert html_file.exists(), f"{html_file} was not built"
    check_demo_frames(offline_page.page, html_file)
    assert not offline_page.page_errors, offline_page.page_errors
    assert not offline_page.blocked, f"the page tried to leave the machine: {offline_page.blocked}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_static_pages_show_frames_not_dead_widgets(built_book, chapter):
    """A page read without a kernel shows each demo's frames, never a widget whose controls
    could not answer (in Jupyter the same output shows the live widget: test_demos.py)."""
    page = (built_book / "book" / f"{chapter}.html").read_text()
    assert "demo-frames-slider" in page
    assert "application/vnd.jupyter.widget-view+json" not in page
