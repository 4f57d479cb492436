"""Where the report's graph library comes from: cytoscape.js (MIT), vendored unchanged in the
package's `vendor/` folder with its license (vendor/README.md), so every install carries it.

`$NETREACH_CYTOSCAPE_JS` (a file path) overrides the bundled copy. Missing (a repackaged
netreach without it), the report still works with lists and the matrix, and says so.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

ENV_VAR = "NETREACH_CYTOSCAPE_JS"
FILE_NAME = "cytoscape.min.js"
LICENSE_NAME = "cytoscape.LICENSE"
# The release vendored, and its checksum: tests refuse an edited or swapped file.
VERSION = "3.35.0"
SHA256 = "71fa9ebec21a7ca2c40cff6aacc30d1f6464e363662ad4b2c197e1adc770cd94"

_VERSION_RE = re.compile(r'\.version="(\d+\.\d+\.\d+)"')


@dataclass(frozen=True)
class GraphLibrary:
    label: str  # "cytoscape.js 3.35.0"
    code: str
    source: str  # the file it came from


def graph_library() -> GraphLibrary | None:
    """The graph library's code, or None when it is not installed."""
    override = os.environ.get(ENV_VAR)
    if override is not None:
        path = Path(override)
        return _read(path) if path.is_file() else None
    bundled = resources.files("netreach.render").joinpath("vendor", FILE_NAME)
    if not bundled.is_file():
        return None
    return _parse(bundled.read_text("utf-8"), str(bundled))


def _read(path: Path) -> GraphLibrary:
    return _parse(path.read_text("utf-8"), str(path))


def _parse(code: str, source: str) -> GraphLibrary:
    m = _VERSION_RE.search(code)
    return GraphLibrary(f"cytoscape.js {m.group(1) if m else '(unknown version)'}", code, source)
