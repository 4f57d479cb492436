"""The piece of endpoint syntax every command shares: `NS/NAME`, `NS/NAME[Kind]`, or a bare
`NAME` in the default namespace (a pod or a workload, `[Kind]` to pick among workloads of
one name). Each command builds on it what its question needs: `check` one endpoint (also an
IP or `svc/NS/NAME`), `matrix --from/--to` filters (globs, labels), intents sets (`NS/*`,
labels, CIDRs); label selectors are `query.connectivity.parse_label_selector` everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME_KIND = re.compile(r"(?P<name>[^/\[\]]+?)(\[(?P<kind>[A-Za-z]+)\])?")


@dataclass(frozen=True, slots=True)
class NameRef:
    """A pod or workload named by namespace and name; `kind` when `[Kind]` was given."""

    namespace: str
    name: str
    kind: str | None = None

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"


def split_namespace(text: str, default_namespace: str = "default") -> tuple[str, str]:
    """`NS/REST` -> (NS, REST); `REST` -> (default namespace, REST)."""
    if "/" in text:
        namespace, _, rest = text.partition("/")
        return namespace, rest
    return default_namespace, text


def parse_name_ref(text: str, default_namespace: str = "default") -> NameRef | None:
    """`NS/NAME[Kind]`, `NS/NAME` or `NAME`; None when `text` is not of that form."""
    namespace, rest = split_namespace(text.strip(), default_namespace)
    m = _NAME_KIND.fullmatch(rest)
    if not namespace or m is None:
        return None
    return NameRef(namespace, m["name"], m["kind"])
