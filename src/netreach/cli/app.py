"""The root command group."""

from __future__ import annotations

import click

from netreach import __version__
from netreach.cli.common import Group


@click.group(
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="netreach")
def cli() -> None:
    """netreach: what your Kubernetes NetworkPolicies allow, and why."""
