"""Seals an execution environment from inside, before INIT, with what Linux allows without privileges: its own
user and mount namespaces (a private /tmp of the function's ephemeral storage, no /dev/shm, a read-only task
root), Landlock (the function writes only to /tmp and devices, and reads nothing in the users' home folders but
the runtime it runs on), and memory that other processes cannot read."""
from __future__ import annotations

import ctypes
import os
import struct
import sys
from collections.abc import Sequence

from .limits import libc

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_PR_SET_DUMPABLE, _PR_SET_NO_NEW_PRIVS = 4, 38
_SYS_LANDLOCK_CREATE_RULESET, _SYS_LANDLOCK_ADD_RULE, _SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
_LANDLOCK_RULE_PATH_BENEATH = 1
# Landlock's filesystem rights that change something (reading and executing stay unrestricted).
_WRITE_FILE, _READ_FILE, _READ_DIR, _REMOVE_DIR, _REMOVE_FILE = 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5
_MAKE_ANY = sum(1 << bit for bit in range(6, 13))  # character/block devices, dirs, files, sockets, fifos, links
_REFER, _TRUNCATE = 1 << 13, 1 << 14
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1  # Landlock ABI 6
_LAMBDANB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the package whose runtimes run here
_PRIVATE_TOP_FOLDERS = ("root", "home")  # the users' own files: the kernel's credentials, notebooks, keys


def seal(task_root: str, storage_mb: int, home: str | None, command: list[str] | None = None,
         imports: Sequence[str] = ()) -> str | None:
    """Seal the calling (single-threaded) process; None when sealed, else why the machine refused, in which case
    the environment runs as before: the machine's /tmp and /dev/shm, and the kernel's write access. `imports` are
    the folders the function imports from (its layers, the runtime's packages), readable wherever they are."""
    if libc is None:
        return "this system has no C library to call"
    try:
        _own_namespaces()
        _mount_private_tmp(task_root, storage_mb, home, imports)
    except OSError as error:
        return f"user and mount namespaces are not available ({error.strerror or error})"
    libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # after the id maps: they are written through /proc/self
    try:
        _landlock(_readable(task_root, command, imports), ["/tmp"], ["/dev"])
    except OSError as error:
        return f"Landlock is not available ({error.strerror or error})"
    return None


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _own_namespaces() -> None:
    """New user and mount namespaces, the user mapped to itself (its files stay its own)."""
    uid, gid = os.geteuid(), os.getegid()
    _check(libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as mapping:
            mapping.write(text)
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing mounted here reaches the machine


def _mount_private_tmp(task_root: str, storage_mb: int, home: str | None, imports: Sequence[str]) -> None:
    """A fresh /tmp of the ephemeral storage size; the task root and the folders the function imports from (which
    may live under the machine's /tmp) mounted read-only at the same paths; an empty read-only /dev/shm."""
    # The kernel's own environment and lambdanb may live under /tmp too (a checkout there): the runtime's packages
    # link into the one, and the runtimes' own code is in the other.
    candidates = [os.path.realpath(path) for path in (*imports, sys.prefix, sys.exec_prefix, _LAMBDANB)]
    kept = [task_root, *(path for path in candidates if path.startswith("/tmp/") and os.path.isdir(path))]
    folders = {path: os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for path in dict.fromkeys(kept)}
    try:
        _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={storage_mb}m,mode=1777")
        for path, fd in folders.items():
            os.makedirs(path, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
            _mount(None, path, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    finally:
        for fd in folders.values():
            os.close(fd)
    if home:
        os.makedirs(home, exist_ok=True)
    if os.path.isdir("/dev/shm"):
        _mount("tmpfs", "/dev/shm", "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, "size=4k")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def encode(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    _check(libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
           f"mount {target}")


def confine_signals() -> bool:
    """Called by the template process on itself: it and every environment it makes may signal (and reach
    abstract sockets of) one another, not the kernel or anything else on the machine. False where Landlock is
    older than ABI 6."""
    if libc is None:
        return False
    syscall = libc.syscall
    if syscall(_SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1)) < 6:
        return False
    attributes = ctypes.create_string_buffer(struct.pack("=QQQ", 0, 0, _SCOPE_SIGNAL | _SCOPE_ABSTRACT_UNIX_SOCKET))
    ruleset = syscall(_SYS_LANDLOCK_CREATE_RULESET, attributes, ctypes.c_size_t(24), ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    try:
        return (libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
                and syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) == 0)
    finally:
        os.close(ruleset)


def _readable(task_root: str, command: list[str] | None, imports: Sequence[str]) -> list[str]:
    """Everything but the users' home folders, plus what the runtime needs from there (this Python, its
    packages, lambdanb's runtimes, the runtime command) and the task root."""
    paths = [os.path.join("/", name) for name in os.listdir("/") if name not in _PRIVATE_TOP_FOLDERS]
    paths += [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
              task_root, _LAMBDANB, *sys.path, *imports]
    if command and os.path.isabs(command[0]):
        paths.append(os.path.dirname(os.path.realpath(command[0])))
    return sorted({os.path.realpath(path) for path in paths if path and os.path.exists(path)})


def _landlock(readable: list[str], writable: list[str], devices: list[str]) -> None:
    """Reads only beneath `readable`; writes, creations and removals only beneath `writable`; `devices` may be
    written to."""
    syscall = libc.syscall
    abi = syscall(_SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        _check(-1, "landlock")
    changes = _WRITE_FILE | _REMOVE_DIR | _REMOVE_FILE | _MAKE_ANY
    if abi >= 2:
        changes |= _REFER
    if abi >= 3:
        changes |= _TRUNCATE
    reads = _READ_FILE | _READ_DIR
    attributes = ctypes.create_string_buffer(struct.pack("=Q", changes | reads))
    ruleset = syscall(_SYS_LANDLOCK_CREATE_RULESET, attributes, ctypes.c_size_t(8), ctypes.c_uint32(0))
    if ruleset < 0:
        _check(-1, "landlock ruleset")
    try:
        device_rights = reads | _WRITE_FILE | (_TRUNCATE if abi >= 3 else 0)
        for paths, rights in ((readable, reads), (writable, changes | reads), (devices, device_rights)):
            for path in paths:
                _allow(ruleset, path, rights)
        _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")
        _check(syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)), "landlock")
    finally:
        os.close(ruleset)


def _allow(ruleset: int, path: str, rights: int) -> None:
    directory = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        if not os.path.isdir(path):
            rights &= _WRITE_FILE | _READ_FILE | _TRUNCATE  # a file takes only the rights of a file
        rule = ctypes.create_string_buffer(struct.pack("=Qi", rights, directory))
        _check(libc.syscall(_SYS_LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_PATH_BENEATH, rule, ctypes.c_uint32(0)),
               f"landlock rule for {path}")
    finally:
        os.close(directory)
