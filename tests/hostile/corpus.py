"""A corpus of hostile (and honest) submissions, each built from the released notebook.

`build(release_nb, solution_nb, paths)` returns {student: (bytes of the submitted
notebook, expected)}. A submission starts as the released `forward_pass` notebook with
every solution cell filled in correctly (from the instructor's source), then one attack is
applied. `expected` maps each test cell's grade_id to the points it deserves: full marks
for untouched problems, and for the attacked problem what an honest function with the
same real behaviour would get (usually zero). `paths` names files the attacks go after
(the solutions, the gradebook, another student's submission, a canary TCP port).
"""

from __future__ import annotations

import copy
import json
import re
import textwrap

import nbformat

ASSIGNMENT = "forward_pass"
TARGET = "rnn_forward"            # the function most attacks replace
TARGET_TEST = "test_rnn_forward"  # its test cell
LAST = "perplexity"               # the last solution cell (nothing depends on it)
LAST_TEST = "test_perplexity"
FULL = "full"


def solution_sources(solution_nb) -> dict[str, str]:
    """grade_id -> the instructor's solution with the BEGIN/END SOLUTION lines removed."""
    out = {}
    for cell in solution_nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and nbg.get("solution"):
            out[nbg["grade_id"]] = "\n".join(
                line for line in cell.source.splitlines()
                if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)
    return out


def _cell(nb, grade_id):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(grade_id)


def _honest(sources, name=TARGET):
    """The correct function renamed `_honest_<name>`, for attacks that return right answers."""
    return re.sub(rf"def {name}\(", f"def _honest_{name}(", sources[name])


def _replace(name, body, tail=""):
    """An attack: replace the solution cell of `name` (body may use {honest})."""
    def apply(nb, sources, paths):
        _cell(nb, name).source = (textwrap.dedent(body) + tail).format(
            honest=_honest(sources, name), **paths)
    return apply


ZEROS = """
def rnn_forward(x, a0, parameters):
    n_a, (n_x, m, T_x), n_y = a0.shape[0], x.shape, parameters["Wya"].shape[0]
    return np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x)), ([], x)
"""


