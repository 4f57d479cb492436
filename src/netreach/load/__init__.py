"""Reading the input (YAML/JSON manifests, kubectl output) into a validated `Snapshot`.

Every object is validated as the API server would; all problems of all objects are reported
in one run (`InputError`), or the invalid objects are dropped with `skip_invalid`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable

from netreach.load.build import Builder
from netreach.load.sources import Source, read_paths
from netreach.model import Snapshot

__all__ = ["Source", "load_snapshot", "load_sources", "read_paths"]


def load_sources(
    sources: Iterable[Source],
    *,
    namespace: str | None = None,
    skip_invalid: bool = False,
    strict: bool = False,
) -> Snapshot:
    """Read and validate every source. Raises InputError listing every error, unless
    `skip_invalid` (then invalid objects are dropped, their errors in `Snapshot.invalid`).
    `namespace` is the namespace of objects that name none (default "default"); `strict`
    makes unknown fields errors instead of warnings."""
    builder = Builder(namespace or "default", skip_invalid=skip_invalid, strict=strict)
    # Loading builds a large, acyclic tree of objects: the cyclic collector would scan it
    # again and again for nothing (a third of the load time at 150,000 pods).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for source in sources:
            builder.read(source)
        return builder.finish()
    finally:
        if was_enabled:
            gc.enable()


def load_snapshot(
    *paths: str,
    namespace: str | None = None,
    skip_invalid: bool = False,
    strict: bool = False,
) -> Snapshot:
    """`load_sources` over files, directories (recursive) and "-" (stdin)."""
    return load_sources(
        read_paths(paths), namespace=namespace, skip_invalid=skip_invalid, strict=strict
    )
