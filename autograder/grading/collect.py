"""How submissions enter the course: every student id passes autograder.grading.ids.

- `LmsCollector`, the course's `nbgrader zip_collect` collector. It attributes every
  file to the student of its top-level entry in the LMS archive (a file `<student>_..._
  forward_pass.ipynb`, or a folder `<student>.../` with the notebook anywhere inside), turns
  names that are not safe ids into stable slugs (logging original -> slug and keeping the
  name in the gradebook), and resolves several uploads of one notebook by one student by
  the rule LATEST (below), logging what it kept and what it skipped. Nothing one student
  uploads stops the collection of the others.
- `SafeExchangeCollect`, the course's `nbgrader collect`: the same slugs for exchange
  submissions, and a malformed name in the inbound folder is skipped, not fatal.
- `refuse_unsafe_submissions`: `nbgrader autograde` and `generate_feedback` refuse, with
  an error naming it, a submission folder whose name is not a safe id; the rest of the
  class is graded.

LATEST: of several uploads of the same notebook by the same student, the one kept has the
highest LMS resubmission number (Canvas renames a re-upload `forward_pass-1.ipynb`,
`-2`, ...; none counts as 0); among equal numbers, the newest file time (as recorded in
the archive); then the one nearest the top of the student's entry, then the last by path.
"""

from __future__ import annotations

import datetime
import glob
import os
import re
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin

from autograder.grading import copies, ids

# LMS decorations after the student's name: Canvas `_LATE`, `_<user id>_<file id>` (and,
# for a folder that was an uploaded archive, `_<original name>`); Moodle
# `_<id>_assignsubmission_file_` (a file's prefix or a folder's whole name).
_FILE_PREFIX = re.compile(r"(?P<name>.+?)(?:_LATE)?(?:_\d+_\d+|_\d+_assignsubmission_file_?)?")
_FOLDER = re.compile(r"(?P<name>.+?)(?:_LATE)?(?:_\d+_\d+(?:_.+)?"
                     r"|_\d+_assignsubmission_(?:file|onlinetext)_?.*)?")


@dataclass(frozen=True)
class Upload:
    """One notebook file found in the extracted archive."""

    path: str            # absolute path under extracted/
    rel: str             # path below extracted/, for messages
    name: str            # the student as the LMS names them
    notebook: str        # released notebook name, without .ipynb
    resubmission: int    # Canvas's -N suffix, 0 without
    mtime: float         # the file's time as the archive recorded it
    depth: int           # folders between the student's entry and the file

    def rank(self) -> tuple:
        return (self.resubmission, self.mtime, -self.depth, self.rel)


def parse_entry(parts: list[str], notebooks: list[str]) -> tuple[str, str, int] | None:
    """(LMS name, notebook, resubmission) for a file at `parts` below the student's
    top-level entry parts[0]; None when it is no released notebook."""
    entry, inner = parts[0], parts[1:]
    for notebook in sorted(notebooks, key=len, reverse=True):
        nb = re.escape(notebook)
        if not inner:
            match = re.fullmatch(rf"(?P<prefix>.+)_{nb}(?:-(?P<n>\d+))?\.ipynb", entry)
            if match:
                name = _FILE_PREFIX.fullmatch(match["prefix"])["name"]
                return name, notebook, int(match["n"] or 0)
        else:
            match = re.fullmatch(rf"(?:.+_)?{nb}(?:-(?P<n>\d+))?\.ipynb", inner[-1])
            if match:
                return _FOLDER.fullmatch(entry)["name"], notebook, int(match["n"] or 0)
    return None


# Archives an extractor unpacks into a folder named after them (nbgrader's and the
# course's extractors), besides the extractor's own `zip_ext`.
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip", ".gz")


def _archive_stem(filename: str, zip_ext: list[str]) -> str | None:
    """The folder an archive in archive/ is extracted into, or None for other files."""
    lower = filename.lower()
    for suffix in (*ARCHIVE_SUFFIXES, *zip_ext):
        if lower.endswith(suffix):
            return filename[: -len(suffix)]
    return None


