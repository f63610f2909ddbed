"""The course cluster's certificates: `python -m autograder certs DIR`.

Writes a fresh certificate authority (CA) and, signed by it, one certificate and key per
role of the Dask cluster:

    ca.pem                              every machine (public)
    scheduler.pem  scheduler-key.pem    the scheduler's machine
    worker.pem     worker-key.pem       every grading machine
    client.pem     client-key.pem       the instructor who runs `grade --scheduler`

Keys are written 0600 and never overwritten. The CA's own key is never written: nobody
can sign another certificate later, so the holders of these three keys are the whole
cluster; to add a role or revoke one, make a new set and replace them everywhere. Dask
checks that each side of every connection holds a certificate signed by `ca.pem`
(mutual TLS) and ignores host names, so a certificate says "course staff", not "this
machine": whoever holds any of the keys can run code on the scheduler and the workers.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

ROLES = ("scheduler", "worker", "client")
CA = "ca.pem"


def paths(folder: Path, role: str) -> tuple[Path, Path, Path]:
    """(CA certificate, role certificate, role key) inside `folder`."""
    return folder / CA, folder / f"{role}.pem", folder / f"{role}-key.pem"


def _write(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL: never overwrite, never follow a planted link.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)  # whatever the umask


def make(folder: Path, days: int = 365, course: str = "rnn-course") -> list[Path]:
    """Create the CA and the three role certificates in `folder`; the files written."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    clash = [p for role in ROLES for p in paths(folder, role) if p.exists()]
    if clash:
        raise FileExistsError(f"{clash[0]} exists: use an empty folder (a new set replaces "
                              "every certificate)")
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name(f"{course} Dask CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(ca_ski, critical=False)
          .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    written = [folder / CA]
    _write(folder / CA, ca.public_bytes(pem), 0o644)
    for role in ROLES:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(name(f"{course} {role}"))
                .issuer_name(ca_name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(end)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                               critical=True)
                .add_extension(x509.KeyUsage(True, False, False, False, True, False, False,
                                             False, False), critical=True)
                # Every Dask process both listens and connects.
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier
                               .from_issuer_subject_key_identifier(ca_ski), critical=False)
                .sign(ca_key, hashes.SHA256()))
        _, cert_path, key_path = paths(folder, role)
        _write(key_path, key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()), 0o600)
        _write(cert_path, cert.public_bytes(pem), 0o644)
        written += [cert_path, key_path]
    return written


def security(folder: str | os.PathLike, role: str = "client"):
    """Dask `Security` for `role` from `folder`: mutual TLS with the course CA, encryption
    required. Refuses a key that other users can read (like ssh)."""
    from distributed import Security

    ca, cert, key = paths(Path(folder), role)
    for path in (ca, cert, key):
        if not path.is_file():
            raise ValueError(f"no {path.name} in {folder} (make the cluster's certificates "
                             "with `python -m autograder certs DIR`; README, 'Grading on "
                             "several machines')")
    if key.stat().st_mode & 0o077:
        raise ValueError(f"{key} is readable by other users: chmod 600 {key}")
    return Security(tls_ca_file=str(ca), **{f"tls_{role}_cert": str(cert),
                                            f"tls_{role}_key": str(key)},
                    require_encryption=True)


def usage(folder: Path) -> str:
    """What to copy where, and the commands that use it (printed by the command)."""
    return f"""\
Certificates for the course's Dask cluster in {folder}/ (keys are 0600; the CA's key was
never written, so these are the only certificates it will ever sign):
  scheduler machine:  ca.pem scheduler.pem scheduler-key.pem
  grading machines:   ca.pem worker.pem worker-key.pem
  instructor:         ca.pem client.pem client-key.pem
Copy each set over ssh into a folder only the user that runs that process can read
(chmod 700), and keep no key on a shared disk. Whoever holds any key is course staff:
they can run code on the scheduler and on every worker.

  python -m autograder scheduler --host SCHEDULER_IP --certs DIR
  RNN_COURSE_DB_URL=postgresql+psycopg2://grader@DBHOST/rnn_course \\
      python -m autograder worker tls://SCHEDULER_IP:8786 --host WORKER_IP --certs DIR \\
      --nthreads 1
  python -m autograder grade ASSIGNMENT --scheduler tls://SCHEDULER_IP:8786 --certs DIR
"""
