"""Properties linking the new reports to the engine's verdicts."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import cluster, ns, peer, pod, policy, port, rule, service
from netreach.analyses.exposure import exposure
from netreach.analyses.service_ports import port_mismatches
from sampling import examples

SETTINGS = settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PORTS = st.integers(min_value=1, max_value=6)
LABELS = st.dictionaries(
    st.sampled_from(["team", "env", "zone"]), st.sampled_from(["a", "b"]), min_size=1
)


@SETTINGS
@given(svc_port=PORTS, target=PORTS, allowed=PORTS, named=st.booleans())
def test_service_verdict_is_the_pod_verdict_at_the_target_port(svc_port, target, allowed, named):
    c = cluster(
        [ns("a")],
        [pod("a/web", {"app": "web"}), pod("a/db", {"app": "db"}, ports=[("tp", target, "TCP")])],
        [policy("a/in", {"app": "db"}, ingress=[rule([peer({"app": "web"})], [port(allowed)])])],
        services=[service("a/db", {"app": "db"}, (svc_port, "tp" if named else target, "TCP"))],
    )
    via = c.check("a/web", "svc/a/db", svc_port)
    direct = c.check("a/web", "a/db", target)
    assert via.allowed == direct.allowed == (allowed == target)
    flagged = bool(port_mismatches(c))
    assert flagged == (allowed == svc_port != target)


@SETTINGS
@given(ns_labels=LABELS, pod_labels=st.none() | LABELS, p=PORTS)
def test_label_selected_namespace_admits_a_namespace_created_later(ns_labels, pod_labels, p):
    """What exposure calls open to namespaces by label: a brand-new namespace with those
    labels, and a pod with the pod labels, is admitted by the engine."""
    target = pod("a/db", {"app": "db"})
    pol = policy("a/in", {"app": "db"}, ingress=[rule([peer(pod_labels, ns_labels)], [port(p)])])
    before = cluster([ns("a")], [target], [pol])
    [e] = exposure(before).exposures
    assert e.scope == "namespaces-by-label" and e.namespaces_now == ()
    newcomer = pod("new/client", pod_labels or {"any": "thing"})
    after = cluster([ns("a"), ns("new", **ns_labels)], [target, newcomer], [pol])
    assert after.check("new/client", "a/db", p).allowed
    assert not after.check("new/client", "a/db", p + 1).allowed


@SETTINGS
@given(isolate_in=st.booleans(), isolate_out=st.booleans())
def test_unprotected_is_exactly_not_isolated(isolate_in, isolate_out):
    types = [d for d, on in (("ingress", isolate_in), ("egress", isolate_out)) if on]
    pols = [policy("a/p", {"app": "db"}, types=types)] if types else []
    c = cluster([ns("a")], [pod("a/db", {"app": "db"})], pols)
    got = {u.direction for u in exposure(c).unprotected}
    assert got == {d for d in ("ingress", "egress") if not c.isolated("a/db", d)}