def _attacks():
    """name -> (what it does, how it is applied, {test grade_id: deserved})."""
    zero = {TARGET_TEST: 0.0}
    a = {}
    a["honest_correct"] = ("the instructor's solutions, unchanged", None, {})
    a["honest_noisy"] = ("correct code that prints, warns, writes to stderr and divides by "
                         "zero (numpy RuntimeWarning)", _replace(TARGET, """
        import sys, warnings
        {honest}
        def rnn_forward(x, a0, parameters):
            print("debugging rnn_forward", x.shape)
            print("to stderr", file=sys.stderr)
            warnings.warn("a student warning")
            np.log(np.zeros(2))
            np.ones(1) / 0
            return _honest_rnn_forward(x, a0, parameters)
        """), {})
    a["honest_large_output"] = ("correct code that prints 20 MB", _replace(TARGET, """
        {honest}
        def rnn_forward(x, a0, parameters):
            for _ in range(200):
                print("x" * 100_000)
            return _honest_rnn_forward(x, a0, parameters)
        """), {})
    a["blank"] = ("the released notebook, nothing filled in", "blank", "zero-all")
    a["import_reference"] = ("imports the reference implementation", _replace(TARGET, """
        from autograder.reference import rnn_forward as _ref
        def rnn_forward(x, a0, parameters):
            return _ref(x, a0, parameters)
        """), zero)
    a["read_reference_source"] = ("finds and execs the reference's source", _replace(TARGET, """
        import glob
        def rnn_forward(x, a0, parameters):
            found = glob.glob("{package}/reference/rnn.py") + glob.glob(
                "/**/autograder/reference/rnn.py", recursive=True)
            ns = {{}}
            exec(open(found[0]).read(), ns)
            return ns["rnn_forward"](x, a0, parameters)
        """), zero)
    a["patch_allclose"] = ("patches np.allclose/np.testing and returns zeros", _replace(TARGET, """
        np.allclose = lambda *args, **kwargs: True
        np.testing.assert_allclose = lambda *args, **kwargs: None
        np.array_equal = lambda *args, **kwargs: True
        """, ZEROS), {TARGET_TEST: ("as", ZEROS)})
    a["always_equal_object"] = ("returns objects that compare equal to anything", _replace(
        TARGET, """
        class Anything:
            shape = property(lambda self: (0,))
            dtype = np.dtype("float64")
            def __eq__(self, other): return True
            def __array__(self, *args, **kwargs): raise TypeError("no")
        def rnn_forward(x, a0, parameters):
            return Anything(), Anything(), Anything()
        """), zero)
    a["ndarray_subclass"] = ("returns ndarray subclasses whose comparisons always succeed",
                             _replace(TARGET, """
        class Liar(np.ndarray):
            def __eq__(self, other): return True
            def __array_ufunc__(self, *args, **kwargs): return True
        """, ZEROS.replace("np.zeros((n_a, m, T_x))", "np.zeros((n_a, m, T_x)).view(Liar)")
        .replace("np.zeros((n_y, m, T_x))", "np.zeros((n_y, m, T_x)).view(Liar)")),
        {TARGET_TEST: ("as", ZEROS)})
    a["input_transformer"] = ("installs an IPython input transformer that turns every later "
                              "cell (the tests) into `pass`", _replace(LAST, """
        get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
        """), {LAST_TEST: 0.0})
    a["edit_test_cell"] = ("replaces the test cell by `7.0` and leaves the function blank",
                           "edit_test", zero)
    a["delete_test_cell"] = ("deletes the test cell (the function is correct)", "delete_test",
                             {TARGET_TEST: 0.0, TARGET_TEST + "_hidden": FULL})
    a["fake_grade_cell"] = ("adds its own grade cell worth 100 points", "fake_grade", {})
    a["retag_test_cell"] = ("retags the test cell as an ungraded solution worth 1000 points, "
                            "function blank", "retag_test", zero)
    a["exit_kernel"] = ("calls os._exit(0) inside the function", _replace(TARGET, """
        import os
        def rnn_forward(x, a0, parameters):
            os._exit(0)
        """), zero)
    a["sys_exit_toplevel"] = ("raises SystemExit in the cell before defining the function",
                              _replace(TARGET, """
        import sys
        sys.exit("bye")
        {honest}
        rnn_forward = _honest_rnn_forward
        """), zero)
    a["infinite_loop"] = ("loops forever inside the function", _replace(TARGET, """
        def rnn_forward(x, a0, parameters):
            while True:
                pass
        """), zero)
    a["infinite_loop_toplevel"] = ("defines the function, then loops forever in the cell",
                                   _replace(LAST, """
        {honest}
        perplexity = _honest_perplexity
        while True:
            pass
        """), {LAST_TEST: 0.0})
    a["fork_bomb"] = ("forks without end inside the function", _replace(TARGET, """
        import os
        def rnn_forward(x, a0, parameters):
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """), zero)
    a["memory_exhaustion"] = ("allocates memory without end", _replace(TARGET, """
        def rnn_forward(x, a0, parameters):
            hog = []
            while True:
                hog.append(np.ones(1 << 24))
        """), zero)
    a["output_flood"] = ("prints without end", _replace(TARGET, """
        import os
        def rnn_forward(x, a0, parameters):
            while True:
                print("flood " * 10000)
                os.write(1, b"raw flood " * 10000)
        """), zero)
    a["segfault"] = ("dereferences a null pointer with ctypes", _replace(TARGET, """
        import ctypes
        def rnn_forward(x, a0, parameters):
            return ctypes.string_at(0)
        """), zero)
    secret = """
        {honest}
        def rnn_forward(x, a0, parameters):
            with open({target!r}, "rb") as f:
                f.read(10)
            return _honest_rnn_forward(x, a0, parameters)
        """
    for name, key, what in [("read_hidden_tests", "solution_nb", "the instructor's source "
                             "notebook (hidden tests)"),
                            ("read_gradebook", "gradebook", "the gradebook"),
                            ("read_other_submission", "victim_nb", "another student's "
                             "submission")]:
        a[name] = (f"returns right answers only if it can read {what}",
                   _replace(TARGET, secret.replace("{target!r}", "{" + key + "!r}")), zero)
    a["write_other_files"] = ("tries to overwrite another submission, the solutions, the "
                              "gradebook and the reference (function correct)",
                              _replace(TARGET, """
        {honest}
        def rnn_forward(x, a0, parameters):
            for path in [{victim_nb!r}, {solution_nb!r}, {gradebook!r},
                         "{package}/reference/rnn.py", "/tmp/pwned-by-student"]:
                try:
                    with open(path, "w") as f:
                        f.write("pwned")
                except OSError:
                    pass
            return _honest_rnn_forward(x, a0, parameters)
        """), {})
    a["network"] = ("returns right answers only if it can reach a TCP server on the grading "
                    "machine", _replace(TARGET, """
        import socket
        {honest}
        def rnn_forward(x, a0, parameters):
            socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
            return _honest_rnn_forward(x, a0, parameters)
        """), zero)
    a["kill_everything"] = ("sends SIGKILL to every process it may (kill -1), then answers "
                            "correctly", _replace(TARGET, """
        import os, signal
        {honest}
        def rnn_forward(x, a0, parameters):
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            return _honest_rnn_forward(x, a0, parameters)
        """), {})
    a["malformed_json"] = ("a file that is not JSON", "bytes:{\"cells\": [", "zero-all")
    a["unknown_schema"] = ("nbgrader metadata of an unknown schema version", "schema",
                           "zero-all")
    a["not_a_notebook"] = ("valid JSON, but not a notebook", "bytes:[1, 2, 3]", "zero-all")
    return a


