"""Make everything a student controls in a graded notebook inert in a browser.

The formgrader and the feedback page render a graded notebook with nbconvert: markdown
goes through `markdown2html` (raw HTML passes through), outputs of type text/html,
image/svg+xml, text/markdown, application/javascript and widget views are written into
the page as they are. `sanitize_notebook(nb)` rewrites the notebook so that none of that
can run script, load anything, or pose as part of the grading page:

- a markdown cell is rendered with nbconvert's own renderer, then given the templates'
  `strip_files_prefix` (so what is judged is what the page shows), and the result checked
  with an allow-list sanitiser (`nh3`, the ammonia binding). A cell the sanitiser leaves
  untouched keeps its source byte for byte (math, tables, code, `a < b`, `<br>` ...).
  Otherwise the cell becomes the sanitised HTML (one HTML block, so markdown cannot
  re-interpret it; math stays as TeX text for MathJax) under a visible note.
- attachments keep only png/jpeg/gif/webp images with valid base64; an image that names
  a missing attachment points at a placeholder instead of breaking nbconvert;
- outputs keep text, png/jpeg images (validated base64, numeric sizes) and sanitised
  text/html; SVG becomes an <img> (no script runs in an image); markdown outputs are
  rendered and sanitised; JavaScript, widget views and unknown types become a line of
  inert text; raw cells are sanitised as HTML; notebook widget state is dropped.
- links (`href`) keep only `http:`, `https:`, `mailto:` and in-page `#` targets, judged
  after the browser's own clean-up (entities decoded, whitespace and control characters
  dropped); relative links (other files of the submission, `files/...`, `//host`) lose
  their target and stay as text. Images come only from `data:` URLs of image types.

Trusted cells (`locked` in nbgrader metadata, whose source the gradebook restored) keep
their source. Nothing here ever raises for one cell: a cell that cannot be sanitised is
replaced by a note.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from html.parser import HTMLParser

import nbformat
import nh3
from nbconvert.filters.strings import strip_files_prefix

from autograder.grading import rendercap

NOTE = ("[secure grading] HTML in this cell that is not on the grading page's allow-list "
        "(scripts, event handlers, frames, forms, styles, remote images, links other than "
        "http(s), mailto and #...) was removed.")
CUT_NOTE = ("[secure grading] this cell was not rendered ({reason}); its start is shown "
            "as plain text:")
CUT_SHOWN = 2_000  # characters of a cut cell shown as text
MARKER = "rnn-sanitized"  # class of the wrapper around a rewritten cell (for tests/review)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# Outputs kept as they are (after validation): everything else is made inert text.
PLAIN_OUTPUT_TYPES = ("text/plain",)
_BASE64 = re.compile(r"[A-Za-z0-9+/\s]*={0,2}\s*")
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
# What a browser drops from a URL before reading its scheme (C0 controls, space; tab and
# newline anywhere): removed before a link is judged, and from the link that is kept.
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]+")
LINK_TARGETS = re.compile(r"(https?:|mailto:|#)", re.IGNORECASE)
_SIZE = re.compile(r"\d{1,5}(\.\d{1,3})?(px|%)?")
# A 1x1 transparent PNG: the image of an attachment the notebook does not have.
MISSING_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAA"
               "SUVORK5CYII=")

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "col",
    "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
    "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul",
    "var",
}
ATTRIBUTES = {
    "*": {"class", "id", "style", "title"},
    "a": {"href"}, "img": {"src", "alt", "width", "height"}, "ol": {"start"},
    "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align"},
    "col": {"span"}, "details": {"open"},
}
STYLE_PROPERTIES = {"color", "background-color", "font-weight", "font-style",
                    "text-align", "text-decoration", "vertical-align"}
# Removed together with their content (the rest keep their text, as text).
CLEAN_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "embed",
                 "svg", "math", "noembed", "noframes", "xmp", "plaintext", "textarea",
                 "title", "select", "frameset"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Ids the grading pages' own script looks up (`$("#" + grade_id)` ...): never a student's.
PAGE_IDS = {"notebook", "notebook-container", "statusmessage", "header", "site"}


def _code_classes() -> frozenset:
    """The classes nbconvert's markdown and pygments put on code and anchors."""
    from pygments.token import STANDARD_TYPES

    return frozenset({c for c in STANDARD_TYPES.values() if c} | {
        "highlight", "anchor-link", MARKER, rendercap.MATHJAX_SKIP})


CLASSES = _code_classes()


