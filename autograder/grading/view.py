"""The allow-list a sandbox sees: what `_worker.setup_mounts` binds read-only into an
otherwise empty root.

`view()` = the interpreter (with the venv's symlinks to it), its shared library and
standard library (the base installation's own site-packages shown empty), the system's
shared libraries and dynamic linker, and in the venv's site-packages only the top-level
entries that the RECORDs of the student's packages name (`STUDENT_PACKAGES` and every
distribution they require). Never the course's own package, however it is installed.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from functools import cache
from pathlib import Path

# The distributions a student's notebook may import (with everything they require).
STUDENT_PACKAGES = ("numpy", "matplotlib", "ipython", "ipywidgets", "traitlets")


def _real(path: str) -> str:
    return os.path.realpath(path)


def _symlink_chain(path: str, symlinks: dict) -> str:
    """Record every symlink from `path` to the file it names; return that file's path."""
    path = os.path.join(_real(os.path.dirname(path)), os.path.basename(path))
    for _ in range(40):
        if not os.path.islink(path):
            return path
        target = os.readlink(path)
        symlinks[path] = target
        path = os.path.normpath(os.path.join(os.path.dirname(path), target))
        path = os.path.join(_real(os.path.dirname(path)), os.path.basename(path))
    return _real(path)


def _distributions(names) -> list:
    """The installed distributions `names` and everything they require (no extras)."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    seen: dict = {}
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = dist
        for text in dist.requires or []:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return list(seen.values())


def _course_package() -> str:
    import autograder

    return _real(str(Path(autograder.__file__).parent))


@cache
def view() -> dict:
    """The allow-list the sandbox sees: {"binds": host paths bound read-only at the same
    path, "empty": folders inside them shown empty, "symlinks": [(path, target)]}."""
    binds: set[str] = set()
    symlinks: dict[str, str] = {}
    empty: set[str] = set()
    # The interpreter, as the worker is started (venv symlinks included), and its library.
    for exe in {sys.executable, _real(sys.executable)}:
        binds.add(_symlink_chain(exe, symlinks))
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    library = sysconfig.get_config_var("LDLIBRARY") or ""
    if libdir and library and os.path.isdir(libdir):
        for name in os.listdir(libdir):
            if name.startswith(library.split(".so")[0] + ".so"):
                binds.add(_symlink_chain(os.path.join(libdir, name), symlinks))
    stdlib = _real(sysconfig.get_paths()["stdlib"])
    binds.add(stdlib)
    empty.update(os.path.join(stdlib, name) for name in ("site-packages", "dist-packages")
                 if os.path.isdir(os.path.join(stdlib, name)))
    if sys.prefix != sys.base_prefix and os.path.isfile(os.path.join(sys.prefix,
                                                                     "pyvenv.cfg")):
        binds.add(os.path.join(_real(sys.prefix), "pyvenv.cfg"))
    # The system's shared libraries and the dynamic linker.
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    for path in [f"/usr/lib/{multiarch}", f"/lib/{multiarch}", "/usr/lib64", "/lib64",
                 "/etc/ld.so.cache"]:
        if multiarch or not path.endswith("/"):
            if os.path.exists(path):
                binds.add(_real(path))
    for top in ("/lib", "/lib64", "/bin", "/sbin"):
        if os.path.islink(top):
            symlinks[top] = os.readlink(top)
    # The students' packages: each top-level entry their RECORDs name, nothing else.
    course = _course_package()
    for dist in _distributions(STUDENT_PACKAGES):
        base = _real(str(dist.locate_file("")))
        for item in dist.files or []:
            parts = Path(item).parts
            if not parts or parts[0] == ".." or os.path.isabs(str(item)):
                continue
            entry = os.path.join(base, *parts[:2]) if parts[0] == "__pycache__" \
                else os.path.join(base, parts[0])
            if not os.path.exists(entry) or parts[0].split(".")[0] == "autograder":
                continue
            real = _real(entry)
            if real == course or real.startswith(course + os.sep) \
                    or course.startswith(real + os.sep):
                continue  # never the course's own package, however it is installed
            binds.add(real)
    ordered = sorted(binds)
    # A path inside another bound path is carried by it.
    kept = [p for p in ordered if not any(p.startswith(q + os.sep) for q in ordered)]
    return {"binds": kept, "empty": sorted(empty),
            "symlinks": sorted((k, v) for k, v in symlinks.items()
                               if not any(k.startswith(q + os.sep) for q in kept))}
