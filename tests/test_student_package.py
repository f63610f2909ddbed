"""The student package `rnn_checks` (student/): generated from autograder/checks at
release, current, free of reference code, and enough on its own for a student.

The slow test builds the wheel, makes a fresh virtual environment with only it plus
numpy, matplotlib, ipywidgets and ipykernel (no `autograder`, the repository not on the
path), fills every released notebook with the instructor's solutions and runs the real
`nbgrader validate` against a kernel of that environment.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from mutants.notebook import NOTEBOOK_MUTANTS
from test_assignments_roundtrip import ASSIGNMENTS, solved

from autograder import release, studentpkg
from autograder.checks import CHECKS
from autograder.checks.compare import gradient_problems
from autograder.checks.recorded import RecordedSource

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "student" / "rnn_checks"


def _recorded(folder: Path) -> RecordedSource:
    return RecordedSource.from_bytes((folder / "public.json").read_bytes(),
                                     (folder / "public.npz").read_bytes())


# Recorded floats against a fresh build on this machine: another CPU makes OpenBLAS pick
# other kernels (OPENBLAS_CORETYPE), which round differently in the last bit.
EPS = float(np.finfo(np.float64).eps)
# Inputs that a forward pass builds (caches, helper tables), the reference's outputs and the
# values hints use: each entry is a chain of at most a few hundred float64 operations on
# values of the array's own magnitude, so round-off moves it by less than n * eps * scale
# (Higham's gamma_n) with n <= 2**10. Random draws and integers are equal bit for bit.
ROUND_OFF = 2**10 * EPS


def _close(a, b, where: str) -> None:
    """Equal plain data; floats equal up to ROUND_OFF times the array's largest entry."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        if a.dtype.kind == "f" and a.size:
            assert np.all(np.isfinite(a) == np.isfinite(b)), where
            finite = np.isfinite(b)
            assert np.array_equal(a[~finite], b[~finite]), where
            scale = float(np.abs(b[finite]).max(initial=0.0))
            worst = float(np.abs(a[finite] - b[finite]).max(initial=0.0))
            assert worst <= ROUND_OFF * scale, \
                f"{where}: differs by {worst:.3g}, round-off bound {ROUND_OFF * scale:.3g}"
        else:
            assert np.array_equal(a, b), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _close(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert abs(a - b) <= ROUND_OFF * max(abs(a), abs(b)), where
    else:
        assert a == b, where


def _close_numeric(new, old, where: str) -> None:
    """Finite-difference gradients, compared as the judge compares a student's gradient
    with them (`gradient_problems`: CS231n relative error <= FD_REL_ERROR, or a difference
    <= FD_ABS_FLOOR). A central difference with step h on a loss sum(f * df) carries
    round-off of about eps * sum(|f| |df|) / h: up to 1.4e-9 on the public cases, at
    h = 1e-5, far above ROUND_OFF, and the judge's own floor is of that order."""
    if old is None or new is None:
        assert new is old, where
        return
    assert list(new) == list(old), where
    assert gradient_problems(new, old) == [], where


def test_student_package_is_the_current_release(tmp_path):
    """Committed student/rnn_checks == a fresh build from autograder/checks and the
    reference (code exactly, recorded values to round-off)."""
    stale = "run `python -m autograder release --all` and commit student/"
    built = studentpkg.build(tmp_path)
    fresh, committed = tmp_path / "rnn_checks", PACKAGE
    names = sorted(p.relative_to(fresh).as_posix() for p in built)
    assert names == sorted(p.relative_to(committed).as_posix()
                           for p in committed.rglob("*") if p.is_file()
                           and "__pycache__" not in p.parts), stale
    for name in names:
        if name.endswith(".py"):
            assert (fresh / name).read_text() == (committed / name).read_text(), \
                f"student/rnn_checks/{name} is stale: {stale}"
    new, old = _recorded(fresh / "data"), _recorded(committed / "data")
    assert sorted(new.document["checks"]) == sorted(old.document["checks"]) == sorted(CHECKS)
    for name, check in CHECKS.items():
        entry_new, entry_old = new.document["checks"][name], old.document["checks"][name]
        for key in ("public_points", "hidden_points"):
            assert entry_new[key] == entry_old[key], f"{name} {key}: {stale}"
        assert len(entry_new["cases"]) == len(entry_old["cases"]), f"{name}: {stale}"
        for case_new, case_old in zip(new.cases(check, "public"), old.cases(check, "public"),
                                      strict=True):
            _close(vars(case_new), vars(case_old), f"{name} case {case_old.key} ({stale})")
            values = entry_new["cases"][0]["values"]
            assert sorted(values) == sorted(entry_old["cases"][0]["values"]), f"{name}: {stale}"
            for key in values:
                compare = _close_numeric if key == "numeric" else _close
                compare(new.derived(check, case_new, key), old.derived(check, case_old, key),
                        f"{name} {case_old.key} {key} ({stale})")


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebooks_have_the_release_layout(name):
    """Setup cell and test cells (with points from CHECKS) as the release writes them."""
    path = ROOT / "solutions" / name / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert release.normalise(nb, release.repository_url()) == nb, (
        f"solutions/{name}: test cells or points are stale: run "
        f"`python -m autograder release {name}` and commit solutions/, exercises/, student/")


def reference_names() -> set[str]:
    """Every function the instructor's checks call the reference of, and the reference API."""
    import autograder.reference as reference

    names = {n for n, obj in vars(reference).items() if inspect.isfunction(obj)}
    names |= {c.function.__name__ for c in CHECKS.values()}
    return names


def no_reference_in(files: dict[str, str]) -> None:
    names = reference_names()
    assert {"softmax", "rnn_cell_forward", "one_hot", "lstm_backward"} <= names
    for filename, text in files.items():
        for node in ast.walk(ast.parse(text, filename)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                assert getattr(node, "name", "") not in names, \
                    f"{filename}:{node.lineno} defines the reference's {node.name}"
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] == "autograder" for a in node.names), \
                    f"{filename}:{node.lineno} imports autograder"
            if isinstance(node, ast.ImportFrom):
                assert node.level or (node.module or "").split(".")[0] != "autograder", \
                    f"{filename}:{node.lineno} imports autograder"
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("make_cases", "numeric", "function"), \
                    f"{filename}:{node.lineno} uses the instructor-only {node.attr}"


