"""Manifests read from a git revision, straight from the object store (the work tree is never
read nor written): `git ls-tree --long` lists the blobs with their sizes, so the size limit
is checked before one `git cat-file --batch` reads them."""

from __future__ import annotations

import posixpath
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from netreach.errors import InputError, NetreachError, Problem
from netreach.loader.limits import Limits
from netreach.loader.sources import EXTENSIONS, Source
from netreach.paths import display_path


def split_range(spec: str) -> tuple[str, str]:
    """`A..B` -> (A, B); `A..` and `A` compare A with HEAD."""
    if "..." in spec:
        raise NetreachError(
            f"`git` {spec!r}: use two dots (OLD..NEW); the three-dot form is not supported"
        )
    old, sep, new = spec.partition("..")
    if not old:
        raise NetreachError(f"`git` {spec!r}: give the old revision, e.g. main..HEAD")
    return old, (new if sep and new else "HEAD")


@dataclass(frozen=True)
class _Entry:
    mode: str
    kind: str
    oid: str
    size: int


MAX_LINK_HOPS = 40  # as the kernel's ELOOP limit
MAX_LINK_BYTES = 4096  # PATH_MAX: a symbolic link's blob holds a path, nothing bigger


def git_sources(
    revision: str, paths: Sequence[str] = (), cwd: str = ".", limits: Limits | None = None
) -> list[Source]:
    """The YAML/JSON files of `revision` under `paths` (relative to `cwd`; default: all),
    sorted by path, named `REVISION:path`. Read as a folder is (docs/inputs.md): hidden files
    and submodules skipped; a symbolic link followed only to a file of the same revision
    inside the paths read. Blob sizes are known from the listing, so an input over
    `limits.max_input_bytes` is refused before any blob is read."""
    limit = (limits or Limits()).max_input_bytes
    entries = _list(revision, paths, cwd)
    wanted: list[tuple[str, str]] = []  # (path, oid of the content to read)
    problems: list[Problem] = []
    links = {p: e for p, e in entries.items() if e.mode == _LINK}
    targets = _link_targets(revision, cwd, links)
    for path in sorted(entries):
        entry = entries[path]
        name = path.rsplit("/", 1)[-1]
        if entry.kind != "blob" or name.startswith(".") or _hidden_folder(path):
            continue  # submodules and hidden files, as when reading a folder
        if not path.lower().endswith(EXTENSIONS):
            continue
        if entry.mode != _LINK:
            wanted.append((path, entry.oid))
            continue
        resolved, why = _follow(path, entries, targets)
        if why is not None:
            problems.append(Problem(f"{revision}:{display_path(path)}: {why}"))
        else:
            wanted.append((path, entries[resolved].oid))
    if problems:
        raise InputError(problems)
    sizes = {e.oid: e.size for e in entries.values()}
    total = 0
    for path, oid in wanted:
        total += sizes[oid]
        if total > limit:
            raise InputError(
                [
                    Problem(
                        f"{revision}:{display_path(path)}: input is over the size limit of "
                        f"{limit:,} bytes ({total:,} bytes so far); raise it with "
                        "`max_input_bytes`"
                    )
                ]
            )
    if not wanted:
        return []
    contents = _cat(revision, cwd, [oid for _, oid in wanted])
    return [Source(f"{revision}:{display_path(path)}", contents[oid]) for path, oid in wanted]


_LINK = "120000"


def _list(revision: str, paths: Sequence[str], cwd: str) -> dict[str, _Entry]:
    """Every entry under `paths`, by full path, with its blob size (`ls-tree --long`)."""
    listing = _git(
        cwd,
        ["ls-tree", "-r", "-z", "--long", "--full-name", revision, "--", *paths],
        what=revision,
    )
    entries: dict[str, _Entry] = {}
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, path_b = record.partition(b"\t")
        mode, kind, oid, size = meta.decode().split()
        path = path_b.decode("utf-8", errors="surrogateescape")
        entries[path] = _Entry(mode, kind, oid, int(size) if size.isdigit() else 0)
    return entries


def _hidden_folder(path: str) -> bool:
    return any(part.startswith(".") for part in path.split("/")[:-1])


def _link_targets(revision: str, cwd: str, links: dict[str, _Entry]) -> dict[str, str]:
    """What each symbolic link points to (its blob is the target path)."""
    small = {p: e for p, e in links.items() if e.size <= MAX_LINK_BYTES}
    if not small:
        return {}
    contents = _cat(revision, cwd, [e.oid for e in small.values()])
    return {p: contents[e.oid].decode("utf-8", errors="surrogateescape") for p, e in small.items()}


def _follow(
    path: str, entries: dict[str, _Entry], targets: dict[str, str]
) -> tuple[str, str | None]:
    """The file a link leads to inside the listed tree, or why it cannot be followed."""
    first = targets.get(path)
    if first is None:
        return path, "a symbolic link whose target is not a path: not read"
    here = path
    for _ in range(MAX_LINK_HOPS):
        target = targets.get(here, "")
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(here), target))
        if target.startswith("/") or joined == ".." or joined.startswith("../"):
            return path, (
                f"a symbolic link to {display_path(first)}, outside the repository: not read "
                "(a link must stay inside the paths read)"
            )
        entry = entries.get(joined)
        if entry is None:
            return path, (
                f"a symbolic link to {display_path(first)}, not a file of the paths read: "
                "not read (a link must stay inside the paths read)"
            )
        if entry.mode != _LINK:
            if entry.kind != "blob":
                return path, f"a symbolic link to {display_path(first)}, not a file: not read"
            return joined, None
        here = joined
    return path, f"a symbolic link to {display_path(first)} that cannot be followed: a loop"


def _cat(revision: str, cwd: str, oids: list[str]) -> dict[str, bytes]:
    """The contents of blobs, by object id, in one `git cat-file --batch`."""
    unique = list(dict.fromkeys(oids))
    data = _git(cwd, ["cat-file", "--batch"], what=revision, stdin="\n".join(unique))
    out: dict[str, bytes] = {}
    pos = 0
    for oid in unique:
        header_end = data.index(b"\n", pos)
        size = int(data[pos:header_end].split()[2])
        out[oid] = data[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1  # content, then a newline
    return out


def _git(cwd: str, args: list[str], *, what: str, stdin: str | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", cwd, *args],
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise NetreachError("`git` needs the git command, which is not installed") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        first = message[0] if message else f"exit code {done.returncode}"
        raise NetreachError(f"git could not read revision {what!r}: {first}")
    return done.stdout
