"""Which files are read, and how: the one boundary between the file system and the decoder.

Every file a pull request can control goes through here: manifests found in folders,
`.netreach.yaml`, expectations, intents and flows. The rules (docs/inputs.md):

- A path named on the command line (or `-`, stdin) is read whatever it is: a regular file
  (size checked before reading), or a stream (FIFO, device, `<(...)`) read up to the size
  limit plus one byte, so an endless one is still refused.
- A file found by walking a folder must be a regular file inside that folder. A symbolic link
  is followed only to a regular file inside the folder; a link leaving it, a dangling link, a
  link loop, a FIFO, a socket or a device is refused with a message (reading `/dev/stdout`
  would hang, `/proc/self/environ` would leak). Links to folders are not followed (as
  kubectl), hidden files and folders are skipped.
- Display names: bytes of a file name that are not UTF-8 are shown as `\\xff`.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Sequence
from typing import Any

from netreach.errors import InputError, Problem
from netreach.loader.decode import parse_source
from netreach.loader.limits import Limits
from netreach.loader.sources import EXTENSIONS, DecodeFailure, Source, decode_text
from netreach.model import Location
from netreach.paths import display_path

STDIN = "<stdin>"
CHUNK = 1 << 20


class FileSource(Source):
    """A regular file, read when the loader needs it (its size is checked first), at most
    `limit` + 1 bytes, and refused if it is no longer a regular file by then."""

    def __init__(self, path: str, *, name: str | None = None, limit: int | None = None) -> None:
        super().__init__(name if name is not None else display_path(path))
        self.path = path
        self.limit = limit

    def read_bytes(self) -> bytes:
        return read_file(self.path, limit=self.limit, regular_only=True)

    def size(self) -> int:
        return os.stat(self.path).st_size


def read_file(path: str, *, limit: int | None = None, regular_only: bool = False) -> bytes:
    """The bytes of `path`, at most `limit` + 1 of them. With `regular_only`, anything but a
    regular file is refused without blocking (a FIFO is opened non-blocking, then checked)."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    if regular_only:
        flags |= getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if regular_only and not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"{_kind(st.st_mode)}, not a regular file")
        if stat.S_ISREG(st.st_mode) and limit is not None and st.st_size > limit:
            raise OSError(errno.EFBIG, f"{st.st_size:,} bytes, over the limit of {limit:,}")
        return _read_fd(fd, limit)
    finally:
        os.close(fd)


