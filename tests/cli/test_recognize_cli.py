"""A Helm chart folder or a kustomization root given as a plain path is rendered (as --helm /
--kustomize would) or named in a message saying what to do; a folder holding some is refused
with the way forward; Go templates are called what they are, not "found unhashable key"."""

from __future__ import annotations

from pathlib import Path

import pytest

from netreach.loader.recognize import go_template_line, nested_roots, root_kind

NETPOL = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
spec:
  podSelector:
    matchLabels:
      app: db
  ingress: []
"""
TEMPLATE = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .Release.Name }}-db
spec:
  podSelector:
    matchLabels:
      app: {{ .Values.app }}
"""
# Stands in for helm and kustomize: records its arguments, prints what the folder renders to.
FAKE_TOOL = """\
#!/bin/sh
printf '%s\\n' "$@" > "$0.args"
printf 'apiVersion: networking.k8s.io/v1\\nkind: NetworkPolicy\\nmetadata:\\n  name: rendered\\n  namespace: shop\\nspec:\\n  podSelector: {{matchLabels: {{app: {app}}}}}\\n  ingress: []\\n'
"""


def chart(root: Path) -> Path:
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 0.1.0\n")
    (root / "templates" / "np.yaml").write_text(TEMPLATE)
    return root


def kustomization(root: Path, name: str = "kustomization.yaml") -> Path:
    root.mkdir(parents=True)
    (root / "np.yaml").write_text(NETPOL.format(name="db"))
    (root / name).write_text("resources:\n- np.yaml\n")
    return root


def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *names: str) -> Path:
    """Only these tools on PATH (fakes), nothing else that could render."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    for name in names:
        tool = bin_dir / name
        tool.write_text(FAKE_TOOL.format(app=name))
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def test_a_chart_folder_and_a_kustomization_root_are_recognised(tmp_path: Path):
    assert root_kind(str(chart(tmp_path / "c"))) == "helm"
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        assert root_kind(str(kustomization(tmp_path / name))) == "kustomize"
    (tmp_path / "plain").mkdir()
    assert root_kind(str(tmp_path / "plain")) is None
    assert root_kind(str(tmp_path / "c" / "Chart.yaml")) is None


def test_nested_roots_are_found_outermost_first(tmp_path: Path):
    chart(tmp_path / "charts" / "shop")
    chart(tmp_path / "charts" / "shop" / "charts" / "sub")  # a subchart: the chart's business
    kustomization(tmp_path / "deploy" / "overlays" / "prod")
    kustomization(tmp_path / ".hidden")
    assert nested_roots(str(tmp_path)) == [
        (str(tmp_path / "charts" / "shop"), "helm"),
        (str(tmp_path / "deploy" / "overlays" / "prod"), "kustomize"),
    ]


def test_go_template_line_finds_the_first_action():
    assert go_template_line(TEMPLATE) == (4, "{{ .Release.Name }}")
    assert go_template_line("a: 1\n{{- if .Values.enabled }}\n") == (2, "{{- if .Values.enabled }}")
    assert go_template_line("a: {b: {c: 1}}\n") is None


def test_a_chart_path_is_rendered_with_helm(run, tmp_path, monkeypatch):
    bin_dir = tools(tmp_path, monkeypatch, "helm")
    c = chart(tmp_path / "shop-chart")
    values = tmp_path / "values.yaml"
    values.write_text("app: x\n")
    code, out, err = run("matrix", str(c), "-o", "json", "--values", str(values), "-n", "shop")
    assert code == 0, err
    assert '"shop/helm[Inferred]"' in out  # the rendered policy's selector, inferred
    assert (bin_dir / "helm.args").read_text().split() == [
        "template", "release-name", str(c), "--namespace", "shop", "--values", str(values),
    ]  # fmt: skip


def test_a_kustomization_path_is_rendered_with_kustomize_or_kubectl(run, tmp_path, monkeypatch):
    for tool, args in (("kustomize", ["build"]), ("kubectl", ["kustomize"])):
        bin_dir = tools(tmp_path / tool, monkeypatch, tool)
        k = kustomization(tmp_path / tool / "overlay")
        code, out, err = run("matrix", str(k), "-o", "json")
        assert code == 0, err
        assert f'"shop/{tool}[Inferred]"' in out
        assert (bin_dir / f"{tool}.args").read_text().split() == [*args, str(k)]


def test_a_chart_path_without_helm_says_what_to_do(run, tmp_path, monkeypatch):
    tools(tmp_path, monkeypatch)
    c = chart(tmp_path / "shop-chart")
    code, out, err = run("audit", str(c))
    assert code == 2 and out == ""
    assert err.strip() == (
        f"netreach: {c} is a Helm chart (it holds Chart.yaml); netreach renders it as "
        f"--helm {c} would, with helm, which is not on PATH: install Helm 3 "
        "(https://helm.sh/docs/intro/install/) and put it on PATH, or render it yourself "
        f"(helm template {c} > rendered.yaml) and pass rendered.yaml"
    )


def test_a_kustomization_path_without_the_tools_says_what_to_do(run, tmp_path, monkeypatch):
    tools(tmp_path, monkeypatch)
    k = kustomization(tmp_path / "overlay")
    code, _, err = run("audit", str(k))
    assert code == 2
    assert f"{k} is a kustomization root" in err and f"--kustomize {k}" in err
    assert f"kubectl kustomize {k} > rendered.yaml" in err


def test_a_folder_holding_charts_is_refused_with_the_way_forward(run, tmp_path, monkeypatch):
    tools(tmp_path, monkeypatch, "helm")
    repo = tmp_path / "repo"
    chart(repo / "charts" / "shop")
    (repo / "plain.yaml").write_text(NETPOL.format(name="plain"))
    code, out, err = run("audit", str(repo))
    assert code == 2 and out == ""
    assert f"{repo} holds {repo / 'charts' / 'shop'} (a Helm chart)" in err
    assert f"netreach analyze {repo / 'charts' / 'shop'}" in err
    assert "--helm CHART / --kustomize DIR" in err
    # the way forward works: the chart as a path, the plain manifest beside it
    code, out, err = run(
        "matrix", str(repo / "charts" / "shop"), str(repo / "plain.yaml"), "-o", "txt"
    )
    assert code == 0, err


def test_go_templates_in_a_file_get_a_clear_message(run, tmp_path):
    f = tmp_path / "np.yaml"
    f.write_text(TEMPLATE)
    code, _, err = run("validate", str(f))
    assert code == 2
    assert err.splitlines()[0] == (
        f"{f}:4: Go template syntax ({{{{ .Release.Name }}}}): this is a Helm chart template, "
        "not a Kubernetes manifest; give netreach the chart folder (the one holding "
        "Chart.yaml) or --helm CHART, so that helm renders it"
    )
    assert "unhashable" not in err


def test_template_text_inside_valid_yaml_is_left_alone(run, tmp_path):
    """Alerting rules carry `{{ $labels.x }}` in strings: valid YAML, read as such."""
    f = tmp_path / "np.yaml"
    f.write_text(
        NETPOL.format(name="db").replace(
            "metadata:\n", "metadata:\n  annotations:\n    summary: '{{ $labels.instance }} down'\n"
        )
    )
    code, _, err = run("validate", str(f))
    assert code == 0, err


def test_values_still_need_a_chart(run, tmp_path):
    (tmp_path / "v.yaml").write_text("a: 1\n")
    code, _, err = run("matrix", str(tmp_path), "--values", str(tmp_path / "v.yaml"))
    assert code == 2 and "--values and --set apply to a chart: add --helm CHART" in err
