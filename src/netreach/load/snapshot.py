"""Save inputs as YAML files that `netreach ... DIR` reads back: an offline snapshot."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import orjson
import yaml

from netreach.errors import NetreachError
from netreach.load.inputs import InputSpec, read_sources
from netreach.load.sources import Source

Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write_snapshot(
    inputs: InputSpec,
    directory: str,
    *,
    on_note: Callable[[str], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[Path]:
    """Read the inputs and write one YAML file per source into `directory` (new or empty)."""
    out = Path(directory)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise NetreachError(f"{directory}: exists and is not an empty directory; name a new one")
    sources = read_sources(inputs, on_note=on_note, log=log)  # all read before any write
    try:
        out.mkdir(parents=True, exist_ok=True)
        return [_write(out, i, source) for i, source in enumerate(sources, start=1)]
    except OSError as exc:
        raise NetreachError(f"{directory}: cannot write: {exc.strerror}") from None


def _write(out: Path, index: int, source: Source) -> Path:
    path = out / f"{index:02d}-{_slug(source.name)}.yaml"
    data = source.read_bytes()
    try:
        doc = orjson.loads(data)  # live lists arrive as JSON: save them as YAML
    except orjson.JSONDecodeError:
        path.write_bytes(data)  # already YAML: keep it verbatim, comments included
        return path
    text = yaml.dump(doc, Dumper=Dumper, sort_keys=False, allow_unicode=True)
    path.write_text(f"# netreach snapshot of {source.name}\n{text}", encoding="utf-8")
    return path


def _slug(name: str) -> str:
    if name.startswith("cluster:") and "/" in name:
        name = name.rsplit("/", 1)[1]
    name = re.sub(r"\.(ya?ml|json)$", "", name)
    return re.sub(r"[^A-Za-z0-9.-]+", "_", name).strip("_.")[-60:] or "input"