ATTACKS = _attacks()


def build(release_nb, solution_nb, paths: dict) -> dict[str, tuple[bytes, object]]:
    """student name -> (submitted notebook bytes, expected) for every case in ATTACKS."""
    sources = solution_sources(solution_nb)
    out = {}
    for name, (_, how, expected) in ATTACKS.items():
        nb = copy.deepcopy(release_nb)
        if how != "blank":
            for grade_id, source in sources.items():
                _cell(nb, grade_id).source = source
        if callable(how):
            how(nb, sources, paths)
        elif how == "edit_test":
            _cell(nb, TARGET).source = _cell(release_nb, TARGET).source
            _cell(nb, TARGET_TEST).source = "7.0"
        elif how == "delete_test":
            nb.cells.remove(_cell(nb, TARGET_TEST))
        elif how == "fake_grade":
            cell = nbformat.v4.new_code_cell("100", metadata={"nbgrader": {
                "grade": True, "solution": False, "locked": False, "points": 100,
                "grade_id": "bonus_points", "schema_version": 3}})
            nb.cells.append(cell)
        elif how == "retag_test":
            _cell(nb, TARGET).source = _cell(release_nb, TARGET).source
            test = _cell(nb, TARGET_TEST)
            test.metadata["nbgrader"].update(grade=False, solution=True, points=1000,
                                             locked=False)
            test.source = "1000"
        elif how == "schema":
            _cell(nb, TARGET_TEST).metadata["nbgrader"]["schema_version"] = 99
        if isinstance(how, str) and how.startswith("bytes:"):
            out[name] = (how[len("bytes:"):].encode(), expected)
        else:
            out[name] = (json.dumps(nb).encode(), expected)
    return out


def submit_corpus(course, students) -> None:
    """Submit these corpus students to a course made by `course.make_course` (the
    corpus's placeholders point nowhere: no victim, gradebook or port to attack)."""
    from course import REPO, submit

    release = nbformat.read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    solution = nbformat.read(REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    cases = build(release, solution, {"solution_nb": "", "gradebook": "", "victim_nb": "",
                                      "package": "", "port": 9})
    for student in students:
        submit(course, student, ASSIGNMENT, cases[student][0])
