"""Observed flows: Hubble JSON lines and CSV, turned into an intent between workloads."""

from __future__ import annotations

import orjson
import pytest

import netreach
from netreach.analyses.generate import parse_flows
from netreach.analyses.generate.intent import CidrSpec, WorkloadSpec
from netreach.engine.conns import ConnectionSet
from netreach.errors import InputError
from paths import LESSON


def hubble(**flow: object) -> str:
    base = {
        "verdict": "FORWARDED",
        "IP": {"source": "10.244.1.5", "destination": "10.244.2.7"},
        "l4": {"TCP": {"source_port": 40000, "destination_port": 8080}},
        "source": {
            "namespace": "default",
            "pod_name": "web-abc-1",
            "workloads": [{"name": "web", "kind": "Deployment"}],
        },
        "destination": {
            "namespace": "default",
            "pod_name": "api-def-2",
            "workloads": [{"name": "api", "kind": "Deployment"}],
        },
        "is_reply": False,
    }
    base.update(flow)
    return orjson.dumps({"flow": base, "node_name": "n1"}).decode()


def test_hubble_flow_becomes_an_allow_between_workloads() -> None:
    flows = parse_flows(hubble() + "\n", netreach.load(LESSON))
    [allow] = flows.intent.allows
    assert allow.src == WorkloadSpec("default", "web", "Deployment")
    assert allow.dst == WorkloadSpec("default", "api", "Deployment")
    assert allow.conns == ConnectionSet.ports("TCP", 8080)
    assert allow.origin == "flows:1"


def test_hubble_replies_and_dropped_flows_are_left_out() -> None:
    text = "\n".join([hubble(is_reply=True), hubble(verdict="DROPPED"), hubble(verdict="AUDIT")])
    flows = parse_flows(text, netreach.load(LESSON))
    assert [a.origin for a in flows.intent.allows] == ["flows:3"]


def test_hubble_udp_and_external_addresses() -> None:
    flow = hubble(
        l4={"UDP": {"destination_port": 53}},
        destination={},
        IP={"source": "10.244.1.5", "destination": "8.8.8.8"},
    )
    [allow] = parse_flows(flow, netreach.load(LESSON)).intent.allows
    assert allow.dst == CidrSpec("8.8.8.8/32")
    assert allow.conns == ConnectionSet.ports("UDP", 53)


def test_hubble_flows_without_a_port_or_a_known_pod_become_notes() -> None:
    text = "\n".join(
        [
            hubble(l4={"ICMPv4": {"type": 8}}),
            hubble(source={"namespace": "default", "pod_name": "ghost-1"}),
        ]
    )
    flows = parse_flows(text, netreach.load(LESSON))
    assert flows.intent.allows == ()
    assert flows.notes[0].startswith("flows:1: no TCP/UDP/SCTP destination port")
    assert flows.notes[1].startswith("flows:2: no pod or workload 'default/ghost-1'")


def test_hubble_line_that_is_not_json_is_an_input_error_with_its_line() -> None:
    with pytest.raises(InputError) as exc:
        parse_flows(hubble() + "\n{not json\n", netreach.load(LESSON), "f.jsonl")
    assert exc.value.problems[0].object_ref == "f.jsonl:2"


def test_csv_with_header_pods_workloads_and_addresses() -> None:
    text = "src,dst,port,protocol\ndefault/web,default/api,8080,TCP\ndefault/api,1.2.3.4,53,udp\n"
    allows = parse_flows(text, netreach.load(LESSON)).intent.allows
    assert [str(a) for a in allows] == [
        "default/web[Deployment] -> default/api[Deployment] : TCP 8080",
        "default/api[Deployment] -> 1.2.3.4/32 : UDP 53",
    ]


def test_csv_protocol_defaults_to_tcp() -> None:
    [allow] = parse_flows("default/web,default/api,8080\n", netreach.load(LESSON)).intent.allows
    assert allow.conns == ConnectionSet.ports("TCP", 8080)


def test_csv_problems_are_all_reported_with_lines() -> None:
    text = "default/web,default/api,http,TCP\ndefault/nope,default/api,80\n1.1.1.1,2.2.2.2,80\n"
    with pytest.raises(InputError) as exc:
        parse_flows(text, netreach.load(LESSON), "f.csv")
    assert [p.object_ref for p in exc.value.problems] == ["f.csv:1", "f.csv:2", "f.csv:3"]
