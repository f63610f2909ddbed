"""The course's nbgrader_config.py: LMS file names zip_collect understands, and where a
class's files go (static checks; tests/test_instructor_workflow.py runs the commands)."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

from autograder.grading.collect import parse_entry

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def config():
    return PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()


@pytest.mark.parametrize("name, student", [
    ("smithjohn_123_456_forward_pass.ipynb", "smithjohn"),                    # Canvas
    ("smithjohn_LATE_123_456_forward_pass.ipynb", "smithjohn"),               # Canvas, late
    ("smithjohn_123_456_forward_pass-2.ipynb", "smithjohn"),                  # resubmitted
    ("John Smith_123_assignsubmission_file_forward_pass.ipynb", "John Smith"),  # Moodle
    ("John Smith_123_assignsubmission_file_/forward_pass.ipynb", "John Smith"),
    ("alice_forward_pass.ipynb", "alice"),
    ("alice/forward_pass.ipynb", "alice"),
    ("al_ice/forward_pass.ipynb", "al_ice"),
    ("al_ice_forward_pass.ipynb", "al_ice"),                                  # id with "_"
    ("alice/bob/forward_pass.ipynb", "alice"),                                # a sub-folder
    ("smithjohn_123_456_bptt.ipynb", "smithjohn"),                            # other notebooks
])
def test_lms_file_names(config, name, student):
    assert config.ZipCollectApp.collector_plugin == "autograder.grading.collect.LmsCollector"
    parsed = parse_entry(name.split("/"), ["forward_pass", "bptt"])
    assert parsed, name
    assert parsed[0] == student
    assert parsed[1] in ("forward_pass", "bptt")


@pytest.mark.parametrize("name", ["forward_pass.ipynb", "alice_notes.ipynb",
                                  "alice_forward_pass.py", "alice_forward_pass_v2.ipynb"])
def test_other_files_are_skipped(config, name):
    assert parse_entry(name.split("/"), ["forward_pass", "bptt"]) is None


def test_class_files_stay_in_grading(config):
    assert config.CsvExportPlugin.to == str(REPO / "_grading" / "grades.csv")
    assert config.ZipCollectApp.downloaded_directory == "_grading/downloaded"
    for key in ("submitted_directory", "autograded_directory", "feedback_directory"):
        assert config.CourseDirectory[key].startswith("_grading/")
    assert "_grading/" in (REPO / ".gitignore").read_text().splitlines()
