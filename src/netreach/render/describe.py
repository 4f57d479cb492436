"""Terminal rendering of `describe`: a policy of any tier, or a pod, in sentences."""

from __future__ import annotations

from rich.console import Console

from netreach.analyses.describe import (
    AdminPolicyReading,
    CalicoPolicyReading,
    CiliumPolicyReading,
    CniRuleReading,
    Grant,
    PodDirection,
    PodReading,
    PolicyDescription,
)
from netreach.model import Location
from netreach.render.text import safe

_LIST_LIMIT = 8
_ACCESS_LIMIT = 20  # workloads listed per direction in text (-o json lists them all)


def _some(items: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(items[:_LIST_LIMIT])
    more = len(items) - _LIST_LIMIT
    return shown + (f" and {more} more" if more > 0 else "") if items else "none"


def _at(location: str) -> str:
    return f" [dim]({safe(location)})[/dim]" if location else ""


def _head(out: Console, title: str, location: Location | None, lines: list[str]) -> None:
    out.print(f"[bold]{safe(title)}[/bold]{_at(str(location or ''))}")
    for line in lines:
        out.print(f"  {safe(line)}")


def print_policy(reading: PolicyDescription, out: Console) -> None:
    if isinstance(reading, AdminPolicyReading):
        print_admin_policy(reading, out)
        return
    if isinstance(reading, CalicoPolicyReading):
        print_calico_policy(reading, out)
        return
    if isinstance(reading, CiliumPolicyReading):
        print_cilium_policy(reading, out)
        return
    pol = reading.policy
    _head(out, f"NetworkPolicy {pol.id}", pol.location, reading.summary())
    out.print(f"  Selected now: {safe(_some([p.id for p in reading.selected]))}")
    for rule in reading.rules:
        style = "" if rule.counted else "dim"
        out.print(f"  [bold]{rule.label}[/bold]{_at(rule.location)}", style=style)
        out.print(f"    {safe(rule.sentence())}", style=style)
        if rule.named_now:
            out.print(f"    named ports now mean: {safe(rule.named_now)}", style="dim")
        for p in rule.peers:
            nss = f"; namespaces now: {safe(_some(p.namespaces))}" if p.namespaces else ""
            if p.words.startswith("addresses"):
                continue
            out.print(f"    ({p.index + 1}) pods now: {safe(_some(p.pods))}{nss}", style="dim")


def print_admin_policy(reading: AdminPolicyReading, out: Console) -> None:
    _head(out, reading.policy.id, reading.policy.location, reading.summary())
    out.print(f"  Applies now to: {safe(_some([p.id for p in reading.subjects]))}")
    for rule in reading.rules:
        out.print(f"  [bold]{safe(rule.label)}[/bold]{_at(rule.location)}")
        out.print(f"    {safe(rule.sentence())}")
        for p in rule.peers:
            now = [f"pods now: {_some(p.pods)}"]
            if p.namespaces:
                now.append(f"namespaces now: {_some(p.namespaces)}")
            if p.nodes is not None:
                now.append(f"nodes now: {_some(p.nodes)}")
            out.print(f"    ({p.index + 1}) {safe('; '.join(now))}", style="dim")


def _cni_rule(rule: CniRuleReading, out: Console, indent: str = "  ") -> None:
    style = "" if rule.counted else "dim"
    out.print(f"{indent}[bold]{safe(rule.label)}[/bold]{_at(rule.location)}", style=style)
    out.print(f"{indent}  {safe(rule.sentence())}", style=style)
    if rule.applies_to is not None:
        out.print(f"{indent}  applies now to: {safe(_some(rule.applies_to))}", style="dim")
    for p in rule.peers:
        now = [f"pods now: {_some(p.pods)}"]
        if p.addresses:
            now.append(f"addresses now: {p.addresses}")
        out.print(f"{indent}  ({p.index + 1}) {safe('; '.join(now))}", style="dim")
    for what in rule.not_modelled:
        out.print(f"{indent}  not modelled: {safe(what)}", style="yellow")


def print_calico_policy(reading: CalicoPolicyReading, out: Console) -> None:
    _head(out, reading.title, reading.policy.location, reading.summary())
    out.print(f"  Selected now: {safe(_some([p.id for p in reading.subjects]))}")
    for rule in reading.rules:
        _cni_rule(rule, out)


def print_cilium_policy(reading: CiliumPolicyReading, out: Console) -> None:
    _head(out, reading.id, reading.policy.location, reading.summary())
    several = len(reading.specs) > 1
    for spec in reading.specs:
        indent = "    " if several else "  "
        if several:
            out.print(f"  [bold]{safe(spec.label)}[/bold]")
        for line in spec.summary():
            out.print(f"{indent}{safe(line)}")
        out.print(f"{indent}Selected now: {safe(_some([p.id for p in spec.subjects]))}")
        for rule in spec.rules:
            _cni_rule(rule, out, indent)


def _grant(g: Grant, out: Console, tier: bool) -> None:
    mark = f"[{g.tier}] {g.action} " if tier else ""
    out.print(f"    {safe(mark + g.rule)}{_at(g.location)}: {safe(g.reading)}")


def _direction(side: PodDirection, out: Console) -> None:
    color = "yellow" if not side.restricted else "default"
    out.print(f"  [bold]{safe(side.summary())}[/bold]", style=color)
    for g in side.admin:
        _grant(g, out, True)
    for g in side.grants:
        _grant(g, out, False)
    for g in side.baseline:
        _grant(g, out, True)
    for g in side.skipped_baseline:
        out.print(f"    not consulted: {safe(f'[{g.tier}] {g.rule}')}", style="dim")
    if not side.restricted:
        return
    arrow = "<-" if side.direction == "ingress" else "->"
    if not side.peers and not side.addresses:
        out.print("    nothing gets through", style="red")
    for p in side.peers[:_ACCESS_LIMIT]:
        out.print(
            f"    {arrow} {safe(p.workload)} : [green]{safe(str(p.conns))}[/green]"
            f"  [dim]via {safe(', '.join(p.rules))}[/dim]"
        )
    if len(side.peers) > _ACCESS_LIMIT:
        more = len(side.peers) - _ACCESS_LIMIT
        out.print(f"    ... and {more} more workloads (-o json lists them all)", style="dim")
    for a in side.addresses:
        out.print(
            f"    {arrow} {safe(a.addresses)} : [green]{safe(str(a.conns))}[/green]"
            f"  [dim]via {safe(a.rule)}[/dim]"
        )


def print_pod(reading: PodReading, out: Console) -> None:
    pod = reading.pod
    labels = ",".join(f"{k}={v}" for k, v in sorted(pod.labels.items())) or "no labels"
    out.print(f"[bold]Pod {safe(pod.id)}[/bold] ({safe(pod.workload.id)}; {safe(labels)})")
    if reading.selecting:
        out.print("  Selected by:")
        for pol in reading.selecting:
            types = ", ".join(t.capitalize() for t in pol.policy_types)
            out.print(f"    {safe(pol.id)} (policyTypes {types}){_at(str(pol.location or ''))}")
    elif reading.tier_policies or reading.cni_policies:
        out.print("  Selected by no NetworkPolicy.", style="yellow")
    else:
        out.print("  Selected by no policy.", style="yellow")
    if reading.tier_policies:
        out.print("  Admin-tier policies that apply to it:")
        for apol in reading.tier_policies:
            prio = (
                f", priority {apol.priority}" if apol.kind != "BaselineAdminNetworkPolicy" else ""
            )
            out.print(
                f"    {safe(apol.id)} ({apol.tier} tier{prio}){_at(str(apol.location or ''))}"
            )
    if reading.cni_policies:
        out.print("  Calico / Cilium policies that select it:")
        for ref in reading.cni_policies:
            out.print(f"    {safe(ref)}")
    for side in (reading.ingress, reading.egress):
        for title, rules, closed in side.cni:
            end = " (what it leaves is denied at its end)" if closed else ""
            out.print(f"  {side.direction} {safe(title)}{end}:")
            for g in rules:
                out.print(f"    {safe(g.rule)}: {safe(g.reading)}{_at(g.location)}")
    _direction(reading.ingress, out)
    _direction(reading.egress, out)
