"""verify stays in its sandbox whatever the environment says, and leaves nothing on the host,
even when killed with SIGKILL in the middle of a run (issue 17)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dp_helpers import need_dataplane, ns, pod, snapshot

from netreach.dataplane import sandbox
from netreach.dataplane.addresses import assign
from netreach.dataplane.lab import Lab
from netreach.errors import NetreachError


def _host() -> dict[str, str]:
    """What a leftover of ours would change on the host. The machine is shared: only what
    carries the lab's names counts (namespaces `nr-*`, tmpfs `netreach-*`)."""

    def out(*cmd: str) -> str:
        return subprocess.run(cmd, capture_output=True, text=True).stdout

    mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    return {
        "netns": "\n".join(
            n for n in out("ip", "netns", "list").splitlines() if n.startswith("nr-")
        ),
        "run/netns": "\n".join(sorted(n for n in os.listdir("/run/netns") if n.startswith("nr-")))
        if os.path.isdir("/run/netns")
        else "",
        "mounts": "\n".join(m for m in mounts if "netreach" in m or "/run/netns/nr-" in m),
        "nft": out("nft", "list", "ruleset"),
        "links": out("ip", "-br", "link"),
    }


def _marked(marker: str) -> list[int]:
    """Processes whose command line holds `marker` (forks of the CLI keep its argv)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                pids.append(int(entry))
    return pids


def _manifests(tmp: Path, pods: int) -> Path:
    docs = [
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: a, labels: {{app: a}}}}\n"
        f"spec: {{containers: [{{name: c, image: i}}]}}\nstatus: {{podIP: 10.9.0.{i + 2}}}\n"
        for i in range(pods)
    ]
    path = tmp / "many.yaml"
    path.write_text("---\n".join(docs))
    return path


@pytest.mark.dataplane
def test_sigkill_with_the_old_switch_set_leaves_nothing(tmp_path: Path) -> None:
    """NETREACH_SANDBOX=1 once moved verify into the host's network namespace; a SIGKILL
    then left 31 namespaces and a /run/netns mount. Now no variable is read."""
    need_dataplane()
    path = _manifests(tmp_path, 24)
    before = _host()
    code = "from netreach.cli import main; main()"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "verify",
            str(path),
            "--ports",
            "1-400",
            "--protocols",
            "tcp,udp",
        ],
        env={**os.environ, "NETREACH_SANDBOX": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_marked(str(path))) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)  # the CLI, the sandbox's parent and its init: the lab is up
        assert len(_marked(str(path))) >= 3
        time.sleep(1.0)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        running = _host()
        assert running["netns"] == before["netns"]  # the lab is invisible to the host
        assert running["run/netns"] == before["run/netns"]
        assert running["links"] == before["links"] and running["nft"] == before["nft"]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 10
    while _marked(str(path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _marked(str(path)) == []  # the sandbox died with its parent
    time.sleep(0.5)
    after = _host()
    assert after == before


@pytest.mark.dataplane
def test_the_cli_writes_nothing_under_run(tmp_path: Path) -> None:
    """The old CLI left an empty /run/mount (util-linux's mount writes its table there).
    Run verify where /run is a fresh tmpfs of its own, then look: still empty."""
    need_dataplane()
    script = 'mount -t tmpfs netreach-test-run /run && "$@" >/dev/null && ls -A /run'
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
         sys.executable, "-c", "from netreach.cli import main; main()", "verify",
         str(_manifests(tmp_path, 2)), "--ports", "80", "--protocols", "tcp"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def test_no_environment_variable_makes_the_process_a_sandbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NETREACH_SANDBOX", "1")
    assert sandbox.isolated() is False
    lab = Lab(assign(snapshot([ns("a")], [pod("a/x", "10.0.0.1")], []), []))
    with pytest.raises(NetreachError, match="only inside the sandbox"):
        lab.build()
    lab.close()


@pytest.mark.dataplane
def test_run_isolated_runs_in_other_namespaces() -> None:
    need_dataplane()
    home = os.stat("/proc/self/ns/net").st_ino, os.stat("/proc/self/ns/mnt").st_ino

    def inside() -> tuple[int, int, bool, list[str]]:
        return (
            os.stat("/proc/self/ns/net").st_ino,
            os.stat("/proc/self/ns/mnt").st_ino,
            sandbox.isolated(),
            os.listdir("/run"),
        )

    net, mnt, isolated, run = sandbox.run_isolated(inside)
    assert net != home[0] and mnt != home[1] and isolated
    assert run == ["netns"]  # a private /run
    assert sandbox.isolated() is False
