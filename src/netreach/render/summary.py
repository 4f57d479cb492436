"""Terminal rendering of `analyze`: counts, isolation, reach of isolated workloads, the map."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from netreach.analyses.posture import (
    NamespacePosture,
    WorkloadReach,
    dns_pods,
    isolated_reach,
    posture,
)
from netreach.analyses.service_ports import port_mismatches
from netreach.analyses.summary import count_connections
from netreach.cluster import Cluster
from netreach.model import DIRECTIONS
from netreach.render.addresses import shown
from netreach.render.audit_text import guard_caption, guarded_share, print_audit_summary
from netreach.render.text import heading, safe


def snapshot_counts(cluster: Cluster) -> str:
    snap = cluster.snapshot
    inferred = sum(1 for p in snap.pods if p.inferred)
    text = (
        f"{len(snap.namespaces)} namespaces, {len(snap.pods)} pods in "
        f"{len(cluster.workloads)} workloads"
        + (f" ({inferred} inferred from the policies' selectors)" if inferred else "")
        + f", {len(snap.policies)} NetworkPolicies"
    )
    tiers = [
        f"{sum(p.tier == t for p in snap.admin_policies)} {t}-tier policies"
        for t in ("Admin", "Baseline")
        if any(p.tier == t for p in snap.admin_policies)
    ]
    if snap.calico_policies:
        tiers.append(f"{len(snap.calico_policies)} Calico policies")
    if snap.cilium_policies:
        tiers.append(f"{len(snap.cilium_policies)} Cilium rules")
    if snap.nodes:
        tiers.append(f"{len(snap.nodes)} nodes")
    return ", ".join([text, *tiers])


def posture_table(rows: list[NamespacePosture]) -> Table:
    """Isolation per namespace; with admin-tier policies, `+N` after the isolated share counts
    the pods an admin-tier Deny guards instead, and the caption names those policies."""
    table = Table(title="Isolation by namespace", header_style="bold", title_justify="left")
    for col in ("namespace", "pods", "ingress isolated", "egress isolated", "policies"):
        table.add_column(col, justify="left" if col == "namespace" else "right")
    for r in rows:
        table.add_row(
            safe(r.namespace),
            str(r.pods),
            guarded_share(r.ingress_isolated, r.ingress_guarded, r.pods),
            guarded_share(r.egress_isolated, r.egress_guarded, r.pods),
            str(r.policies),
        )
    guards = [(r.namespace, d, r.tier_guards[d]) for r in rows for d in DIRECTIONS]
    if any(ps for _, _, ps in guards):
        table.caption = "\n".join(guard_caption([g for g in guards if g[2]]))
        table.caption_justify = "left"
    return table


def _reach_block(console: Console, reach: WorkloadReach, has_dns: bool) -> None:
    verb = "accepts" if reach.direction == "ingress" else "may reach"
    iso = ", ".join(p.name for p in reach.isolated_by)
    by = f"isolated by {iso}" if iso else f"guarded by {', '.join(reach.guarded_by)}"
    console.print(f"[bold]{safe(reach.workload.id)}[/bold] {verb} [dim]({safe(by)})[/dim]")
    if not reach.access and not reach.open_addresses:
        console.print("    nothing: every connection is blocked", style="red")
    for a in reach.access:
        arrow = "<-" if reach.direction == "ingress" else "->"
        rules = f"  [dim]via {safe(', '.join(a.rules))}[/dim]" if a.rules else ""
        peer = safe(shown(a.peer))
        console.print(f"    {arrow} {peer} : [green]{safe(str(a.conns))}[/green]{rules}")
    if reach.open_addresses:
        arrow = "<-" if reach.direction == "ingress" else "->"
        console.print(
            f"    {arrow} {safe(reach.open_addresses)} : [green]allowed by default[/green]"
            "  [dim](no tier decides it)[/dim]"
        )
    if reach.blocked:
        names = ", ".join(reach.blocked[:6]) + (
            f" and {len(reach.blocked) - 6} more" if len(reach.blocked) > 6 else ""
        )
        word = "from" if reach.direction == "ingress" else "to"
        console.print(f"    blocked {word}: {safe(names)}", style="dim")
    if reach.dns is not None:
        if not has_dns:
            console.print(
                "    DNS: no cluster DNS pods in the snapshot (kube-system, k8s-app=kube-dns)",
                style="yellow",
            )
        elif reach.dns.contains("UDP", 53) and reach.dns.contains("TCP", 53):
            console.print("    DNS: allowed (UDP and TCP 53 to kube-dns)", style="green")
        elif reach.dns.contains("UDP", 53):
            console.print(
                "    DNS: UDP 53 only; TCP 53 is blocked (large answers will fail)", style="yellow"
            )
        else:
            console.print("    DNS: BLOCKED (no egress to kube-dns on UDP 53)", style="bold red")


def print_analysis(cluster: Cluster, console: Console, map_limit: int = 200) -> None:
    console.print(f"[bold]Snapshot:[/bold] {safe(snapshot_counts(cluster))}")
    if cluster.snapshot.warnings:
        console.print(
            f"[yellow]{len(cluster.snapshot.warnings)} warning(s), listed on stderr[/yellow]"
        )
    console.print()
    console.print(posture_table(posture(cluster)))
    has_dns = bool(dns_pods(cluster))
    guarded = " (or tier-guarded)" if cluster.admin_policies else ""
    for direction, title in (
        ("ingress", f"Who reaches the ingress-isolated{guarded} workloads"),
        ("egress", f"What the egress-isolated{guarded} workloads reach"),
    ):
        reach = isolated_reach(cluster, direction)  # type: ignore[arg-type]
        console.print()
        heading(console, f"[bold]{title}[/bold]")
        if not reach:
            console.print(f"no workload is isolated for {direction}", style="yellow")
        for r in reach:
            _reach_block(console, r, has_dns)
    console.print()
    heading(console, "[bold]Connectivity map (between workloads)[/bold]")
    cmap = cluster.connectivity("workload", include_self=False)
    total = 0
    for c in cmap:
        total += 1
        if total <= map_limit:
            src, dst = safe(shown(c.src)), safe(shown(c.dst))
            console.print(f"{src} => {dst} : [green]{safe(str(c.conns))}[/green]")
    if total > map_limit:
        console.print(f"... {total - map_limit} more; see `netreach matrix`", style="dim")
    mismatches = port_mismatches(cluster)
    if mismatches:
        console.print()
        heading(console, "[bold]Services[/bold]")
        for m in mismatches:
            where = f" [dim]({safe(m.location)})[/dim]" if m.location else ""
            console.print(f"[yellow]warning:[/yellow] {safe(m.message())}{where}")
    console.print()
    heading(console, "[bold]Audit against the secure pattern[/bold]")
    print_audit_summary(cluster.audit(), console)
    pods = len(cluster.pods)
    iso = sum(
        1 for p in cluster.pods if cluster.isolated(p, "ingress") and cluster.isolated(p, "egress")
    )
    console.print(
        f"\n[bold]Summary:[/bold] {pods} pods, {len(cluster.workloads)} workloads, "
        f"{len(cluster.policies)} policies, {count_connections(cluster)}, "
        f"{iso}/{pods} pods isolated in both directions"
    )