def test_student_package_holds_no_reference_code():
    files = {str(p): p.read_text() for p in PACKAGE.glob("*.py")}
    assert len(files) >= 10
    no_reference_in(files)
    # no hidden case is recorded: only public keys, and every public case of every check
    document = json.loads((PACKAGE / "data" / "public.json").read_text())
    for name, entry in document["checks"].items():
        keys = [c["case"]["key"]["py"] for c in entry["cases"]]
        assert keys == [f"{name}|public|{i}" for i in range(len(keys))]
        assert entry["public_points"] == CHECKS[name].max_points("public")


def test_a_judge_that_calls_the_reference_stops_the_build():
    source = (ROOT / "autograder" / "checks" / "clipping.py").read_text()
    bad = source.replace("clipped = {k: np.clip(v, -max_norm, max_norm) for k, v in g.items()}",
                         "clipped = ref.clip(g, max_norm)")
    assert bad != source
    with pytest.raises(studentpkg.BuildError, match=r"clipping.py:\d+: judge-side code uses ref"):
        studentpkg.strip_module(bad, "clipping.py")


# -- a student's machine ------------------------------------------------------------------

def _run(*args, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)
    assert result.returncode == 0, f"{' '.join(map(str, args))}:\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def student_env(tmp_path_factory):
    """(python of a fresh venv with only the wheel + notebook basics, JUPYTER_PATH whose
    python3 kernel runs in it, the wheel)."""
    uv = Path(sys.executable).parent / "uv"  # requirements.txt installs it
    uv = str(uv) if uv.exists() else shutil.which("uv")
    if uv is None:
        pytest.fail("uv is needed to build the student environment (pip install uv)")
    base = tmp_path_factory.mktemp("student_env")
    source = base / "src"
    shutil.copytree(ROOT / "student", source, ignore=shutil.ignore_patterns("__pycache__",
                                                                           "*.egg-info", "build"))
    _run(uv, "build", "--wheel", "--out-dir", str(base / "dist"), str(source), "--quiet")
    (wheel,) = (base / "dist").glob("rnn_course_checks-*.whl")
    venv = base / "venv"
    _run(uv, "venv", "--quiet", "--python", sys.executable, str(venv))
    python = venv / "bin" / "python"
    _run(uv, "pip", "install", "--quiet", "--python", str(python), str(wheel), "numpy",
         "matplotlib", "ipywidgets", "ipykernel")
    kernels = base / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "student", "language": "python"}))
    return python, base / "jupyter", wheel