class Sanitizer:
    """An allow-list HTML sanitiser for one notebook (it knows the ids to protect)."""

    def __init__(self, reserved_ids: set[str] = frozenset()):
        self.reserved = set(reserved_ids) | PAGE_IDS
        self.cleaner = nh3.Cleaner(
            tags=TAGS, clean_content_tags=CLEAN_CONTENT, attributes=ATTRIBUTES,
            attribute_filter=self._attribute, strip_comments=True, link_rel=None,
            url_schemes={"http", "https", "mailto", "data"},
            filter_style_properties=STYLE_PROPERTIES)

    def _attribute(self, tag: str, attr: str, value: str) -> str | None:
        if attr == "src":  # images only from the notebook itself, never fetched
            return value if tag == "img" and _DATA_IMAGE.fullmatch(value) else None
        if attr == "href":
            return safe_link(value)
        if attr == "class":
            kept = [c for c in value.split() if c in CLASSES]
            return " ".join(kept) or None
        if attr == "id":
            return value if tag in HEADINGS and value not in self.reserved else None
        if attr in ("width", "height"):
            return value if _SIZE.fullmatch(value.strip()) else None
        return value

    def clean(self, fragment: str) -> str:
        return self.cleaner.clean(fragment)

    def is_clean(self, fragment: str) -> bool:
        """True if the allow-list changes nothing a browser would see in `fragment`."""
        try:
            return _events(fragment) == _events(self.clean(fragment))
        except Exception:  # an unparsable fragment is not clean
            return False


def safe_link(value: str) -> str | None:
    """The link a page may carry for an `href` of `value` (decoded), or None.

    Only `http:`, `https:`, `mailto:` and in-page `#...`, after removing what a browser
    ignores; nothing relative (nbconvert's templates strip a leading `files/` from links,
    so no relative link can be judged by how it looks before that)."""
    url = _URL_IGNORED.sub("", value)
    return url if LINK_TARGETS.match(url) else None


def as_shown(rendered: str) -> str:
    """The HTML the formgrader and feedback templates write for a rendered markdown cell
    (`markdown2html | strip_files_prefix`)."""
    return strip_files_prefix(rendered)


class _Events(HTMLParser):
    """The tags, attributes and text of an HTML fragment, in order (comments dropped)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events: list = []
        self.text: list[str] = []

    def _flush(self):
        if self.text:
            self.events.append(("text", "".join(self.text)))
            self.text = []

    def handle_starttag(self, tag, attrs):
        self._flush()
        self.events.append(("start", tag, tuple(sorted(
            (k, _style(v) if k == "style" else (v or "")) for k, v in attrs))))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._flush()
        if tag not in self.VOID:
            self.events.append(("end", tag))

    def handle_data(self, data):
        self.text.append(data)

    def handle_decl(self, decl):
        self._flush()
        self.events.append(("decl", decl))

    handle_pi = unknown_decl = handle_decl


def _style(value: str | None) -> str:
    parts = [p.split(":", 1) for p in (value or "").split(";") if p.strip()]
    return ";".join(sorted(f"{k.strip().lower()}:{v.strip()}" for k, v in
                           (p if len(p) == 2 else (p[0], "") for p in parts)))


def _events(fragment: str) -> list:
    parser = _Events()
    parser.feed(fragment)
    parser.close()
    parser._flush()
    return parser.events


def render_markdown(source: str, attachments: dict | None = None) -> str:
    """The HTML nbconvert's HTMLExporter (formgrader, feedback) makes of a markdown cell."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=False, attachments=attachments or {},
                               embed_images=False, path="", anchor_link_text="¶",
                               exclude_anchor_links=False)
    return MarkdownWithMath(renderer=renderer).render(source)


def as_html_block(fragment: str, classes: str = MARKER) -> str:
    """Markdown source that renders to exactly `fragment`: one line, one HTML block.

    Newlines become `&#10;` (the same character to an HTML parser), so no blank line can
    end the block and let markdown (or the math pre-processor) re-read its text."""
    return f'<div class="{classes}">' + fragment.replace("\r", "").replace(
        "\n", "&#10;") + "</div>"


def _valid_base64(value) -> bool:
    if isinstance(value, list):
        value = "".join(value)
    if not isinstance(value, str) or not value.strip() or not _BASE64.fullmatch(value):
        return False
    try:
        base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def sanitize_attachments(cell) -> list[str]:
    """Keep image attachments with valid base64; give missing ones a placeholder.

    Returns the names of attachments that were referenced but missing or dropped."""
    raw = cell.get("attachments")
    kept = {}
    if isinstance(raw, dict):
        for name, bundle in raw.items():
            if not isinstance(bundle, dict):
                continue
            images = {m: _text(v) for m, v in bundle.items()
                      if m in IMAGE_TYPES and _valid_base64(v)}
            if images:
                kept[str(name)] = images
    missing = []
    source = _text(cell.get("source", ""))
    for match in re.finditer(r"attachment:([^\s)\"'>\]]+)", source):
        name = match.group(1)
        if name not in kept:
            kept[name] = {"image/png": MISSING_PNG}
            missing.append(name)
    if kept or "attachments" in cell:
        cell["attachments"] = kept
    if not kept:
        cell.pop("attachments", None)
    return missing


