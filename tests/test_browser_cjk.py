"""The glossary's Chinese renders as Chinese in Chromium, not as boxes ("tofu").

A browser without a font for a character draws the same missing-glyph box for all of
them. So the page's own font (the computed font of a glossary cell) draws six different
Chinese characters on a canvas: each must leave ink, differ from the box drawn for a
code point that no font has, and differ from the others. A second Chromium, started with
a fontconfig that sees no CJK font, must fail the same check: that proves the check
tells rendered glyphs from boxes. CI installs the font (`fonts-noto-cjk` in .ci/run).
"""

from __future__ import annotations

import os

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.book, pytest.mark.browser]

SAMPLE = "循环神经网络"  # recurrent neural network, in the glossary's first table
MISSING = "\u0378"  # an unassigned code point: every font lacks it

GLYPHS = """([sample, missing]) => {
    const cells = Array.from(document.querySelectorAll('td'))
        .filter(td => td.textContent.includes(sample));
    if (!cells.length) return {cells: 0};
    const style = getComputedStyle(cells[0]);
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 96;
    const ctx = canvas.getContext('2d');
    const draw = ch => {
        ctx.clearRect(0, 0, 96, 96);
        ctx.font = `48px ${style.fontFamily}`;
        ctx.fillStyle = '#000';
        ctx.textBaseline = 'top';
        ctx.fillText(ch, 8, 8);
        const alpha = Array.from(ctx.getImageData(0, 0, 96, 96).data)
            .filter((_, i) => i % 4 === 3);
        return {ink: alpha.filter(a => a > 0).length,
                bits: alpha.map(a => a > 127 ? 1 : 0).join('')};
    };
    return {cells: cells.length, font: style.fontFamily,
            glyphs: Array.from(sample).map(draw), box: draw(missing)};
}"""


def tofu(result: dict) -> list[str]:
    """What is wrong with the drawn glyphs; empty when they are real Chinese glyphs."""
    problems = []
    bits = [g["bits"] for g in result["glyphs"]]
    for ch, glyph in zip(SAMPLE, result["glyphs"], strict=True):
        if glyph["ink"] == 0:
            problems.append(f"{ch} draws nothing")
        elif glyph["bits"] == result["box"]["bits"]:
            problems.append(f"{ch} draws the missing-glyph box")
    if len(set(bits)) < len(bits):
        problems.append("different characters draw the same shape")
    return problems


def glyphs(page, built_book) -> dict:
    page.goto((built_book / "book" / "glossary.html").as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready")
    result = page.evaluate(GLYPHS, [SAMPLE, MISSING])
    assert result["cells"] > 0, f"no glossary cell contains {SAMPLE}"
    return result


def test_glossary_chinese_renders(built_book, offline_page):
    result = glyphs(offline_page.page, built_book)
    problems = tofu(result)
    assert not problems, (
        f"the glossary's Chinese does not render in {result['font']}: {problems}; "
        "install a CJK font (Debian: fonts-noto-cjk)"
    )
    assert offline_page.problems() == [], offline_page.problems()


def test_the_check_detects_tofu(built_book, browser, tmp_path):
    """Chromium with a fontconfig that has no CJK font: the same check must fail."""
    fonts = [d for d in ("/usr/share/fonts/truetype/dejavu",) if os.path.isdir(d)]
    if not fonts:
        pytest.skip("no DejaVu fonts to build a CJK-free fontconfig from")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        + "".join(f"<dir>{d}</dir>" for d in fonts)
        + f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    # A second Chromium from the session's playwright, with the CJK-free fontconfig.
    no_cjk = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, env=env
    )
    try:
        page = no_cjk.new_page()
        assert tofu(glyphs(page, built_book)), "without a CJK font the check still passed"
    finally:
        no_cjk.close()
