"""The course manifest (course.toml) and everything that lists the course agree: the
book's table of contents, the chapter files, the assignments' notebooks and the functions
their test cells grade, the checks, the demos."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.checks import CHECKS
from autograder.course import Graded, load
from autograder.grading.notebook import is_test_cell
from autograder.grading.testcells import parse_test_cell
from autograder.release import HIDDEN_SUFFIX

ROOT = Path(__file__).resolve().parents[1]
COURSE = load()


def test_the_table_of_contents_lists_the_manifests_pages_in_order():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    assert pages == COURSE.docnames


def test_every_numbered_chapter_file_is_a_chapter_of_the_manifest():
    files = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]_*.md"))
    assert files == [c.name for c in COURSE.chapters]


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_the_assignment_folders_are_the_manifests(folder):
    found = sorted(p.parent.name for p in (ROOT / folder).glob("*/*.ipynb"))
    assert found == sorted(COURSE.assignments)


@pytest.mark.parametrize("name", list(COURSE.assignments))
def test_each_notebook_grades_exactly_the_manifests_functions(name):
    nb = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    graded = [Graded(call.name, call.function) for cell in nb.cells
              if is_test_cell(cell)
              and not cell.metadata["nbgrader"]["grade_id"].endswith(HIDDEN_SUFFIX)
              for call in parse_test_cell(cell.source)]
    assert graded == list(COURSE.assignments[name].functions)


def test_every_check_belongs_to_exactly_one_assignment():
    owners = [g.check for c in COURSE.chapters for g in c.functions]
    assert sorted(owners) == sorted(CHECKS), "a check graded twice, or by no assignment"


def test_every_demo_exists_and_is_callable():
    from demos.catalog import DEMOS

    for chapter in COURSE.chapters:
        assert [f.__name__ for f in DEMOS[chapter.name]] == [d.function for d in chapter.demos]
        assert all(callable(f) for f in DEMOS[chapter.name])


@pytest.mark.parametrize("bad, message", [
    ('[[chapter]]\nname = "x"\ndemo = []\n', "unknown keys"),
    ('[[chapter]]\nname = "x"\nassignment = "a"\n', "both an assignment"),
    ('[[chapter]]\nname = "x"\ndemos = [{ demo = "nodot", section = "s" }]\n', "module.function"),
])
def test_a_wrong_manifest_is_refused_with_a_message(tmp_path, bad, message):
    path = tmp_path / "course.toml"
    path.write_text(bad)
    with pytest.raises(ValueError, match=message):
        load(path)
