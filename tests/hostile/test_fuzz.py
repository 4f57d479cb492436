"""Random manifests, valid and broken: valid ones load clean; nothing but netreach's own errors
ever escapes the loader, the validator or the engine. `make fuzz` runs atheris for longer."""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from manifests import broken_object, broken_text, dump, side_file, valid_objects

from netreach.cluster import Cluster
from netreach.errors import InputError
from netreach.loader import Source, load_sources
from paths import ROOT
from sampling import examples

FUZZ = ROOT / "fuzz" / "fuzz_load.py"
CI = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_load", FUZZ)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@CI
@given(valid_objects, st.booleans())
def test_valid_manifests_load_without_problems(
    objects: list[dict[str, Any]], as_json: bool
) -> None:
    name = "in.json" if as_json else "in.yaml"
    snap = load_sources([Source(name, dump(objects, as_json))], strict=True)
    assert len(snap.policies) == sum(o["kind"] == "NetworkPolicy" for o in objects)
    assert len(snap.pods) == sum(o["kind"] == "Pod" for o in objects)
    Cluster(snap).connectivity("pod")  # the engine takes whatever the loader accepts


@CI
@given(st.lists(broken_object(), min_size=1, max_size=3), st.booleans())
def test_broken_objects_give_located_problems(objects: list[Any], as_json: bool) -> None:
    name = "in.json" if as_json else "in.yaml"
    try:
        snap = load_sources([Source(name, dump(objects, as_json))], strict=True)
    except InputError as e:
        assert e.problems
        assert all(str(p).startswith(name) for p in e.problems)
    else:
        Cluster(snap).connectivity("pod")


@CI
@given(broken_text())
def test_broken_bytes_only_raise_netreach_errors(case: tuple[str, bytes]) -> None:
    """The harness of `make fuzz`, on structure-aware inputs: it re-raises anything unexpected."""
    name, data = case
    harness().check_input(data, name)


@CI
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_netreach_errors(data: bytes) -> None:
    harness().test_one_input(data)


@CI
@given(st.sampled_from(["config", "expectations", "intent", "flows"]), st.data())
def test_side_files_only_raise_netreach_errors(kind: str, data: st.DataObject) -> None:
    """`.netreach.yaml`, expectations, intents and flows: structure-aware inputs through the
    harness `make fuzz` runs (it re-raises anything but netreach's own errors)."""
    harness().check_side_file(data.draw(side_file(kind)), kind)


@CI
@given(st.sampled_from(["config", "expectations", "intent", "flows"]), st.binary(max_size=300))
def test_side_files_random_bytes(kind: str, data: bytes) -> None:
    harness().check_side_file(data, kind)
