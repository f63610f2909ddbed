"""A throw-away PostgreSQL server for the gradebook and cluster tests and the Dask
benchmark: Debian's binaries, run as `postgres`, on loopback and a private socket folder,
deleted afterwards."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def unavailable() -> str | None:
    """Why no server can be started here, or None."""
    if not INITDB:
        return "PostgreSQL server binaries are not installed (.ci/run installs them)"
    if os.geteuid() != 0:
        return "starting a private PostgreSQL server needs root (to run as `postgres`)"
    return None


@contextmanager
def postgres_server(database: str = "rnn_course") -> Iterator[str]:
    """Yields a SQLAlchemy URL of an empty database on a fresh server."""
    bindir = Path(INITDB[-1]).parent
    user = pwd.getpwnam("postgres")
    base = Path(tempfile.mkdtemp(prefix="rnn-pg-"))
    base.chmod(0o755)
    os.chown(base, user.pw_uid, user.pw_gid)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def as_postgres(*cmd):
        return subprocess.run(["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                               "--init-groups", *cmd], check=True, capture_output=True,
                              text=True, timeout=120, cwd=base)

    as_postgres(str(bindir / "initdb"), "-D", str(base / "data"), "-A", "trust", "-U",
                "postgres")
    as_postgres(str(bindir / "pg_ctl"), "-D", str(base / "data"), "-l", str(base / "log"),
                "-w", "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1", "start")
    try:
        as_postgres(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U",
                    "postgres", database)
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{database}"
    finally:
        as_postgres(str(bindir / "pg_ctl"), "-D", str(base / "data"), "-m", "immediate",
                    "stop")
        shutil.rmtree(base, ignore_errors=True)
