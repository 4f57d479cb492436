"""Start-up stays at click's cost: `netreach --version`, `--help` and tab completion of
command names import no command module, no engine (numpy), no Kubernetes client, no Rich.
(The time itself is a benchmark: `python bench/run.py --sizes startup`.)"""

from __future__ import annotations

import os
import subprocess
import sys

HEAVY = ("numpy", "kubernetes", "rich", "yaml", "netreach.engine", "netreach.analyses")


def _modules_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return set(out.stdout.split())


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY))


def test_importing_the_library_loads_no_engine() -> None:
    assert _heavy(_modules_after("import netreach")) == []


def test_version_loads_no_command_module() -> None:
    code = (
        "from netreach.cli import cli\n"
        "try:\n    cli.main(['--version'], standalone_mode=False)\nexcept SystemExit:\n    pass"
    )
    modules = _modules_after(code)
    assert _heavy(modules) == []
    assert not {m for m in modules if m.startswith("netreach.cli.") and m.count(".") == 2} - {
        "netreach.cli.app",
        "netreach.cli.guard",
        "netreach.cli.streams",
    }


def test_a_command_loads_when_it_runs() -> None:
    from netreach.cli import cli
    from netreach.cli.guard import Group

    assert isinstance(cli, Group)
    assert "matrix" in cli.list_commands(None)  # type: ignore[arg-type]
    command = cli.get_command(None, "matrix")  # type: ignore[arg-type]
    assert command is not None and command.name == "matrix"


def test_netreach_load_is_the_function_even_after_the_package_is_imported() -> None:
    import netreach
    import netreach.loader.limits  # a submodule of the package

    assert callable(netreach.load)
