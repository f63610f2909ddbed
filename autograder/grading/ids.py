"""The one rule for student ids, used wherever a submission enters the course.

A student id names folders (`_grading/submitted/<id>/...`), is a glob pattern to nbgrader
and is written into the formgrader's pages, so it holds only characters that mean nothing
in any of those places: ASCII letters and digits and `_ . @ -`, starting with a letter or
a digit (so never `.`, `..` or an option), at most MAX_LENGTH characters.

Collection (`nbgrader zip_collect`, `nbgrader collect`) turns any other name into a stable
slug: a readable ASCII part and a hash of the original, so the same name always gives
the same id and different names give different ids; the original is kept, as the
student's name, in the gradebook. Everything that reads submissions from disk
(`nbgrader autograde`, `generate_feedback`, `python -m autograder grade`, the Dask
workers) refuses a folder whose name is not a safe id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_LENGTH = 64
SAFE_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.@-]{{0,{MAX_LENGTH - 1}}}")
RULE = (f"letters, digits and _ . @ - (ASCII), starting with a letter or a digit, at most "
        f"{MAX_LENGTH} characters")
_HASH_CHARS = 10          # hex digits of SHA-256 in a slug: 40 bits
_READABLE = 40            # characters of the readable part at most
_NAME_FIELD = 128         # the gradebook's first_name / last_name columns


def is_safe(student_id: object) -> bool:
    """Whether `student_id` may name a student as it is."""
    return isinstance(student_id, str) and SAFE_ID.fullmatch(student_id) is not None


def slug(name: str) -> str:
    """A safe id for `name`: `name` itself when safe, else its readable ASCII part and a
    hash of the whole name (`Ann Lee` -> `Ann_Lee-8b0f...`)."""
    if is_safe(name):
        return name
    ascii_part = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    readable = re.sub(r"[^A-Za-z0-9_.@-]+", "_", ascii_part)
    readable = re.sub(r"^[^A-Za-z0-9]+", "", readable)[:_READABLE].rstrip("_.@-")
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    return f"{readable}-{digest}" if readable else f"s-{digest}"


def display_name(name: str) -> tuple[str, str]:
    """(first_name, last_name) for the gradebook from an LMS name: split at the last space,
    control characters replaced, a leading `= + - @` quoted, each cut to the column's
    size."""
    clean = "".join(ch if ch.isprintable() else "\ufffd" for ch in name).strip()
    first, _, last = clean.rpartition(" ")
    if not first:
        first, last = last, ""
    # `nbgrader export` writes names into a CSV file: no spreadsheet formula either.
    first, last = ("'" + n if n[:1] in ("=", "+", "-", "@") else n for n in (first, last))
    return first[:_NAME_FIELD], last[:_NAME_FIELD]


def refusal(folder: str) -> str:
    """The message for a submission folder whose name is not a safe id."""
    return (f"refusing the submission folder {folder!r}: its name is not a safe student id "
            f"({RULE}); collect it again with `nbgrader zip_collect` or `nbgrader collect`, "
            "which turn such names into safe ids, or rename the folder")


def record_names(db_url: str, course_id: str, student_id: str, original: str) -> None:
    """Keep the LMS's `original` name of a slugged student in the gradebook (first and last
    name), unless the gradebook already holds a name for them."""
    from nbgrader.api import Gradebook, MissingEntry

    first, last = display_name(original)
    with Gradebook(db_url, course_id) as gb:
        try:
            student = gb.find_student(student_id)
        except MissingEntry:
            gb.add_student(student_id, first_name=first, last_name=last)
            return
        if not student.first_name and not student.last_name:
            student.first_name, student.last_name = first, last
            gb.db.commit()
