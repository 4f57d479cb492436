"""`describe policy` on random Calico snapshots agrees with the brute-force reading of
Calico's rules (cni_oracle.py): the pods a policy selects now and the pods each rule's peer
entity matches now are exactly those the oracle's entity matching admits, and every policy
is found by the id `check` prints for it."""

from __future__ import annotations

from hypothesis import given
from test_cni_oracle import calico_cluster, calico_clusters

from engine.test_properties import SETTINGS
from netreach.analyses.describe import describe_policy, find_policy
from netreach.analyses.describe_cni import CalicoPolicyReading


@SETTINGS
@given(calico_clusters())
def test_describe_calico_policy_agrees_with_the_oracle(data) -> None:  # type: ignore[no-untyped-def]
    c, oracle = calico_cluster(data)
    cal = c.snapshot.calico_policies
    for pol in cal:
        assert find_policy(c, pol.id)[1] is pol or find_policy(c, pol.id)[1] == pol
        reading = describe_policy(c, pol.id)
        assert isinstance(reading, CalicoPolicyReading)
        if pol.types:
            want = {p.id for p in c.pods if oracle._calico_selects(pol, p, pol.types[0])}
            assert {p.id for p in reading.subjects} == want
        for rule in reading.rules:
            raw = pol.rules(rule.direction)[rule.index]
            peer = raw.source if rule.direction == "ingress" else raw.destination
            for pr in rule.peers:
                want = {
                    p.id
                    for p in c.pods
                    if not p.host_network
                    and oracle._entity(peer, p, pol.namespace)
                    and (raw.ip_version is None or raw.ip_version in oracle._families(p))
                }
                got = {i for i in pr.pods if not c.resolve(i).host_network}  # type: ignore[union-attr]
                assert got == want, (rule.label, pr.words)
