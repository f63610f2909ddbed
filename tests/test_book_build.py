"""The book builds with -W and its HTML is self-contained.

The build itself is the `built_book` fixture (conftest.py): `jupyter-book build . -W -n
--keep-going`, so any Sphinx or notebook warning, or an exception in a chapter's code,
fails every test here with the build log. The tests then check what the build produced.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from autograder.course import load

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
COURSE = load()
CHAPTERS = [c.name for c in COURSE.chapters]
# Where each demo belongs: the '## ' section that teaches what it shows.
DEMO_SECTIONS = {c.name: {d.function: d.section for d in c.demos} for c in COURSE.chapters}
# The figures drawn by book/diagrams, by chapter (MyST names).
DIAGRAMS = {c.name: list(c.diagrams) for c in COURSE.chapters if c.diagrams}
ASSIGNMENTS = {c.name: c.assignment for c in COURSE.chapters if c.assignment}


def toc_docnames() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]


class Assets(HTMLParser):
    """Collects every URL a page loads by itself (scripts, stylesheets, images, frames)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "audio", "video", "source") and a.get("src"):
            self.urls.append(a["src"])
        if tag == "link" and a.get("href") and (a.get("rel") or "") in (
            "stylesheet", "preload", "modulepreload", "icon"
        ):
            self.urls.append(a["href"])


def page(built_book: Path, docname: str) -> str:
    return (built_book / f"{docname}.html").read_text(encoding="utf-8")


@pytest.mark.book
def test_every_toc_page_is_built(built_book):
    for docname in toc_docnames():
        assert (built_book / f"{docname}.html").is_file(), f"{docname}.html missing"
    assert (built_book / "index.html").is_file()


@pytest.mark.book
@pytest.mark.parametrize("docname", toc_docnames())
def test_page_loads_nothing_from_another_host(built_book, docname):
    parser = Assets()
    parser.feed(page(built_book, docname))
    remote = [u for u in parser.urls if re.match(r"^(https?:)?//", u)]
    assert remote == [], f"{docname} loads from other hosts: {remote}"
    for url in parser.urls:
        if url.startswith("data:"):
            continue
        target = (built_book / docname).parent / url.split("?")[0].split("#")[0]
        assert target.resolve().is_file(), f"{docname} loads {url}, which was not built"


@pytest.mark.book
def test_mathjax_and_widget_manager_are_served_locally(built_book):
    static = built_book / "_static"
    assert (static / "mathjax" / "tex-chtml.js").is_file()
    assert (static / "vendor" / "require.js").is_file()
    assert (static / "vendor" / "widgets" / "embed-amd.js").is_file()
    assert list((static / "vendor" / "widgets").glob("*.woff2")), "widget fonts missing"
    html = page(built_book, "book/03_forward_pass")
    assert 'src="../_static/mathjax/tex-chtml.js' in html
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    widget_js = config["sphinx"]["config"]["nb_ipywidgets_js"]
    assert all(not re.match(r"^(https?:)?//", url) for url in widget_js), widget_js
    widget_pages = [d for d in toc_docnames() if "widget-state+json" in page(built_book, d)]
    for docname in widget_pages:
        assert "_static/vendor/widgets/embed-amd.js" in page(built_book, docname), docname


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_executed_outputs_and_no_errors(built_book, chapter):
    html = page(built_book, f"book/{chapter}")
    assert html.count('class="cell_output') >= 1, f"{chapter} has no executed output"
    assert "Traceback (most recent call last)" not in html
    assert 'class="output traceback' not in html and 'class="output stderr' not in html


@pytest.mark.book
def test_figures_are_made_at_build_time(built_book):
    for chapter in ("01_why_sequences", "03_forward_pass", "04_bptt",
                    "05_vanishing_gradients", "07_architectures", "08_char_lm_project"):
        html = page(built_book, f"book/{chapter}")
        images = re.findall(r'<img[^>]+src="(\.\./_images/[^"]+\.png)"', html)
        assert images, f"{chapter} has no figure"
        for src in images:
            assert (built_book / "book" / src).resolve().stat().st_size > 1000, src


@pytest.mark.book
@pytest.mark.parametrize("chapter", list(ASSIGNMENTS))
def test_chapter_links_its_assignment(built_book, chapter):
    name = ASSIGNMENTS[chapter]
    released = ROOT / "exercises" / name / f"{name}.ipynb"
    html = page(built_book, f"book/{chapter}")
    if not released.is_file():
        assert f"{name}.ipynb (not released yet)" in html
        return
    links = re.findall(rf'href="(\.\./_downloads/[0-9a-f]+/{name}\.ipynb)"', html)
    assert links, f"{chapter} does not link exercises/{name}/{name}.ipynb"
    assert (built_book / "book" / links[0]).resolve().read_bytes() == released.read_bytes()


@pytest.mark.book
def test_launch_buttons_point_at_the_repository(built_book):
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    org_repo = repo.removeprefix("https://github.com/")
    html = page(built_book, "book/03_forward_pass")
    assert f"mybinder.org/v2/gh/{org_repo}/launch" in html
    assert f"colab.research.google.com/github/{org_repo}/blob/launch/book/03_forward_pass" in html
    assert "hub/user-redirect/git-pull" in html


