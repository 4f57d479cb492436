"""Save inputs as YAML files that `netreach ... DIR` reads back: an offline snapshot."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import orjson

from netreach.errors import NetreachError
from netreach.escape import one_line
from netreach.loader.files import check_total_size
from netreach.loader.inputs import Inputs, read_sources
from netreach.loader.sources import Source
from netreach.manifest import to_yaml
from netreach.writes import check_no_links, output_dir, write_file


def write_snapshot(
    inputs: Inputs,
    directory: str,
    *,
    on_note: Callable[[str], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[Path]:
    """Read the inputs and write one YAML file per source into `directory` (new or empty).
    `inputs.limits.max_input_bytes` bounds what is read, as for every other command: over
    it, the whole snapshot is refused and nothing is written."""
    limits = inputs.limits
    out = Path(directory)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise NetreachError(f"{directory}: exists and is not an empty directory; name a new one")
    check_no_links(out)
    sources = read_sources(inputs, on_note=on_note, log=log)
    check_total_size(sources, limits.max_input_bytes)
    docs = [(source, source.read_bytes()) for source in sources]  # all read before any write
    folder = output_dir(out, empty=True)
    return [_write(folder, i, source, data) for i, (source, data) in enumerate(docs, start=1)]


def _write(out: Path, index: int, source: Source, data: bytes) -> Path:
    path = out / f"{index:02d}-{_slug(source.name)}.yaml"
    try:
        doc = orjson.loads(data)  # live lists arrive as JSON: save them as YAML
    except orjson.JSONDecodeError:
        write_file(path, data)  # already YAML: keep it verbatim, comments included
        return path
    text = to_yaml(doc)
    write_file(path, f"# netreach snapshot of {one_line(source.name)}\n{text}")
    return path


def _slug(name: str) -> str:
    if name.startswith("cluster:") and "/" in name:
        name = name.rsplit("/", 1)[1]
    name = re.sub(r"\.(ya?ml|json)$", "", name)
    return re.sub(r"[^A-Za-z0-9.-]+", "_", name).strip("_.")[-60:] or "input"
