"""User text never becomes nftables syntax (issue 17): whatever the model or the manifests
hold (hostile names, IPv6 zones with newlines, free-text admin rule names, quotes, braces),
`compile --nft` prints one table that `nft -c -f` accepts, and no statement outside it.

The compiler is checked on its own, on hostile models the loader would never build, and
through the command line on hostile manifests.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from dp_helpers import block, need_dataplane, ns, pod, policy, rule, sel, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clirun import run_cli_io
from netreach.calico_selector import All, Eq, Has
from netreach.dataplane import compile_ruleset
from netreach.errors import NetreachError
from netreach.model import (
    AdminPeer,
    AdminPolicy,
    AdminRule,
    AdminSubject,
    CalicoEntity,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    CiliumPolicy,
    CiliumRule,
    ContainerPort,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Node,
    Peer,
    Pod,
    PolicyPort,
    Requirement,
    Rule,
    Service,
    ServicePort,
    Snapshot,
    WorkloadRef,
)
from sampling import examples

PAYLOADS = [
    'x"\nflush ruleset\ninclude "passwd"\n#',
    "}\n}\ntable ip evil { chain c { type filter hook input priority 0; policy drop; } }\n#",
    '" ; flush ruleset ; "',
    '\r\ninclude "/etc/shadow"\r\n',
    "$x {} @y # ;",
    '\\\n\\"',
]
ZONE_CIDR = 'fe80::%x\nflush ruleset\ninclude "passwd"\n/64'
RULE_NAME = 'x"\nflush ruleset\ninclude "shadow"\n#'
# nft statements that must never appear outside a comment
_FORBIDDEN = re.compile(
    r"\b(include|flush|define|redefine|undefine|delete|destroy|add|insert|replace|reset|"
    r"list|create|rename|export|import|monitor)\b|\$"
)
_COMMENT = re.compile(r'comment "([^"\n]*)"')


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(PAYLOADS),
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
        st.text(alphabet='abc\n\r"{}#;$@\\/ .:%', max_size=40),
    )


def zoned(base: str) -> st.SearchStrategy[str]:
    """An IPv6 CIDR whose zone is hostile text, in the forms Python's ipaddress accepts."""
    return hostile_text().map(lambda t: f"{base}%{t.replace('/', '')}/64")


def cidr_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["10.0.0.0/8", "0.0.0.0/0", "::/0", "fd00::/8", "10.244.0.0/30"]),
        zoned("fe80::"),
        zoned("fd00::1"),
        hostile_text(),  # not a CIDR at all
    )


def selector() -> st.SearchStrategy[LabelSelector]:
    """Often empty (it then matches, so rules get elements), otherwise hostile."""
    return st.one_of(st.just(LabelSelector()), _hostile_selector())


def _hostile_selector() -> st.SearchStrategy[LabelSelector]:
    pairs = st.lists(st.tuples(hostile_text(), hostile_text()), max_size=2)
    reqs = st.lists(
        st.builds(
            Requirement,
            hostile_text(),
            st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
            st.lists(hostile_text(), max_size=2).map(tuple),
        ),
        max_size=2,
    )
    return st.builds(LabelSelector, pairs.map(tuple), reqs.map(tuple))


def ports() -> st.SearchStrategy[tuple[PolicyPort, ...]]:
    one = st.builds(
        PolicyPort,
        st.sampled_from(["TCP", "UDP", "SCTP"]),
        st.one_of(st.none(), st.integers(1, 65535), hostile_text()),
        st.one_of(st.none(), st.integers(1, 65535)),
    )
    return st.lists(one, max_size=3).map(tuple)


def peer() -> st.SearchStrategy[Peer]:
    return st.one_of(
        st.builds(Peer, st.one_of(st.none(), selector()), st.one_of(st.none(), selector())),
        st.builds(
            lambda c, e: Peer(ip_block=IPBlock(c, tuple(e))),
            cidr_text(),
            st.lists(cidr_text(), max_size=2),
        ),
    )


