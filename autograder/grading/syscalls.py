"""The sandbox's interface to the kernel: an ALLOW-LIST of system calls (seccomp).

Modelled on the default profile of container runtimes (moby's `default.json`): every call
not named here fails with EPERM; the list is that profile's allow-list for a process
without capabilities, less what a numpy/matplotlib/IPython notebook never needs and what
reaches kernel state that outlives the job or is shared with other jobs. So there are no
keyring calls (`add_key`, `request_key`, `keyctl`: keys are not namespaced and outlive
the process), no new namespaces (`unshare`, `setns`, `clone` with a CLONE_NEW* flag), no
`ptrace`, `process_vm_*`, `bpf`, `perf_event_open`, `userfaultfd`, `io_uring_*`, no
mount, module, swap, reboot, kexec, clock or host-name calls, no uid changes.

Some calls are allowed with some arguments only: `clone` without CLONE_NEW* flags (fork
and threads), `personality` with the values container runtimes allow, `socket` for unix,
IPv4/IPv6 and netlink-route sockets only. `clone3` fails with ENOSYS, so that the C
library falls back to `clone`, whose flags the filter can see.

Installed by `_worker.py` after the root view is built and privileges are dropped, on
every thread (TSYNC), inherited by every child. The binding is `pyseccomp` (ctypes over
the system's libseccomp); the worker loads this file by path before it pivots, so neither
needs to be in the sandbox's view. Imports nothing from `autograder`.
`python syscalls.py` installs the filter and checks it holds (exit status 0), which
`sandbox.capabilities()` uses as its probe.
"""

from __future__ import annotations

import errno
import sys

ALLOWED = (
    # files, folders, descriptors
    "access", "chdir", "chmod", "chown", "close", "close_range", "copy_file_range",
    "creat", "dup", "dup2", "dup3", "faccessat", "faccessat2", "fadvise64", "fallocate",
    "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchownat", "fcntl",
    "fdatasync", "fgetxattr", "flistxattr", "flock", "fremovexattr", "fsetxattr", "fstat",
    "fstatfs", "fsync", "ftruncate", "futimesat", "getcwd", "getdents", "getdents64",
    "getxattr", "ioctl", "lchown", "lgetxattr", "link", "linkat", "listxattr",
    "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "mkdir", "mkdirat",
    "mknod", "mknodat", "newfstatat", "open", "openat", "openat2", "pipe", "pipe2",
    "pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read",
    "readahead", "readlink", "readlinkat", "readv", "removexattr", "rename", "renameat",
    "renameat2", "rmdir", "sendfile", "setxattr", "splice", "stat", "statfs", "statx",
    "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "tee", "truncate",
    "umask", "unlink", "unlinkat", "utime", "utimensat", "utimes", "vmsplice", "write",
    "writev",
    # waiting and events
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2",
    "epoll_wait", "eventfd", "eventfd2", "inotify_add_watch", "inotify_init",
    "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents",
    "io_pgetevents", "io_setup", "io_submit", "pause", "poll", "ppoll", "pselect6",
    "select", "signalfd", "signalfd4", "timerfd_create", "timerfd_gettime",
    "timerfd_settime",
    # memory
    "brk", "madvise", "membarrier", "memfd_create", "mincore", "mlock", "mlock2",
    "mlockall", "mmap", "mprotect", "mremap", "msync", "munlock", "munlockall", "munmap",
    "pkey_alloc", "pkey_free", "pkey_mprotect",
    # processes, threads, signals (clone, personality: below, by argument)
    "arch_prctl", "capget", "execve", "execveat", "exit", "exit_group", "fork", "futex",
    "futex_waitv", "get_robust_list", "getcpu", "getegid", "geteuid", "getgid",
    "getgroups", "getitimer", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
    "getresgid", "getresuid", "getrlimit", "getrusage", "getsid", "gettid", "getuid",
    "ioprio_get", "ioprio_set", "kill", "pidfd_open", "pidfd_send_signal", "prctl",
    "prlimit64", "restart_syscall", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_tgsigqueueinfo", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
    "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "set_robust_list",
    "set_tid_address", "setitimer", "setpgid", "setpriority", "setrlimit", "setsid",
    "sigaltstack", "tgkill", "tkill", "vfork", "wait4", "waitid",
    # time
    "alarm", "clock_getres", "clock_gettime", "clock_nanosleep", "gettimeofday",
    "nanosleep", "time", "timer_create", "timer_delete", "timer_getoverrun",
    "timer_gettime", "timer_settime", "times",
    # sockets (socket itself: below, by family) and the job's own SysV/POSIX IPC
    "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
    "listen", "recvfrom", "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto",
    "setsockopt", "shutdown", "socketpair", "mq_getsetattr", "mq_notify", "mq_open",
    "mq_timedreceive", "mq_timedsend", "mq_unlink", "msgctl", "msgget", "msgrcv",
    "msgsnd", "semctl", "semget", "semop", "semtimedop", "shmat", "shmctl", "shmdt",
    "shmget",
    # the system, read only; limits that only narrow what the process may do
    "getrandom", "sysinfo", "uname", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "seccomp",
)
CLONE_NEW = 0x7E020000  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
PERSONALITIES = (0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF)  # PER_LINUX(32), UNAME26, query
SOCKET_FAMILIES = (1, 2, 10)  # AF_UNIX, AF_INET, AF_INET6
AF_NETLINK, NETLINK_ROUTE = 16, 0
ENOSYS_CALLS = ("clone3",)
CLONE_FLAGS_ARG = {"s390x": 1}  # the argument that holds clone's flags, where not the first


