"""Services translated to backing pods and pod ports; the Service-port mistake `analyze` flags."""

from __future__ import annotations

import pytest

from builders import cluster, ns, peer, pod, policy, port, rule, service
from netreach.analyses.service_ports import port_mismatches
from netreach.errors import QueryError
from netreach.query.services import route


def _shop(allowed_port: int, target: int | str = "https"):
    return cluster(
        [ns("shop")],
        [
            pod("shop/web", {"app": "web"}),
            pod("shop/kapi-1", {"app": "kapi"}, ports=[("https", 6443, "TCP")]),
            pod("shop/kapi-2", {"app": "kapi"}, ports=[("https", 6443, "TCP")]),
        ],
        [
            policy(
                "shop/kapi-in",
                {"app": "kapi"},
                ingress=[rule([peer({"app": "web"})], [port(allowed_port)])],
            )
        ],
        services=[service("shop/kapi", {"app": "kapi"}, (443, target, "TCP"))],
    )


def test_named_target_port_resolves_on_each_backing_pod():
    r = route(_shop(6443), "svc/shop/kapi", 443)
    assert [(b.pod.id, b.port) for b in r.backends] == [
        ("shop/kapi-1", 6443),
        ("shop/kapi-2", 6443),
    ]
    assert r.explain() == (
        "Service shop/kapi:443 -> pods kapi-1, kapi-2 port 6443/TCP (targetPort https); "
        "policies see the pod port"
    )


def test_check_through_a_service_decides_on_the_pod_port():
    verdict = _shop(6443).check("shop/web", "svc/shop/kapi", 443)
    assert verdict.allowed and verdict.port == 6443 and verdict.service == "shop/kapi"
    assert "via Service shop/kapi:443 -> pods" in verdict.explain()
    assert verdict.to_dict()["translation"].startswith("Service shop/kapi:443")


def test_allowing_the_service_port_does_not_open_the_pod_port():
    c = _shop(443)
    assert not c.check("shop/web", "svc/shop/kapi", 443)
    [m] = port_mismatches(c)
    assert m.rule_label == "shop/kapi-in ingress[0]" and m.target == 6443
    assert "allow 6443 instead" in m.message()


def test_no_mismatch_when_the_pod_port_is_allowed():
    assert port_mismatches(_shop(6443)) == []


def test_numeric_target_port_and_no_mismatch_when_equal():
    c = _shop(6443, target=443)
    assert route(c, "svc/shop/kapi", 443).target_ports == (443,)
    assert port_mismatches(c) == []


def test_service_port_by_name_and_unknown_port_is_a_query_error():
    c = _shop(6443)
    with pytest.raises(QueryError, match=r"Service shop/kapi has no port 80 \(it has 443/TCP\)"):
        c.check("shop/web", "svc/shop/kapi", 80)
    with pytest.raises(QueryError, match="no Service 'shop/nope'"):
        c.check("shop/web", "svc/shop/nope", 80)


def test_missing_named_port_on_the_pods_is_explained():
    c = cluster(
        [ns("a")],
        [pod("a/web", {"app": "web"}), pod("a/x", {"app": "x"})],
        services=[service("a/x", {"app": "x"}, (80, "http", "TCP"))],
    )
    with pytest.raises(QueryError, match="no backing pod has a container port named 'http'"):
        c.check("a/web", "svc/a/x", 80)


def test_backends_that_disagree_show_the_denied_one():
    c = cluster(
        [ns("a")],
        [
            pod("a/web", {"app": "web"}),
            pod("a/x-1", {"app": "x", "v": "1"}),
            pod("a/x-2", {"app": "x", "v": "2"}),
        ],
        [policy("a/only-v1", {"v": "2"}, ingress=[])],
        services=[service("a/x", {"app": "x"}, (80, 8080, "TCP"))],
    )
    verdict = c.check("a/web", "svc/a/x", 80)
    assert not verdict.allowed and verdict.dst.id == "a/x-2"  # type: ignore[union-attr]
    assert "only 1 of 2 backing pods admit it" in (verdict.translation or "")