def net_policy(namespaces: list[str]) -> st.SearchStrategy[NetworkPolicy]:
    rules = st.lists(
        st.builds(Rule, st.lists(peer(), max_size=2).map(tuple), ports()), max_size=2
    ).map(tuple)
    return st.builds(
        NetworkPolicy,
        st.one_of(st.sampled_from(namespaces), hostile_text()),
        hostile_text(),
        selector(),
        st.sampled_from([("ingress",), ("egress",), ("ingress", "egress")]),
        rules,
        rules,
    )


def admin_policy() -> st.SearchStrategy[AdminPolicy]:
    apeer = st.one_of(
        st.builds(AdminPeer, namespaces=selector()),
        st.builds(AdminPeer, pods=st.tuples(selector(), selector())),
        st.builds(AdminPeer, networks=st.lists(cidr_text(), min_size=1, max_size=2).map(tuple)),
        st.builds(AdminPeer, nodes=selector()),
        st.builds(AdminPeer, unsupported=hostile_text()),
    )
    arule = st.builds(
        AdminRule,
        hostile_text(),
        st.sampled_from(["Allow", "Deny", "Pass"]),
        st.lists(apeer, min_size=1, max_size=2).map(tuple),
        st.one_of(st.none(), ports()),
    )
    kinds = st.sampled_from(
        [
            ("AdminNetworkPolicy", "Admin"),
            ("BaselineAdminNetworkPolicy", "Baseline"),
            ("ClusterNetworkPolicy", "Admin"),
            ("ClusterNetworkPolicy", "Baseline"),
        ]
    )
    return st.builds(
        lambda k, name, prio, sub, ing, eg: AdminPolicy(k[0], k[1], name, prio, sub, ing, eg),  # type: ignore[arg-type]
        kinds,
        hostile_text(),
        st.integers(0, 1000),
        st.builds(AdminSubject, selector(), st.one_of(st.none(), selector())),
        st.lists(arule, max_size=2).map(tuple),
        st.lists(arule, max_size=2).map(tuple),
    )


def a_pod(i: int) -> st.SearchStrategy[Pod]:
    ip = st.one_of(
        st.just(f"10.244.0.{i + 2}"),
        st.just(f"fd00::{i + 2}"),
        hostile_text().map(lambda t: f"fe80::{i + 2}%{t.replace('/', '')}"),
        st.just(""),
    )
    cports = st.lists(
        st.builds(
            ContainerPort,
            st.integers(1, 65535),
            st.sampled_from(["TCP", "UDP", "SCTP"]),
            hostile_text(),
        ),
        max_size=2,
    ).map(tuple)
    return st.builds(
        lambda n, name, labels, address, cp, host: Pod(
            n, name, labels, WorkloadRef(n, name, "Pod"), (address,) if address else (), cp, host
        ),
        hostile_text(),
        hostile_text(),
        st.dictionaries(hostile_text(), hostile_text(), min_size=1, max_size=2),
        ip,
        cports,
        st.booleans(),
    )


@st.composite
def hostile_snapshots(draw: st.DrawFn) -> Snapshot:
    pods = [draw(a_pod(i)) for i in range(draw(st.integers(1, 4)))]
    names = {p.namespace for p in pods} | {draw(hostile_text())}
    namespaces = {
        n: Namespace(n, draw(st.dictionaries(hostile_text(), hostile_text(), max_size=2)))
        for n in names
    }
    services = draw(
        st.lists(
            st.builds(
                Service,
                st.sampled_from(sorted(names)),
                hostile_text(),
                st.one_of(
                    st.sampled_from([dict(p.labels) or {"k": "v"} for p in pods]),
                    st.dictionaries(hostile_text(), hostile_text(), max_size=1),
                ),
                st.lists(
                    st.builds(
                        ServicePort,
                        st.integers(1, 65535),
                        st.one_of(st.integers(1, 65535), hostile_text()),
                        st.sampled_from(["TCP", "UDP", "SCTP"]),
                        hostile_text(),
                    ),
                    max_size=2,
                ).map(tuple),
            ),
            max_size=2,
        )
    )
    nodes = draw(
        st.lists(
            st.builds(Node, hostile_text(), st.dictionaries(hostile_text(), hostile_text(), max_size=1),
                      st.lists(st.one_of(st.just("10.1.0.1"), hostile_text()), max_size=2).map(tuple)),
            max_size=1,
        )
    )  # fmt: skip
    return Snapshot(
        namespaces=namespaces,
        pods=pods,
        policies=draw(st.lists(net_policy(sorted(names)), max_size=3)),
        admin_policies=draw(st.lists(admin_policy(), max_size=2)),
        nodes=nodes,
        services=services,
    )


