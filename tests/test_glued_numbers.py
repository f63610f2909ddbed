"""Numbers in the chapters' prose come from the code (DESIGN.md: "Every number the prose
quotes from a computation is glued").

The test parses each chapter's MyST source with MyST's own Markdown parser and reads only
its prose: not math ($...$, $$...$$, {math} roles and directives), not code cells or code
spans, not glue roles (they are the computed numbers), not labels, references, link
targets, figure names, HTML, nor years. Every other number must be either glued or one of
the chapter's constants below, each listed with the phrase it appears in and why it is not
a computed result (a size, a hyperparameter, a fact about the world, a count of words).
A result typed into the prose, say "perplexity around 6", matches no allowed phrase and
fails the test with its chapter, line and context.

No book build is needed: this reads the .md sources only (fast tier).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it.token import Token
from myst_parser.config.main import MdParserConfig
from myst_parser.mdit_to_docutils.base import DocutilsRenderer
from myst_parser.parsers.mdit import create_md_parser

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("0[1-8]_*.md"))

# A number: an integer or decimal, optionally with thousands separators, a sign, an
# exponent or a percent sign; never part of a word or identifier (CS224d, n_a, 10k, W2).
NUMBER = re.compile(r"(?<![\w.\-−])[-−]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?%?(?![\w])")
# A year (a citation or a date), not a computed result.
YEAR = re.compile(r"^(19|20)\d\d$")
# Roles and directives whose content is not prose with numbers.
SKIP_ROLES = {"math", "ref", "numref", "doc", "eq", "term", "download", "assignment", "abbr",
              "sub", "sup", "cite", "py:func", "func", "class", "mod", "attr"}
CODE_DIRECTIVES = {"code-cell", "code", "code-block", "math", "raw", "glue", "glue:figure",
                   "glue:math", "literalinclude", "image", "figure"}

# Constants per chapter: (the phrase the number stands in, why it is not computed).
# A phrase allows every number inside it, and only there.
ALLOWED: dict[str, list[tuple[str, str]]] = {
    "01_why_sequences": [
        ("from step 2 on", "demo caption: the step where the two sentences agree"),
        ("say, 10,000 words", "an example vocabulary size"),
        ("position 1 are", "positions in an example sentence"),
        ("at position 7,", "positions in an example sentence"),
    ],
    "02_notation": [
        ("| 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 |", "the positions of the example sentence"),
        ("| 1 | 1 | 0 | 1 | 1 | 0 | 0 | 0 | 0 |", "the example's labels (1: part of a name)"),
        ("use 30,000 to", "vocabulary sizes quoted from Ng's course"),
        ("50,000 words", "vocabulary sizes quoted from Ng's course"),
        ("a single 1 in", "the definition of one-hot"),
        ("1-of-N", "the name of an encoding"),
        ("index 0 is reserved", "the demo's convention"),
        ("jumps to row 0)", "the demo's convention"),
        ("from 1, numpy from 0", "indexing conventions"),
        ("multiplied by 0,", "what a mask does"),
    ],
    "03_forward_pass": [
        ("10,000-word vocabulary", "Ng's example size"),
        ("starting at 0), two outputs, every weight equal to", "Lee's hand example: setup"),
        ("1, no biases", "Lee's hand example: setup"),
        ("step 1:", "Lee's hand example, computed on paper in the text; the cell below "
                    "asserts the outputs"),
        ("step 2:  • , outputs 12;", "the same hand computation"),
        ("step 3:  • , outputs 32.", "the same hand computation"),
        ("units give 4, 10, 22 and the outputs 8, 20, 44.", "the same hand computation, "
                                                            "reversed order"),
        ("with perplexity 50", "an example value in the definition of perplexity"),
        ("among 50 tokens", "the same example"),
        ("has perplexity 1.", "a property of perplexity"),
    ],
    "04_bptt": [
        ("last of 20 steps", "an example length"),
        ("below 1 the terms", "a threshold in the argument"),
        ("about 3 to 5)", "CS224d's recommendation"),
        ("chunks of 25 to", "common practice"),
        ("3 to 5, as CS224d", "CS224d's recommendation"),
    ],
    "05_vanishing_gradients": [
        ("at most 1 and close to 0", "bounds of tanh's derivative"),
        ("a 60-step tanh RNN", "the experiment's length (a setting)"),
        ("range (0.5 to 1.5)", "the demo slider's range"),
        ("such as the 3 of", "the radius the figure uses (a setting)"),
        ("at radius 1 keeps the norm at 1", "the IRNN's property at initialisation"),
        ("input weight 1", "Lee's example: setup"),
        ("for 1000 steps", "Lee's example: setup"),
        ("almost 0 (", "\"almost 0\" in words; the value itself is glued"),
        ("0.999 to 1.001", "the inputs of the comparison"),
        ("one side of 1 (", "the threshold"),
        ("for 30 steps and ask its last state to be 0.5.", "the toy problem's setup"),
        ("(learning rate 5)", "a hyperparameter"),
        ("with learning rate 5,", "a hyperparameter"),
        ("The w^999 cliff", "a title (the exponent of Lee's example)"),
        ("fed a 1 at the first of 1000 steps", "the demo's setup"),
        ("gradient of about 900", "demo caption: the gradient at the demo's first step"),
        ("exactly 1, so", "the derivative of an active ReLU"),
        ("table, 97% test accuracy against the", "Le et al. (2015), Table 1: a cited result"),
        ("LSTM's 65%, and 82% against 36%", "Le et al. (2015), Table 1: a cited result"),
        ("between 0 and 1,", "the range of a sigmoid gate"),
        ("gates near 1,", "an open forget gate"),
        ("a 60-step LSTM", "the experiment's length (a setting)"),
        ("every 2", "Clockwork RNN's module periods"),
        ("steps, every 4,", "Clockwork RNN's module periods"),
    ],
    "06_gru_lstm": [
        ("between 0 and 1,", "the range of a sigmoid gate"),
        ("near 1 it lets", "gate values in words"),
        ("through; near 0 it", "gate values in words"),
        ("near 1) and then hold it, gate near 0,", "gate values in words"),
        ("stays near 1 and the input gate near 0:", "gate values in words"),
        ("essentially 0 or 1,", "saturated gates"),
        ("output 0).", "the hand-wired unit's rule"),
        ("adds 3 and then 4, ignores the 2", "the example's inputs, read off the table"),
        ("shows 7 when asked", "3 + 4, by hand; the printed table shows it"),
        ("stores 6 and", "the example's input"),
        ("start near 0.5,", "a sigmoid of zero"),
        ("typically 1,", "the usual forget-gate bias (a setting)"),
        ("| 3 | 4 |", "matrices per layer: a count, not a computation"),
        ("forget-gate bias 1 closed", "Jozefowicz et al.'s setting"),
        ("across 40 steps", "the demo's length (a setting)"),
    ],
    "07_architectures": [
        ("a batch of 2.", "the demo's sizes"),
        ("perhaps 100 per", "a typical frame rate"),
        ("(distance 0)", "demo caption: identical states"),
        ("sum to 1 and", "a property of softmax weights"),
        ("trained for 400 steps", "the demo's training length (a setting)"),
        ("(temperature 0", "greedy decoding's temperature"),
        ("suggests 10 in production", "Ng's suggested beam width"),
        ("probability below 1,", "a property of probabilities"),
        ("(width 1)", "greedy decoding's beam width"),
    ],
    "08_char_lm_project": [
        ("chapters 1 to 7", "the chapters the frozen corpus was taken from"),
        ("CC BY-SA 4.0", "the licence's name"),
        ("character model some 45)", "counted by hand in the sentence of chapter 6"),
        ("beyond 25 characters", "the window length T (a hyperparameter)"),
        ("400 times smaller", "m T = 16 x 25 characters per window (hyperparameters)"),
        ("gradient at 5;", "min-char-rnn's clipping value"),
        ("global norm at 1,", "the clipping threshold (a hyperparameter)"),
        ("for 100 steps", "a hyperparameter"),
        ("1.5, once without clipping and once clipped by norm at 1.", "hyperparameters"),
        ("(seeds 0 to 4)", "the seeds"),
        ("last 50 of the 100 steps", "the averaging window and run length"),
        ("of the 100 steps,", "the run length"),
        ("towards 1,", "the lowest possible perplexity"),
        ("with 48 hidden units, trained for 500 steps", "the demo's settings"),
        ("shows 100 characters", "the demo's settings"),
        (": 0 always takes", "demo caption: temperatures on its slider"),
        ("around 0.5 to 1 the", "demo caption: temperatures on its slider"),
        ("from 2 up", "demo caption: temperatures on its slider"),
        ("value around 0.1 acts", "a suggested setting for the reader"),
        ("and 0.05 already", "a suggested setting for the reader"),
        ("min-char-rnn's 5 never", "min-char-rnn's clipping value"),
    ],
}


@dataclass(frozen=True)
class Finding:
    chapter: str
    line: int
    number: str
    context: str

    def __str__(self) -> str:
        return f"{self.chapter}.md:{self.line}: {self.number!r} in \u201c{self.context}\u201d"


def _parser():
    config = MdParserConfig(enable_extensions={"dollarmath", "amsmath", "colon_fence",
                                               "deflist", "substitution"})
    return create_md_parser(config, DocutilsRenderer)


def _directive_body(content: str) -> str:
    """A directive's content without its options (`:key: value` lines or a --- block)."""
    lines = content.splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        return "\n".join(lines[end + 1:])
    while lines and re.match(r"^:[\w-]+:", lines[0]):
        lines.pop(0)
    return "\n".join(lines)