def cut_block(source: str, reason: str) -> str:
    """Markdown for a cell that was not rendered: the note and the start of its text, as
    escaped text in one HTML block that MathJax skips."""
    note = CUT_NOTE.format(reason=reason)
    return as_html_block(f"<p><em>{html.escape(note)}</em></p><pre>"
                         f"{inert_brackets(html.escape(source[:CUT_SHOWN]))}</pre>",
                         f"{MARKER} {rendercap.MATHJAX_SKIP}")


def inert_brackets(fragment: str) -> str:
    """`fragment` with every `[` as `&#91;` (the same to a browser): the templates'
    `strip_files_prefix` takes time quadratic in the `[` of a line."""
    return fragment.replace("[", "&#91;")


def sanitize_markdown_cell(cell, sanitizer: Sanitizer,
                           renderer: rendercap.Renderer | None = None) -> str | None:
    """Sanitise a student's markdown cell in place; returns what was done (or None)."""
    renderer = renderer or rendercap.Renderer()
    missing = sanitize_attachments(cell)
    source = _text(cell.get("source", ""))
    done = f"missing attachments {missing} shown as blank images" if missing else None
    seconds = 0.0
    try:
        shown, seconds = renderer.render(source, cell.get("attachments"))
    except rendercap.Cut as cut:
        cell["source"] = cut_block(source, str(cut))
        return f"not rendered: {cut}"
    except Exception as error:  # nbconvert could not render it: show the text instead
        shown = None
        done = f"could not be rendered ({type(error).__name__}); shown as text"
    if shown is not None and sanitizer.is_clean(shown) and renderer.keep(seconds):
        return done
    if shown is not None:
        slow = not renderer.keep(0.0) or seconds > rendercap.SLOW_SECONDS
        cleaned = sanitizer.clean(shown)
        note = f'<p><em>{html.escape(NOTE)}</em></p>'
        classes = MARKER
        if slow:  # shown as HTML, so neither the pages nor MathJax render it again
            note = (f"<p><em>[secure grading] rendered slowly ({seconds:.1f} s): shown "
                    "without typesetting its math.</em></p>")
            classes = f"{MARKER} {rendercap.MATHJAX_SKIP}"
            cleaned = inert_brackets(cleaned)
        new = as_html_block(note + cleaned, classes)
        try:
            # The sanitiser's own block (it may be longer than the student's source).
            check, _ = renderer.render(new, cell.get("attachments"), 10 * rendercap.MAX_CHARS)
            if sanitizer.is_clean(check):
                cell["source"] = new
                return "rendered slowly" if slow else "HTML outside the allow-list removed"
        except Exception:
            pass
    # Last resort: the source as escaped text in one block.
    cell["source"] = cut_block(source, "it could not be sanitised")
    return done or "shown as text"


def sanitize_output(output, sanitizer: Sanitizer, renderer: rendercap.Renderer | None = None):
    """A safe copy of one output (never raises)."""
    renderer = renderer or rendercap.Renderer()
    kind = output.get("output_type")
    if kind == "stream":
        return nbformat.v4.new_output("stream", name="stderr" if output.get("name") ==
                                      "stderr" else "stdout", text=_text(output.get("text",
                                                                                    "")))
    if kind == "error":
        return nbformat.v4.new_output(
            "error", ename=str(output.get("ename", "")), evalue=str(output.get("evalue", "")),
            traceback=[str(line) for line in output.get("traceback", [])
                       if isinstance(line, str)])
    if kind not in ("execute_result", "display_data"):
        return _inert(f"an output of unknown type {str(kind)[:40]!r} was removed")
    data = output.get("data") if isinstance(output.get("data"), dict) else {}
    meta = output.get("metadata") if isinstance(output.get("metadata"), dict) else {}
    new_data, new_meta, dropped = {}, {}, []
    for mime, value in data.items():
        if mime == "text/plain":
            new_data[mime] = _text(value)
        elif mime in ("image/png", "image/jpeg"):
            if _valid_base64(value):
                new_data[mime] = _text(value).strip()
                m = meta.get(mime) if isinstance(meta.get(mime), dict) else {}
                sizes = {k: int(m[k]) for k in ("width", "height")
                         if isinstance(m.get(k), int | float) and 0 < m[k] < 100_000}
                if sizes:
                    new_meta[mime] = sizes
            else:
                dropped.append(mime)
        elif mime == "text/html":
            cleaned = sanitizer.clean(_text(value))
            if rendercap.precheck(cleaned[:rendercap.MAX_CHARS]):  # MathJax skips it
                cleaned = f'<div class="{rendercap.MATHJAX_SKIP}">{cleaned}</div>'
            new_data[mime] = cleaned
        elif mime == "image/svg+xml":
            svg = base64.b64encode(_text(value).encode()).decode()
            new_data.setdefault("text/html", f'<img src="data:image/svg+xml;base64,{svg}">')
        elif mime == "text/markdown":
            try:
                shown = renderer.render(_text(value))[0]
                new_data.setdefault("text/html", sanitizer.clean(shown))
            except Exception:
                new_data.setdefault("text/plain", _text(value)[:rendercap.MAX_CHARS])
        elif mime == "text/latex" and not re.search(r"[<>&]", _text(value)) \
                and not rendercap.precheck(_text(value)):
            new_data[mime] = _text(value)
        else:
            dropped.append(mime)
    if dropped:
        note = f"[secure grading] not shown (could run in a browser): {', '.join(dropped)}"
        new_data["text/plain"] = (new_data.get("text/plain", "") + "\n" + note).lstrip("\n")
    if kind == "execute_result":
        out = nbformat.v4.new_output("execute_result", data=new_data,
                                     execution_count=output.get("execution_count"))
    else:
        out = nbformat.v4.new_output("display_data", data=new_data)
    out["metadata"] = new_meta
    return out


