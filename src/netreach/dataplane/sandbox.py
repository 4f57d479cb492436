"""Run the lab in private network, mount and PID namespaces so the host is never touched.

Inside, /run/netns is a private tmpfs, the home namespace has only `lo` (a stray socket has no
route anywhere), and when the sandbox's first process ends, for any reason, the kernel frees
every lab namespace, veth and nft table with it.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import traceback
from collections.abc import Callable
from typing import TypeVar

from netreach.dataplane.netns import (
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    NETNS_DIR,
    libc_call,
    unshare,
)
from netreach.errors import NetreachError

T = TypeVar("T")
_MS_REC, _MS_PRIVATE = 0x4000, 1 << 18
_PR_SET_PDEATHSIG = 1
# Set only in the sandbox's own process, after it entered its namespaces. Nothing outside
# this module (no environment variable, no option) can make the lab run without them.
_ISOLATED = False


class DataplaneUnavailable(NetreachError):
    """This machine cannot run the lab; the message says what is missing."""


def missing_requirements() -> list[str]:
    """What stops the lab from running here (empty when it can run)."""
    missing = [] if os.geteuid() == 0 else ["root (CAP_NET_ADMIN and CAP_SYS_ADMIN)"]
    for tool, package in (("nft", "nftables"), ("ip", "iproute2")):
        if shutil.which(tool) is None:
            missing.append(f"`{tool}` (package {package})")
    return missing


def require_dataplane() -> None:
    missing = missing_requirements()
    if missing:
        raise DataplaneUnavailable("cannot build the dataplane lab: missing " + ", ".join(missing))


def isolated() -> bool:
    """Whether this process is the sandbox (its own network, mount and PID namespaces)."""
    return _ISOLATED


def run_isolated(fn: Callable[[], T]) -> T:
    """Run `fn` in fresh network, mount and PID namespaces (a forked child) and return its
    result (it must pickle). Inside the sandbox already, `fn` just runs.

    As `unshare --net --mount --pid --fork --kill-child`: the child dies with its parent
    (PDEATHSIG), and the kernel frees its namespaces with it. /run is a private tmpfs, so
    nothing (no /run/netns entry, no /run/mount) is left on the host.
    """
    if _ISOLATED:
        return fn()
    require_dataplane()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read_fd)
        code = 1
        try:
            code = _child(fn, write_fd)
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
    finally:
        os.waitpid(pid, 0)
    if not data:
        raise NetreachError("the dataplane sandbox died without a result")
    ok, value = pickle.loads(data)
    if not ok:
        raise NetreachError(f"the dataplane sandbox failed:\n{value}")
    return value  # type: ignore[no-any-return]


def _child(fn: Callable[[], T], write_fd: int) -> int:  # pragma: no cover - child only
    global _ISOLATED
    try:
        _die_with_parent()
        unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID)
        pid = os.fork()  # the first process of a new PID namespace is its init
        if pid != 0:
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)
        _die_with_parent()
        _private_mounts()
        _ISOLATED = True
        payload: tuple[bool, object]
        try:
            payload = (True, fn())
        except BaseException:
            payload = (False, traceback.format_exc())
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(pickle.dumps(payload))
        os._exit(0)
    except BaseException:
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(pickle.dumps((False, traceback.format_exc())))
        return 1


def _die_with_parent() -> None:
    libc_call("prctl", _PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _private_mounts() -> None:
    """Stop mount propagation to the host, hide /run behind a tmpfs (tools write there), make
    /run/netns in it; bring `lo` up."""
    libc_call("mount", b"none", b"/", None, _MS_REC | _MS_PRIVATE, None)
    libc_call("mount", b"netreach-run", b"/run", b"tmpfs", 0, None)
    os.mkdir(NETNS_DIR)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