def prose_runs(source: str, first_line: int = 0) -> list[tuple[int, str]]:
    """The prose of a MyST source as (line number, text) runs, math and code removed."""
    md = _parser()
    tokens = md.parse(source, {})
    runs: list[tuple[int, str]] = []
    row: list[tuple[int, str]] | None = None         # the cells of a table row
    for token in tokens:
        line = first_line + (token.map[0] + 1 if token.map else 0)
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            runs.append((row[0][0] if row else line, "| " + " | ".join(t for _, t in row) + " |"))
            row = None
        elif token.type == "inline" and row is not None:
            row += [(line, " ".join(t for _, t in _inline_runs(token, line)))]
        elif token.type in ("fence", "colon_fence"):
            name = token.info.strip()
            match = re.match(r"^\{([\w:-]+)\}\s*(.*)$", name)
            if not match:
                continue                                 # a plain code block
            directive, argument = match.groups()
            if directive in CODE_DIRECTIVES:
                continue
            if argument:
                runs.append((line, argument))           # an admonition's title is prose
            runs += prose_runs(_directive_body(token.content), line)
        elif token.type == "inline":
            runs += _inline_runs(token, line)
    return runs


def _inline_runs(token: Token, line: int) -> list[tuple[int, str]]:
    runs, text, in_autolink = [], [], False
    for child in token.children or []:
        if child.type == "link_open" and child.markup in ("autolink", "linkify"):
            in_autolink = True
        elif child.type == "link_close":
            in_autolink = False
        elif child.type == "text" and not in_autolink:
            text.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            text.append("\n")
        elif child.type == "myst_role":
            name = child.meta.get("name", "")
            if name.startswith("glue") or name in SKIP_ROLES:
                text.append(" \u2022 ")                  # a placeholder: a glued value
            else:
                text.append(child.content)
        else:                                            # code spans, math, html, targets
            text.append(" \u2022 ")
    joined = "".join(text)
    for offset, part in enumerate(joined.split("\n")):
        runs.append((line + offset, part))
    return runs


