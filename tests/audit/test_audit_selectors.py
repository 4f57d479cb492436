"""Selectors that match nothing (with the near label), and OR-vs-AND peers (computed)."""

from __future__ import annotations

from audit_helpers import NSS, findings

from builders import cluster, peer, pod, policy, port, rule


def test_policy_selects_nothing_names_the_near_label():
    p = policy("default/p", {"app": "Web"})
    c = cluster(NSS, [pod("default/web", {"app": "web"})], [p])
    (f,) = findings(c, "policy-selects-nothing")
    assert "You wrote app: Web; did you mean app: web?" in f.message
    assert f.details["hints"]


def test_policy_selects_nothing_silent_when_it_selects_or_there_are_no_pods_to_judge():
    c = cluster(NSS, [pod("default/web", {"app": "web"})], [policy("default/p", {"app": "web"})])
    assert not findings(c, "policy-selects-nothing")
    c2 = cluster(NSS, [pod("default/web", {"app": "web"})], [policy("other/p", {"app": "x"})])
    assert not findings(c2, "policy-selects-nothing")


def test_peer_selects_nothing_names_the_near_label():
    p = policy("default/p", {"app": "db"}, ingress=[rule([peer({"tier": "backend"})])])
    pods = [pod("default/db", {"app": "db"}), pod("default/api", {"tier": "back-end"})]
    (f,) = findings(cluster(NSS, pods, [p]), "peer-selects-nothing")
    assert "ingress[0] from[0]" in f.message
    assert "did you mean tier: back-end?" in f.message


def test_peer_selects_nothing_for_a_namespace_selector_matching_no_namespace():
    p = policy("default/p", {}, ingress=[rule([peer(namespaces={"team": "Backend"})])])
    (f,) = findings(cluster(NSS, [pod("default/db")], [p]), "peer-selects-nothing")
    assert "matches no namespace" in f.message and "team: backend" in f.message


def test_peer_selects_nothing_silent_when_the_peer_matches():
    p = policy("default/p", {}, ingress=[rule([peer({"tier": "backend"})])])
    c = cluster(NSS, [pod("default/api", {"tier": "backend"})], [p])
    assert not findings(c, "peer-selects-nothing")


def _or_policy(*peers):
    return policy("default/db", {"app": "db"}, ingress=[rule(list(peers), [port(5432)])])


PODS = [
    pod("default/db", {"app": "db"}),
    pod("default/api", {"app": "api"}),
    pod("other/api", {"app": "api"}),
    pod("other/web", {"app": "web"}),
]


def test_and_or_confusion_reports_the_connections_the_or_form_adds():
    p = _or_policy(peer({"app": "api"}), peer(namespaces={"team": "backend"}))
    (f,) = findings(cluster(NSS, PODS, [p]), "and-or-confusion")
    extra = {(e["src"], e["dst"]) for e in f.details["extra"]}
    # OR admits default/api (own namespace) and every pod of `other`; AND only other/api.
    assert extra == {("default/api", "default/db"), ("other/web", "default/db")}
    assert "other/web -> default/db : TCP 5432" in f.message
    assert "namespaceSelector:" in f.fix and "podSelector:" in f.fix
    assert len(f.objects) == 2


def test_and_or_confusion_silent_for_one_and_entry():
    p = _or_policy(peer({"app": "api"}, {"team": "backend"}))
    assert not findings(cluster(NSS, PODS, [p]), "and-or-confusion")


def test_and_or_confusion_silent_when_or_adds_nothing():
    # Every pod of the selected namespace carries the label, and the own namespace has none.
    p = policy(
        "default/db",
        {"app": "db"},
        ingress=[rule([peer({"app": "api"}), peer(namespaces={"team": "backend"})])],
    )
    pods = [pod("default/db", {"app": "db"}), pod("other/api", {"app": "api"})]
    assert not findings(cluster(NSS, pods, [p]), "and-or-confusion")
