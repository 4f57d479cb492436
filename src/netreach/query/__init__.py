"""The query layer: questions about one snapshot's reachability, answered from the engine's
compiled form (`Reach`: check, connectivity, isolation; Services translated to pods).

Analyses (audit, diff, describe, ...) sit above this layer and use `Reach`; `Cluster`, the
front door, adds them as methods. Nothing here imports an analysis or the front door.
"""