def typed_numbers(chapter: str, source: str,
                  allowed: list[tuple[str, str]] | None = None) -> list[Finding]:
    """Numbers in the prose that are neither glued nor in an allowed phrase."""
    phrases = [phrase for phrase, _why in (ALLOWED.get(chapter, []) if allowed is None
                                           else allowed)]
    findings = []
    for line, text in prose_runs(source):
        masked = text
        for phrase in phrases:
            masked = masked.replace(phrase, " " * len(phrase))
        for match in NUMBER.finditer(masked):
            number = match.group().rstrip(",")
            if YEAR.match(number):
                continue
            start, end = max(0, match.start() - 40), match.end() + 40
            findings.append(Finding(chapter, line, number, text[start:end].strip()))
    return findings


def glue_keys(source: str) -> tuple[set[str], set[str]]:
    """(keys glued in code cells, keys the prose pastes) of one chapter."""
    glued = set(re.findall(r"""\bglue\(\s*["']([\w.-]+)["']""", source))
    pasted = {key.split(":")[0] for key in
              re.findall(r"\{glue(?::\w+)?\}`([^`]+)`", source)}
    return glued, pasted


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_number_in_the_prose_is_glued_or_a_listed_constant(path):
    findings = typed_numbers(path.stem, path.read_text(encoding="utf-8"))
    assert not findings, (
        f"{len(findings)} number(s) in the prose of {path.name} are neither glued nor "
        "listed as constants in tests/test_glued_numbers.py:ALLOWED. Glue the value from "
        "the cell that computes it (demos.glue.glue + {glue:text}`key:.2f`), or list the "
        "phrase with the reason it is a constant:\n  "
        + "\n  ".join(str(f) for f in findings))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_pasted_key_is_glued_on_the_same_page(path):
    glued, pasted = glue_keys(path.read_text(encoding="utf-8"))
    assert pasted <= glued, f"{path.name} pastes keys no cell of it glues: {pasted - glued}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_allowed_phrase_occurs(path):
    """An allow-list entry that no longer matches anything would hide nothing, but it
    would let a later typed number slip in unnoticed: keep the list exact."""
    text = " ".join(t for _line, t in prose_runs(path.read_text(encoding="utf-8")))
    stale = [phrase for phrase, _why in ALLOWED[path.stem] if phrase not in text]
    assert not stale, f"{path.name}: allowed phrases not in the prose any more: {stale}"


