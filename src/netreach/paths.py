"""File names as shown to users, and where the repository is: used by readers and writers
alike, so they live below both."""

from __future__ import annotations

import os


def display_path(path: str) -> str:
    """A file name as shown in messages and every output format: bytes that are not UTF-8
    (kept by Python as lone surrogates) become `\\xff`, so the name is valid text (JSON,
    SARIF, HTML) and says which byte it was."""
    if not any("\ud800" <= c <= "\udfff" for c in path):
        return path
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def repository_root(start: str = ".") -> str | None:
    """The top folder of the git work tree holding `start` (where `.git` is), or None."""
    here = os.path.abspath(start)
    while True:
        if os.path.lexists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent
