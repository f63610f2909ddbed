"""Read a test cell's (trusted) source: which checks it calls, on which student functions.

A test cell may contain only `from autograder.checks import check` or
`from rnn_checks import check` (the student package; either way grading runs the trusted
instructor checks, `autograder.checks.CHECKS`), calls
`check("<check name>", <function name>, part="public"|"hidden")`, sums of such calls,
assignments of them to a name, and numbers. Anything else is refused: secure grading
never runs test-cell code, it re-creates the calls from this description.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

CHECK_MODULES = ("autograder.checks", "rnn_checks")


class TestCellError(ValueError):
    """The test cell does not follow the contract, so it cannot be graded securely."""

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class CheckCall:
    name: str       # key in autograder.checks.CHECKS
    function: str   # the student's function, by name
    part: str       # "public" | "hidden"


def parse_test_cell(source: str) -> list[CheckCall]:
    """The check calls in a test cell, in order (TestCellError if anything else is there)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise TestCellError(f"test cell is not valid Python: {error}") from None
    calls: list[CheckCall] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom):
            if stmt.module in CHECK_MODULES and stmt.level == 0 \
                    and [(a.name, a.asname) for a in stmt.names] == [("check", None)]:
                continue
            raise TestCellError(f"line {stmt.lineno}: only `from rnn_checks import check` or "
                                "`from autograder.checks import check` may be imported in a "
                                "test cell")
        if isinstance(stmt, ast.Expr):
            _collect(stmt.value, calls)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            _collect(stmt.value, calls)
        else:
            raise TestCellError(f"line {stmt.lineno}: {type(stmt).__name__} statements are "
                                "not allowed in a test cell")
    if not calls:
        raise TestCellError("test cell calls no check")
    return calls


def _collect(node: ast.AST, calls: list[CheckCall]) -> None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        _collect(node.left, calls)
        _collect(node.right, calls)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        pass
    elif isinstance(node, ast.Name):
        pass  # a name assigned from check calls earlier in the cell
    elif isinstance(node, ast.Call):
        calls.append(_check_call(node))
    else:
        raise TestCellError(f"line {node.lineno}: only check(...) calls and their sums are "
                            "allowed in a test cell")


def _check_call(node: ast.Call) -> CheckCall:
    where = f"line {node.lineno}"
    if not (isinstance(node.func, ast.Name) and node.func.id == "check"):
        raise TestCellError(f"{where}: only check(...) may be called in a test cell")
    args = list(node.args)
    keywords = {k.arg: k.value for k in node.keywords}
    if None in keywords or set(keywords) - {"name", "fn", "part"}:
        raise TestCellError(f"{where}: check() takes name, fn and part only")
    for i, key in enumerate(("name", "fn", "part")):
        if i < len(args):
            if key in keywords:
                raise TestCellError(f"{where}: check() got {key} twice")
            keywords[key] = args[i]
    if len(args) > 3:
        raise TestCellError(f"{where}: check() takes at most three arguments")
    name, fn = keywords.get("name"), keywords.get("fn")
    part = keywords.get("part", ast.Constant("public"))
    if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
        raise TestCellError(f"{where}: the check name must be a string literal")
    if not isinstance(fn, ast.Name):
        raise TestCellError(f"{where}: the function must be given by its name")
    if not (isinstance(part, ast.Constant) and part.value in ("public", "hidden")):
        raise TestCellError(f"{where}: part must be \"public\" or \"hidden\"")
    return CheckCall(name.value, fn.id, part.value)
