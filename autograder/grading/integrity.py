"""Integrity report for one assignment: submissions a person should look at.

Reads the student-written code cells of every submission (statically: nothing is run)
and flags: imports of the course package (the reference or the checks) or reads of its
files; `exec`/`eval`/`compile`/`__import__`, `ctypes`, `importlib`; IPython internals
(`get_ipython`, input transformers, `IPython` imports); process and network tricks (fork,
kill, _exit, socket, subprocess); and near-copies, of the reference implementation or of
another submission, measured on identifier-normalised token sequences. A flag is a
reason to read the code, never a verdict.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import io
import json
import re
import tokenize
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.grading import safecopy
from autograder.grading.textsafe import md_code, md_text

SIMILAR = 0.92          # token-sequence similarity that counts as a near-copy
MIN_TOKENS = 25         # functions shorter than this are too small to compare
PAIR_TOKENS = 80        # freedom-weighted near-identical tokens that make a flag
CANONICAL = 100         # bytes of choices at which independent versions match half the time

SUSPICIOUS_CALLS = {"exec", "eval", "compile", "__import__", "breakpoint", "globals",
                    "setattr", "delattr"}
SUSPICIOUS_MODULES = {"ctypes": "ctypes", "importlib": "importlib", "IPython": "IPython internals",
                      "subprocess": "subprocesses", "socket": "network", "urllib": "network",
                      "requests": "network", "http": "network", "multiprocessing": "processes",
                      "signal": "signals", "gc": "interpreter internals",
                      "inspect": "interpreter internals", "builtins": "builtins"}
SUSPICIOUS_ATTRS = {"fork": "fork", "_exit": "os._exit", "kill": "kill", "system": "os.system",
                    "input_transformers_post": "IPython input transformers",
                    "input_transformers_cleanup": "IPython input transformers",
                    "register_magic_function": "IPython magics", "events": "IPython events",
                    "user_ns": "IPython namespace", "modules": "sys.modules",
                    "allclose": "patches numpy comparison", "assert_allclose":
                    "patches numpy comparison", "__eq__": "custom equality"}
PATH_WORDS = re.compile(r"reference|solutions|gradebook|autograded|submitted|\.ipynb|_grading")


@dataclass
class Flag:
    student: str
    reason: str
    detail: str = ""


@dataclass
class Report:
    assignment: str
    flags: list = field(default_factory=list)

    def by_student(self) -> dict[str, list[Flag]]:
        out: dict[str, list[Flag]] = {}
        for flag in self.flags:
            out.setdefault(flag.student, []).append(flag)
        return out

    def markdown(self) -> str:
        lines = [f"# Integrity report: {self.assignment}", "",
                 "Flags are reasons for a person to read the code, not verdicts.", ""]
        grouped = self.by_student()
        if not grouped:
            lines.append("No submission was flagged.")
        for student in sorted(grouped):  # student-derived values are data: escaped
            lines.append(f"## {md_text(student)}")
            for flag in grouped[student]:
                lines.append(f"- {md_text(flag.reason)}"
                             + (f": {md_code(flag.detail)}" if flag.detail else ""))
            lines.append("")
        return "\n".join(lines) + "\n"


def student_cells(nb) -> list[str]:
    """Code the student wrote or could edit: every code cell that is not locked."""
    out = []
    for cell in nb.cells:
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and not nbg.get("locked"):
            out.append(cell.source)
    return out


def scan_code(student: str, source: str) -> list[Flag]:
    flags = []
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError as error:
        return [Flag(student, "code that does not parse", str(error)[:120])]
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) \
                else [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                if top == "autograder":
                    flags.append(Flag(student, "imports the course package (reference or "
                                      "checks)", name))
                elif top in SUSPICIOUS_MODULES:
                    flags.append(Flag(student, f"uses {SUSPICIOUS_MODULES[top]}", name))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in SUSPICIOUS_CALLS:
                flags.append(Flag(student, f"calls {node.func.id}()", ast.unparse(node)[:100]))
            elif node.func.id == "get_ipython":
                flags.append(Flag(student, "touches IPython internals", "get_ipython()"))
        elif isinstance(node, ast.Attribute) and node.attr in SUSPICIOUS_ATTRS:
            flags.append(Flag(student, SUSPICIOUS_ATTRS[node.attr], ast.unparse(node)[:100]))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and PATH_WORDS.search(node.value) and len(node.value) < 300:
            flags.append(Flag(student, "names course files", node.value[:100]))
    return flags


def _strip_magics(source: str) -> str:
    return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def functions(source: str) -> dict[str, list[str]]:
    """Function name -> its normalised token sequence (identifiers renamed by order)."""
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        return {}
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            if node.body and isinstance(node.body[0], ast.Expr) and \
                    isinstance(getattr(node.body[0], "value", None), ast.Constant):
                node.body = node.body[1:] or [ast.Pass()]
            out[node.name] = normalised_tokens(ast.unparse(node))
    return out


def normalised_tokens(code: str) -> list[str]:
    names: dict[str, str] = {}
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.NAME and not _keyword(tok.string):
                out.append(names.setdefault(tok.string, f"v{len(names)}"))
            elif tok.type in (tokenize.OP, tokenize.NUMBER, tokenize.STRING, tokenize.NAME):
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError):
        pass
    return out


def _keyword(word: str) -> bool:
    import keyword

    return keyword.iskeyword(word)


def similarity(a: list[str], b: list[str]) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
        return 0.0
    return matcher.ratio()


def reference_functions() -> dict[str, list[str]]:
    import autograder.reference as reference

    out = {}
    for obj in list(vars(reference).values()):  # vars(): no lazy attribute is imported
        if inspect.isfunction(obj):
            try:
                out.update(functions(inspect.getsource(obj)))
            except (OSError, TypeError):
                continue
    return out


def information(tokens: list[str], stub: list[str] | None = None) -> int:
    """Bytes of zlib-compressed normalised tokens the student added beyond the stub: a
    rough measure of how many choices writing the function involves (repeated patterns,
    such as unpacking five parameters, compress away)."""
    def size(seq):
        return len(zlib.compress(" ".join(seq).encode(), 9)) if seq else 0
    return max(size(tokens) - size(stub), 0)


def chance_prior(info: int) -> float:
    """Rough probability that two independent correct versions of a function with `info`
    bytes of choices are near-identical after normalisation: even odds at CANONICAL
    (about a six-line function beyond its stub), falling as the function grows."""
    return CANONICAL / (info + CANONICAL)


def freedom(tokens: list[str], stub: list[str] | None = None) -> float:
    """How much a near-identical copy of this function says, from 0 to 1: one minus the
    chance that independent correct versions match (`chance_prior`). It depends on the
    function alone, not on the class: a class where many copied the solution must not
    make copying the solution look normal."""
    return 1.0 - chance_prior(information(tokens, stub))


def scan(assignment: str, submissions: dict[str, object], release=None,
         solution=None) -> Report:
    """Integrity report over {student: notebook}. `release` (the released notebook) tells
    which functions the student wrote; `solution` (the instructor's source notebook) is
    compared like the reference implementation.

    A near-identical function counts as evidence of copying in proportion to the freedom
    it leaves (`freedom`): a six-line `rnn_cell_forward` that anyone following the
    docstring writes the same way weighs little, a long function with many choices a lot.
    A student is flagged when the freedom-weighted tokens of the matched functions reach
    PAIR_TOKENS."""
    report = Report(assignment)
    stub: dict[str, list[str]] = {}
    if release is not None:
        for source in student_cells(release):
            stub.update(functions(source))
    sources = {name: ("the reference implementation", tokens)
               for name, tokens in reference_functions().items()}
    if solution is not None:
        for cell in solution.cells:
            if cell.get("cell_type") == "code":
                for name, tokens in functions(cell.source).items():
                    sources.setdefault(name + "@solution", ("the instructor's solution",
                                                            tokens))
    per_student: dict[str, dict[str, list[str]]] = {}
    for student in sorted(submissions):
        nb = submissions[student]
        funcs: dict[str, list[str]] = {}
        seen = set()
        for source in student_cells(nb):
            for flag in scan_code(student, source):
                if (flag.reason, flag.detail) not in seen:
                    seen.add((flag.reason, flag.detail))
                    report.flags.append(flag)
            funcs.update(functions(source))
        # Only functions the student changed from the released stub count for copying.
        per_student[student] = {k: v for k, v in funcs.items()
                                if len(v) >= MIN_TOKENS and v != stub.get(k)}
    # Every student's matches with the course's own code, weighed by freedom.
    weight: dict[str, float] = {}
    for student, funcs in per_student.items():
        copied: dict[str, list] = {}
        for name, tokens in funcs.items():
            canonical = sources.get(name + "@solution", sources.get(name, (None, tokens)))[1]
            weight.setdefault(name, freedom(canonical, stub.get(name)))
            for key in (name, name + "@solution"):
                if key in sources:
                    label, theirs = sources[key]
                    score = similarity(tokens, theirs)
                    if score >= SIMILAR:
                        copied.setdefault(label, []).append((name, score, len(tokens)))
        for label, matched in copied.items():
            if sum(n * weight[name] for name, _, n in matched) >= PAIR_TOKENS:
                report.flags.append(Flag(student, f"near-copy of {label}", ", ".join(
                    f"{name} ({score:.0%}, freedom {weight[name]:.2f})"
                    for name, score, _ in matched)))
    students = sorted(per_student)
    parent = {s: s for s in students}

    def root(s):
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    shared: dict[str, set] = {}
    for i, first in enumerate(students):
        for second in students[i + 1:]:
            matched = []
            for name, tokens in per_student[first].items():
                other = per_student[second].get(name)
                if other is not None and similarity(tokens, other) >= SIMILAR:
                    matched.append((name, len(tokens) * weight[name]))
            # Functions with one natural solution match by chance: they weigh little.
            if sum(n for _, n in matched) >= PAIR_TOKENS:
                parent[root(first)] = root(second)
                for student in (first, second):
                    shared.setdefault(student, set()).update(name for name, _ in matched)
    groups: dict[str, list[str]] = {}
    for student in shared:
        groups.setdefault(root(student), []).append(student)
    for members in groups.values():
        for student in members:
            others = [m for m in members if m != student]
            report.flags.append(Flag(
                student, f"near-copy of other submissions: a group of {len(members)} with "
                f"near-identical {', '.join(sorted(shared[student]))}",
                ", ".join(others[:20]) + (" ..." if len(others) > 20 else "")))
    return report


def write(report: Report, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{report.assignment}.md"
    path.write_text(report.markdown(), encoding="utf-8")
    (folder / f"{report.assignment}.json").write_text(json.dumps(
        [flag.__dict__ for flag in report.flags], indent=1), encoding="utf-8")
    return path


def read_notebook(path: Path) -> object:
    """A graded or submitted notebook, read never through a link, a hard link or a FIFO
    (safecopy.read_regular); raises on anything else."""
    return nbformat.reads(safecopy.read_regular(Path(path)).decode("utf-8"), as_version=4)


def read_notebooks(paths: dict[str, Path]) -> dict[str, object]:
    out = {}
    for student, path in paths.items():
        try:
            out[student] = read_notebook(path)
        except Exception:
            continue
    return out
