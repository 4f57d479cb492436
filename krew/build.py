"""Build the krew plugin: one archive per platform holding `kubectl-netreach` (a pex: netreach
and its dependencies' wheels for that platform, run by the user's python3) and the licenses,
and the manifest with their checksums.

    python krew/build.py --version 0.1.0 --repo OWNER/netreach --out dist/krew
    python krew/build.py ... --platforms current --wheelhouse DIR   # tests: this machine,
                                                                    # offline from wheels
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import tarfile
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parents[1]
ABIS = ("cp311", "cp312", "cp313")
# krew's os/arch -> the wheel platform tags pex resolves for it
PLATFORMS = {
    ("linux", "amd64"): "manylinux2014_x86_64",
    ("linux", "arm64"): "manylinux2014_aarch64",
    ("darwin", "amd64"): "macosx_11_0_x86_64",
    ("darwin", "arm64"): "macosx_11_0_arm64",
}
LICENSES = (ROOT / "LICENSE", ROOT / "src/netreach/render/vendor/cytoscape.LICENSE")
BIN = "kubectl-netreach"


def archive_name(os_name: str, arch: str) -> str:
    return f"{BIN}_{os_name}_{arch}.tar.gz"


def build_pex(out: Path, platform: str | None, wheelhouse: Path | None) -> Path:
    """netreach and its dependencies for `platform` (None: this interpreter's), from PyPI and
    this checkout, or only from the wheels in `wheelhouse`."""
    target = out / BIN
    project = "netreach" if wheelhouse else str(ROOT)
    cmd = [sys.executable, "-m", "pex", project, "-c", "netreach", "-o", str(target),
           "--python-shebang", "/usr/bin/env python3", "--venv", "--strip-pex-env"]  # fmt: skip
    if wheelhouse is not None:
        cmd += ["--no-pypi", "-f", str(wheelhouse)]
    for abi in ABIS if platform is not None else ():
        cmd += ["--platform", f"{platform}-cp-{abi[2:]}-{abi}"]
    subprocess.run(cmd, check=True)
    return target


def pack(binary: Path, target: Path) -> str:
    """The archive krew unpacks: the executable and the licenses; returns its sha256."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, name in [(binary, BIN), *((p, p.name) for p in LICENSES)]:
            info = tar.gettarinfo(str(path), arcname=name)
            info.mode = 0o755 if name == BIN else 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            with path.open("rb") as f:
                tar.addfile(info, f)
    target.write_bytes(buf.getvalue())
    return hashlib.sha256(buf.getvalue()).hexdigest()


def platform_entry(repo: str, version: str, os_name: str, arch: str, sha: str) -> str:
    name = archive_name(os_name, arch)
    return (
        f"  - selector:\n      matchLabels:\n        os: {os_name}\n        arch: {arch}\n"
        f"    uri: https://github.com/{repo}/releases/download/v{version}/{name}\n"
        f"    sha256: {sha}\n"
        f"    files:\n"
        f"    - {{from: {BIN}, to: .}}\n"
        f"    - {{from: LICENSE, to: .}}\n"
        f"    - {{from: cytoscape.LICENSE, to: .}}\n"
        f"    bin: {BIN}\n"
    )


def current() -> tuple[str, str]:
    import platform

    os_name = "darwin" if sys.platform == "darwin" else "linux"
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
    return os_name, arch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", required=True)
    ap.add_argument("--repo", required=True, help="OWNER/NAME of the GitHub repository")
    ap.add_argument("--out", type=Path, default=ROOT / "dist" / "krew")
    ap.add_argument("--platforms", choices=("all", "current"), default="all")
    ap.add_argument("--wheelhouse", type=Path, help="resolve only from the wheels here")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    wanted = [current()] if args.platforms == "current" else list(PLATFORMS)
    entries = []
    for os_name, arch in wanted:
        work = args.out / f"{os_name}_{arch}"
        work.mkdir(exist_ok=True)
        tag = None if args.platforms == "current" else PLATFORMS[(os_name, arch)]
        binary = build_pex(work, tag, args.wheelhouse)
        sha = pack(binary, args.out / archive_name(os_name, arch))
        entries.append(platform_entry(args.repo, args.version, os_name, arch, sha))
    template = Template((ROOT / "krew" / "netreach.yaml.in").read_text())
    manifest = template.substitute(
        version=args.version, repo=args.repo, platforms="".join(entries).rstrip("\n")
    )
    (args.out / "netreach.yaml").write_text(manifest)
    print(args.out / "netreach.yaml")


if __name__ == "__main__":
    main()
