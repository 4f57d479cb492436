"""Manifests read from a git revision, straight from the object store (the work tree is never
read nor written): `git ls-tree` lists the blobs, one `git cat-file --batch` reads them."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from netreach.errors import NetreachError
from netreach.load.sources import EXTENSIONS, Source


def split_range(spec: str) -> tuple[str, str]:
    """`A..B` -> (A, B); `A..` and `A` compare A with HEAD."""
    if "..." in spec:
        raise NetreachError(
            f"--git {spec!r}: use two dots (OLD..NEW); the three-dot form is not supported"
        )
    old, sep, new = spec.partition("..")
    if not old:
        raise NetreachError(f"--git {spec!r}: give the old revision, e.g. main..HEAD")
    return old, (new if sep and new else "HEAD")


def git_sources(revision: str, paths: Sequence[str] = (), cwd: str = ".") -> list[Source]:
    """The YAML/JSON files of `revision` under `paths` (relative to `cwd`; default: all),
    sorted by path, named `REVISION:path`."""
    listing = _git(
        cwd, ["ls-tree", "-r", "-z", "--full-name", revision, "--", *paths], what=revision
    )
    blobs: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, path_b = entry.partition(b"\t")
        mode, kind, oid = meta.decode().split()
        path = path_b.decode("utf-8", errors="surrogateescape")
        name = path.rsplit("/", 1)[-1]
        if kind != "blob" or mode == "120000" or name.startswith("."):
            continue  # submodules, symlinks and hidden files, as when reading a folder
        if any(part.startswith(".") for part in path.split("/")[:-1]):
            continue
        if path.lower().endswith(EXTENSIONS):
            blobs.append((path, oid))
    blobs.sort()
    if not blobs:
        return []
    data = _git(cwd, ["cat-file", "--batch"], what=revision, stdin="\n".join(o for _, o in blobs))
    sources: list[Source] = []
    pos = 0
    for path, _ in blobs:
        header_end = data.index(b"\n", pos)
        size = int(data[pos:header_end].split()[2])
        body = data[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1  # content, then a newline
        sources.append(Source(f"{revision}:{path}", body))
    return sources


def _git(cwd: str, args: list[str], *, what: str, stdin: str | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", cwd, *args],
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise NetreachError("--git needs the git command, which is not installed") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        first = message[0] if message else f"exit code {done.returncode}"
        raise NetreachError(f"git could not read revision {what!r}: {first}")
    return done.stdout
