"""A routed lab: one node namespace and one namespace per pod, like a Calico node.

Pods are /32s behind point-to-point veths; the node routes between them. Neighbour entries are
PERMANENT because the kernel's ARP table is shared by every namespace and overflows at about 30
pods with dynamic ARP (see docs/verify.md). Meant to run inside `sandbox.run_isolated`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from netreach.dataplane.netns import NetnsSwitcher
from netreach.errors import NetreachError

NODE_IP = "169.254.1.1"  # the node's address: the source of its ICMP rejects
NODE_MAC = "ee:ee:ee:ee:ee:ee"
# Rejects must come back at once and not be rate-limited into timeouts; no IPv6 so no ND traffic.
_EVERY_NS_SYSCTLS = (
    ("ipv4/icmp_ratemask", "0"),
    ("ipv4/icmp_ratelimit", "0"),
    ("ipv6/conf/all/disable_ipv6", "1"),
    ("ipv6/conf/default/disable_ipv6", "1"),
)
_NODE_SYSCTLS = (
    ("ipv4/ip_forward", "1"),
    ("netfilter/nf_conntrack_tcp_timeout_time_wait", "1"),
)


@dataclass(frozen=True, slots=True)
class LabPod:
    id: str  # namespace/name
    ip: str
    netns: str


def _run(args: Sequence[str], stdin: str = "") -> None:
    done = subprocess.run(list(args), input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise NetreachError(f"`{' '.join(args)}` failed: {done.stderr.strip()}")


class Lab:
    """Namespaces for a node and its pods. `load()` replaces the node's ruleset atomically."""

    def __init__(self, pods: Sequence[tuple[str, str]], prefix: str = "nr") -> None:
        self.node = f"{prefix}-node"
        self.pods = [LabPod(pid, ip, f"{prefix}-{i}") for i, (pid, ip) in enumerate(pods)]
        self.by_id = {p.id: p for p in self.pods}
        self.switcher = NetnsSwitcher()
        self._built = False

    def build(self) -> None:
        names = [self.node, *(p.netns for p in self.pods)]
        _run(["ip", "-b", "-"], "".join(f"netns add {n}\n" for n in names))
        self._built = True
        for name in names:
            for key, value in _EVERY_NS_SYSCTLS:
                self.switcher.write_sysctl(name, key, value)
        for key, value in _NODE_SYSCTLS:
            self.switcher.write_sysctl(self.node, key, value)
        node = ["link set lo up", f"addr add {NODE_IP}/32 dev lo"]
        for i, pod in enumerate(self.pods):
            mac = _pod_mac(i)
            node += [
                f"link add v{i} address {NODE_MAC} type veth peer name eth0 address {mac} "
                f"netns {pod.netns}",
                f"link set v{i} up",
                f"route add {pod.ip}/32 dev v{i} scope link",
                f"neigh add {pod.ip} lladdr {mac} dev v{i} nud permanent",
            ]
        _run(["ip", "-n", self.node, "-b", "-"], "\n".join(node) + "\n")
        # One `ip` per pod namespace, all at once: the pods do not depend on each other.
        procs = [
            (pod, subprocess.Popen(
                ["ip", "-n", pod.netns, "-b", "-"], stdin=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True,
            ))
            for pod in self.pods
        ]  # fmt: skip
        errors: list[str] = []
        for pod, proc in procs:
            _, err = proc.communicate(_pod_batch(pod.ip))
            if proc.returncode != 0:
                errors.append(f"{pod.id}: {err.strip()}")
        if errors:
            raise NetreachError("lab setup failed: " + "; ".join(errors[:3]))

    def load(self, ruleset: str) -> None:
        """Replace the node's ruleset in one transaction; forget earlier connections."""
        _run(["ip", "netns", "exec", self.node, "nft", "-f", "-"], "flush ruleset\n" + ruleset)
        self._forget_connections()

    def clear(self) -> None:
        _run(["ip", "netns", "exec", self.node, "nft", "flush", "ruleset"])
        self._forget_connections()

    def _forget_connections(self) -> None:
        # Entries of earlier probes would let a repeated 5-tuple through as "established".
        # Probes already use fresh source ports; this is belt and braces when conntrack exists.
        if shutil.which("conntrack"):
            subprocess.run(
                ["ip", "netns", "exec", self.node, "conntrack", "-F"], capture_output=True
            )

    def close(self) -> None:
        self.switcher.close()
        if self._built:
            names = [self.node, *(p.netns for p in self.pods)]
            subprocess.run(
                ["ip", "-b", "-"], input="".join(f"netns del {n}\n" for n in names),
                capture_output=True, text=True,
            )  # fmt: skip
            self._built = False

    def __enter__(self) -> Lab:
        self.build()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pod_mac(i: int) -> str:
    return "02:44:" + ":".join(f"{(i >> s) & 0xFF:02x}" for s in (24, 16, 8, 0))


def _pod_batch(ip: str) -> str:
    return "\n".join([
        "link set lo up",
        f"addr add {ip}/32 dev eth0",
        "link set eth0 up",
        f"route add {NODE_IP}/32 dev eth0 scope link",
        f"neigh add {NODE_IP} lladdr {NODE_MAC} dev eth0 nud permanent",
        f"route add default via {NODE_IP} dev eth0",
    ]) + "\n"  # fmt: skip