def assert_safe(text: str) -> None:
    """One `table inet netreach`, nothing outside it but comments, no statement that nft
    would run besides the table's own, every quoted comment made of safe characters."""
    lines = text.splitlines()
    start = lines.index("table inet netreach {")
    assert lines[-1] == "}"
    outside = lines[:start]
    assert all(line.startswith("#") for line in outside), outside
    for line in lines[start + 1 : -1]:
        code = _COMMENT.sub("", line)
        for comment in _COMMENT.findall(line):
            assert re.fullmatch(r"[A-Za-z0-9 ._/:;=,()\[\]+*!<>?-]*", comment), line
        if code.lstrip().startswith("#"):
            continue
        assert "#" not in code and '"' not in code.replace('"lo"', ""), line
        assert not _FORBIDDEN.search(code), line
        assert not code.startswith(("table", "}table")), line


def nft_accepts(text: str) -> None:
    """`nft -c -f` on a file in a private temporary directory, in a fresh network namespace
    (nothing is loaded anywhere), then a real load there: only our table exists after it."""
    with tempfile.TemporaryDirectory(prefix="netreach-nft-") as tmp:
        os.chmod(tmp, 0o700)
        path = Path(tmp) / "ruleset.nft"
        path.write_text(text)
        # -c first: it must pass on its own; then a real load in the same fresh namespace.
        script = 'nft -c -f "$1" && nft -f "$1" && nft list tables'
        loaded = subprocess.run(
            ["unshare", "--net", "sh", "-c", script, "sh", str(path)],
            capture_output=True,
            text=True,
        )
        assert loaded.returncode == 0, loaded.stderr + text
        assert loaded.stdout.split("\n") == ["table inet netreach", ""], loaded.stdout


def test_zone_and_rule_name_stay_inside_comments() -> None:
    snap = snapshot(
        [ns("default")],
        [pod("default/web", "10.244.0.2", app="web")],
        [policy("default/p", sel(), ("ingress",), ingress=(rule(block(ZONE_CIDR)),))],
    )
    snap.admin_policies = [
        AdminPolicy(
            "AdminNetworkPolicy", "Admin", "a", 1, AdminSubject(LabelSelector()),
            ingress=(AdminRule(RULE_NAME, "Deny", (AdminPeer(namespaces=LabelSelector()),)),),
        )
    ]  # fmt: skip
    text = compile_ruleset(snap)
    assert_safe(text)
    lines = [line.strip() for line in text.splitlines()]
    assert not [line for line in lines if line.startswith(("flush", "include"))]
    assert "passwd" in text and "shadow" in text  # still named, inside comments
    assert "10.244.0.2 . fe80::/64" not in text  # an IPv6 block never matches an IPv4 pod


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snap=hostile_snapshots(), external=st.booleans(), self_allowed=st.booleans())
def test_hostile_models_compile_to_one_safe_table(
    snap: Snapshot, external: bool, self_allowed: bool
) -> None:
    """Whatever the model holds: the compiler either refuses with a message or writes one
    table that nft accepts and that contains no statement of the input."""
    from netreach.model import Options

    options = Options(
        ipblock_matches_pods=not external, self_traffic="allowed" if self_allowed else "policy"
    )
    try:
        text = compile_ruleset(snap, options=options)
    except NetreachError:
        return  # e.g. two pods with one address: refused, with a message
    assert_safe(text)
    if _can_run_nft():
        nft_accepts(text)


def _can_run_nft() -> bool:
    if os.geteuid() == 0 and _which("nft") and _which("unshare"):
        return True
    need_dataplane()  # fails under NETREACH_REQUIRE_DATAPLANE=1, skips otherwise
    return False


def _which(tool: str) -> bool:
    import shutil

    return shutil.which(tool) is not None


