"""Reading the input (YAML/JSON manifests, kubectl output) into a validated `Snapshot`.

Every object is validated as the API server would; all problems of all objects are reported
in one run (`InputError`), or the invalid objects are dropped with `skip_invalid`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from netreach.loader.limits import Limits

if TYPE_CHECKING:
    from netreach.loader.decode import Parsed
    from netreach.loader.files import read_paths
    from netreach.loader.sources import Source
    from netreach.model import Snapshot

__all__ = ["Limits", "Source", "load_snapshot", "load_sources", "read_paths"]


def __getattr__(name: str) -> Any:
    """`Source` and `read_paths` load the parsers (YAML, JSON): only when asked for."""
    if name == "Source":
        from netreach.loader.sources import Source

        return Source
    if name == "read_paths":
        from netreach.loader.files import read_paths

        return read_paths
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_sources(
    sources: Iterable[Source],
    *,
    namespace: str | None = None,
    skip_invalid: bool = False,
    strict: bool = True,
    limits: Limits | None = None,
    lenient: bool = False,
    parse: Callable[[Source], Parsed] | None = None,
) -> Snapshot:
    """Read and validate every source. Raises InputError listing every error, unless
    `skip_invalid` (then invalid objects are dropped, their errors in `Snapshot.invalid`).
    `namespace` is the namespace of objects that name none (default "default"); unknown
    fields and duplicate keys are errors, as with `kubectl apply`'s strict validation, unless
    `lenient` (or `strict=False`): then they are warnings, the fields are dropped and listed
    in `Snapshot.dropped`, and every verdict they could change carries a caveat; `limits`
    bounds the input (an InputError names the limit and its flag); `parse` stands for
    `decode.parse_source` (e.g. `parallel.parsing`'s, which parses ahead in a child process)."""
    from netreach.loader.build import Builder

    limits = limits or Limits()
    builder = Builder(
        namespace or "default",
        skip_invalid=skip_invalid,
        strict=strict and not lenient,
        limits=limits,
    )
    # Loading builds a large, acyclic tree of objects: the cyclic collector would scan it
    # again and again for nothing (a third of the load time at 150,000 pods).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for source in sources:
            builder.read(source, parse)
        return builder.finish()
    finally:
        if was_enabled:
            gc.enable()


def load_snapshot(
    *paths: str,
    namespace: str | None = None,
    skip_invalid: bool = False,
    strict: bool = True,
    limits: Limits | None = None,
    lenient: bool = False,
) -> Snapshot:
    """`load_sources` over files, directories (recursive) and "-" (stdin)."""
    from netreach.loader.files import read_paths

    limits = limits or Limits()
    return load_sources(
        read_paths(paths, limits.max_input_bytes),
        namespace=namespace,
        skip_invalid=skip_invalid,
        strict=strict,
        limits=limits,
        lenient=lenient,
    )
