"""`netreach describe`: a policy or a pod in plain sentences."""

from __future__ import annotations

import click
import orjson

from netreach.analyses.describe import describe_pod, describe_policy
from netreach.cli.app import cli
from netreach.cli.common import cluster_from_inputs, input_options
from netreach.cli.options import output_option
from netreach.loader.inputs import Inputs
from netreach.render.describe import print_pod, print_policy
from netreach.render.text import console


@cli.command()
@input_options
@click.argument("what", metavar="policy|pod", type=click.Choice(["policy", "pod"]))
@click.argument("name", metavar="NS/NAME|KIND/[NS/]NAME")
@output_option(["text", "json"])
def describe(what: str, name: str, output: str, inputs: Inputs) -> int:
    """What a policy does, or what applies to a pod, in plain sentences.

    A policy is NS/NAME (a NetworkPolicy), KIND/NAME for a cluster-scoped kind (anp, banp,
    cnp, gnp, ccnp...) or KIND/NS/NAME for a Calico or Cilium namespaced one
    (caliconetworkpolicy, ciliumnetworkpolicy).

    \b
    Examples:
      netreach describe examples/lesson policy default/allow-backend-api-to-db
      netreach describe examples/calico policy gnp/security.dns
      netreach describe examples/cilium policy ciliumnetworkpolicy/default/db
      netreach describe examples/lesson pod default/db
    """
    cluster = cluster_from_inputs(inputs)
    if what == "policy":
        policy = describe_policy(cluster, name)
        if output == "json":
            click.echo(orjson.dumps(policy.to_dict(), option=orjson.OPT_INDENT_2).decode())
        else:
            print_policy(policy, console)
        return 0
    pod = describe_pod(cluster, name)
    if output == "json":
        click.echo(orjson.dumps(pod.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        print_pod(pod, console)
    return 0
