"""Enter a network namespace from Python (setns via ctypes; Python 3.11 has no os.setns).

One process can then own sockets in hundreds of namespaces: a socket stays in the namespace it
was created in, and setns only affects the calling thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"

_libc = ctypes.CDLL(None, use_errno=True)


def libc_call(name: str, *args: object) -> int:
    """Call a libc function; raise OSError with errno on a -1 result."""
    result = int(getattr(_libc, name)(*args))
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}: {os.strerror(err)}")
    return result


def unshare(flags: int) -> None:
    libc_call("unshare", flags)


class NetnsSwitcher:
    """Switches the calling thread between named namespaces; keeps their fds open for speed."""

    def __init__(self) -> None:
        self._home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        self._fds: dict[str, int] = {}
        self._checked: set[str] = set()

    def _fd(self, name: str) -> int:
        fd = self._fds.get(name)
        if fd is None:
            fd = self._fds[name] = os.open(f"{NETNS_DIR}/{name}", os.O_RDONLY)
        return fd

    @contextlib.contextmanager
    def inside(self, name: str) -> Iterator[None]:
        target = self._fd(name)
        libc_call("setns", target, CLONE_NEWNET)
        try:
            # Never create a socket in the wrong namespace: check the first switch into each
            # one (setns either switches or fails; a probe makes thousands of switches).
            if name not in self._checked:
                if os.stat("/proc/thread-self/ns/net").st_ino != os.fstat(target).st_ino:
                    raise RuntimeError(f"setns into {name} did not take effect")
                self._checked.add(name)
            yield
        finally:
            libc_call("setns", self._home, CLONE_NEWNET)

    def write_sysctl(self, name: str, key: str, value: str) -> None:
        """Write /proc/sys/net/<key> of namespace `name` only."""
        with self.inside(name), open(f"/proc/sys/net/{key}", "w") as f:
            f.write(value)

    def close(self) -> None:
        for fd in [*self._fds.values(), self._home]:
            os.close(fd)
        self._fds.clear()