def build():
    """The filter (a `pyseccomp.SyscallFilter`), not yet loaded."""
    import pyseccomp as sc

    flt = sc.SyscallFilter(sc.ERRNO(errno.EPERM))
    flt.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)  # 32-bit and x32 calls
    flt.set_attr(sc.Attr.CTL_TSYNC, 1)
    flt.set_attr(sc.Attr.CTL_NNP, 1)

    def number(name):
        nr = sc.resolve_syscall(sc.Arch.NATIVE, name)
        return None if nr == -1 else nr  # -1: unknown to this libseccomp

    for name in ALLOWED:
        nr = number(name)
        if nr is not None:
            flt.add_rule(sc.ALLOW, nr)
    import platform

    flags = CLONE_FLAGS_ARG.get(platform.machine(), 0)
    flt.add_rule(sc.ALLOW, "clone", sc.Arg(flags, sc.MASKED_EQ, CLONE_NEW, 0))
    for value in PERSONALITIES:
        flt.add_rule(sc.ALLOW, "personality", sc.Arg(0, sc.EQ, value))
    for family in SOCKET_FAMILIES:
        flt.add_rule(sc.ALLOW, "socket", sc.Arg(0, sc.EQ, family))
    flt.add_rule(sc.ALLOW, "socket", sc.Arg(0, sc.EQ, AF_NETLINK),
                 sc.Arg(2, sc.EQ, NETLINK_ROUTE))
    for name in ENOSYS_CALLS:
        if number(name) is not None:
            flt.add_rule(sc.ERRNO(errno.ENOSYS), name)
    return flt


def install() -> None:
    """Load the filter into this process, all its threads and all it will start (no way
    back). Sets no_new_privs. Raises (ImportError, OSError, RuntimeError) if it cannot."""
    build().load()


def _keyctl_errno() -> int:
    import ctypes

    import pyseccomp as sc

    libc = ctypes.CDLL(None, use_errno=True)
    nr = sc.resolve_syscall(sc.Arch.NATIVE, "keyctl")
    if libc.syscall(nr, 0, ctypes.c_long(-2), 0) == -1:  # KEYCTL_GET_KEYRING_ID, process
        return ctypes.get_errno()
    return 0


def main() -> int:
    """Install the filter here, then check that a blocked call fails with EPERM."""
    try:
        install()
    except Exception as error:  # noqa: BLE001 (any failure means: not available)
        print(f"cannot install a seccomp filter: {type(error).__name__}: {error}")
        return 1
    code = _keyctl_errno()
    if code != errno.EPERM:
        print(f"the seccomp filter did not hold (keyctl: {errno.errorcode.get(code, code)})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
