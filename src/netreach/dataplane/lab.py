"""A routed lab: one node namespace and one namespace per pod, like a Calico node.

Pods are /32s and /128s behind point-to-point veths; the node routes between them.
Host-network pods are the node itself: their addresses sit on the node's loopback. A pod's
traffic to its own address is routed out through the node and back (so the node's ruleset
decides it, as the engine does under `--self-traffic policy`). Neighbour entries are
PERMANENT: the kernel's neighbour tables are shared by every namespace and overflow at about
30 pods with dynamic ARP. Builds only inside `sandbox.run_isolated`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from netreach.dataplane import sandbox
from netreach.dataplane.addresses import Address, Addressing, LabPod
from netreach.dataplane.netns import NetnsSwitcher
from netreach.dataplane.nft import render_address
from netreach.dataplane.services import LabService
from netreach.errors import NetreachError

NODE_MAC = "ee:ee:ee:ee:ee:ee"
_SELF_TABLE = 200  # pods: the routing table that sends locally made packets via the node
# Rejects must come back at once and not be rate-limited into timeouts.
_EVERY_NS_SYSCTLS = (
    ("ipv4/icmp_ratemask", "0"),
    ("ipv4/icmp_ratelimit", "0"),
    ("ipv4/conf/all/rp_filter", "0"),
    ("ipv4/conf/default/rp_filter", "0"),
    ("ipv4/conf/all/accept_redirects", "0"),
    ("ipv4/conf/default/accept_redirects", "0"),
    # a pod's traffic to itself comes back from the node with its own source address
    ("ipv4/conf/all/accept_local", "1"),
    ("ipv4/conf/default/accept_local", "1"),
)
_IPV6_OFF = (("ipv6/conf/all/disable_ipv6", "1"), ("ipv6/conf/default/disable_ipv6", "1"))
# IPv6 on, without link-local addresses, DAD, router advertisements or rate limits.
_IPV6_ON = (
    ("ipv6/conf/all/disable_ipv6", "0"),
    ("ipv6/conf/default/disable_ipv6", "0"),
    ("ipv6/conf/default/addr_gen_mode", "1"),
    ("ipv6/conf/all/accept_dad", "0"),
    ("ipv6/conf/default/accept_dad", "0"),
    ("ipv6/conf/all/accept_ra", "0"),
    ("ipv6/conf/default/accept_ra", "0"),
    ("ipv6/conf/all/accept_redirects", "0"),
    ("ipv6/conf/default/accept_redirects", "0"),
    ("ipv6/icmp/ratelimit", "0"),
    # Error types in this mask also count against the per-namespace budget (burst 50, then
    # 1000/s): without clearing it, bursts of rejected IPv6 probes lost their ICMPv6 and timed
    # out (ipv4/icmp_ratemask=0 does the same for IPv4). A lone newline is the empty mask.
    ("ipv6/icmp/ratemask", "\n"),
)
_NODE_SYSCTLS = (
    ("ipv4/ip_forward", "1"),
    ("ipv4/conf/all/send_redirects", "0"),
    ("ipv4/conf/default/send_redirects", "0"),
    ("netfilter/nf_conntrack_tcp_timeout_time_wait", "1"),
)
_NODE_IPV6 = (("ipv6/conf/all/forwarding", "1"),)


@dataclass(frozen=True, slots=True)
class LabEndpoint:
    pod: LabPod
    netns: str
    token: bytes  # what its listeners answer (host-network pods: per address, see Lab.token)


def _run(args: Sequence[str], stdin: str = "") -> None:
    done = subprocess.run(list(args), input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise NetreachError(f"`{' '.join(args)}` failed: {done.stderr.strip()}")


class Lab:
    """Namespaces for a node and its pods. `load()` replaces the node's ruleset atomically."""

    def __init__(
        self, addressing: Addressing, services: Sequence[LabService] = (), prefix: str = "nr"
    ) -> None:
        self.node = f"{prefix}-node"
        self.families = addressing.families
        self.gateways = addressing.gateways
        self.endpoints: list[LabEndpoint] = []
        self.host_tokens: dict[Address, bytes] = {}
        for i, pod in enumerate(addressing.pods):
            if pod.host:
                for a in pod.addresses:
                    self.host_tokens.setdefault(a, b"h%d" % len(self.host_tokens))
                self.endpoints.append(LabEndpoint(pod, self.node, b""))
            else:
                self.endpoints.append(LabEndpoint(pod, f"{prefix}-{i}", b"p%d" % i))
        self.by_id = {e.pod.id: e for e in self.endpoints}
        self.pod_endpoints = [e for e in self.endpoints if not e.pod.host]
        self.vips: dict[tuple[str, int], Address] = {
            (svc.ref, f): a for svc in services for f, a in svc.vips.items()
        }
        self.steer: dict[tuple[str, int, int, str], int] = {
            (svc.ref, sp.port, f, b.endpoint.id): b.dscp
            for svc in services
            for sp in svc.ports
            for f, backends in sp.backends.items()
            for b in backends
        }
        self.switcher = NetnsSwitcher()
        self._built = False

    def token(self, pod_id: str, family: int) -> bytes:
        """What a listener of this pod answers on its address of `family`."""
        e = self.by_id[pod_id]
        if not e.pod.host:
            return e.token
        address = e.pod.address(family)
        return self.host_tokens[address] if address is not None else b""

    @property
    def namespaces(self) -> list[str]:
        return [self.node, *(e.netns for e in self.pod_endpoints)]

    def build(self) -> None:
        if not sandbox.isolated():
            raise NetreachError("the lab is built only inside the sandbox (run_isolated)")
        names = self.namespaces
        _run(["ip", "-b", "-"], "".join(f"netns add {n}\n" for n in names))
        self._built = True
        v6 = 6 in self.families
        for name in names:
            for key, value in (*_EVERY_NS_SYSCTLS, *(_IPV6_ON if v6 else _IPV6_OFF)):
                self.switcher.write_sysctl(name, key, value)
        for key, value in (*_NODE_SYSCTLS, *(_NODE_IPV6 if v6 else ())):
            self.switcher.write_sysctl(self.node, key, value)
        _run(["ip", "-n", self.node, "-b", "-"], self._node_batch())
        # One `ip` per pod namespace (two with IPv6 rules), all at once: pods are independent.
        procs = []
        for e in self.pod_endpoints:
            batches = [("ip", _pod_batch(e.pod, self.gateways, 4 in e.pod.families))]
            if e.pod.v6 is not None:
                batches.append(("ip -6", _self_rules()))
            for command, batch in batches:
                proc = subprocess.Popen(
                    [*command.split(), "-n", e.netns, "-b", "-"],
                    stdin=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                procs.append((e, proc, batch))
        errors: list[str] = []
        for e, proc, batch in procs:
            _, err = proc.communicate(batch)
            if proc.returncode != 0:
                errors.append(f"{e.pod.id}: {err.strip()}")
        if errors:
            raise NetreachError("lab setup failed: " + "; ".join(errors[:3]))

    def _node_batch(self) -> str:
        lines = ["link set lo up"]
        gw4, gw6 = self.gateways[4], self.gateways[6]
        lines.append(f"addr add {render_address(gw4)}/32 dev lo")
        if 6 in self.families:
            lines.append(f"addr add {render_address(gw6)}/128 dev lo nodad")
        for a in self.host_tokens:
            lines.append(
                f"addr add {render_address(a)}/{a.max_prefixlen} dev lo"
                + (" nodad" if a.version == 6 else "")
            )
        for i, e in enumerate(self.pod_endpoints):
            mac = _pod_mac(i)
            lines += [
                f"link add v{i} address {NODE_MAC} type veth peer name eth0 address {mac} "
                f"netns {e.netns}",
                f"link set v{i} up",
            ]
            for a in e.pod.addresses:
                text = render_address(a)
                lines += [
                    f"route add {text}/{a.max_prefixlen} dev v{i}",
                    f"neigh add {text} lladdr {mac} dev v{i} nud permanent",
                ]
        # Service addresses need a route for the node's own (host-network) connections;
        # the DNAT in the output hook then sends them to a pod.
        for (_, _), vip in self.vips.items():
            lines.append(f"route replace {render_address(vip)}/{vip.max_prefixlen} dev lo")
        return "\n".join(lines) + "\n"

    def load(self, ruleset: str) -> None:
        """Replace the node's ruleset in one transaction; forget earlier connections."""
        _run(["ip", "netns", "exec", self.node, "nft", "-f", "-"], "flush ruleset\n" + ruleset)
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
            subprocess.run(
                ["ip", "-b", "-"],
                input="".join(f"netns del {n}\n" for n in self.namespaces),
                capture_output=True,
                text=True,
            )
            self._built = False

    def __enter__(self) -> Lab:
        self.build()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pod_mac(i: int) -> str:
    return "02:44:" + ":".join(f"{(i >> s) & 0xFF:02x}" for s in (24, 16, 8, 0))


def _self_rules() -> str:
    """Locally made packets (`iif lo`) are routed by table 200 (via the node) before the
    local table is consulted: a pod's traffic to itself leaves through the node."""
    return "\n".join([
        f"rule add pref 10 iif lo lookup {_SELF_TABLE}",
        "rule del pref 0",
        "rule add pref 100 lookup local",
    ]) + "\n"  # fmt: skip


def _pod_batch(pod: LabPod, gateways: dict[int, Address], v4_rules: bool) -> str:
    lines = ["link set lo up"]
    for a in pod.addresses:
        lines.append(
            f"addr add {render_address(a)}/{a.max_prefixlen} dev eth0"
            + (" nodad" if a.version == 6 else "")
        )
    lines.append("link set eth0 up")
    for family in sorted(pod.families):
        gw = render_address(gateways[family])
        lines += [
            f"route add {gw}/{gateways[family].max_prefixlen} dev eth0",
            f"neigh add {gw} lladdr {NODE_MAC} dev eth0 nud permanent",
            f"route add default via {gw} dev eth0",
            f"route add table {_SELF_TABLE} default via {gw} dev eth0",
        ]
    if v4_rules:
        lines.append(_self_rules().rstrip("\n"))
    return "\n".join(lines) + "\n"
