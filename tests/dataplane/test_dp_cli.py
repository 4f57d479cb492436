"""`netreach compile --nft` and `netreach verify` from the command line: every option is
honoured or refused with a message, the JSON is exactly the documented one, a progress bar
only on a terminal."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dp_helpers import need_dataplane

from clirun import CliResult, run_cli_io
from paths import LESSON, ROOT

TIERS = str(ROOT / "examples" / "tiers")
KEYS = ["src", "dst", "port", "protocol", "dataplane", "engine", "agree"]

# `y` is quoted: unquoted, kubectl (go-yaml v2) reads it as the boolean true.
SMALL = """
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata: {name: x, namespace: a, labels: {app: x}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: "y", namespace: a, labels: {app: "y"}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.1.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: z, namespace: b, labels: {app: z}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.1.0.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: y-in, namespace: a}
spec:
  podSelector: {matchLabels: {app: "y"}}
  ingress:
  - from: [{ipBlock: {cidr: 10.1.0.0/24}}]
    ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: x-in, namespace: a}
spec:
  podSelector: {matchLabels: {app: x}}
  policyTypes: [Ingress]
"""


def _netreach(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    code = "from netreach.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300
    )


def _run(*args: str) -> CliResult:
    """The CLI in-process (monkeypatches apply): exit code, stdout, stderr."""
    return run_cli_io(*args)


@pytest.fixture
def small(tmp_path: Path) -> str:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return str(path)


def _records(out: str) -> list[dict[str, object]]:
    doc = json.loads(out)
    assert list(doc) == ["version", "probes"] and doc["version"] == 1
    return doc["probes"]  # type: ignore[no-any-return]


def test_compile_prints_a_commented_ruleset() -> None:
    done = _netreach("compile", LESSON, "--nft")
    assert done.returncode == 0, done.stderr
    assert "table inet netreach {" in done.stdout
    assert "# default/allow-api-to-db ingress[0]: from podSelector app=api; TCP 5432" in done.stdout
    assert "reject with icmpx type admin-prohibited" in done.stdout
    assert "dnat ip to" in done.stdout  # the lesson's Services


def test_compile_defaults_to_nft_and_honours_the_engine_switches(small: str) -> None:
    # nft is the only backend: --nft may be left out (it was required once)
    assert _run("compile", small)[1] == _run("compile", small, "--nft")[1]
    plain = _run("compile", small, "--nft")[1]
    external = _run("compile", small, "--nft", "--ipblock-external-only")[1]
    allowed = _run("compile", small, "--nft", "--self-traffic", "allowed")[1]
    assert "10.1.0.2 . 10.1.0.0/24 . tcp . 80" in plain
    assert "10.1.0.2 . 10.1.0.0/24" not in external and "10.1.0.2 . 10.1.0.0 . tcp . 80" in external
    assert "@self4" in allowed and "@self4" not in plain


def test_verify_says_what_is_missing() -> None:
    done = _netreach("verify", LESSON, env={**os.environ, "PATH": "/nonexistent"})
    assert done.returncode == 2
    assert "cannot run here: missing" in done.stderr and "`nft`" in done.stderr


def test_verify_options_have_help() -> None:
    code, out, _ = _run("verify", "--help")
    assert code == 0
    for option in ("--ports", "--protocols", "--parallel", "--timeout", "-o, --output"):
        line = next(line for line in out.splitlines() if option in line)
        assert len(line.split(option, 1)[1].strip()) > 10, line  # each says what it does


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ports", "80,x"], "not a port or range"),
        (["--ports", "0"], "within 1-65535"),
        (["--protocols", "icmp"], "unknown protocol"),
        (["--parallel", "0"], "--parallel"),
        (["--timeout", "0"], "--timeout"),
        (["--values", "v.yaml"], "apply to a chart"),
        (["--helm", "/nonexistent/chart"], "helm"),
        (["--kustomize", "/nonexistent/dir"], "kustomize"),
        (["--max-input-bytes", "10"], "size limit"),
    ],
)
def test_verify_refuses_with_a_message(args: list[str], message: str) -> None:
    need_dataplane()
    code, out, err = _run("verify", LESSON, *args)
    assert code == 2 and message in err, err
    assert out == ""


@pytest.mark.dataplane
def test_verify_lesson_end_to_end() -> None:
    need_dataplane()
    done = _netreach("verify", LESSON, "--protocols", "tcp,udp", "--parallel", "16")
    assert done.returncode == 0, done.stdout + done.stderr
    match = re.search(r"^(\d+) probes, (\d+) agree \(6 pods, 2 Services\)$", done.stdout, re.M)
    assert match is not None and match[1] == match[2] and int(match[1]) > 0
    assert "not modelled: 5 workload(s) without Pod objects" in done.stdout
    assert done.stderr == ""  # no progress bar off a terminal


@pytest.mark.dataplane
def test_verify_json_is_one_record_per_probe(small: str) -> None:
    need_dataplane()
    code, out, err = _run("verify", small, "-o", "json", "--ports", "80,81", "--protocols", "tcp")
    assert code == 0, err
    records = _records(out)
    assert all(list(r) == KEYS for r in records)
    assert {r["dataplane"] for r in records} == {"allowed", "blocked"}
    assert {r["engine"] for r in records} == {"allowed", "denied"}
    assert all(r["agree"] is True for r in records)
    assert len(records) == 3 * 3 * 2  # every pair (a pod and itself included), two ports
    assert "netreach verify: 18 probes, 18 agree (3 pods)" in err


@pytest.mark.dataplane
def test_verify_exit_2_when_nothing_to_probe() -> None:
    need_dataplane()
    code, out, err = _run("verify", TIERS)
    assert code == 2 and "nothing to probe (0 pods)" in out, out + err


@pytest.mark.dataplane
def test_verify_honours_switches_scope_and_filename(small: str) -> None:
    need_dataplane()
    base = ["-o", "json", "--ports", "80", "--protocols", "tcp"]

    def verdicts(*args: str) -> dict[tuple[object, object], object]:
        code, out, err = _run("verify", *args, *base)
        assert code == 0, err
        return {(r["src"], r["dst"]): r["dataplane"] for r in _records(out)}

    plain = verdicts(small)
    assert plain[("a/x", "a/y")] == "allowed" and plain[("a/x", "a/x")] == "blocked"
    assert verdicts("-f", small) == plain
    assert verdicts(small, "--ipblock-external-only")[("a/x", "a/y")] == "blocked"
    assert verdicts(small, "--self-traffic", "allowed")[("a/x", "a/x")] == "allowed"
    scoped = verdicts(small, "-n", "b")
    assert set(scoped) == {
        ("b/z", "b/z"),
        ("b/z", "a/x"),
        ("b/z", "a/y"),
        ("a/x", "b/z"),
        ("a/y", "b/z"),
    }


@pytest.mark.dataplane
def test_verify_skip_invalid_and_verbose(small: str, tmp_path: Path) -> None:
    need_dataplane()
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\n")
    code, _, err = _run("verify", str(bad), "--ports", "80", "--protocols", "tcp")
    assert code == 2 and "Bad_Name" in err
    code, out, err = _run(
        "verify", str(bad), "--skip-invalid", "-v", "--ports", "80", "--protocols", "tcp"
    )
    assert code == 0, out + err
    assert "skipped invalid" in err and "timings: engine" in err


@pytest.mark.dataplane
def test_progress_bar_only_on_a_terminal(small: str) -> None:
    need_dataplane()
    controller, terminal = pty.openpty()
    code = "from netreach.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "verify", small, "--ports", "80-200"],
        stdout=subprocess.PIPE,
        stderr=terminal,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(terminal)
    drawn = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(controller, 4096):
            drawn += chunk
    out, _ = proc.communicate(timeout=300)
    os.close(controller)
    assert proc.returncode == 0, out
    assert b"probing" in drawn and b"checking the lab" in drawn


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@contextlib.contextmanager
def _api_server(tmp_path: Path) -> Iterator[Path]:
    """A fake API server (tests/live) serving SMALL's objects; yields a kubeconfig."""
    from live.apiserver import KINDS, Cluster, serve
    from live.certs import make_certs

    certs = make_certs(tmp_path)
    docs = [d for d in yaml.safe_load_all(SMALL) if d]
    objects: dict[str, list[dict[str, object]]] = {path: [] for path in KINDS}
    for d in docs:
        plural = {"Namespace": "/api/v1/namespaces", "Pod": "/api/v1/pods"}.get(d["kind"])
        objects[plural or "/apis/networking.k8s.io/v1/networkpolicies"].append(
            {k: v for k, v in d.items() if k not in ("kind", "apiVersion")}
        )
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs.server_cert_file, certs.server_key_file)
    with serve(Cluster(objects=objects, token="t0k"), ctx) as url:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "c",
                    "cluster": {"server": url, "certificate-authority-data": _b64(certs.ca.cert)},
                }
            ],
            "users": [{"name": "u", "user": {"token": "t0k"}}],
            "contexts": [{"name": "t", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "t",
        }
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(config))
        yield path


@pytest.mark.dataplane
def test_verify_reads_a_live_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need_dataplane()
    for var in ("KUBECONFIG", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(var, raising=False)
    with _api_server(tmp_path) as kubeconfig:
        code, out, err = _run(
            "verify",
            "--kubeconfig",
            str(kubeconfig),
            "-o",
            "json",
            "--ports",
            "80",
            "--protocols",
            "tcp",
        )
    assert code == 0, err
    records = _records(out)
    assert {r["src"] for r in records} == {"a/x", "a/y", "b/z"}
    assert all(r["agree"] for r in records)
