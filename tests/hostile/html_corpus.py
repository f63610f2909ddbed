"""Submissions that attack the instructor's browser (and the batch) rather than the grader.

`build(release_nb, solution_nb, png_b64)` returns {student: notebook}. Every notebook
starts as the released `forward_pass` with all solution cells filled in correctly, so its
code earns full marks; the attack is in what the instructor *looks at*: markdown cells,
written answers, attachments, raw cells and outputs. Each script payload, if it ever ran,
would leave a trace the test looks for: a request to `/pwned/<kind>` on the page's own
(loopback) server, `document.title == "PWNED"`, `window.__pwned`, or a dialog.
"""

from __future__ import annotations

import base64
import copy

import nbformat
from corpus import _cell, solution_sources

ASSIGNMENT = "forward_pass"
WRITTEN = ("written_weight_sharing", "written_perplexity")
# What the honest student writes; the checks look for these in the rendered pages.
TEX_INLINE = r"$\alpha_t < \beta_t$"
TEX_DISPLAY = r"$$\mathcal{L} = \sum_{t=1}^{T_y} \mathcal{L}^{\langle t \rangle}$$"
TEX_ALIGN = "\\begin{align}\na &= b \\\\\nc &< d\n\\end{align}"
TABLE_CELL = "perplexity-of-uniform"
NOTE_START = "[secure grading] HTML in this cell"  # the note over a sanitised cell


def js(kind: str) -> str:
    """A script that leaves every trace the test checks, tagged with `kind`."""
    return (f"fetch('/pwned/{kind}');document.title='PWNED';window.__pwned='{kind}';"
            f"alert('{kind}')")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def honest_answer(png_b64: str) -> str:
    """A rich, honest written answer: math, a table, code, quotes, links, an image."""
    return f"""Weight sharing keeps the number of parameters fixed, so {TEX_INLINE} holds
for any length, and the loss is a sum over steps:

{TEX_DISPLAY}

{TEX_ALIGN}

| model | value |
|:------|------:|
| {TABLE_CELL} | $n_y$ |

> A quoted remark, with a < b and b > a in plain text.

`a<b` in inline code, a line break<br>and an autolink <https://numpy.org>.

```python
def f(x):
    return x < 1 and "<b>not bold</b>"
```

![my plot](attachment:plot.png)

![inline plot](data:image/png;base64,{png_b64})
"""


MARKDOWN_PAYLOADS = {
    "img_onerror": f'<img src="x" onerror="{js("img_onerror")}">',
    "svg_onload": f'<svg onload="{js("svg_onload")}"><circle r="5"/></svg>',
    "script": f"<script>{js('script')}</script>",
    "js_link": f"[click me](javascript:{js('js_link')})",
    "iframe": f'<iframe src="javascript:{js("iframe")}"></iframe>'
              f'<iframe srcdoc="<script>{js("iframe_srcdoc")}</script>"></iframe>',
    "object": '<object data="data:text/html;base64,'
              + _b64(f"<script>{js('object')}</script>") + '"></object>',
    "embed": '<embed src="/pwned/embed">',
    "style": "<style>@import url('/pwned/style_import'); body { display: none }</style>"
             '<div style="background-image: url(/pwned/style_attr)">styled</div>',
    "meta_refresh": '<meta http-equiv="refresh" content="0;url=/pwned/meta_refresh">',
    "base": '<base href="/pwned/base/">',
    "link": '<link rel="stylesheet" href="/pwned/link">',
    "data_link": f'<a href="data:text/html,<script>{js("data_link")}</script>">data</a>',
    "details": f'<details open ontoggle="{js("details")}"><summary>s</summary>x</details>',
    "autofocus": f'<input autofocus onfocus="{js("autofocus")}">',
    "form": '<form action="/pwned/form"><button>Full credit</button></form>',
    "remote_img": '<img src="/pwned/remote_img">',
    "mxss_noscript": f'<noscript><p title="</noscript><img src=x onerror={js("mxss")}>">'
                     "</noscript>",
    "comment": f'<!--> <img src=x onerror="{js("comment")}"> -->',
    "clobber": "## written_perplexity\n\n<span class=\"btn full-credit tabbable\">x</span>",
    "md_image_js": f"![x](javascript:{js('md_image')})",
    "svg_data_img": '<img src="data:image/svg+xml;base64,'
                    + _b64(f"<svg xmlns='http://www.w3.org/2000/svg' onload=\"{js('svgimg')}\"/>")
                    + '">',
}


