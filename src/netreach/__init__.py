"""netreach: what Kubernetes NetworkPolicies allow, exactly, and why.

>>> import netreach
>>> cluster = netreach.load("examples/lesson")
>>> cluster.check("default/api", "default/db", 5432).allowed
"""

from __future__ import annotations

__version__ = "0.1.0"

from netreach.analyses.generate import GeneratedPolicies, generate
from netreach.cluster import Cluster, load
from netreach.engine.conns import ConnectionSet
from netreach.engine.verdict import Verdict
from netreach.errors import InputError, NetreachError, Problem, QueryError
from netreach.model import Options

__all__ = [
    "Cluster",
    "ConnectionSet",
    "GeneratedPolicies",
    "InputError",
    "NetreachError",
    "Options",
    "Problem",
    "QueryError",
    "Verdict",
    "__version__",
    "generate",
    "load",
]