def _student_environ(jupyter_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    bindir = str(Path(sys.executable).parent)
    return {**env, "JUPYTER_PATH": str(jupyter_path), "MPLBACKEND": "Agg",
            "PATH": bindir + os.pathsep + env.get("PATH", "")}


@pytest.mark.grading
def test_student_environment_has_the_checks_and_not_the_reference(student_env, tmp_path):
    python, _, wheel = student_env
    probe = ("import importlib.util, os, rnn_checks, sys\n"
             "print(importlib.util.find_spec('autograder'))\n"
             f"print(any(os.path.realpath(p or '.').startswith({str(ROOT)!r}) "
             "for p in sys.path + [rnn_checks.__file__]))\n"
             "print(rnn_checks.check.__module__)")
    out = _run(str(python), "-I", "-c", probe, cwd=tmp_path).stdout.split()
    assert out == ["None", "False", "rnn_checks.core"], out
    result = subprocess.run([str(python), "-c", "import autograder.reference"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "No module named 'autograder'" in result.stderr
    with zipfile.ZipFile(wheel) as zf:
        files = {n: zf.read(n).decode() for n in zf.namelist() if n.endswith(".py")}
        assert any(n.endswith("data/public.npz") for n in zf.namelist())
    assert len(files) >= 10
    no_reference_in(files)


@pytest.mark.grading
def test_filled_notebooks_validate_in_the_student_environment(student_env, tmp_path,
                                                              monkeypatch):
    """Every released notebook, filled with the solutions, passes `nbgrader validate` run
    on the student's kernel; a wrong function fails it with the checks' own message."""
    python, jupyter_path, _ = student_env
    paths = []
    for name in ASSIGNMENTS:
        source = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
        released = nbformat.read(ROOT / "exercises" / name / f"{name}.ipynb", as_version=4)
        paths.append(tmp_path / f"{name}.ipynb")
        nbformat.write(solved(released, source), paths[-1])
    # a graded probe: validate fails unless the kernel is the student's environment
    probe = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    probe.cells = [nbformat.v4.new_code_cell(
        "import importlib.util, sys\n"
        f"assert sys.executable == {str(python)!r}, sys.executable\n"
        "assert importlib.util.find_spec('autograder') is None", metadata={"nbgrader": {
            "grade": True, "solution": False, "locked": True, "points": 1,
            "grade_id": "probe", "schema_version": 3}})]
    paths.append(tmp_path / "probe.ipynb")
    nbformat.write(probe, paths[-1])
    cell_id, wrong, test_cell, fragment = NOTEBOOK_MUTANTS["forward_pass"]
    source = nbformat.read(ROOT / "solutions" / "forward_pass" / "forward_pass.ipynb", 4)
    released = nbformat.read(ROOT / "exercises" / "forward_pass" / "forward_pass.ipynb", 4)
    mutant = tmp_path / "wrong" / "forward_pass.ipynb"
    mutant.parent.mkdir()
    nbformat.write(solved(released, source, {cell_id: wrong}), mutant)
    env = _student_environ(jupyter_path)
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    # three validate runs side by side: the filled notebooks in two halves, the mutant
    runs = [subprocess.Popen([nbgrader, "validate", *map(str, group)], cwd=folder, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for group, folder in ((paths[::2], tmp_path), (paths[1::2], tmp_path),
                                  ([mutant], mutant.parent))]
    outs = [run.communicate(timeout=900)[0] for run in runs]
    out = outs[0] + outs[1]
    assert out.count("Success! Your notebook passes all the tests.") == len(paths), out[-6000:]
    assert "FAILED" not in out and "Traceback" not in out
    out = outs[2]
    # softmax fails, and so do the public checks of the functions that call it
    assert "VALIDATION FAILED ON" in out and "Success!" not in out, out[-4000:]
    assert 'check("softmax", softmax)' in out and "Partial credit" in out
    # the failing cell, run in the student's kernel, says what the instructor's check says
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))  # where "python3" is looked up

    nb = nbformat.read(mutant, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(  # the kernel is the student's environment
        "import importlib.util, sys\nprint(sys.executable, importlib.util.find_spec("
        "'autograder'))"))
    NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=False,
                   resources={"metadata": {"path": str(mutant.parent)}}).execute(env=env)
    shown = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                 == test_cell)
    text = "".join(o.get("text", "") for o in shown.outputs if o.output_type == "stream")
    assert fragment in text and "FAIL  over axis 0 (the classes)" in text
    assert _instructor_report(wrong) == text
    probe = nb.cells[-1].outputs[0]["text"].split()
    assert probe == [str(python), "None"], probe


def _instructor_report(wrong: str) -> str:
    import contextlib
    import io

    from autograder.checks import check

    namespace = {"np": np}
    exec(wrong, namespace)  # the mutant's source, a test fixture
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check("softmax", namespace["softmax"])
    return out.getvalue()


