"""The sandbox side of secure grading: runs ONE submission's code, untrusted from here on.

Started by `sandbox.py` as `python -I _worker.py JOBDIR PROGRESS_FD COMMAND_FD`, inside fresh
network, mount, PID, IPC and UTS namespaces when the machine allows it. While still root
it joins the job's own cgroups (memory, processes, CPU: caps for the whole sandbox), then
builds a new root from an ALLOW-LIST and pivots into it:

- a read-only tmpfs root holding only the Python interpreter, its standard library, the
  system's shared libraries, and the site-packages entries of the packages a student may
  use (numpy, matplotlib, IPython, ipywidgets and what they require; never the course's
  own package), each bind-mounted read-only at its usual path;
- a minimal /dev (null, zero, full, random, urandom; a small private /dev/shm), /proc of
  the new PID namespace, a tiny synthetic /etc;
- a private, size-capped tmpfs /tmp holding the work folder /tmp/submission (the
  assignment's data files are copied in).

Nothing else of the host exists in that view, and nothing the sandbox can write outlives
it. Then it sets rlimits, joins a new session keyring, drops to a uid leased to this job
alone, with no groups, installs the system-call allow-list (`syscalls.py`, seccomp: on
every thread, inherited by every child), and runs the planned steps:

- a code step: a notebook cell, through an IPython shell (magics work, output captured);
- a calls step: calls the student's functions on the case arguments; the plain return
  values go back on PROGRESS_FD (the trusted grader judges them).

The grader decides which step runs and when: it writes "run i" on COMMAND_FD (and starts
that step's clock), then "end". PROGRESS_FD carries "ready" (once, before any student
code), "done i JSON_BYTES NPZ_BYTES" followed by that many bytes of the step's record
(JSON) and arrays (npz), and "ask JSON_BYTES NPZ_BYTES" + bytes: a graded helper's
arguments, to which the grader answers on COMMAND_FD with "answer J N" + bytes (the
recorded output of a correct helper on exactly those arguments) or "none" (recorded
helper outputs never enter the sandbox). It deliberately imports nothing from
`autograder` (the package is not in the view), and nothing it does is trusted: the grader
only reads plain arrays and JSON back, within its byte caps.
"""

import ctypes
import io
import json
import os
import platform
import resource
import shutil
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}
MAX_DEPTH = 32
MAX_INT_BITS = 14_000  # about 4200 digits: the grader's JSON reader keeps Python's 4300
DEVICES = ("null", "zero", "full", "random", "urandom")


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _mount(libc, source, target, fstype, flags, data=None):
    def enc(s):
        return (s.encode() if s is not None else None)
    if libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} -> {target}: {os.strerror(err)}")


def join_cgroups(paths):
    """Move this process (and so everything it will start) into the job's cgroups."""
    for path in paths:
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))


def _bind_readonly(libc, source, target, device=False):
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(libc, source, target, None, MS_BIND)
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | (0 if device else MS_NODEV)
    _mount(libc, None, target, None, flags)


def _tmpfs(libc, target, size, mode="755", flags=MS_NOSUID | MS_NODEV):
    os.makedirs(target, exist_ok=True)
    _mount(libc, "tmpfs", target, "tmpfs", flags, f"mode={mode},size={size}")


def _pivot_root(libc, root):
    """Make `root` the process's / and detach the host's tree from this namespace."""
    os.chdir(root)
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is not None and libc.syscall(number, b".", b".") == 0:
        if libc.umount2(b".", MNT_DETACH) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"umount2 of the old root: {os.strerror(err)}")
    else:  # unknown architecture: move the new root over / (the old one is shadowed)
        _mount(libc, ".", "/", None, 1 << 13)  # MS_MOVE
        os.chroot(".")
    os.chdir("/")


def _etc_files(root, uid, gid, workdir):
    etc = os.path.join(root, "etc")
    os.makedirs(etc, exist_ok=True)
    files = {
        "passwd": f"root:x:0:0:root:/nonexistent:/bin/false\n"
                  f"student:x:{uid}:{gid}:student:{workdir}:/bin/false\n",
        "group": f"root:x:0:\nstudent:x:{gid}:\n",
        "hosts": "127.0.0.1 localhost\n::1 localhost\n",
        "hostname": "sandbox\n",
        "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
    }
    for name, text in files.items():
        with open(os.path.join(etc, name), "w") as f:
            f.write(text)