def _read_fd(fd: int, limit: int | None) -> bytes:
    chunks: list[bytes] = []
    total = 0
    cap = None if limit is None else limit + 1
    while cap is None or total < cap:
        chunk = os.read(fd, CHUNK if cap is None else min(CHUNK, cap - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def read_stdin(limit: int | None) -> Source:
    """Standard input as a source, at most `limit` + 1 bytes; a closed stdin is an error."""
    stream = sys.stdin
    try:
        if stream is None:
            raise OSError(errno.EBADF, "standard input is closed")
        data = stream.buffer.read(-1 if limit is None else limit + 1)
    except (OSError, ValueError, AttributeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not readable"
        if isinstance(exc, ValueError):
            why = "standard input is closed"
        raise InputError([Problem(f"{STDIN}: cannot read: {why}")]) from None
    return Source(STDIN, data)


def read_paths(paths: Sequence[str], max_bytes: int | None = None) -> list[Source]:
    """Sources for files, directories (recursive, YAML/JSON files, sorted) and "-" (stdin).
    Every problem (a missing path, a refused file) is reported at once, as InputError."""
    sources: list[Source] = []
    problems: list[Problem] = []
    for path in paths:
        if path == "-":
            sources.append(read_stdin(max_bytes))
            continue
        try:
            st = os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                problems.append(Problem(f"{display_path(path)}: no such file or directory"))
            else:
                problems.append(Problem(f"{display_path(path)}: cannot read: {exc.strerror}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            sources.extend(walk(path, problems, max_bytes))
        elif stat.S_ISREG(st.st_mode):
            sources.append(FileSource(path, limit=max_bytes))
        else:
            sources.append(_stream(path, max_bytes, problems))
    if problems:
        raise InputError(problems)
    return sources


def _stream(path: str, limit: int | None, problems: list[Problem]) -> Source:
    """A FIFO, device or process substitution named on the command line: read it now."""
    try:
        return Source(display_path(path), read_file(path, limit=limit))
    except OSError as exc:
        problems.append(Problem(f"{display_path(path)}: cannot read: {exc.strerror}"))
        return Source(display_path(path), b"")


def walk(root: str, problems: list[Problem], limit: int | None = None) -> list[Source]:
    """The YAML/JSON files under `root`, sorted by path; refused files become problems."""
    found: list[tuple[str, Source]] = []
    inside = os.path.realpath(root)

    def failed(exc: OSError) -> None:
        where = display_path(exc.filename or root)
        problems.append(Problem(f"{where}: cannot read folder: {exc.strerror}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=failed):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.startswith(".") or not f.lower().endswith(EXTENSIONS):
                continue
            path = os.path.join(dirpath, f)
            why, target = found_file(path, inside, root)
            if why is None:
                found.append((path, FileSource(target, name=display_path(path), limit=limit)))
            else:
                problems.append(Problem(f"{display_path(path)}: {why}"))
    return [source for _, source in sorted(found, key=lambda pair: pair[0])]


def found_file(path: str, inside: str, root: str) -> tuple[str | None, str]:
    """Whether a file found (not named) may be read: (None, the path to read) or (why not,
    ""). `inside` is the real path of the folder `root` the file must stay in."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return f"cannot read: {exc.strerror}", ""
    target = path
    link = ""
    if stat.S_ISLNK(st.st_mode):
        try:
            link = display_path(os.readlink(path))
        except OSError as exc:
            return f"cannot read the symbolic link: {exc.strerror}", ""
        target = os.path.realpath(path)
        if os.path.commonpath([inside, target]) != inside:
            return (
                f"a symbolic link to {link}, outside {display_path(root)}: not read "
                "(a link found in a folder must stay inside it; name the file on the "
                "command line to read it)",
                "",
            )
        try:
            st = os.stat(target)
        except OSError as exc:
            return f"a symbolic link to {link} that cannot be followed: {exc.strerror}", ""
    if not stat.S_ISREG(st.st_mode):
        what = _kind(st.st_mode)
        if link:
            what = f"a symbolic link to {what} ({link})"
        return (
            f"{what}: not read (files found in a folder must be regular files; name it on "
            "the command line to read it)",
            "",
        )
    return None, target


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file"


# --- files beside the manifests: settings, expectations, intents, flows ---------------------


def read_named(path: str, limits: Limits | None = None) -> Source:
    """A file named on the command line (or `-`), read now through the same size limit as
    the manifests. Raises InputError (missing, unreadable, too large)."""
    limit = (limits or Limits()).max_input_bytes
    if path == "-":
        return read_stdin(limit)
    name = display_path(path)
    try:
        data = read_file(path, limit=limit)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise InputError([Problem(f"{name}: no such file or directory")]) from None
        raise InputError([Problem(f"{name}: cannot read: {exc.strerror}")]) from None
    if len(data) > limit:
        raise InputError([_too_large(name, limit)])
    return Source(name, data)


def check_total_size(sources: Sequence[Source], limit: int) -> None:
    """Refuse sources over `limit` bytes in total (as the loader does), before reading them:
    for commands that save or pass on the input instead of loading it (`snapshot`)."""
    total = 0
    for source in sources:
        try:
            total += source.size()
        except OSError:
            continue  # reading it reports why
        if total > limit:
            raise InputError(
                [
                    Problem(
                        f"input is over the size limit of {limit:,} bytes ({total:,} bytes "
                        "so far); raise it with `max_input_bytes`",
                        Location(source),
                    )
                ]
            )


def _too_large(name: str, limit: int) -> Problem:
    return Problem(
        f"{name}: over the size limit of {limit:,} bytes; raise it with `max_input_bytes`"
    )


def read_document(source: Source, limits: Limits | None = None) -> Any:
    """The one YAML/JSON document of a settings, expectations or intent file, decoded exactly
    as manifests are (netreach.loader.decode: same limits, same messages). None when empty.
    Raises InputError with every problem, each located."""
    parsed = parse_source(source, limits or Limits())
    problems = parsed.problems + parsed.duplicate_problems(source, lambda _: "")
    docs = [(i, d) for i, d in parsed.docs if d is not None]
    if len(docs) > 1:
        problems.append(
            Problem("expected one YAML document, found several", Location(source, docs[1][0]))
        )
    if problems:
        raise InputError(problems)
    return docs[0][1] if docs else None


def read_text(source: Source) -> str:
    """The text of a source decoded as manifests are (UTF-8, BOM dropped), or InputError."""
    text = decode_text(source.read_bytes())
    if isinstance(text, DecodeFailure):
        where = source.at_line(text.line) if text.line is not None else Location(source)
        raise InputError([Problem(text.message, where)])
    return text
