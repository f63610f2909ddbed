"""The checks framework (autograder.checks) and the source notebooks that call it."""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import reference as ref
from autograder.checks import CHECKS, PARTS, Case, Raised, SubResult, check, run_case, to_plain
from autograder.checks.compare import FD_REL_ERROR, compare, gradient_problems
from autograder.course import load

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = list(load().assignments)


# -- plain data -----------------------------------------------------------------------------

def test_to_plain_copies_arrays_and_unwraps_numpy_scalars():
    a = np.arange(6.0).reshape(2, 3)
    out = to_plain({"a": a, "t": (np.float64(1.5), np.int64(2), [True, None, "s"])})
    assert out["a"] is not a and np.array_equal(out["a"], a) and out["a"].dtype == np.float64
    assert out["t"] == (1.5, 2, [True, None, "s"])
    assert type(out["t"][0]) is float and type(out["t"][1]) is int and isinstance(out["t"], tuple)
    assert to_plain(np.float32(2.0)) == 2.0
    assert to_plain(np.ones(3, dtype=np.float32)).dtype == np.float32  # dtype kept for judging
    assert type(to_plain(np.ma.masked_array([1.0, 2.0]))) is np.ndarray


@pytest.mark.parametrize("bad, where", [
    (object(), "output: object"),
    ({"a": [1, lambda: 0]}, "output['a'][1]: function"),
    ({1: 2}, "dict key 1"),
    (np.array(["x"]), "dtype <U1"),
    (np.array([object()]), "dtype object"),
    (1 + 2j, "complex"),
])
def test_to_plain_rejects_foreign_objects_naming_them(bad, where):
    with pytest.raises(TypeError, match=re.escape(where)):
        to_plain(bad)


def test_to_plain_rejects_runaway_nesting():
    deep: list = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(TypeError, match="nested more than"):
        to_plain(deep)


# -- every check ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CHECKS))
def test_reference_gets_full_marks_and_cases_are_plain_and_deterministic(name):
    c = CHECKS[name]
    for part in PARTS:
        cases = c.cases(part)
        assert cases and all(isinstance(case, Case) and case.points > 0 for case in cases)
        assert cases[0].check == "shapes and types" or part == "hidden" or name in {
            "build_vocabulary", "count_parameters", "decode", "perplexity"}
        again = c.cases(part)
        for x, y in zip(cases, again, strict=True):
            assert x.check == y.check and _same(x.args, y.args) and _same(x.kwargs, y.kwargs)
            assert _same(to_plain(x.args), x.args) and _same(to_plain(x.kwargs), x.kwargs)
        results = [run_case(c, case, c.function) for case in cases]
        assert all(r.passed for r in results), [r for r in results if not r.passed]
    public = {case.check for case in c.cases("public")}
    hidden = c.cases("hidden")
    # hidden checks use other inputs than the public ones (or other sub-checks)
    assert any(case.check not in public for case in hidden) or not _same(
        [case.args for case in hidden], [case.args for case in c.cases("public")[:len(hidden)]])


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


def test_case_inputs_are_not_changed_by_a_student_who_writes_into_them():
    c = CHECKS["rnn_cell_forward"]
    case = c.cases("public")[1]
    before = copy.deepcopy(case.args)

    def vandal(xt, a_prev, parameters):
        xt[...] = 0.0
        parameters["ba"][...] = 99.0
        return ref.rnn_cell_forward(xt, a_prev, parameters)

    assert not run_case(c, case, vandal).passed
    assert _same(case.args, before)
    assert run_case(c, case, ref.rnn_cell_forward).passed


# -- check(): reports, scores, never raises -------------------------------------------------

