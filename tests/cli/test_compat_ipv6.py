"""`matrix --compat netpol-analyzer` leaves IPv6 ranges out, as docs/compat.md says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

POLICY = """apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: default}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: "2001:db8::/32"}}, {ipBlock: {cidr: 10.0.0.0/8}}]
"""


def test_compat_matrix_leaves_ipv6_ranges_out(
    tmp_path: Path, run: Callable[..., tuple[int, str, str]]
) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(POLICY)
    code, out, _ = run("matrix", str(f), "--compat", "netpol-analyzer")
    assert code == 0
    assert "10.0.0.0-10.255.255.255[External]" in out
    assert ":" not in out.replace(" : ", "")  # no IPv6 range anywhere
    code, out, _ = run("matrix", str(f), "--external")
    assert "2001:db8::" in out  # modelled by default
