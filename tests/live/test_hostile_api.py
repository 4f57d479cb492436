"""The live cluster's answers are untrusted too: a slow, huge, endless or odd API server ends
with one message, within the request deadline and the input size limit."""

from __future__ import annotations

import gzip
import json
import time

import pytest

from clirun import run_cli
from netreach.loader import kube
from netreach.loader.kube import read_cluster
from netreach.loader.kubeapi import ClusterError

from .apiserver import Cluster
from .conftest import KubeconfigWriter

PODS = "/api/v1/pods"


def test_a_byte_every_few_seconds_does_not_defeat_the_timeout(
    server: str, state: Cluster, kubeconfig: KubeconfigWriter
) -> None:
    """The finding: a server sending a byte every 1.5 s kept `--request-timeout 5` waiting
    forever (each read got its byte in time). Here a byte every 0.3 s against a 1 s deadline:
    the 60-byte answer would take 18 s."""
    state.trickle[PODS] = 0.3
    start = time.monotonic()
    with pytest.raises(ClusterError, match=r"did not answer within 1s \(list pods in all"):
        read_cluster(str(kubeconfig(server)), request_timeout=1.0)
    assert time.monotonic() - start < 4


def test_an_answer_over_the_size_limit_is_cut_off_as_it_streams(
    server: str, state: Cluster, kubeconfig: KubeconfigWriter
) -> None:
    """The finding: 3 GB answers were read whole (MemoryError). No Content-Length here, so
    only counting the bytes as they come can stop it."""
    state.raw[PODS] = (200, {"Content-Type": "application/json"}, b" " * 20_000_000)
    with pytest.raises(ClusterError) as info:
        read_cluster(str(kubeconfig(server)), max_bytes=1_000_000)
    message = str(info.value)
    assert "sent more than the input limit of 1,000,000 bytes" in message
    assert "raise `max_input_bytes`, or read less with `namespaces`" in message


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    server: str, state: Cluster, kubeconfig: KubeconfigWriter
) -> None:
    state.raw[PODS] = (200, {"Content-Length": "5000000"}, b"{}" + b" " * 4_999_998)
    with pytest.raises(ClusterError, match="sent more than the input limit of 100,000 bytes"):
        read_cluster(str(kubeconfig(server)), max_bytes=100_000)


def test_a_compressed_answer_is_refused(
    server: str, state: Cluster, kubeconfig: KubeconfigWriter
) -> None:
    """netreach asks for no compression; a gzip answer could expand without bound."""
    body = gzip.compress(json.dumps({"kind": "PodList", "items": []}).encode())
    state.raw[PODS] = (200, {"Content-Encoding": "gzip", "Content-Length": str(len(body))}, body)
    with pytest.raises(ClusterError, match=r"the answer is compressed \(gzip\)"):
        read_cluster(str(kubeconfig(server)))


def test_endless_continue_tokens_stop_at_the_page_cap(
    server: str, state: Cluster, kubeconfig: KubeconfigWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finding: a server answering every page with a new token kept netreach paging
    (395 MB in 60 s). Empty pages: the byte limit alone would take long to stop it."""
    monkeypatch.setattr(kube, "MAX_PAGES", 30)
    state.endless[PODS] = "new"
    with pytest.raises(ClusterError, match="sent more than 30 pages to list pods"):
        read_cluster(str(kubeconfig(server)))
    assert len([p for p, _ in state.requests if p.startswith(PODS)]) == 30


def test_a_repeated_continue_token_stops_at_once(
    server: str, state: Cluster, kubeconfig: KubeconfigWriter
) -> None:
    state.endless[PODS] = "same"
    with pytest.raises(ClusterError, match="sent the same continue token twice"):
        read_cluster(str(kubeconfig(server)))
    assert len([p for p, _ in state.requests if p.startswith(PODS)]) == 2


def test_server_messages_are_cut_and_kept_on_one_line(
    server: str,
    state: Cluster,
    kubeconfig: KubeconfigWriter,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    message = "nope\n::error::forged\r\x1b[2J" + "x" * 5000
    body = json.dumps({"kind": "Status", "code": 403, "message": message}).encode()
    state.raw[PODS] = (403, {"Content-Length": str(len(body))}, body)
    code, _, err = run_cli(capsys, "validate", "--kubeconfig", str(kubeconfig(server)))
    assert code == 2
    (line,) = err.splitlines()
    assert "The server said: nope\\n::error::forged\\x0d\\x1b[2Jxxx" in line
    assert line.endswith("... (5,025 characters)")


def test_cli_max_input_bytes_bounds_the_api_answers(
    server: str,
    kubeconfig: KubeconfigWriter,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = [
        "validate",
        "--kubeconfig",
        str(kubeconfig(server)),
        "--max-input-bytes",
        "500",
    ]
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert "sent more than the input limit of 500 bytes" in err