def _inert(text: str):
    return nbformat.v4.new_output("stream", name="stdout", text=f"[secure grading] {text}\n")


def _is_locked(cell) -> bool:
    nbg = cell.get("metadata", {}).get("nbgrader")
    return isinstance(nbg, dict) and bool(nbg.get("locked"))


def reserved_ids(nb) -> set[str]:
    """Ids the formgrader and feedback give their own elements for this notebook."""
    out = set()
    for cell in nb.cells:
        nbg = cell.get("metadata", {}).get("nbgrader")
        if isinstance(nbg, dict) and nbg.get("grade_id"):
            name = str(nbg["grade_id"])
            out |= {name, f"{name}-comment", f"{name}_extra_credit"}
    return out


def repair_text(node):
    """Replace lone surrogates (valid JSON escapes, not encodable text) by U+FFFD in
    every string of a notebook, in place: nothing downstream can write them."""
    if isinstance(node, dict):
        for key, value in list(node.items()):
            fixed = repair_text(value)
            if isinstance(key, str) and not key.isascii():
                new_key = _SURROGATE.sub("\ufffd", key)
                if new_key != key:
                    del node[key]
                    key = new_key
            node[key] = fixed
        return node
    if isinstance(node, list):
        node[:] = [repair_text(v) for v in node]
        return node
    if isinstance(node, str) and not node.isascii():
        return _SURROGATE.sub("\ufffd", node)
    return node


def sanitize_notebook(nb, skip_outputs_of=()) -> dict[int, str]:
    """Sanitise `nb` in place; returns {cell index: what was done} for changed cells.

    Outputs of the cells in `skip_outputs_of` (indices of trusted test cells) are left."""
    repair_text(nb)
    sanitizer = Sanitizer(reserved_ids(nb))
    renderer = rendercap.Renderer()
    report: dict[int, str] = {}
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        try:
            kind = cell.get("cell_type")
            if kind == "markdown":
                if _is_locked(cell):
                    missing = sanitize_attachments(cell)  # never lets nbconvert fail
                    if missing:
                        report[index] = f"missing attachments {missing}"
                    continue
                done = sanitize_markdown_cell(cell, sanitizer, renderer)
            elif kind == "raw":
                if _is_locked(cell):
                    continue
                source = _text(cell.get("source", ""))
                reason = rendercap.precheck(source)
                if reason:  # shown, as text, to nothing that would parse it all
                    cell["source"] = f'<div class="{rendercap.MATHJAX_SKIP}"><p><em>' \
                        f'{html.escape(CUT_NOTE.format(reason=reason))}</em></p><pre>' \
                        f'{html.escape(source[:CUT_SHOWN])}</pre></div>'
                    report[index] = f"not rendered: {reason}"
                    continue
                cleaned = sanitizer.clean(source)
                done = None if sanitizer.is_clean(source) else "raw HTML sanitised"
                if done:
                    cell["source"] = cleaned
            elif kind == "code":
                done = None
                cell.pop("attachments", None)
                if index not in skip_outputs_of:
                    cell["outputs"] = [sanitize_output(o, sanitizer, renderer)
                                       for o in cell.get("outputs", []) or []
                                       if isinstance(o, dict)]
            else:
                continue
        except Exception as error:  # never let one cell stop the notebook
            cell["source"] = as_html_block(f"<p><em>[secure grading] this cell could not be "
                                           f"sanitised ({html.escape(type(error).__name__)})"
                                           f" and is not shown.</em></p>")
            cell.pop("attachments", None)
            if cell.get("cell_type") == "code":
                cell["outputs"] = []
            done = f"not shown: {type(error).__name__}"
        if done:
            report[index] = done
    return report
