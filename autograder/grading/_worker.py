"""The sandbox side of secure grading: runs ONE submission's code, untrusted from here on.

Started by `sandbox.py` as `python -I _worker.py JOBDIR PROGRESS_FD`, inside fresh
network, mount and PID namespaces when the machine allows it. While still root it hides
the course (reference, checks, solutions, gradebook, other submissions, /tmp, home
directories) behind empty tmpfs mounts, re-exposes only the Python installation
read-only, binds the job's own directory at /tmp/submission, sets rlimits and drops to an
unprivileged uid with no groups. Then it runs the planned steps:

- a code step: a notebook cell, through an IPython shell (magics work, output captured);
- a calls step: calls the student's functions on the case arguments and writes the plain
  return values to `results/step_<i>.npz` + `.json` (the trusted grader judges them).

It reports "start i" / "done i" lines on PROGRESS_FD. It deliberately imports nothing from
`autograder` (the package is hidden once the mounts are in place), and nothing it does is
trusted: the grader only ever reads plain arrays and JSON back.
"""

import ctypes
import io
import json
import os
import resource
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 32, 4096, 16384, 1 << 18)
MAX_DEPTH = 32


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _mount(libc, source, target, fstype, flags, data=None):
    def enc(s):
        return (s.encode() if s is not None else None)
    if libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} -> {target}: {os.strerror(err)}")


def _under(path, root):
    return path == root or path.startswith(root.rstrip("/") + "/")


def setup_mounts(sandbox):
    """Hide sensitive paths, re-expose the Python installation, bind the job directory."""
    libc = _libc()
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    hide = [p for p in sandbox["hide"] if os.path.isdir(p) and not os.path.islink(p)]
    # A path under another hidden path is covered already (and vanishes once that is).
    hide = [p for p in hide if not any(q != p and _under(p, q) for q in hide)]
    hide_files = [p for p in sandbox["hide"] if os.path.isfile(p)
                  and not any(_under(p, q) for q in hide)]
    # Open what must stay visible before anything is covered; bind it back through the fd.
    expose = {p: os.open(p, os.O_PATH) for p in sandbox["expose"] if os.path.isdir(p)}
    work_fd = os.open(sandbox["host_workdir"], os.O_PATH)
    for path in sorted(set(hide), key=len):
        mode = "1777" if path in ("/tmp", "/var/tmp", "/dev/shm") else "755"
        _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"mode={mode},size=64m")
    for path in hide_files:
        _mount(libc, "/dev/null", path, None, MS_BIND)
    for path, fd in sorted(expose.items(), key=lambda item: len(item[0])):
        if any(_under(path, root) for root in hide):
            os.makedirs(path, exist_ok=True)
            _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            _mount(libc, None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
        os.close(fd)
    # Hidden even where the installation above re-exposed it (a non-editable install
    # puts the course package inside site-packages).
    for path in sandbox.get("hide_late", []):
        if os.path.isdir(path):
            _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1m")
    os.makedirs(sandbox["workdir"], exist_ok=True)
    _mount(libc, f"/proc/self/fd/{work_fd}", sandbox["workdir"], None, MS_BIND)
    os.close(work_fd)


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
                report = CALLING.plain_report(CALLING.call(fn, args, kwargs, spec), plain)
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
    jobdir, progress_fd = sys.argv[1], int(sys.argv[2])
    with open(os.path.join(jobdir, "job.json"), encoding="utf-8") as f:
        job = json.load(f)
    with open(os.path.join(jobdir, "plan.json"), encoding="utf-8") as f:
        plan = json.load(f)
    sandbox = job["sandbox"]
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
    if sandbox["drop_privileges"]:
        drop_privileges(sandbox["uid"], sandbox["gid"])
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
    results = os.path.join(workdir, "results")
    limit = job.get("output_chars", 20000)

    def progress(text):
        os.write(progress_fd, (text + "\n").encode())

    for index in plan:
        step = job["steps"][index]
        progress(f"start {index}")
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
        base = os.path.join(results, f"step_{index}")
        np.savez(base + ".npz", **arrays)
        with open(base + ".json", "w", encoding="utf-8") as f:
            json.dump(record, f)
        progress(f"done {index}")
    progress("end")
    os._exit(0)


if __name__ == "__main__":
    main()