def test_a_typed_result_fails():
    """The scan catches a computed number typed into the prose, wherever it is glued
    today: replacing a glue role by the value it displays is a finding."""
    source = (ROOT / "book" / "08_char_lm_project.md").read_text(encoding="utf-8")
    role = re.search(r"\{glue:text\}`[^`]+`", source)
    assert role, "chapter 8 glues no number"
    typed = source[:role.start()] + "6.12" + source[role.end():]
    assert typed_numbers("08_char_lm_project", source) == []
    findings = typed_numbers("08_char_lm_project", typed)
    assert [f.number for f in findings] == ["6.12"]


def test_the_scan_skips_math_code_roles_and_links():
    source = "\n".join([
        "A size of $n_a = 64$ and $$T = 25$$ in math, `x[:, 3]` in code,",
        "{math}`2^{29}`, {ref}`ch-3`, a [link](https://example.org/a/12) and",
        "<https://example.org/7>, a year (Elman, 1990), {glue:text}`loss:.2f` nats,",
        "CS224d, n_a and 1e-5x are words. But 42 is typed.",
        "```{code-cell} ipython3\nprint(99)\n```",
        ":::{note} Note 17\nA typed 0.25 in a note.\n:::",
    ])
    assert sorted(f.number for f in typed_numbers("x", source, allowed=[])) == \
        ["0.25", "17", "42"]
    assert typed_numbers("x", source, allowed=[("But 42 is", "test"), ("Note 17", "t"),
                                               ("typed 0.25", "t")]) == []


def test_demos_glue_speaks_myst_nbs_protocol(monkeypatch):
    """The chapters glue through demos.glue (no Sphinx import in the kernel): its output
    is one that myst-nb's own reader turns into the value the {glue:text} role formats."""
    import IPython
    import IPython.display
    import nbformat
    import numpy as np
    from myst_nb.core.variables import format_plain_text
    from myst_nb.ext.glue import extract_glue_data_cell

    monkeypatch.syspath_prepend(str(ROOT / "book"))
    from demos import glue as glue_module

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display",
                        lambda data, raw, metadata: shown.append((data, metadata)))
    glue_module.glue("ratio", np.float64(6.2871))
    glue_module.glue("count", np.int64(66110))
    glue_module.glue("words", "all five")
    outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)
               for data, metadata in shown]
    cell = nbformat.v4.new_code_cell(outputs=outputs)
    pasted = {key: output["data"]["text/plain"] for key, output in extract_glue_data_cell(cell)}
    assert format_plain_text(pasted["ratio"], ".1f") == "6.3"
    assert format_plain_text(pasted["count"], ",d") == "66,110"
    assert format_plain_text(pasted["words"], "") == "all five"
    with pytest.raises(TypeError):
        glue_module.glue("array", np.ones(2))
