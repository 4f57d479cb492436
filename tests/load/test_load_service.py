"""Service objects: modelling, defaulting and API-server validation."""

from __future__ import annotations

from collections.abc import Callable

from netreach.model import ServicePort, Snapshot

LoadText = Callable[..., Snapshot]  # the load_text fixture (conftest.py)
ErrorsOf = Callable[..., list[str]]  # the errors_of fixture

SVC = "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\nspec:\n"


def test_service_is_modelled_with_selector_and_ports(load_text: LoadText) -> None:
    snap = load_text(
        SVC + "  selector: {app: db}\n"
        "  ports:\n"
        "    - {name: pg, port: 5432, targetPort: postgres}\n"
        "    - {name: dns, port: 53, protocol: UDP, targetPort: 5353}\n"
    )
    [svc] = snap.services
    assert svc.id == "shop/db" and dict(svc.selector or {}) == {"app": "db"}
    assert svc.ports == (
        ServicePort(5432, "postgres", "TCP", "pg"),
        ServicePort(53, 5353, "UDP", "dns"),
    )
    assert "shop" in snap.namespaces  # the namespace is implied, as for other objects


def test_target_port_defaults_to_port(load_text: LoadText) -> None:
    [svc] = load_text(SVC + "  ports: [{port: 80}]\n").services
    assert svc.ports == (ServicePort(80, 80, "TCP", None),)


def test_service_without_selector_has_none(load_text: LoadText) -> None:
    [svc] = load_text(SVC + "  ports: [{port: 80}]\n").services
    assert svc.selector is None


def test_service_port_errors_in_api_server_wording(errors_of: ErrorsOf) -> None:
    errors = errors_of(
        SVC + "  ports:\n"
        "    - {name: a, port: 70000, protocol: ICMP}\n"
        "    - {port: 80, targetPort: 8080x_}\n"
    )
    assert errors == [
        "t.yaml:6: Service shop/db: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
        't.yaml:6: Service shop/db: spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
        "t.yaml:7: Service shop/db: spec.ports[1].name: Required value",
        't.yaml:7: Service shop/db: spec.ports[1].targetPort: Invalid value: "8080x_": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    ]


def test_service_name_must_be_a_dns1035_label(errors_of: ErrorsOf) -> None:
    [error] = errors_of(
        "apiVersion: v1\nkind: Service\nmetadata: {name: 1db}\nspec: {ports: [{port: 80}]}\n"
    )
    assert 'metadata.name: Invalid value: "1db": a DNS-1035 label' in error


def test_duplicate_port_and_protocol_is_refused(errors_of: ErrorsOf) -> None:
    [error] = errors_of(SVC + "  ports: [{name: a, port: 80}, {name: b, port: 80}]\n")
    assert "spec.ports[1]: Duplicate value" in error


def test_ports_required_unless_headless_or_external_name(
    load_text: LoadText, errors_of: ErrorsOf
) -> None:
    assert errors_of(SVC + "  selector: {app: db}\n") == [
        "t.yaml:4: Service shop/db: spec.ports: Required value"
    ]
    assert load_text(SVC + "  clusterIP: None\n  selector: {app: db}\n").services
    assert load_text(SVC + "  type: ExternalName\n  externalName: db.example.com\n").services