def demos_by_section(chapter: str) -> list[tuple[str, str]]:
    """(demo function, title of the enclosing '## ' section) for every demo a chapter
    shows, in page order."""
    found, section = [], None
    for line in (BOOK / f"{chapter}.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        match = re.match(r"show\((\w+)\(", line)
        if match:
            found.append((match.group(1), section))
    return found


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_demos_sit_beside_their_ideas(chapter):
    """Every demo of the catalog is shown in the section that teaches what it shows, as a
    'Demo:' subsection inside <!-- demo --> ... <!-- /demo --> (chapter 8's frozen corpus
    was extracted without those blocks); no chapter gathers its demos at the end."""
    from demos.catalog import DEMOS

    text = (BOOK / f"{chapter}.md").read_text(encoding="utf-8")
    assert "## Interactive demos" not in text, f"{chapter} still gathers its demos at the end"
    placed = demos_by_section(chapter)
    assert sorted(f for f, _ in placed) == sorted(f.__name__ for f in DEMOS[chapter])
    for function, section in placed:
        assert section == DEMO_SECTIONS[chapter][function], (
            f"{chapter}: {function} is under '## {section}', "
            f"not '## {DEMO_SECTIONS[chapter][function]}'"
        )
    blocks = re.findall(r"<!-- demo -->\n### Demo: .*?<!-- /demo -->", text, flags=re.S)
    assert len(blocks) == len(placed), f"{chapter}: a demo is not wrapped in demo comments"
    assert all(block.count("show(") == 1 for block in blocks)


@pytest.mark.book
@pytest.mark.parametrize("chapter", list(DIAGRAMS))
def test_diagrams_are_numbered_figures_referred_to_from_the_text(built_book, chapter):
    """Each diagram is a numbered figure with a caption, an SVG drawn at build time, alt
    text, and a {numref} to it in the chapter's prose."""
    html = page(built_book, f"book/{chapter}")
    for name in DIAGRAMS[chapter]:
        figure = re.search(rf'<figure[^>]*id="{name}"[^>]*>(.*?)</figure>', html, flags=re.S)
        assert figure, f"{chapter}: no figure with id {name}"
        img = re.search(r"<img[^>]*>", figure.group(1)).group(0)
        assert 'class="diagram"' in img, f"{chapter}: {name} is not a diagram image"
        alt = re.search(r'alt="([^"]*)"', img).group(1)
        assert len(alt) > 80, f"{chapter}: {name} has no real alt text: {alt!r}"
        src = re.search(r'src="([^"]+\.svg)"', img).group(1)
        assert (built_book / "book" / src).resolve().stat().st_size > 5000, src
        assert re.search(r'class="caption-number">Fig\. \d+\.\d+', figure.group(1)), name
        assert re.search(rf'href="#{name}"><span class="std std-numref">Fig\.', html), (
            f"{chapter}: the text never refers to {name}"
        )


def test_assignment_role_links_released_files_and_tolerates_missing_ones(tmp_path):
    """The {assignment} role in a minimal Sphinx project: a missing notebook is plain
    text (no warning under -W); once the file appears, a rebuild turns it into a link."""
    src = tmp_path / "src"
    (src / "exercises" / "present").mkdir(parents=True)
    (src / "exercises" / "present" / "present.ipynb").write_text("{}")
    (src / "conf.py").write_text(
        f"import sys; sys.path.insert(0, {str(BOOK / '_ext')!r})\n"
        "extensions = ['myst_parser', 'assignment_links']\n"
        "exclude_patterns = ['exercises']\n"
    )
    (src / "course.toml").write_text(
        '[[chapter]]\nname = "01_a"\nassignment = "present"\nfunctions = ["f"]\n'
        '[[chapter]]\nname = "02_b"\nassignment = "later"\nfunctions = ["g"]\n')
    (src / "index.md").write_text("# T\n\n{assignment}`present` and {assignment}`later`\n")
    out = tmp_path / "html"

    def build() -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src), str(out)],
            capture_output=True, text=True, check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return (out / "index.html").read_text()

    html = build()
    assert re.search(r'href="_downloads/[0-9a-f]+/present\.ipynb"', html)
    assert "later.ipynb (not released yet)" in html
    (src / "exercises" / "later").mkdir()
    (src / "exercises" / "later" / "later.ipynb").write_text("{}")
    html = build()
    assert re.search(r'href="_downloads/[0-9a-f]+/later\.ipynb"', html)


def test_widget_manager_loads_only_where_a_widget_is_shown():
    """A page that renders a widget view keeps the widget state and the local manager;
    a page that shows none (the demos show their frames) downloads neither."""
    sys.path.insert(0, str(BOOK / "_ext"))
    from types import SimpleNamespace

    from offline_assets import WIDGET_STATE, WIDGET_VIEW, drop_unused_widget_manager
    from sphinx.builders.html._assets import _JavaScript

    widget_js = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"][
        "nb_ipywidgets_js"
    ]
    app = SimpleNamespace(config=SimpleNamespace(nb_ipywidgets_js=widget_js))

    def scripts():
        return [_JavaScript("_static/doctools.js"), _JavaScript(None, type=WIDGET_STATE)] + [
            _JavaScript(f"_static/{path}") for path in widget_js
        ]

    with_view = {"script_files": scripts(), "body": f'<script type="{WIDGET_VIEW}">'}
    drop_unused_widget_manager(app, "p", "page.html", with_view, None)
    assert len(with_view["script_files"]) == 2 + len(widget_js)
    without = {"script_files": scripts(), "body": "<p>frames only</p>"}
    drop_unused_widget_manager(app, "p", "page.html", without, None)
    assert [str(s.filename) for s in without["script_files"]] == ["_static/doctools.js"]