def test_connectivity_to_a_service_is_its_pods_on_the_pod_port():
    cmap = _shop(6443).connectivity("pod", dst="svc/shop/kapi", port="443")
    assert [(c.src, c.dst, str(c.conns)) for c in cmap] == [
        ("shop/web", "shop/kapi-1", "TCP 6443"),
        ("shop/web", "shop/kapi-2", "TCP 6443"),
    ]


def test_plain_verdict_json_has_no_service_keys():
    assert "service" not in _shop(6443).check("shop/web", "shop/kapi-1", 6443).to_dict()


def test_egress_rule_to_the_service_port_is_flagged_too():
    c = cluster(
        [ns("shop")],
        [
            pod("shop/web", {"app": "web"}),
            pod("shop/kapi-1", {"app": "kapi"}, ports=[("https", 6443, "TCP")]),
        ],
        [
            policy(
                "shop/web-out",
                {"app": "web"},
                types=("egress",),
                egress=[rule([peer({"app": "kapi"})], [port(443)])],
            )
        ],
        services=[service("shop/kapi", {"app": "kapi"}, (443, "https", "TCP"))],
    )
    [m] = port_mismatches(c)
    assert m.direction == "egress" and m.rule_label == "shop/web-out egress[0]"
    assert "allows 443/TCP to the pods of Service shop/kapi" in m.message()
    assert not c.check("shop/web", "svc/shop/kapi", 443).egress.allowed


def test_rules_of_a_direction_policy_types_omit_are_not_flagged():
    c = cluster(
        [ns("shop")],
        [
            pod("shop/web", {"app": "web"}),
            pod("shop/kapi-1", {"app": "kapi"}, ports=[("https", 6443, "TCP")]),
        ],
        [policy("shop/p", {"app": "kapi"}, types=("egress",), ingress=[rule([], [port(443)])])],
        services=[service("shop/kapi", {"app": "kapi"}, (443, "https", "TCP"))],
    )
    assert port_mismatches(c) == []


# --- one endpoint syntax: `svc/...` and a namespace called `svc` ---------------------------------


def _svc_namespace(with_service: bool):
    return cluster(
        [ns("svc"), ns("default")],
        [
            pod("svc/x", {"app": "x"}, ports=[("http", 80, "TCP")]),
            pod("default/x-1", {"app": "x"}, ports=[("http", 8080, "TCP")]),
            pod("default/client", {"app": "client"}),
        ],
        [],
        services=[service("default/x", {"app": "x"}, (80, 8080, "TCP"))] if with_service else [],
    )


def test_svc_name_names_the_pod_of_a_namespace_called_svc_when_no_service_has_that_name():
    c = _svc_namespace(with_service=False)
    verdict = c.check("default/client", "svc/x", 80)
    assert verdict.dst.id == "svc/x" and verdict.service is None
    assert c.resolve("svc/x").id == "svc/x"


def test_svc_name_names_the_default_service_when_no_pod_in_namespace_svc_has_that_name():
    c = cluster(
        [ns("default")],
        [pod("default/x-1", {"app": "x"}), pod("default/client", {"app": "client"})],
        [],
        services=[service("default/x", {"app": "x"}, (80, 8080, "TCP"))],
    )
    verdict = c.check("default/client", "svc/x", 80)
    assert verdict.service == "default/x" and verdict.port == 8080


def test_svc_name_naming_both_a_pod_and_a_service_is_refused_with_both_spellings():
    c = _svc_namespace(with_service=True)
    with pytest.raises(QueryError, match=r"svc/default/x for the Service"):
        c.check("default/client", "svc/x", 80)
    # three parts are always a Service
    assert c.check("default/client", "svc/default/x", 80).service == "default/x"
    assert c.check("default/client", "service/default/x", 80).service == "default/x"


def test_a_malformed_service_reference_is_a_query_error():
    with pytest.raises(QueryError, match="NAMESPACE/NAME"):
        _svc_namespace(with_service=True).check("default/client", "svc/a/b/c", 80)
