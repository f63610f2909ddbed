"""The commands that set up the course's Dask cluster (README, "Grading on several
machines"):

    python -m autograder certs DIR                      the CA and per-role certificates
    python -m autograder scheduler --host IP --certs DIR
    python -m autograder worker tls://IP:8786 --host IP --certs DIR [dask worker options]

`scheduler` and `worker` run the real `dask scheduler` / `dask worker` with only what
this course allows: TLS with the course's certificates both ways (encryption required,
so no plain tcp:// listener or connection), bound to the one address or interface the
instructor names, and no HTTP server content (the dashboard, /info, /metrics and the
REST API answer nobody: they have no authentication). `worker` also refuses to start
without the gradebook's URL in its own environment (`RNN_COURSE_DB_URL`), since tasks
never carry it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

COMMANDS = ("certs", "scheduler", "worker")


def add_parsers(sub) -> None:
    """Add the three sub-commands to `python -m autograder`'s parser."""
    c = sub.add_parser("certs", help="make the Dask cluster's CA and TLS certificates")
    c.add_argument("folder", type=Path, help="an empty or new folder")
    c.add_argument("--days", type=int, default=365, help="validity (default 365)")
    s = sub.add_parser("scheduler", help="start the course's Dask scheduler (TLS only)")
    w = sub.add_parser("worker", help="start a grading worker on this machine (TLS only)")
    w.add_argument("scheduler", metavar="tls://HOST:8786")
    for p, role in ((s, "scheduler"), (w, "worker")):
        where = p.add_mutually_exclusive_group(required=True)
        where.add_argument("--host", help="the IP address or host name to listen on")
        where.add_argument("--interface", help="the network interface to listen on (eth0)")
        p.add_argument("--certs", required=True, metavar="DIR",
                       help=f"folder with ca.pem, {role}.pem and {role}-key.pem")
    s.add_argument("--port", type=int, default=8786)


def _dask_env() -> dict[str, str]:
    # Dask reads its configuration from DASK_* variables (values are Python literals).
    return dict(os.environ,
                DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION="True",
                DASK_DISTRIBUTED__SCHEDULER__HTTP__ROUTES="[]",
                DASK_DISTRIBUTED__WORKER__HTTP__ROUTES="[]")


def dask_command(args, extra: list[str]) -> list[str]:
    """The `dask scheduler|worker` command line for `args` (a parsed sub-command)."""
    from autograder.grading import certs

    certs.security(args.certs, args.command)  # refuses missing files and readable keys
    ca, cert, key = (str(p.resolve()) for p in certs.paths(Path(args.certs), args.command))
    if args.host and "://" in args.host:
        raise ValueError(f"--host {args.host}: give the address alone (tls:// is implied)")
    dask = str(Path(sys.executable).parent / "dask")
    tls = ["--tls-ca-file", ca, "--tls-cert", cert, "--tls-key", key]
    # The HTTP server still listens without --dashboard: keep it on loopback, serving nothing.
    http = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    if args.command == "scheduler":
        where = (["--host", f"tls://{args.host}"] if args.host else
                 ["--interface", args.interface, "--protocol", "tls"])
        return [dask, "scheduler", *where, "--port", str(args.port), *http, *tls, *extra]
    if not args.scheduler.startswith("tls://"):
        raise ValueError(f"refusing {args.scheduler}: the scheduler's address must be "
                         "tls://HOST:PORT")
    where = (["--host", args.host] if args.host else
             ["--interface", args.interface, "--protocol", "tls"])
    return [dask, "worker", args.scheduler, *where, *http, *tls, *extra]


def run(args, extra: list[str]) -> int:
    """Run one of COMMANDS; `scheduler` and `worker` replace this process with dask's."""
    from autograder.grading import certs

    if args.command == "certs":
        try:
            certs.make(args.folder, days=args.days)
        except FileExistsError as error:
            print(error, file=sys.stderr)
            return 2
        print(certs.usage(args.folder))
        return 0
    if args.command == "worker":
        url = os.environ.get("RNN_COURSE_DB_URL", "")
        if not url or url.startswith("sqlite"):
            print("set RNN_COURSE_DB_URL to the course's PostgreSQL URL on this machine (its "
                  "password here or in ~/.pgpass): tasks never carry it", file=sys.stderr)
            return 2
    try:
        command = dask_command(args, extra)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, _dask_env())
    return 0  # not reached



def main(argv: list[str]) -> int:
    """`python -m autograder certs|scheduler|worker ...` without the grading imports."""
    parser = argparse.ArgumentParser(prog="python -m autograder",
                                     description="The course's Dask cluster")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "certs":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return run(args, extra)