def _archive_time(archive: Path, member: str) -> float | None:
    """The time `archive` records for `member`, or None."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                info = zf.getinfo(member)
            return datetime.datetime(*info.date_time).timestamp()
        with tarfile.open(archive) as tf:
            return float(tf.getmember(member).mtime)
    except (OSError, KeyError, ValueError, tarfile.TarError, zipfile.BadZipFile):
        return None


def regular_file(path: Path) -> bool:
    """Whether zip_collect may copy `path`: a regular file, not a link or a device."""
    return path.is_file() and not path.is_symlink()


class LmsCollector(FileNameCollectorPlugin):
    """`nbgrader zip_collect`'s collector for Canvas, Moodle and plain uploads (module
    docstring). It plans the whole class on its first call, then answers per file."""

    _plan: dict | None = None

    def collect(self, submitted_file: str) -> dict | None:
        if self._plan is None:
            self._plan = self.plan()
        return self._plan.get(os.path.abspath(submitted_file))

    def plan(self) -> dict[str, dict]:
        """Absolute path -> what zip_collect files it as, for the files it should copy."""
        app = self.parent
        extracted = Path(app._format_collect_path(app.extracted_directory)).resolve()
        archive = Path(app._format_collect_path(app.archive_directory))
        zip_ext = list(getattr(app.extractor_plugin_inst, "zip_ext", [".zip", ".gz"]))
        release = Path(app.coursedir.format_path(app.coursedir.release_directory, ".",
                                                 app.coursedir.assignment_id))
        notebooks = sorted(p.stem for p in release.glob("*.ipynb"))
        uploads: dict[tuple[str, str], list[Upload]] = {}
        names: dict[str, set[str]] = {}
        for root, _dirs, files in os.walk(extracted):
            for filename in sorted(files):
                if os.path.splitext(filename)[1] not in self.valid_ext:
                    continue
                path = Path(root) / filename
                if not regular_file(path):
                    self.log.warning("skipped %s: not a regular file", path)
                    continue
                upload = self._upload(path, extracted, archive, zip_ext, notebooks)
                if upload is None:
                    continue
                student = ids.slug(upload.name)
                uploads.setdefault((student, upload.notebook), []).append(upload)
                names.setdefault(student, set()).add(upload.name)
        plan: dict[str, dict] = {}
        for (student, notebook), found in sorted(uploads.items()):
            if len(names[student]) > 1:
                self.log.error("NOT COLLECTED: the LMS names %s all give the student id %r; "
                               "collect them by hand", sorted(names[student]), student)
                continue
            found.sort(key=Upload.rank)
            kept = found[-1]
            if len(found) > 1:
                self.log.warning(
                    "%s uploaded %s %d times: kept %s (resubmission %d, %s); skipped %s "
                    "(latest upload wins: resubmission number, then file time)", student,
                    f"{notebook}.ipynb", len(found), kept.rel, kept.resubmission,
                    datetime.datetime.fromtimestamp(kept.mtime).isoformat(" ", "seconds"),
                    ", ".join(u.rel for u in found[:-1]))
            info = {"student_id": student, "file_id": notebook}
            if student != kept.name:
                info["first_name"], info["last_name"] = ids.display_name(kept.name)
            plan[str(Path(kept.path))] = info
        for student, originals in sorted(names.items()):
            original = next(iter(originals))
            if len(originals) == 1 and student != original:
                self.log.warning("student name %r is not a safe id (%s): filed as %r; the "
                                 "name is kept in the gradebook", original, ids.RULE, student)
                ids.record_names(app.coursedir.db_url, app.coursedir.course_id, student,
                                 original)
        return plan

    def _upload(self, path: Path, extracted: Path, archive: Path, zip_ext: list[str],
                notebooks: list[str]) -> Upload | None:
        parts = list(path.relative_to(extracted).parts)
        # Skip the folder each archive in archive/ was extracted into: the student's entry
        # is the first name below it (or the first name at all, for loose files).
        start, member_of = 0, None
        for k in range(len(parts) - 1):
            here = archive.joinpath(*parts[:k])
            found = [f for f in (os.listdir(here) if here.is_dir() else [])
                     if _archive_stem(f, zip_ext) == parts[k] and (here / f).is_file()]
            if found:
                start, member_of = k + 1, here / found[0]
                break
        rel = "/".join(parts)
        parsed = parse_entry(parts[start:], notebooks) if start < len(parts) else None
        if parsed is None:
            self.log.warning("skipped %s: not a released notebook of a student entry", rel)
            return None
        name, notebook, resubmission = parsed
        mtime = None
        if member_of is not None:
            mtime = _archive_time(member_of, "/".join(parts[start:]))
        elif (archive / rel).is_file():
            mtime = (archive / rel).stat().st_mtime
        if mtime is None:
            mtime = path.stat().st_mtime
        return Upload(str(path), rel, name, notebook, resubmission, mtime,
                      len(parts) - start - 1)


class SafeExchangeCollect(copies.SafeExchangeCollect):
    """`nbgrader collect` with safe ids (on top of the safe copy of `copies`, which takes
    notebooks and data files only): a submission whose user name is not a safe id is
    filed under its slug (logged, the name kept in the gradebook); an inbound entry that
    is not `<user>+<assignment>+<time>[+<random>]` is skipped with a warning instead of
    stopping the collection."""

    def _path_to_record(self, path):
        filename = os.path.basename(path)
        parts = filename.rsplit("+", 3)
        try:
            if len(parts) < 3:
                raise ValueError("not <user>+<assignment>+<time>")
            return super()._path_to_record(path)
        except (ValueError, OverflowError) as error:
            self.log.warning("skipped %r in the exchange inbound: %s", filename, error)
            return {"username": None, "filename": filename,
                    "timestamp": datetime.datetime.min}

    def init_src(self):
        super().init_src()
        self.src_records = [r for r in self.src_records if r["username"] is not None]

    def copy_files(self):
        for record in self.src_records:
            original = record["username"]
            student = ids.slug(original)
            if student != original:
                self.log.warning("user name %r is not a safe id (%s): collected as %r; the "
                                 "name is kept in the gradebook", original, ids.RULE, student)
                ids.record_names(self.coursedir.db_url, self.coursedir.course_id, student,
                                 original)
                record["username"] = student
        super().copy_files()


def refuse_unsafe_submissions() -> None:
    """Make nbgrader's Autograde and GenerateFeedback refuse every student folder whose
    name is not a safe id, with an error naming it; the others are converted as usual and
    the command then exits with an error, as nbgrader does when one student fails.

    nbgrader finds submissions by globbing folder names, so a name such as `[x]` is
    skipped silently and `x" onfocus="...` reaches the gradebook and the formgrader:
    neither may be graded. nbgrader_config.py calls this, so that it holds in every
    process that reads the course's config (the nbgrader commands, the formgrader)."""
    from nbgrader.converters import Autograde, GenerateFeedback

    for cls in (Autograde, GenerateFeedback):
        if not getattr(cls.init_notebooks, "refuses_unsafe_ids", False):
            cls.init_notebooks = _refusing(cls.init_notebooks)
            cls.convert_notebooks = _reporting(cls.convert_notebooks)