def hostile_outputs() -> list:
    """Outputs that would run script if nbconvert wrote them into a page as they are."""
    new = nbformat.v4.new_output
    return [
        new("display_data", data={"text/html": f'<img src=x onerror="{js("out_html")}">'
                                                f"<script>{js('out_html_script')}</script>"
                                                "<b>html output</b>"}),
        new("display_data", data={"image/svg+xml": f'<svg onload="{js("out_svg")}">'
                                                   f"<script>{js('out_svg_script')}</script>"
                                                   "</svg>"}),
        new("display_data", data={"application/javascript": js("out_js")}),
        new("display_data", data={"text/markdown": f'<img src=x onerror="{js("out_md")}">'}),
        new("display_data", data={"application/vnd.jupyter.widget-view+json": {
            "model_id": "evil", "version_major": 2, "version_minor": 0}}),
        new("display_data", data={"text/latex": f'<img src=x onerror="{js("out_latex")}">'}),
        new("display_data", data={"image/png": f'x" onerror="{js("out_png_data")}'}),
        new("display_data", data={"image/png": "iVBORw0KGgo="},
            metadata={"image/png": {"width": f'1 onerror="{js("out_png_meta")}"'}}),
        new("execute_result", execution_count=1,
            data={"text/html": f'<iframe src="javascript:{js("out_iframe")}"></iframe>'}),
    ]


WIDGET_STATE = {"application/vnd.jupyter.widget-state+json": {
    "version_major": 2, "version_minor": 0, "state": {"evil": {
        "model_name": "HTMLModel", "model_module": "@jupyter-widgets/controls",
        "model_module_version": "2.0.0",
        "state": {"value": f'<img src=x onerror="{js("widget")}">'}}}}}


def _filled(release_nb, sources):
    nb = copy.deepcopy(release_nb)
    for grade_id, source in sources.items():
        _cell(nb, grade_id).source = source
    return nb


def build(release_nb, solution_nb, png_b64: str) -> dict[str, nbformat.NotebookNode]:
    sources = solution_sources(solution_nb)
    everything = "\n\n".join(MARKDOWN_PAYLOADS.values())
    out = {}

    nb = _filled(release_nb, sources)
    for grade_id in WRITTEN:
        cell = _cell(nb, grade_id)
        cell.source = honest_answer(png_b64)
        cell["attachments"] = {"plot.png": {"image/png": png_b64}}
    out["honest_rich"] = nb

    # Payloads in the written answers (next to honest math), in a student's own markdown
    # cell, and in an unlocked markdown cell of the release (the introduction).
    nb = _filled(release_nb, sources)
    for grade_id in WRITTEN:
        cell = _cell(nb, grade_id)
        cell.source = honest_answer(png_b64) + "\n\n" + everything
        cell["attachments"] = {"plot.png": {"image/png": png_b64},
                               "evil.svg": {"image/svg+xml": _b64(
                                   f"<svg onload=\"{js('att_svg')}\"/>")},
                               "evil.html": {"text/html": _b64(f"<script>{js('att')}</script>")}}
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(everything))
    nb.cells[0].source += "\n\n" + MARKDOWN_PAYLOADS["img_onerror"]
    out["xss_markdown"] = nb

    # Hostile outputs, a raw HTML cell, widget state in the notebook metadata.
    nb = _filled(release_nb, sources)
    code = nbformat.v4.new_code_cell("print('an ordinary cell')")
    code.outputs = hostile_outputs()
    nb.cells.insert(2, code)
    nb.cells.insert(3, nbformat.v4.new_raw_cell(f'<img src=x onerror="{js("raw")}">'))
    nb.cells.insert(4, nbformat.v4.new_raw_cell(f"<script>{js('raw_html')}</script>",
                                                metadata={"raw_mimetype": "text/html"}))
    nb.metadata["widgets"] = copy.deepcopy(WIDGET_STATE)
    out["xss_outputs"] = nb

    # An image that names an attachment the notebook does not have (item 9).
    nb = _filled(release_nb, sources)
    _cell(nb, WRITTEN[0]).source = "See the figure: ![figure](attachment:missing.png)"
    nb.cells.append(nbformat.v4.new_markdown_cell("![gone](attachment:also_missing.png)"))
    out["missing_attachment"] = nb

    # Text JSON allows but UTF-8 cannot encode (lone surrogates), in markdown and output.
    nb = _filled(release_nb, sources)
    _cell(nb, WRITTEN[0]).source = "half a character: \ud800 here"
    nb.cells.append(nbformat.v4.new_code_cell("print('lone surrogate: \\ud800')"))
    out["lone_surrogate"] = nb

    # Output amplification: a small notebook whose cells print a lot (item 5).
    nb = _filled(release_nb, sources)
    for i in range(250):
        nb.cells.append(nbformat.v4.new_code_cell(f"print('{i}' + 'y' * 40_000)"))
    out["amplify_output"] = nb

    out["regrade_victim"] = _filled(release_nb, sources)  # graded, then re-graded (item 11)
    return out