# The learning aids every chapter has (DESIGN.md, "The book"): objectives at the top; a
# summary, "check yourself" questions with answers behind a toggle, and further reading at
# the end, in that order.
AIDS_AT_THE_END = ["Summary", "Check yourself", "Further reading"]


def h2_sections(text: str) -> list[tuple[str, str]]:
    """(title, body) of every '## ' section of a MyST source, code cells left out."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    parts = re.split(r"^## (.+)$", prose, flags=re.M)
    return list(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_objectives_questions_summary_and_reading(chapter):
    text = (BOOK / f"{chapter}.md").read_text(encoding="utf-8")
    before_first_section = re.split(r"^## ", text, maxsplit=1, flags=re.M)[0]
    objectives = re.search(r"^:::\{admonition\} Learning objectives\n(.*?)^:::$",
                           before_first_section, flags=re.S | re.M)
    assert objectives, f"{chapter}: no 'Learning objectives' admonition before its first section"
    assert 3 <= len(re.findall(r"^\* ", objectives.group(1), flags=re.M)) <= 5, (
        f"{chapter}: the objectives should be 3 to 5 items")

    sections = h2_sections(text)
    titles = [title.strip() for title, _ in sections]
    assert titles[-3:] == AIDS_AT_THE_END, (
        f"{chapter}: the chapter should end with {AIDS_AT_THE_END}, it ends with {titles[-3:]}")
    body = dict((title.strip(), body) for title, body in sections)
    assert re.search(r"^\* ", body["Summary"], flags=re.M), f"{chapter}: empty summary"

    questions = re.split(r"^\d+\. ", body["Check yourself"], flags=re.M)[1:]
    assert 3 <= len(questions) <= 6, f"{chapter}: {len(questions)} questions, not 3 to 6"
    for number, question in enumerate(questions, 1):
        # The question is visible; its answer is hidden in a dropdown (a <details> element:
        # it needs no JavaScript, so it opens from file:// too).
        assert re.search(r"\S\s*\n\s*\n\s+:::\{dropdown\} Answer\n(.+?)\n\s+:::\s*$",
                         question, flags=re.S), (
            f"{chapter}: question {number} has no answer in a ':::{{dropdown}} Answer' "
            "right after the question")

    reading = re.findall(r"^\* (.+)$", body["Further reading"], flags=re.M)
    assert len(reading) >= 3, f"{chapter}: further reading lists {len(reading)} items"
    for item in reading:
        # a paper with its year, or a web page with its link
        assert re.search(r"\((19|20)\d\d[;)]", item) or "](http" in item, (
            f"{chapter}: reading item with neither a year nor a link: {item}")


def test_reading_lists_name_the_course_anchors():
    """The notes recommend Olah's post; the issue asks for Karpathy's min-char-rnn and essay,
    d2l's RNN chapters, and (chapter 7) the Transformer paper."""
    readings = {c: dict(h2_sections((BOOK / f"{c}.md").read_text(encoding="utf-8")))
                .get("Further reading", "") for c in CHAPTERS}
    everything = "\n".join(readings.values())
    for anchor in ("Understanding LSTM Networks", "min-char-rnn",
                   "The Unreasonable Effectiveness of Recurrent Neural Networks",
                   "Dive into Deep Learning"):
        assert anchor in everything, f"no chapter's further reading names {anchor!r}"
    assert "Attention Is All You Need" in readings["07_architectures"]
    titles = [t.strip() for t, _ in
              h2_sections((BOOK / "07_architectures.md").read_text(encoding="utf-8"))]
    bridge = titles[-4]
    assert "recurrence" in bridge.lower(), (
        f"chapter 7's last section before its summary should bridge to attention-only "
        f"models, it is {bridge!r}")


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_check_yourself_answers_are_closed_toggles_in_the_built_page(built_book, chapter):
    html = page(built_book, f"book/{chapter}")
    start = html.index('id="check-yourself"')
    end = html.index('id="further-reading"')
    section = html[start:end]
    details = re.findall(r"<details\b[^>]*>", section)
    questions = len(re.findall(r"^\d+\. ", dict(h2_sections(
        (BOOK / f"{chapter}.md").read_text(encoding="utf-8")))["Check yourself"], flags=re.M))
    assert len(details) == questions, f"{chapter}: {len(details)} toggles for {questions} questions"
    assert not any(re.search(r"\bopen\b", d) for d in details), f"{chapter}: an answer is open"
    assert section.count("<summary") == questions
