"""Seeds of the cases. Public cases use fixed seeds (their inputs and expected outputs
are published in the student package anyway). Hidden cases are seeded from the
instructor's secret with a keyed hash, so a table of hidden outputs precomputed from the
public code matches nothing. Instructor-only: never copied into the student package.

The secret comes from `set_secret` (grading sets it from `c.SecureExecute.course_secret`)
or else the environment variable RNN_COURSE_SECRET. Without one, hidden cases fall back to
public seeds and grading warns loudly.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import zlib

import numpy as np

ENV = "RNN_COURSE_SECRET"
_explicit: list[str] = []


def set_secret(value: str | None) -> None:
    """Use `value` as the course secret (None or "": fall back to RNN_COURSE_SECRET)."""
    _explicit[:] = [value] if value else []


def secret() -> str:
    return _explicit[0] if _explicit else os.environ.get(ENV, "")


def fingerprint() -> str:
    """A short, one-way tag of the secret in use ("" without one): cache keys, logs."""
    value = secret()
    return hashlib.sha256(b"rnn-course|" + value.encode()).hexdigest()[:12] if value else ""


def seed(name: str, part: str, index: int) -> int:
    message = f"{name}|{part}|{index}".encode()
    value = secret()
    if part == "hidden" and value:
        digest = hmac.new(value.encode(), message, hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "little")
    return zlib.crc32(message)


def rng_for(name: str, part: str, index: int) -> np.random.Generator:
    """A generator for case `index` of `part` of check `name`."""
    return np.random.default_rng(seed(name, part, index))
