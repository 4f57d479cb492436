"""Build the public-manifest corpus of the audit precision benchmark from local git mirrors.

    python bench/precision/collect.py /work/.mirror   # writes tests/data/public/

Each source is pinned to a commit; only the kinds the audit reads are kept (namespaces,
workloads, Services, NetworkPolicies, admin-tier policies), each document copied verbatim.
Recipes published as Markdown give one scenario per page (their ```yaml blocks). The
kubernetes.io examples are not mirrored here (the website repository is too large): they are
kept as read once, with their commit, in tests/data/public/kubernetes-website/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "public"
KEEP = {
    "Prometheus", "Alertmanager", "ThanosRuler",  # custom resources an operator turns into pods
    "Namespace", "Pod", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet",
    "ReplicationController", "Job", "CronJob", "Service", "NetworkPolicy",
    "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy",
}  # fmt: skip

# (scenario folder, mirror, commit, paths: files or folders whose *.yaml are read)
SOURCES: list[tuple[str, str, str, list[str]]] = [
    (
        "microservices-demo",
        "GoogleCloudPlatform+microservices-demo",
        "34ffea9175946982c3088ed84994fe6019ad6e92",
        ["release/kubernetes-manifests.yaml", "kustomize/components/network-policies"],
    ),
    (
        "kube-prometheus",
        "prometheus-operator+kube-prometheus",
        "4d719f1dea8853540b3823ab1fbe6be74a9953b3",
        ["manifests/setup/namespace.yaml", "manifests"],
    ),
    (
        "argo-cd",
        "argoproj+argo-cd",
        "37ee0097cf851bc2dd7665fc081bbce61a7e836e",
        ["manifests/install.yaml"],
    ),
]
RECIPES = (
    "ahmetb+kubernetes-network-policy-recipes",
    "11f5018e269359d9f900ae3b5c2e94c306623053",
)
NPAPI = (
    "kubernetes-sigs+network-policy-api",
    "0eec1b0e5fa92715b4c0f4c48d3c8d2913ed2159",
    "site-src/user-story-examples",
)
_SPLIT = re.compile(r"^---[ \t]*$", re.M)
_BLOCK = re.compile(r"^```ya?ml\n(.*?)^```", re.M | re.S)


def git(mirror: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(mirror), *args], check=True, capture_output=True, text=True
    ).stdout


def files(mirror: Path, commit: str, path: str) -> list[str]:
    names = git(mirror, "ls-tree", "-r", "--name-only", commit, "--", path).split()
    return [n for n in names if n.endswith((".yaml", ".yml"))]


def kept(text: str) -> list[str]:
    out = []
    for doc in _SPLIT.split(text):
        try:
            data = yaml.safe_load(doc)
        except yaml.YAMLError:
            continue
        if isinstance(data, dict) and data.get("kind") in KEEP:
            out.append(doc.strip("\n") + "\n")
    return out


def write(folder: Path, name: str, docs: list[str]) -> None:
    if docs:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("---\n".join(docs))


def main(mirrors: Path) -> None:
    for scenario, repo, commit, paths in SOURCES:
        mirror = mirrors / repo / "repo"
        seen: set[str] = set()
        for p in paths:
            for f in files(mirror, commit, p):
                if f in seen:
                    continue
                seen.add(f)
                write(
                    OUT / scenario, f.replace("/", "__"), kept(git(mirror, "show", f"{commit}:{f}"))
                )
    repo, commit = RECIPES
    mirror = mirrors / repo / "repo"
    for f in git(mirror, "ls-tree", "--name-only", commit).split():
        if re.match(r"\d\d", f) and f.endswith(".md") and not f.startswith("00"):
            blocks = _BLOCK.findall(git(mirror, "show", f"{commit}:{f}"))
            # a page may show a policy, then a changed version of it: the last one applied
            # (kubectl apply) is the one kept
            latest: dict[str, str] = {}
            for d in (d for b in blocks for d in kept(b)):
                latest[str(yaml.safe_load(d)["metadata"]["name"])] = d
            docs = list(latest.values())
            write(OUT / "recipes" / f.removesuffix(".md"), "policies.yaml", docs)
    repo, commit, folder = NPAPI
    mirror = mirrors / repo / "repo"
    for f in files(mirror, commit, folder):
        name = Path(f).stem
        write(
            OUT / "network-policy-api" / name,
            "policies.yaml",
            kept(git(mirror, "show", f"{commit}:{f}")),
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
