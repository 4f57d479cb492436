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
import sys
import traceback
from collections.abc import Callable, Sequence
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
SANDBOX_ENV = "NETREACH_SANDBOX"
_MS_REC, _MS_PRIVATE = 0x4000, 1 << 18
_PR_SET_PDEATHSIG = 1


class DataplaneUnavailable(NetreachError):
    """This machine cannot run the lab; the message says what is missing."""


def missing_requirements() -> list[str]:
    """What stops the lab from running here (empty when it can run)."""
    missing = [] if os.geteuid() == 0 else ["root (CAP_NET_ADMIN and CAP_SYS_ADMIN)"]
    for tool, package in (("nft", "nftables"), ("ip", "iproute2"), ("unshare", "util-linux")):
        if shutil.which(tool) is None:
            missing.append(f"`{tool}` (package {package})")
    return missing


def require_dataplane() -> None:
    missing = missing_requirements()
    if missing:
        raise DataplaneUnavailable("cannot build the dataplane lab: missing " + ", ".join(missing))


def inside_sandbox() -> bool:
    return os.environ.get(SANDBOX_ENV) == "1"


def run_isolated(fn: Callable[[], T]) -> T:
    """Run `fn` in fresh net+mount+PID namespaces (a forked child) and return its result.

    Equivalent to `unshare --net --mount --pid --fork --kill-child` for in-process callers such
    as tests: the child dies with us (PDEATHSIG), and its namespaces die with it.
    """
    if inside_sandbox():
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
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    if not data:
        raise NetreachError("the dataplane sandbox died without a result")
    ok, value = pickle.loads(data)
    if not ok:
        raise NetreachError(f"the dataplane sandbox failed:\n{value}")
    return value  # type: ignore[no-any-return]


def _child(fn: Callable[[], T], write_fd: int) -> int:  # pragma: no cover - child only
    try:
        _die_with_parent()
        unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID)
        pid = os.fork()  # the first process of a new PID namespace is its init
        if pid != 0:
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)
        _die_with_parent()
        _private_mounts()
        os.environ[SANDBOX_ENV] = "1"
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
    """Stop mount propagation to the host, then put a tmpfs on /run/netns; bring `lo` up."""
    libc_call("mount", b"none", b"/", None, _MS_REC | _MS_PRIVATE, None)
    if not os.path.isdir(NETNS_DIR):
        # Creating the directory would touch the host's /run: hide /run behind a tmpfs instead.
        libc_call("mount", b"netreach-run", b"/run", b"tmpfs", 0, None)
        os.mkdir(NETNS_DIR)
    libc_call("mount", b"netreach-netns", NETNS_DIR.encode(), b"tmpfs", 0, None)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def reexec_command(argv: Sequence[str]) -> list[str]:
    """The command that re-runs this CLI invocation inside `unshare` with a private /run/netns."""
    script = (
        f"[ -d {NETNS_DIR} ] || mount -t tmpfs netreach-run /run; mkdir -p {NETNS_DIR}; "
        f"mount -t tmpfs netreach-netns {NETNS_DIR} && ip link set lo up && "
        f'{SANDBOX_ENV}=1 exec "$@"'
    )
    return [
        "unshare", "--net", "--mount", "--pid", "--fork", "--kill-child",
        "--propagation", "private", "sh", "-c", script, "netreach-sandbox",
        sys.executable, "-c", "from netreach.cli import main; main()", *argv,
    ]  # fmt: skip
