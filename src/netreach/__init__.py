"""netreach: what Kubernetes NetworkPolicies allow, exactly, and why.

>>> import netreach
>>> cluster = netreach.load("examples/lesson")
>>> cluster.check("default/api", "default/db", 5432).allowed
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from netreach.errors import InputError, NetreachError, Problem, QueryError
from netreach.version import __version__ as __version__

if TYPE_CHECKING:
    from netreach.analyses.diff import DiffReport, diff
    from netreach.analyses.expect import check_expectations
    from netreach.analyses.expect_file import load_expectations
    from netreach.analyses.generate import GeneratedPolicies, generate
    from netreach.cluster import Cluster, load
    from netreach.engine.conns import ConnectionSet
    from netreach.engine.verdict import Verdict
    from netreach.loader.inputs import Inputs
    from netreach.model import Options
else:

    def load(*paths: Any, **kwargs: Any) -> Any:
        """Read files, directories or `-` (stdin), or what one `Inputs` value names (a live
        cluster, Helm, Kustomize), validate as the API server would, and return a `Cluster`
        (netreach.cluster.load, which says every parameter)."""
        from netreach.cluster import load as _load

        return _load(*paths, **kwargs)


# The rest of the front door loads on first use: `import netreach` (and so every command
# line start, tab completion included) does not pay for numpy and the analyses.
_LAZY = {
    "Cluster": "netreach.cluster",
    "Options": "netreach.model",
    "Inputs": "netreach.loader.inputs",
    "ConnectionSet": "netreach.engine.conns",
    "DiffReport": "netreach.analyses.diff",
    "GeneratedPolicies": "netreach.analyses.generate",
    "Verdict": "netreach.engine.verdict",
    "check_expectations": "netreach.analyses.expect",
    "diff": "netreach.analyses.diff",
    "generate": "netreach.analyses.generate",
    "load_expectations": "netreach.analyses.expect_file",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'netreach' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Cluster",
    "ConnectionSet",
    "DiffReport",
    "GeneratedPolicies",
    "InputError",
    "Inputs",
    "NetreachError",
    "Options",
    "Problem",
    "QueryError",
    "Verdict",
    "__version__",
    "check_expectations",
    "diff",
    "generate",
    "load",
    "load_expectations",
]
