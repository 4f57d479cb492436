"""Terminal rendering of `describe`: a policy or a pod in sentences."""

from __future__ import annotations

from rich.console import Console

from netreach.analyses.describe import PodDirection, PodReading, PolicyReading
from netreach.render.text import safe

_LIST_LIMIT = 8


def _some(items: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(items[:_LIST_LIMIT])
    more = len(items) - _LIST_LIMIT
    return shown + (f" and {more} more" if more > 0 else "") if items else "none"


def print_policy(reading: PolicyReading, out: Console) -> None:
    pol = reading.policy
    where = f" [dim]({safe(str(pol.location))})[/dim]" if pol.location else ""
    out.print(f"[bold]NetworkPolicy {safe(pol.id)}[/bold]{where}")
    for line in reading.summary():
        out.print(f"  {safe(line)}")
    out.print(f"  Selected now: {safe(_some([p.id for p in reading.selected]))}")
    for rule in reading.rules:
        loc = f" [dim]({safe(rule.location)})[/dim]" if rule.location else ""
        style = "" if rule.counted else "dim"
        out.print(f"  [bold]{rule.label}[/bold]{loc}", style=style)
        out.print(f"    {safe(rule.sentence())}", style=style)
        if rule.named_now:
            out.print(f"    named ports now mean: {safe(rule.named_now)}", style="dim")
        for p in rule.peers:
            nss = f"; namespaces now: {safe(_some(p.namespaces))}" if p.namespaces else ""
            if p.words.startswith("addresses"):
                continue
            out.print(f"    ({p.index + 1}) pods now: {safe(_some(p.pods))}{nss}", style="dim")


def _direction(side: PodDirection, out: Console) -> None:
    color = "yellow" if not side.isolated else "default"
    out.print(f"  [bold]{safe(side.summary())}[/bold]", style=color)
    for g in side.grants:
        loc = f" [dim]({safe(g.location)})[/dim]" if g.location else ""
        out.print(f"    {safe(g.rule)}{loc}: {safe(g.reading)}")
    if side.isolated:
        arrow = "<-" if side.direction == "ingress" else "->"
        if not side.peers and not side.addresses:
            out.print("    nothing gets through", style="red")
        for p in side.peers:
            out.print(
                f"    {arrow} {safe(p.workload)} : [green]{safe(str(p.conns))}[/green]"
                f"  [dim]via {safe(', '.join(p.rules))}[/dim]"
            )
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
            loc = f" [dim]({safe(str(pol.location))})[/dim]" if pol.location else ""
            out.print(f"    {safe(pol.id)} (policyTypes {types}){loc}")
    else:
        out.print("  Selected by no policy.", style="yellow")
    _direction(reading.ingress, out)
    _direction(reading.egress, out)