def _copy_tree(source, dest, uid, gid):
    """Copy the job's data files (made by the grader) into the work folder."""
    for folder, _dirs, names in os.walk(source):
        rel = os.path.relpath(folder, source)
        target = os.path.normpath(os.path.join(dest, rel))
        os.makedirs(target, exist_ok=True)
        os.chown(target, uid, gid)
        os.chmod(target, 0o700)
        for name in names:
            path = os.path.join(target, name)
            shutil.copyfile(os.path.join(folder, name), path, follow_symlinks=False)
            os.chown(path, uid, gid)
            os.chmod(path, 0o600)


def setup_mounts(sandbox):
    """Build the allow-listed root described by `sandbox["view"]` and pivot into it."""
    libc = _libc()
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    root, view = sandbox["root"], sandbox["view"]
    _tmpfs(libc, root, "4m")
    # /tmp first: an installation that lives under /tmp is bound inside it, read-only.
    _tmpfs(libc, root + "/tmp", sandbox["disk_bytes"], mode="1777")
    for path in view["binds"]:
        if os.path.exists(path):
            _bind_readonly(libc, path, root + path)
    for path in view["empty"]:  # inside a bound folder, e.g. the base site-packages
        if os.path.isdir(root + path):
            _mount(libc, "tmpfs", root + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV,
                   "mode=755,size=4k")
    dev = root + "/dev"
    _tmpfs(libc, dev, "64k", flags=MS_NOSUID)
    for name in DEVICES:
        _bind_readonly(libc, f"/dev/{name}", f"{dev}/{name}", device=True)
    for name, target in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")]:
        os.symlink(target, f"{dev}/{name}")
    _tmpfs(libc, dev + "/shm", sandbox["shm_bytes"], mode="1777")
    os.makedirs(root + "/proc")
    _mount(libc, "proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    workdir = root + sandbox["workdir"]
    os.makedirs(workdir)
    _copy_tree(sandbox["host_files"], workdir, sandbox["uid"], sandbox["gid"])
    _etc_files(root, sandbox["uid"], sandbox["gid"], sandbox["workdir"])
    # Symlinks last, so that creating the folders above never follows one.
    for path, target in view["symlinks"]:
        if not os.path.lexists(root + path):
            os.makedirs(os.path.dirname(root + path), exist_ok=True)
            os.symlink(target, root + path)
    _pivot_root(libc, root)
    for path in ("/dev", "/"):
        _mount(libc, None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID
               | (MS_NODEV if path == "/" else 0))
    libc.sethostname(b"sandbox", 7)


def set_limits(limits):
    pairs = [
        (resource.RLIMIT_AS, limits["memory_bytes"]),
        (resource.RLIMIT_CPU, limits["cpu_seconds"]),
        (resource.RLIMIT_FSIZE, limits["file_size_bytes"]),
        (resource.RLIMIT_NOFILE, limits["open_files"]),
        (resource.RLIMIT_NPROC, limits["processes"]),
        (resource.RLIMIT_CORE, 0),
    ]
    for which, value in pairs:
        if value is None:
            continue
        soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        # CPU: the soft limit sends SIGXCPU, the hard one (a little later) SIGKILL.
        hard_value = value + 2 if which == resource.RLIMIT_CPU else value
        if hard != resource.RLIM_INFINITY:
            hard_value = min(hard_value, hard)
        resource.setrlimit(which, (value, hard_value))


def drop_privileges(uid, gid):
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    _libc().prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS


def leave_session_keyring():
    """Join a new, empty session keyring (owned by the grading user, gone with the job):
    the one inherited from the grader is shared by every job it starts. Best effort (a
    kernel without keys has nothing to share); the filter then blocks every key call."""
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    number = SYS_KEYCTL.get(platform.machine())
    if number is not None:
        libc.syscall(number, 1, None)  # KEYCTL_JOIN_SESSION_KEYRING, anonymous


def _load_syscalls():
    """syscalls.py (the seccomp allow-list) and its binding, loaded by path while the
    installation is visible: neither is in the sandbox's view."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "syscalls.py")
    spec = importlib.util.spec_from_file_location("_rnn_syscalls", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import pyseccomp  # noqa: F401  (loads libseccomp now)
    return module


class CappedText(io.TextIOBase):
    """A text sink that keeps the first `limit` characters and counts the rest."""

    def __init__(self, limit):
        self.limit, self.parts, self.size, self.dropped = limit, [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = self.limit - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def getvalue(self):
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[... {self.dropped} more characters of output dropped]\n"
        return text


def decode(node, arrays):
    (tag, value), = node.items()
    if tag == "py":
        return value
    if tag == "nd":
        return arrays[value].copy()
    if tag == "dict":
        return {k: decode(v, arrays) for k, v in value}
    items = [decode(v, arrays) for v in value]
    return tuple(items) if tag == "tuple" else items


def encode(obj, arrays, np, where="output", depth=0):
    """Plain data only; anything else is refused with a message naming the type."""
    if depth > MAX_DEPTH:
        raise TypeError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if obj is None:
        return {"py": None}
    for kind in (bool, int, float, str):
        if isinstance(obj, kind):
            if kind is int and int(obj).bit_length() > MAX_INT_BITS:
                raise TypeError(f"{where}: an integer of {int(obj).bit_length()} bits is "
                                f"larger than plain data allows ({MAX_INT_BITS} bits)")
            return {"py": kind(obj)}
    if isinstance(obj, np.generic):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"{where}: numpy scalar of dtype {obj.dtype} is not plain data")
        return {"py": obj.item()}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"{where}: array of dtype {obj.dtype} is not plain data")
        key = f"a{len(arrays)}"
        arrays[key] = np.array(obj, copy=True, subok=False)
        return {"nd": key}
    if isinstance(obj, dict):
        out = []
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: dict key {key!r} is not a string")
            out.append([str(key), encode(value, arrays, np, f"{where}[{key!r}]", depth + 1)])
        return {"dict": out}
    if isinstance(obj, (tuple, list)):
        tag = "tuple" if isinstance(obj, tuple) else "list"
        return {tag: [encode(v, arrays, np, f"{where}[{i}]", depth + 1)
                      for i, v in enumerate(obj)]}
    raise TypeError(f"{where}: {type(obj).__name__} is not plain data (arrays, numbers, "
                    "strings, dicts, tuples and lists only)")


def _safe_str(error):
    try:
        return str(error)[:2000]
    except BaseException:
        return "<message unavailable>"


def _load_calling():
    """autograder/checks/calling.py, loaded by path now (the worker starts before the course
    is hidden; it runs with -I, so the package is not importable): the one implementation
    of how a student's function is called, shared with the in-process checks."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "checks",
                        "calling.py")
    spec = importlib.util.spec_from_file_location("_rnn_calling", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CALLING = _load_calling()


class Channel:
    """The pipes to the grader: `send` on the progress fd, lines and bytes from the
    command fd."""

    def __init__(self, progress_fd, command_fd):
        self.progress_fd, self.command_fd = progress_fd, command_fd

    def send(self, data):
        view = memoryview(data)
        while view:
            view = view[os.write(self.progress_fd, view):]

    def read(self, size):
        parts = []
        while size > 0:
            part = os.read(self.command_fd, min(size, 1 << 20))
            if not part:
                raise EOFError("the grader closed the command pipe")
            parts.append(part)
            size -= len(part)
        return b"".join(parts)

    def line(self):
        out = bytearray()
        while not out.endswith(b"\n"):
            if len(out) > 200:
                raise EOFError("the command pipe holds something else")
            out += self.read(1)
        return out[:-1].decode("ascii").split(" ")


def asker(channel, key, np):
    """`answer` for `calling.call`: the grader's recorded value of helper `name` on the
    arguments `given` of the case `key`, or (False, None)."""

    def answer(name, given):
        arrays = {}
        try:
            tree = encode({"key": key, "name": name, "args": given}, arrays, np, "arguments")
        except TypeError:  # not plain data: no recorded call has these arguments
            return False, None
        text = json.dumps(tree).encode()
        blob = io.BytesIO()
        np.savez(blob, **arrays)
        blob = blob.getvalue()
        channel.send(f"ask {len(text)} {len(blob)}\n".encode() + text + blob)
        reply = channel.line()
        if reply[0] != "answer":
            return False, None
        raw = channel.read(int(reply[1]) + int(reply[2]))
        size = int(reply[1])
        with np.load(io.BytesIO(raw[size:]), allow_pickle=False) as data:
            values = {k: data[k] for k in data.files}
        return True, decode(json.loads(raw[:size]), values)

    return answer


CHANNEL = None  # the pipes to the grader, once main() opened them


def run_calls(step, shell, inputs, np):
    arrays, calls = {}, {}
    for call in step["calls"]:
        fn = shell.user_ns.get(call["function"])
        if not callable(fn):
            calls[call["key"]] = {"raised": ["NameError", f"name {call['function']!r} is not "
                                             "defined (or not a function) in the notebook"]}
            continue
        if "spec" in call:  # a call report: output, arguments after the call, helpers ...
            try:
                args = decode(call["args"], inputs)
                kwargs = decode(call["kwargs"], inputs)
                spec = decode(call["spec"], inputs)
                scratch = {}

                def plain(obj, scratch=scratch):
                    return decode(encode(obj, scratch, np), scratch)
                answer = asker(CHANNEL, call["key"], np) if CHANNEL else None
                report = CALLING.plain_report(CALLING.call(fn, args, kwargs, spec, answer),
                                              plain)
                calls[call["key"]] = {"ok": encode({"call_report": report}, arrays, np)}
            except BaseException as error:  # SystemExit, KeyboardInterrupt too
                calls[call["key"]] = {"raised": [type(error).__name__, _safe_str(error)]}
            continue
        try:
            args = decode(call["args"], inputs)
            kwargs = decode(call["kwargs"], inputs)
            result = fn(*args, **kwargs)
        except BaseException as error:  # SystemExit, KeyboardInterrupt too: only this case
            calls[call["key"]] = {"raised": [type(error).__name__, _safe_str(error)]}
            continue
        try:
            tree = encode(result, arrays, np)
        except BaseException as error:
            calls[call["key"]] = {"unplain": _safe_str(error)}
            continue
        calls[call["key"]] = {"ok": tree}
    return calls, arrays


def install_check_stub():
    """`from autograder.checks import check` and `import rnn_checks` (the student package,
    which the setup cell imports) in a student's own cell keep working (the course
    packages are hidden): the stubs do nothing; grading runs the real checks in the
    trusted process. Everything else under `autograder` stays unimportable."""
    import importlib.machinery
    import types

    package = types.ModuleType("autograder")
    package.__path__ = []
    checks = types.ModuleType("autograder.checks")
    student = types.ModuleType("rnn_checks")

    def check(name, fn, part="public"):
        print(f"(check {name!r}: run by the grader, not inside the sandbox)")
        return 0.0

    checks.check = student.check = check
    package.checks = checks
    sys.modules["autograder"] = package
    sys.modules["autograder.checks"] = checks
    student.__spec__ = importlib.machinery.ModuleSpec("rnn_checks", None)
    sys.modules["rnn_checks"] = student


def main():
    jobdir, progress_fd, command_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(os.path.join(jobdir, "job.json"), encoding="utf-8") as f:
        job = json.load(f)
    sandbox = job["sandbox"]
    if sandbox.get("cgroups"):
        join_cgroups(sandbox["cgroups"])
    syscalls = _load_syscalls() if sandbox.get("seccomp") else None
    import numpy as np  # imported while the installation is certainly readable

    with np.load(os.path.join(jobdir, "inputs.npz"), allow_pickle=False) as data:
        inputs = {key: data[key] for key in data.files}
    if sandbox["namespace"]:
        setup_mounts(sandbox)
        workdir = sandbox["workdir"]
    else:
        workdir = sandbox["host_workdir"]
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class QuietShell(InteractiveShell):
        def enable_gui(self, gui=None):  # no event loop here; figures are not shown
            return None

    set_limits(sandbox["limits"])
    leave_session_keyring()
    if sandbox["drop_privileges"]:
        drop_privileges(sandbox["uid"], sandbox["gid"])
    if syscalls is not None:  # last: the calls above are not on its allow-list
        syscalls.install()
    os.umask(0o077)
    os.chdir(workdir)
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    config.InteractiveShell.xmode = "Plain"
    shell = QuietShell.instance(config=config)
    # Figures: the Agg backend is already set; `%matplotlib inline` must not fail.
    shell.register_magic_function(lambda line="": None, "line", "matplotlib")
    install_check_stub()
    limit = job.get("output_chars", 20000)

    global CHANNEL
    CHANNEL = channel = Channel(progress_fd, command_fd)
    channel.send(b"ready\n")
    while True:
        command = channel.line()
        if command[0] != "run":
            break
        index = int(command[1])
        step = job["steps"][index]
        out = CappedText(limit)
        record = {"status": "ok", "error": None}
        old = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = out
        arrays = {}
        try:
            if step["kind"] == "code":
                result = shell.run_cell(step["source"], store_history=False)
                error = result.error_before_exec or result.error_in_exec
                if error is not None:
                    record.update(status="error", error=f"{type(error).__name__}: "
                                  f"{_safe_str(error)}")
            else:
                record["calls"], arrays = run_calls(step, shell, inputs, np)
        except BaseException as error:
            record.update(status="error", error=f"{type(error).__name__}: {_safe_str(error)}")
        finally:
            sys.stdout, sys.stderr = old
        record["stdout"] = out.getvalue()
        blob = io.BytesIO()
        np.savez(blob, **arrays)
        text = json.dumps(record).encode()
        blob = blob.getvalue()
        channel.send(f"done {index} {len(text)} {len(blob)}\n".encode() + text + blob)
    os._exit(0)


if __name__ == "__main__":
    main()