def test_check_reports_public_pass_honestly(capsys):
    points = check("softmax", ref.softmax)
    out = capsys.readouterr()
    assert points == CHECKS["softmax"].max_points("public") == 2
    assert "public checks passed; hidden checks run at grading" in out.out
    assert "PASS  shapes and types" in out.out and out.err == ""
    check("softmax", ref.softmax, part="hidden")
    assert "hidden checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("student, text", [
    (lambda *a: (_ for _ in ()).throw(NotImplementedError()), "not implemented yet"),
    (lambda *a: (_ for _ in ()).throw(KeyError("Wax")), "raised KeyError: 'Wax'"),
    (lambda *a: None, "should be a tuple of 3"),
    (lambda *a: object(), "is not plain data"),
    (lambda xt, a, p: (a.T, ref.rnn_cell_forward(xt, a, p)[1], None), "transposed?"),
    (lambda xt, a, p: (a.astype(np.float32),) + ref.rnn_cell_forward(xt, a, p)[1:],
     "dtype float32, expected float64"),
    (lambda xt, a, p: (a * np.nan,) + ref.rnn_cell_forward(xt, a, p)[1:], "non-finite"),
    ([1, 2], "expected a function, got list"),
])
def test_wrong_answers_score_zero_without_raising(capsys, student, text):
    points = check("rnn_cell_forward", student)
    out = capsys.readouterr()
    assert points < CHECKS["rnn_cell_forward"].max_points("public")
    assert text in out.out and "FAIL" in out.out and out.err == ""
    assert "public checks passed" not in out.out


def test_partial_credit_is_per_subcheck(capsys):
    def no_bias(xt, a_prev, p):
        return ref.rnn_cell_forward(xt, a_prev, {**p, "ba": np.zeros_like(p["ba"])})

    points = check("rnn_cell_forward", no_bias)
    out = capsys.readouterr().out
    assert 0 < points < 6
    assert "FAIL  only the bias term" in out and "PASS  only x_t (Wax x_t)" in out
    assert "a_next differs: largest difference" in out and "at [" in out


def test_numpy_warnings_in_student_code_stay_off_stderr(capsys):
    # nbgrader scores a test cell that wrote to stderr as zero
    def overflowing(z):
        return np.exp(z) / np.exp(z).sum(axis=0)

    check("softmax", overflowing, part="hidden")
    out = capsys.readouterr()
    assert out.err == "" and "subtract the column maximum" in out.out


def test_misspelt_check_or_part_is_an_authoring_error():
    with pytest.raises(ValueError, match="no check named 'sofmax'"):
        check("sofmax", ref.softmax)
    with pytest.raises(ValueError, match="part must be"):
        check("softmax", ref.softmax, part="secret")


def test_judge_accepts_exception_descriptions():
    c = CHECKS["softmax"]
    case = c.cases("public")[0]
    for output in (Raised("ZeroDivisionError", "division by zero"), ZeroDivisionError("x")):
        r = c.judge(case, output)
        assert isinstance(r, SubResult) and not r.passed and r.points == 0
        assert "ZeroDivisionError" in r.message and r.max_points == case.points


def test_judge_takes_lists_for_tuples():
    # outputs that crossed a process boundary may come back with lists for tuples
    c = CHECKS["rnn_cell_forward"]
    case = next(case for case in c.cases("public") if case.check == "the cache")
    out = to_plain(ref.rnn_cell_forward(*copy.deepcopy(case.args)))
    assert c.judge(case, [out[0], out[1], list(out[2])]).passed


# -- comparisons ----------------------------------------------------------------------------

def test_compare_messages_name_the_output_and_the_difference():
    expected = np.zeros((2, 3))
    got = expected.copy()
    got[1, 2] = 0.5
    (msg,) = compare(got, expected, "dWaa")
    assert msg.startswith("dWaa differs: largest difference 0.5 at [1, 2]")
    assert "1 of 6 entries outside rtol=1e-07, atol=1e-09" in msg
    assert compare({"a": expected}, {"a": expected, "b": expected}, "") == [
        "the output is missing the key(s) 'b'"]
    assert compare(1e-12 + expected, expected, "x") == []  # within atol


def test_gradient_check_uses_cs231n_relative_error():
    num = {"dW": np.array([[1.0, -2.0], [3e-12, 0.5]])}
    ok = {"dW": num["dW"] * (1 + 1e-8)}
    assert gradient_problems(ok, num) == []
    bad = {"dW": num["dW"] * (1 + 10 * FD_REL_ERROR)}
    (msg,) = gradient_problems(bad, num)
    assert "dW disagrees with finite differences: relative error" in msg
    assert ref.rel_error(bad["dW"], num["dW"]) > FD_REL_ERROR


