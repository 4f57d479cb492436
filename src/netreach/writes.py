"""Writing files (reports, generated policies, snapshots, JUnit and proof files): only where
asked, never through a symbolic link, never half-written.

A pull request can commit `out/report.html -> ~/.bashrc` or `out -> /etc`, and CI then runs
`netreach report -o out/report.html`. So:

- the file itself, and every folder between the working tree's top (the git repository
  netreach runs in, else the working directory) and the file, must not be a symbolic link;
  links above that (`/tmp` on macOS, a home directory on another disk) are the machine's own;
- a file is written to a temporary file in its folder (created exclusively, so never through
  a link), then renamed over the target: a reader sees the old file or the new one, and a
  full disk leaves the old one as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from netreach.errors import NetreachError
from netreach.paths import display_path, repository_root


class WriteRefused(NetreachError):
    """The output path is unsafe to write (a link, not a folder) or could not be written."""


def write_file(path: str | Path, data: str | bytes, what: str = "") -> int:
    """Write `data` (text as UTF-8) to `path` atomically; the number of bytes written.
    `what` names the file in messages ("the report": "cannot write the report to PATH")."""
    target = Path(path)
    name = f"{what} to {display_path(str(target))}" if what else display_path(str(target))
    check_no_links(target)
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise WriteRefused(f"cannot write {name}: {exc.strerror}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise WriteRefused(f"cannot write {name}: it is a folder")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    folder = target.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise WriteRefused(f"cannot write {name}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # as open() would have made it, not mkstemp's 0600
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise WriteRefused(f"cannot write {name}: {exc.strerror}") from None
    return len(raw)


def write_files(outputs: Sequence[tuple[Path, str | bytes]]) -> None:
    """Write several files, each as `write_file`; every path is checked before the first is
    written, so a refused one leaves none half-done."""
    for path, _ in outputs:
        check_no_links(path)
        if path.is_dir():
            raise WriteRefused(f"cannot write {display_path(str(path))}: it is a folder")
    for path, data in outputs:
        write_file(path, data)


def output_dir(path: str | Path, *, empty: bool = False) -> Path:
    """A folder to write files into, created if missing. Refused when it is a symbolic link
    (or a folder above it, inside the working tree, is one), not a folder, or, with `empty`,
    not empty."""
    out = Path(path)
    name = display_path(str(out))
    check_no_links(out)
    if out.exists():
        if not out.is_dir():
            raise WriteRefused(f"{name}: exists and is not a folder")
        if empty and any(out.iterdir()):
            raise WriteRefused(f"{name}: exists and is not an empty folder; name a new one")
        return out
    try:
        out.mkdir(parents=True)
    except OSError as exc:
        raise WriteRefused(f"{name}: cannot create the folder: {exc.strerror}") from None
    return out


def check_no_links(path: Path) -> None:
    """Refuse `path` when it, or a folder between the top of its working tree and it, is a
    symbolic link."""
    absolute = Path(os.path.abspath(path))
    # The anchor comes from where netreach runs (the CI checkout), never from the path: a
    # linked folder could otherwise lead into another repository and pass for its top.
    here = os.getcwd()
    top = Path(repository_root(here) or here)
    if absolute != top and top not in absolute.parents:
        parts = [absolute]  # outside the working tree: only the path itself is checked
    else:
        depth = len(absolute.relative_to(top).parts)
        parts = [absolute, *list(absolute.parents)[: depth - 1]]
    for part in parts:
        if part.is_symlink():
            what = "the output" if part == absolute else "a folder of the output path"
            raise WriteRefused(
                f"{display_path(str(part))}: {what} is a symbolic link (to "
                f"{display_path(os.readlink(part))}); netreach does not write through links: "
                "remove it or choose another path"
            )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