@pytest.mark.grading
def test_setup_cell_and_student_imports_are_harmless_in_the_sandbox():
    """At grading the setup cell and a student's own `rnn_checks` import run in the
    sandbox, where the course's packages are hidden: they do nothing and install nothing."""
    from autograder.grading.sandbox import Limits, Step, run_job

    setup = release.SETUP.format(distribution=release.DISTRIBUTION,
                                 url=release.repository_url())
    steps = [Step("code", source=setup),
             Step("code", source='from rnn_checks import check\n'
                                 'print("points", check("softmax", len))'),
             Step("code", source="import autograder.reference")]
    result = run_job(steps, Limits(cell_timeout=60, problem_timeout=60,
                                   submission_timeout=120), slot=7)
    first, second, third = result.steps
    assert first.status == "ok" and "rnn_checks is ready" in first.stdout, first
    assert second.status == "ok" and "run by the grader" in second.stdout
    assert "points 0.0" in second.stdout
    assert third.status == "error" and "autograder" in third.error


def test_a_case_is_recorded_field_by_field(monkeypatch):
    """A plain-data field added to Case travels to the student package unchanged."""
    import dataclasses

    from autograder.checks import Case, recorded

    @dataclasses.dataclass(frozen=True)
    class Wider(Case):
        inplace: tuple = ()
        table: dict = dataclasses.field(default_factory=dict)

    monkeypatch.setattr(recorded, "Case", Wider)
    case = Wider("only x_t", 1.5, (np.arange(6.0).reshape(2, 3), [1, (2, None)]),
                 {"flag": True, "s": "x"}, key="f|public|0", inplace=(0, "xt"),
                 table={"step": np.eye(2, dtype=np.int64), "nan": float("nan")})
    arrays: dict = {}
    tree = json.loads(json.dumps(recorded.case_to_tree(case, arrays)))
    blob = recorded.write_npz(arrays)
    back = recorded.case_from_tree(tree, recorded.read_npz(blob))
    assert recorded.write_npz(arrays) == blob  # same data, same bytes
    assert back.inplace == (0, "xt") and np.isnan(back.table["nan"])
    _close({k: v for k, v in vars(back).items() if k != "table"},
           {k: v for k, v in vars(case).items() if k != "table"}, "case")
    _close(back.table["step"], case.table["step"], "table")
    with pytest.raises(TypeError, match=r"f\|public\|0\.kwargs\['bad'\]: object"):
        recorded.case_to_tree(Wider("c", 1, (), {"bad": object()}, key="f|public|0"), {})
    monkeypatch.setattr(recorded, "Case", Case)  # an older reader names the unknown field
    with pytest.raises(ValueError, match=r"unknown fields \['inplace', 'table'\]"):
        recorded.case_from_tree(tree, recorded.read_npz(blob))


def _report(check, name, fn) -> tuple[str, float]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        points = check(name, fn)
    return out.getvalue(), points


def _public_cases():
    """(label, check name, function maker): the reference, every mutant (functions,
    a student's edits of the solution cells, correct callers of wrong helpers) and every
    correct alternative (functions and edits)."""
    from mutants.alternative import ALTERNATIVES
    from mutants.alternatives_nb import EDIT_ALTERNATIVES
    from mutants.edits import BLAME, EDIT_MUTANTS
    from mutants.student import namespace
    from mutants.wrong import MUTANTS

    def given(fn):
        return lambda: fn

    cases = [(f"reference {n}", n, given(c.function)) for n, c in sorted(CHECKS.items())]
    cases += [(m[0], m[1], given(m[-1])) for m in MUTANTS]
    cases += [(f"alternative {fn.__name__}", n, given(fn)) for n, fn in ALTERNATIVES]
    cases += [(f"edit {m.label}", m.check_name,
               lambda m=m: m.edit.function(m.function)) for m in EDIT_MUTANTS]
    cases += [(f"blame {label}", caller_check,
               lambda e=edit, c=caller: namespace(e.assignment, {e.cell: e.apply()})[c])
              for label, edit, _, caller, caller_check in BLAME]
    cases += [(f"edit alternative {label}", name, lambda e=edit, f=function: e.function(f))
              for label, edit, function, name in EDIT_ALTERNATIVES]
    return cases


PUBLIC_CASES = _public_cases()


@pytest.mark.parametrize("label, name, make", PUBLIC_CASES, ids=[c[0] for c in PUBLIC_CASES])
def test_student_package_judges_like_the_instructors_checks(label, name, make):
    """Same report, same points, for the reference, every mutant and every alternative:
    the recorded values (expected, derived, recorded helpers, call specs) and the stripped
    judges and hints behave as the originals, sub-check by sub-check (in-place, helper
    notes, sampling by the given rng, the student's line in exceptions included)."""
    import rnn_checks

    from autograder.checks import check

    fn = make()
    assert _report(rnn_checks.check, name, fn) == _report(check, name, fn), label
