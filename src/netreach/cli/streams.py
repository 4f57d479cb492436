"""stdout and stderr as the CLI writes them: every line goes through one guard.

The guard is the last line of defence behind each format's escaping (escape.py): it
makes any text encodable (undecodable bytes of a file name shown as `\\xff`), neutralises
GitHub Actions workflow commands in CI logs, and turns write errors into exceptions the
error boundary reports (a closed pipe, a full disk) instead of tracebacks at exit.
"""

from __future__ import annotations

import errno
import io
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from netreach.errors import NetreachError
from netreach.escape import ci_commands

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_LINE_END = re.compile(r"[\r\n]")


class OutputError(NetreachError):
    """Writing the output failed (a full disk, a closed terminal): not the input's fault."""

    def __init__(self, stream: str, exc: OSError) -> None:
        self.stream = stream
        self.errno = exc.errno
        super().__init__(f"cannot write to {stream}: {exc.strerror or exc}")


class OutputClosed(Exception):
    """The reader closed the pipe (`| head`). Not an OSError: click would turn that into
    exit 1, and code catching OSError around file reads must not swallow it."""


class GuardedStream(io.TextIOBase):
    """A text stream over `raw` that writes only safe text. Lines are held until complete
    when the stream is not a terminal (a workflow command is recognised by its whole line);
    a terminal gets each write at once (progress bars) and is never a CI log."""

    def __init__(self, raw: TextIO | None, name: str, *, best_effort: bool = False) -> None:
        super().__init__()
        self.raw = raw  # None: the file descriptor was closed when netreach started
        self.name = name
        # stderr is diagnostics: when it cannot be written, the run goes on without it and
        # ends with its own exit code (the contract CI reads).
        self.best_effort = best_effort
        self.lost = False
        try:
            self._tty = raw is not None and raw.isatty()
        except (ValueError, OSError):
            self._tty = False
        self._pending = ""
        self._midline = False  # a partial line was flushed: the next write continues it

    # Attributes click and Rich look at (read-only properties in io.TextIOBase itself).
    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "backslashreplace"

    def isatty(self) -> bool:
        return self._tty

    @property
    def buffer(self) -> _Bytes:
        """Bytes written here (click writes completion scripts so) pass the same guard."""
        return _Bytes(self)

    def fileno(self) -> int:
        if self.raw is None:
            raise io.UnsupportedOperation("closed")
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if self._tty:
            self._emit(s)
            return len(s)
        text = self._pending + s
        cut = max(text.rfind("\n"), text.rfind("\r")) + 1
        self._pending = text[cut:]
        if cut:
            self._emit(self._safe(text[:cut]))
            self._midline = False
        return len(s)

    def flush(self) -> None:
        if self._pending:
            self._emit(self._safe(self._pending))
            self._pending = ""
            self._midline = True
        try:
            if self.raw is not None and not self.lost:
                self.raw.flush()
        except OSError as exc:
            self._fail(exc)

    def _safe(self, text: str) -> str:
        if self._midline:
            # Continues a line whose start was already written: not a line start.
            text = "x" + text
            return ci_commands(text)[1:]
        return ci_commands(text)

    def _emit(self, text: str) -> None:
        if not text.isascii() and _SURROGATE.search(text):  # isascii: O(1), a flag of str
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        encoding = self.encoding.lower().replace("-", "")
        if encoding not in ("utf8", "utf_8"):
            text = text.encode(self.encoding, "backslashreplace").decode(self.encoding)
        if self.lost:
            return
        try:
            if self.raw is None:
                raise OSError(errno.EBADF, "it is closed")
            self.raw.write(text)
        except OSError as exc:
            self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        if self.best_effort:
            self.lost = True
            silence(self)
            return
        if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
            raise OutputClosed(self.name) from None
        raise OutputError(self.name, exc) from None


class _Bytes(io.RawIOBase):
    def __init__(self, text: GuardedStream) -> None:
        super().__init__()
        self.text = text

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.text.write(data.decode("utf-8", "surrogateescape"))
        return len(data)

    def flush(self) -> None:
        self.text.flush()


@contextmanager
def guarded_streams() -> Iterator[tuple[GuardedStream, GuardedStream]]:
    """Install guards on sys.stdout and sys.stderr for the duration of a CLI run."""
    saved = sys.stdout, sys.stderr
    out = GuardedStream(sys.stdout, "stdout")
    err = GuardedStream(sys.stderr, "stderr", best_effort=True)
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        sys.stdout, sys.stderr = saved


def silence(stream: GuardedStream) -> None:
    """After a write error: drop what is pending and point the real file descriptor at
    /dev/null, so the interpreter's own flush at exit cannot fail again (a second message, or
    a traceback, after ours)."""
    stream._pending = ""
    if stream.raw is None:
        return
    try:
        fd = stream.raw.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return  # not a real file (captured by a test): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