def unsafe_folders(converter) -> list[str]:
    """The student folders `converter` would read whose names are not safe ids."""
    source = converter._format_source(converter.coursedir.assignment_id,
                                      converter.coursedir.student_id)
    return [folder for folder in sorted(glob.glob(source))
            if not ids.is_safe(_student_of(converter, folder))]


def _student_of(converter, folder: str) -> str | None:
    pattern = converter._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)",
                                       escape=True)
    match = re.match(pattern, folder)
    return match["student_id"] if match else None


def _refusing(init_notebooks):
    def refusing_init_notebooks(self) -> None:
        self.refused_folders = unsafe_folders(self)
        for folder in self.refused_folders:
            self.log.error(ids.refusal(folder))
        init_notebooks(self)
        for folder in list(self.assignments):
            if not ids.is_safe(_student_of(self, folder)):
                del self.assignments[folder]

    refusing_init_notebooks.refuses_unsafe_ids = True
    return refusing_init_notebooks


def _reporting(convert_notebooks):
    def reporting_convert_notebooks(self) -> None:
        convert_notebooks(self)
        refused = getattr(self, "refused_folders", [])
        if refused:
            from nbgrader.converters.base import NbGraderException

            raise NbGraderException(f"{len(refused)} submission folders refused (their names "
                                    f"are not safe student ids): {refused}")

    return reporting_convert_notebooks
