"""Observed flows as an intent: Hubble's `hubble observe -o json` lines, or a plain CSV
`src,dst,port,protocol` with pods, workloads or IP addresses.

Each flow becomes an allow between the workloads of its pods (an IP outside the snapshot
becomes a single-address CIDR). Replies and flows that were not forwarded are left out:
a generator learns what is used, not what was refused.
"""

from __future__ import annotations

import csv
import io
import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from netreach.analyses.generate.intent import Allow, CidrSpec, EndpointSpec, Intent, WorkloadSpec
from netreach.engine.conns import ConnectionSet
from netreach.errors import InputError, NetreachError, Problem
from netreach.loader.files import read_text
from netreach.loader.limits import Limits, document_problem
from netreach.loader.sources import Source
from netreach.model import PROTOCOLS, Pod, Protocol
from netreach.query.reach import Reach

# Hubble verdicts of flows that reached their destination (AUDIT: policy audit mode).
_PASSED = {"FORWARDED", "AUDIT", "REDIRECTED", "TRACED", "TRANSLATED"}


@dataclass(frozen=True, slots=True)
class Flows:
    intent: Intent
    notes: tuple[str, ...]  # flows left out, and why


def parse_flows(
    text: str, cluster: Reach, name: str = "flows", limits: Limits | None = None
) -> Flows:
    """Hubble JSON lines when the first non-blank character is `{`, CSV otherwise."""
    if text.lstrip().startswith("{"):
        return _hubble(text, cluster, name, limits or Limits())
    return _csv(text, cluster, name)


def read_flows(source: Source, cluster: Reach, limits: Limits | None = None) -> Flows:
    """A flows file read through the input boundary: decoded as manifests are (UTF-8, the
    same messages), each JSON line within the same limits."""
    return parse_flows(read_text(source), cluster, source.name, limits)


def _endpoint(cluster: Reach, ref: str) -> EndpointSpec:
    """A pod or workload of the snapshot -> its workload; an address elsewhere -> a CIDR."""
    ep = cluster.resolve(ref)
    if isinstance(ep, Pod):
        wl = ep.workload
        return WorkloadSpec(wl.namespace, wl.name, wl.kind)
    return CidrSpec(str(ipaddress.ip_network(ep)))


def _csv(text: str, cluster: Reach, name: str) -> Flows:
    allows: list[Allow] = []
    problems: list[Problem] = []
    for lineno, row in _csv_rows(text, name, problems):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        where = f"{name}:{lineno}"
        if lineno == 1 and cells[:2] == ["src", "dst"]:
            continue  # header
        if len(cells) not in (3, 4):
            problems.append(Problem("expected src,dst,port[,protocol]", object_ref=where))
            continue
        proto = (cells[3] if len(cells) == 4 and cells[3] else "TCP").upper()
        if proto not in PROTOCOLS or not cells[2].isdigit() or not 1 <= int(cells[2]) <= 65535:
            problems.append(
                Problem(f"bad port {cells[2]!r}/{proto!r} (1-65535, TCP/UDP/SCTP)", None, where)
            )
            continue
        try:
            allows.append(_allow(cluster, cells[0], cells[1], proto, int(cells[2]), where))
        except NetreachError as exc:
            problems.append(Problem(str(exc), object_ref=where))
    if problems:
        raise InputError(problems)
    return Flows(Intent(tuple(allows)), ())


def _csv_rows(text: str, name: str, problems: list[Problem]) -> Iterator[tuple[int, list[str]]]:
    """Numbered CSV rows; a row the csv module refuses (a bare carriage return in a field)
    ends the file with a located problem instead of an exception."""
    reader = csv.reader(io.StringIO(text))
    lineno = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(Problem(f"not CSV: {exc}", object_ref=f"{name}:{lineno + 1}"))
            return
        lineno += 1
        yield lineno, row


def _allow(cluster: Reach, src: str, dst: str, proto: Protocol, port: int, where: str) -> Allow:
    s, d = _endpoint(cluster, src), _endpoint(cluster, dst)
    if isinstance(s, CidrSpec) and isinstance(d, CidrSpec):
        raise NetreachError(f"neither {src} nor {dst} is a pod of the snapshot")
    return Allow(s, d, ConnectionSet.ports(proto, port), where)


def _hubble(text: str, cluster: Reach, name: str, limits: Limits) -> Flows:
    allows: list[Allow] = []
    notes: list[str] = []
    problems: list[Problem] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            problems.append(Problem(f"not JSON: {exc}", object_ref=where))
            continue
        why = document_problem(record, limits)
        if why is not None:
            problems.append(Problem(why, object_ref=where))
            continue
        flow = record.get("flow", record) if isinstance(record, dict) else None
        if not isinstance(flow, dict):
            problems.append(Problem("expected a JSON object (a Hubble flow)", object_ref=where))
            continue
        if flow.get("is_reply") or flow.get("verdict", "FORWARDED") not in _PASSED:
            continue
        l4 = _l4(flow.get("l4"))
        if l4 is None:
            notes.append(f"{where}: no TCP/UDP/SCTP destination port; left out")
            continue
        ip = flow.get("IP") or {}
        try:
            src = _hubble_ref(cluster, flow.get("source"), ip.get("source"))
            dst = _hubble_ref(cluster, flow.get("destination"), ip.get("destination"))
            allows.append(_allow(cluster, src, dst, l4[0], l4[1], where))
        except NetreachError as exc:
            notes.append(f"{where}: {exc}; left out")
    if problems:
        raise InputError(problems)
    return Flows(Intent(tuple(allows)), tuple(notes))


def _l4(l4: Any) -> tuple[Protocol, int] | None:
    if not isinstance(l4, Mapping):
        return None
    for proto in PROTOCOLS:
        body = l4.get(proto)
        if isinstance(body, Mapping) and isinstance(body.get("destination_port"), int):
            return proto, int(body["destination_port"])
    return None


def _hubble_ref(cluster: Reach, endpoint: Any, address: Any) -> str:
    """The snapshot name of a Hubble endpoint: its pod, else its workload, else its IP."""
    if isinstance(endpoint, Mapping) and endpoint.get("namespace") and endpoint.get("pod_name"):
        ns = str(endpoint["namespace"])
        pod_ref = f"{ns}/{endpoint['pod_name']}"
        if any(p.id == pod_ref for p in cluster.pods):
            return pod_ref
        for wl in endpoint.get("workloads") or ():
            if isinstance(wl, Mapping) and wl.get("name"):
                ref = f"{ns}/{wl['name']}"
                kind = wl.get("kind")
                return f"{ref}[{kind}]" if kind else ref
        return pod_ref  # resolve() says it is unknown, with a hint
    if isinstance(address, str) and address:
        return address
    raise NetreachError("flow endpoint has neither a pod nor an IP address")