def _manifest(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Manifests the loader mostly accepts: hostile text where it is free text (admin rule
    names), and at most one other field made hostile (an IPv6 zone in the CIDRs, which the
    loader refuses as Go's ParseCIDR does, counts as one), so that most examples reach the
    compiler."""
    text = hostile_text()
    fields = ["name", "label", "port", "ip", "portname", "zone", "clusterip"]
    bad = draw(st.sampled_from(["", "", "", "", "", "", *fields]))

    def pick(field: str, valid: Any) -> Any:
        return draw(text) if bad == field else valid

    zone = hostile_text().filter(lambda t: t and "/" not in t).map(lambda t: f"fe80::%{t}/64")
    valid = st.sampled_from(["10.0.0.0/8", "fd00::/8", "0.0.0.0/0"])
    cidr = st.one_of(valid, zone) if bad == "zone" else valid
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
         "spec": {"containers": [{"name": "c", "image": "x",
                                  "ports": [{"containerPort": 80, "name": pick("portname", "http")}]}]},
         "status": {"podIP": pick("ip", draw(st.sampled_from(["10.244.0.2", "fd00::2"])))}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": pick("name", "web-in"), "namespace": "default"},
         "spec": {"podSelector": {"matchLabels": {"app": pick("label", "web")}},
                  "ingress": [{"from": [{"ipBlock": {"cidr": draw(cidr)}}],
                               "ports": [{"port": pick("port", draw(st.sampled_from([80, "http"])))}]}]}},
        {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
         "metadata": {"name": "guard"},
         "spec": {"priority": 5, "subject": {"namespaces": {}},
                  "egress": [{"name": draw(text), "action": "Deny", "to": [{"networks": [draw(cidr)]}]}]}},
        {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
         "metadata": {"name": "base"},
         "spec": {"tier": "Baseline", "priority": 5, "subject": {"namespaces": {}},
                  "ingress": [{"name": draw(text), "action": "Accept",
                               "from": [{"namespaces": {"matchLabels": {"team": "a"}}}]}]}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "web", "namespace": "default"},
         "spec": {"selector": {"app": "web"}, "clusterIP": pick("clusterip", "10.96.0.10"),
                  "ports": [{"port": 80, "targetPort": "http"}]}},
    ]  # fmt: skip
    return docs


compiled: list[bool] = []


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_hostile_manifests_through_the_command_line(data: st.DataObject) -> None:
    """`netreach compile --nft` on hostile manifests: refused (exit 2, no traceback) or one
    safe table that nft accepts."""
    docs = _manifest(data.draw)
    with tempfile.TemporaryDirectory(prefix="netreach-in-") as tmp:
        path = Path(tmp) / "hostile.yaml"
        path.write_text(yaml.safe_dump_all(docs))
        code, out, err = run_cli_io("compile", str(path), "--nft")
    assert code in (0, 2), err
    compiled.append(code == 0)
    if code == 0:
        assert_safe(out)
        if _can_run_nft():
            nft_accepts(out)


def test_the_command_line_property_reached_the_compiler() -> None:
    """The property above is worth something only if most inputs got through the loader."""
    n = examples(40)  # 40 under the thorough profile, of which at least 5 compiled
    assert len(compiled) >= n and sum(compiled) >= -(-5 * n // 40), compiled


def test_the_check_itself_catches_an_injection() -> None:
    """The checks above would see an escape: a statement after the table, or a quote."""
    with pytest.raises(AssertionError):
        assert_safe("table inet netreach {\n}\nflush ruleset\n}")
    with pytest.raises(AssertionError):
        assert_safe('table inet netreach {\n  # x\n    accept comment "a"b"\n}')
    with pytest.raises(AssertionError):
        assert_safe('table inet netreach {\n  include "passwd"\n}')


def test_render_never_takes_text() -> None:
    from netreach.dataplane.nft import render_address, render_ports

    assert render_address(ipaddress.IPv6Address("fd00::1%a\nb")) == "fd00::1"
    with pytest.raises(ValueError, match="out of bounds"):
        render_ports((0, 70000))


def test_a_service_port_twice_is_compiled_once() -> None:
    """Found by the property test: the API server refuses it, the compiler must not choke."""
    from netreach.model import Service, ServicePort

    snap = snapshot([ns("default")], [pod("default/web", "10.244.0.2", app="web")], [])
    twice = (ServicePort(1, 80, "TCP", "a"), ServicePort(1, 81, "TCP", "b"))
    snap.services = [Service("default", "web", {"app": "web"}, twice)]
    text = compile_ruleset(snap)
    assert text.count(". tcp . 1 : goto") == 1
    assert_safe(text)
    if _can_run_nft():
        nft_accepts(text)


# --- Calico and Cilium: names, tiers, selectors, CIDRs and entities are user text too ------


def _calico_policy(names: list[str]) -> st.SearchStrategy[CalicoPolicy]:
    expr = st.one_of(
        st.just(All()),
        st.builds(Eq, hostile_text(), hostile_text()),
        st.builds(Has, hostile_text()),
    )
    entity = st.builds(
        CalicoEntity,
        st.lists(cidr_text(), max_size=2).map(tuple),
        st.lists(cidr_text(), max_size=1).map(tuple),
        st.one_of(st.none(), expr),
        st.one_of(st.none(), expr),
        st.one_of(st.none(), expr),
    )
    crule = st.builds(
        CalicoRule,
        st.sampled_from(["Allow", "Deny", "Pass", "Log"]),
        st.sampled_from([None, "TCP", "UDP", "SCTP", "ICMP"]),
        st.none(),
        st.none(),
        entity,
        entity,
    )
    return st.builds(
        lambda kind, ns_, name, tier, order, sel_, ing, eg: CalicoPolicy(
            kind, ns_ if kind == "NetworkPolicy" else None, name, tier, order, sel_,
            ("ingress", "egress"), ing, eg,
        ),
        st.sampled_from(["NetworkPolicy", "GlobalNetworkPolicy"]),
        st.one_of(st.sampled_from(names), hostile_text()),
        hostile_text(),
        st.one_of(st.just("default"), hostile_text()),
        st.one_of(st.none(), st.floats(-1e9, 1e9)),
        expr,
        st.lists(crule, max_size=2).map(tuple),
        st.lists(crule, max_size=2).map(tuple),
    )  # fmt: skip


def _cilium_policy(names: list[str]) -> st.SearchStrategy[CiliumPolicy]:
    krule = st.builds(
        lambda action, eps, cidrs, ents, p: CiliumRule(
            action, eps, cidrs, ents, bool(eps or cidrs or ents), False, p
        ),
        st.sampled_from(["Allow", "Deny"]),
        st.lists(selector(), max_size=1).map(tuple),
        st.lists(st.builds(IPBlock, cidr_text(), st.lists(cidr_text(), max_size=1).map(tuple)),
                 max_size=1).map(tuple),
        st.lists(st.one_of(st.sampled_from(["all", "world", "cluster"]), hostile_text()),
                 max_size=1).map(tuple),
        st.one_of(st.none(), ports()),
    )  # fmt: skip
    rules = st.lists(krule, max_size=2).map(tuple)
    return st.builds(
        lambda kind, ns_, name, sub, ing, eg, ingd, egd: CiliumPolicy(
            kind, ns_ if kind == "CiliumNetworkPolicy" else None, name, None, sub,
            ing, eg, ingd, egd, ("ingress", "egress"),
        ),
        st.sampled_from(["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"]),
        st.one_of(st.sampled_from(names), hostile_text()),
        hostile_text(),
        st.one_of(st.none(), selector()),
        rules, rules, rules, rules,
    )  # fmt: skip


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snap=hostile_snapshots(), data=st.data())
def test_hostile_calico_and_cilium_models_compile_to_one_safe_table(
    snap: Snapshot, data: st.DataObject
) -> None:
    """Calico tiers, policy names, selectors, nets and Cilium entities, CIDRs and names from
    a hostile model: one safe table that nft accepts, or a refusal with a message."""
    names = sorted(snap.namespaces)
    if data.draw(st.booleans()):
        snap.calico_policies = data.draw(st.lists(_calico_policy(names), min_size=1, max_size=3))
        snap.calico_tiers = data.draw(
            st.lists(st.builds(CalicoTier, hostile_text(), st.none()), max_size=1)
        )
    else:
        snap.cilium_policies = data.draw(st.lists(_cilium_policy(names), min_size=1, max_size=3))
    try:
        text = compile_ruleset(snap)
    except NetreachError:
        return
    assert_safe(text)
    if _can_run_nft():
        nft_accepts(text)
