"""Student-controlled text (ids, names, error messages, code) shown as data: in a terminal
and in the Markdown integrity report.

Allow-list: printable characters (`str.isprintable`: letters, digits, punctuation, symbols
and the plain space) pass; every other character (controls such as ESC, CR, BEL, line
and paragraph separators, bidirectional and zero-width format characters) is shown as a
visible escape like `\\x1b` or `\\u202e`, so no terminal escape sequence or bidi trick
reaches the instructor's screen.
"""

from __future__ import annotations

import re

_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def printable(text: object, keep_newlines: bool = False) -> str:
    """`text` with every non-printable character replaced by a visible escape."""
    out = []
    for char in str(text):
        if char.isprintable() or (keep_newlines and char == "\n"):
            out.append(char)
        elif char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def md_text(text: object) -> str:
    """`text` as literal Markdown text: printable, every ASCII punctuation escaped."""
    return _MD_PUNCTUATION.sub(r"\\\1", printable(text))


def md_code(text: object) -> str:
    """`text` as a Markdown code span that no content can close early (its fence is
    longer than any run of backticks inside), printable; HTML in it stays text."""
    value = printable(text)
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {value} {fence}"