# -- the source notebooks --------------------------------------------------------------------

def _notebook(name):
    return nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def _check_calls(expr):
    """The check(...) calls of a test cell's last expression, a sum of check calls."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _check_calls(expr.left) + _check_calls(expr.right)
    assert isinstance(expr, ast.Call) and getattr(expr.func, "id", None) == "check", \
        ast.dump(expr)
    name, fn = expr.args
    assert all(k.arg == "part" for k in expr.keywords) and isinstance(fn, ast.Name)
    part = expr.keywords[0].value.value if expr.keywords else "public"
    return [(name.value, fn.id, part)]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_follows_the_contract(name):
    nb = _notebook(name)
    defined = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "stored outputs"
            if not _meta(cell).get("grade") and _meta(cell).get("grade_id") != "setup":
                defined |= {n.name for n in ast.parse(cell.source).body
                            if isinstance(n, ast.FunctionDef)}
    setup = [c for c in nb.cells if _meta(c).get("grade_id") == "setup"]
    assert len(setup) == 1 and _meta(setup[0])["locked"] and "import rnn_checks" in \
        setup[0].source and nb.cells.index(setup[0]) == 1, "one locked setup cell at the top"
    tests = [c for c in nb.cells if _meta(c).get("grade") and c.cell_type == "code"]
    manual = [c for c in nb.cells if _meta(c).get("grade") and c.cell_type == "markdown"]
    solutions = [c for c in nb.cells if _meta(c).get("solution") and c.cell_type == "code"]
    assert tests and solutions and 1 <= len(manual) <= 2
    for cell in solutions:
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
    for cell in manual:
        assert _meta(cell)["points"] > 0 and _meta(cell)["solution"]
    public_cells = [c for c in tests if not _meta(c)["grade_id"].endswith("_hidden")]
    for cell in tests:
        meta = _meta(cell)
        assert meta["locked"] and meta["points"] > 0
        hidden_cell = meta["grade_id"].endswith("_hidden")
        imp, *rest = ast.parse(cell.source).body
        # public checks from the student package; hidden ones from the instructor's
        assert isinstance(imp, ast.ImportFrom) and imp.module == (
            "autograder.checks" if hidden_cell else "rnn_checks")
        assert [a.name for a in imp.names] == ["check"]
        calls = [c for stmt in rest for c in _check_calls(stmt.value)]
        assert calls and {c[2] for c in calls} == {"hidden" if hidden_cell else "public"}
        if hidden_cell:
            hidden = re.search(r"### BEGIN HIDDEN TESTS\n(.*)### END HIDDEN TESTS",
                               cell.source, re.S).group(1)
            assert 'part="hidden"' in hidden and "import" in hidden
            partner = meta["grade_id"][: -len("_hidden")]
            assert any(_meta(c)["grade_id"] == partner for c in public_cells)
        total = 0.0
        for check_name, fn, part in calls:
            assert check_name in CHECKS and fn in defined
            total += CHECKS[check_name].max_points(part)
        # nbgrader refuses a score above the cell's points; below would be unreachable
        assert meta["points"] == total, f"{meta['grade_id']}: points {meta['points']} != {total}"


# -- the rules every check follows ----------------------------------------------------------

def test_hidden_cases_differ_from_public_ones_in_values_never_in_kind():
    for name, c in CHECKS.items():
        public = {case.check for case in c.cases("public")}
        hidden = {case.check for case in c.cases("hidden")}
        assert hidden <= public, f"{name}: only at grading: {sorted(hidden - public)}"


def test_every_function_given_arrays_or_dicts_has_the_inputs_sub_check():
    from autograder.checks.core import INPUTS

    def holds_data(obj):
        if isinstance(obj, (np.ndarray, dict, list)):
            return True
        return isinstance(obj, tuple) and any(map(holds_data, obj))

    for name, c in CHECKS.items():
        cases = c.cases("public")
        if any(holds_data(case.args) or holds_data(tuple(case.kwargs.values()))
               for case in cases):
            inputs = [case for case in cases if case.check == INPUTS]
            assert inputs and all(case.keep_inputs for case in inputs), name


def _wrong_kind(expected: object) -> object:
    """A value of another kind than the reference's output: a scalar, or a string where
    the reference returns a number."""
    return "0" if isinstance(expected, (int, float)) and not isinstance(expected, bool) else 0.0


WITH_INPUTS = sorted(name for name, c in CHECKS.items()
                     if any(case.keep_inputs for part in PARTS for case in c.cases(part)))


@pytest.mark.parametrize("package", ["autograder.checks", "rnn_checks"])
@pytest.mark.parametrize("name", WITH_INPUTS)
def test_the_inputs_sub_check_counts_only_for_an_output_of_the_right_kind(name, package):
    """A function that changes nothing because it does nothing (returns None, or a value of
    another kind) earns nothing for "does not change its inputs"; the reference earns it.
    The instructor's checks (public and hidden cases, as grading judges them) and the
    student package (the public checks a student runs) judge alike."""
    import importlib

    from autograder.checks.core import INPUTS

    checks = importlib.import_module(package)
    check_ = checks.CHECKS[name]
    parts = PARTS if package == "autograder.checks" else ("public",)
    cases = [case for part in parts for case in check_.cases(part) if case.check == INPUTS]
    assert cases and all(case.keep_inputs for case in cases)
    for case in cases:
        wrong = _wrong_kind(check_.expected(case))
        for label, fn in [("None", lambda *a, **k: None),
                          (repr(wrong), lambda *a, w=wrong, **k: w)]:
            result = checks.run_case(check_, case, fn)
            assert (result.points, result.passed) == (0.0, False), (case.key, label)
            assert "right kind" in result.message, result.message
        honest = checks.run_case(check_, case, CHECKS[name].function)
        assert honest.passed and honest.points == case.points > 0, honest


def test_one_gradient_check_threshold_everywhere():
    assert FD_REL_ERROR == 1e-5
    book = (ROOT / "book" / "04_bptt.md").read_text()
    notebook = (ROOT / "solutions" / "bptt" / "bptt.ipynb").read_text()
    for text in (book, notebook):
        assert "up to $10^{-5}$" in text
        assert "10^{-7}" not in text and "10^{-4}" not in text


def _perturbed(x):
    """A plain output that is wrong everywhere (so that every hint runs)."""
    if isinstance(x, np.ndarray):
        return (x * 1.5 + 0.25).astype(x.dtype) if x.dtype.kind == "f" else x[::-1].copy()
    if isinstance(x, dict):
        return {k: _perturbed(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(_perturbed(v) for v in x)
    if isinstance(x, float):
        return x * 1.5 + 0.25
    return x


# recorded at release (and derive_<key> methods)
ALLOWED = {"expected", "derived", "compute", "numeric", "make_cases", "cases"}


def test_judges_and_hints_use_only_the_case_the_output_and_recorded_values(monkeypatch):
    """THE RULE: a judge or hint may use the case, the student's output, `expected`,
    `derived` values and numpy; never the reference directly (a student package has no
    reference: what the reference gives is recorded through those accessors)."""
    import inspect
    import sys

    import autograder.reference as reference

    def guard(name, fn):
        def wrapped(*args, **kwargs):
            frame = sys._getframe(1)
            while frame is not None:
                if frame.f_code.co_name in ALLOWED or frame.f_code.co_name.startswith("derive_"):
                    return fn(*args, **kwargs)
                frame = frame.f_back
            raise AssertionError(f"a judge called autograder.reference.{name} directly")
        return wrapped

    for name, fn in inspect.getmembers(reference, inspect.isfunction):
        monkeypatch.setattr(reference, name, guard(name, fn))
    for name, c in CHECKS.items():
        for part in PARTS:
            for case in c.cases(part):
                good = c.expected(case)
                for output in (good, _perturbed(good)):
                    result = c.judge(case, output, {"after": [list(case.args), case.kwargs]})
                    assert "could not be judged" not in result.message, (name, result)
