"""netreach reads every file as kubectl does: proven against kubectl itself (kubectl_oracle.py).

For each case, kubectl reads the file (no server needed) and netreach decodes it:
- kubectl accepts -> netreach's decoded document is the same JSON, value for value;
- kubectl refuses -> netreach refuses too (decoding or validation), with a file:line message.

Cases: every example of issue 16 (named below), plus hypothesis-generated scalars (at least
240 per run, in batches of one kubectl run each) in every position the analysis reads: ports,
endPort, protocols, label keys and values, selectors' values, CIDRs, policyTypes, and merge
keys mixing maps with generated keys.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from kubectl_oracle import Read, read_all

from netreach.errors import InputError
from netreach.loader import load_sources
from netreach.loader.decode import parse_source
from netreach.loader.sources import Source
from sampling import examples

HEAD = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n"

# Each issue case: (id, body after the metadata name line). `{v}` marks nothing here.
ISSUE_CASES: dict[str, str] = {
    "port-8e1": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 8e1\n",
    "port-0o120": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 0o120\n",
    "port-0x50": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 0x50\n",
    "port-0b": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 0b1010000\n",
    "port-080": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 080\n",
    "port-0120": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 0120\n",
    "port-underscore": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 8_0\n",
    "port-80.0": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80.0\n",
    "port-80.5": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80.5\n",
    "port-1:20": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 1:20\n",
    "port-equals": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: =\n",
    "port-on": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: on\n",
    "port-nan": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: .nan\n",
    "port-inf": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: -.Inf\n",
    "port-1e400": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 1e400\n",
    "endport-1e3": (
        "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n      endPort: 1e3\n"
    ),
    "endport-huge": (
        "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n"
        "      endPort: 18446744073709551615\n"
    ),
    "merge-first-map-wins": (
        "spec:\n  podSelector:\n    <<: [{matchLabels: {app: attacker}}, {matchLabels: {app: b}}]\n"
    ),
    "merge-after-explicit-key-overrides-it": (
        "spec:\n  podSelector:\n    matchLabels: {app: a}\n    <<: {matchLabels: {app: b}}\n"
    ),
    "explicit-key-after-merge-wins": (
        "spec:\n  podSelector:\n    <<: {matchLabels: {app: b}}\n    matchLabels: {app: a}\n"
    ),
    "merge-inner-maps": (
        "spec:\n  podSelector:\n    matchLabels:\n      <<: [{app: a, x: b}, {app: b, y: c}]\n"
    ),
    "merge-of-alias": (
        "spec:\n  podSelector:\n    matchLabels: &m {app: a}\n"
        "  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          <<: *m\n"
    ),
    "merge-of-scalar-refused": "spec:\n  podSelector:\n    <<: 1\n",
    "labels-bools": "  labels: {a: y, b: n}\nspec: {podSelector: {}}\n",
    "label-1e3": "  labels: {a: 1e3}\nspec: {podSelector: {}}\n",
    "label-null": "  labels: {a: null}\nspec: {podSelector: {}}\n",
    "label-empty-value": "  labels: {a: }\nspec: {podSelector: {}}\n",
    "label-timestamp": "  labels: {a: 2001-12-14}\nspec: {podSelector: {}}\n",
    "label-int-key": "  labels: {1: a}\nspec: {podSelector: {}}\n",
    "label-float-key": "  labels: {1.5: a, 8e1: b}\nspec: {podSelector: {}}\n",
    "label-bool-key": "  labels: {y: a}\nspec: {podSelector: {}}\n",
    "label-null-key": "  labels: {~: a}\nspec: {podSelector: {}}\n",
    "selector-bool-key": "spec:\n  podSelector:\n    matchLabels: {on: x}\n",
    "selector-bool-value": "spec:\n  podSelector:\n    matchLabels: {app: yes}\n",
    "protocol-tagged": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - protocol: !!str TCP\n",
    "port-tagged-str": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: !!str 80\n",
    "port-tagged-int": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: !!int '80'\n",
    "port-tagged-bad": "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: !!int abc\n",
    "port-binary": (
        "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: !!binary aHR0cA==\n"
    ),
    "cidr-quoted": (
        "spec:\n  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: '10.0.0.0/8'}\n"
    ),
    "anchors": (
        "spec:\n  podSelector: &s {matchLabels: {app: a}}\n"
        "  ingress:\n  - from:\n    - podSelector: *s\n"
    ),
    "separator-with-content": "spec: {podSelector: {}}\n--- {a: b}\n",
}


def _doc(name: str, body: str) -> bytes:
    return (HEAD.format(name=name) + body).encode()


def _same(ours: Any, theirs: Any) -> bool:
    """JSON equality where 1 and 1.0 differ (kubectl sends 80, never 80.0) and so do bools."""
    if type(ours) is not type(theirs):
        return False
    if isinstance(ours, dict):
        return ours.keys() == theirs.keys() and all(_same(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list):
        return len(ours) == len(theirs) and all(
            _same(a, b) for a, b in zip(ours, theirs, strict=True)
        )
    return bool(ours == theirs)


# Two keys that become one JSON key with different values ({1: a, "1": b}): kubectl keeps one
# of them by Go's random map order; netreach refuses the file instead of guessing.
_RANDOM = "kubectl would keep one of them at random"


# libyaml 0.2 (PyYAML's parser) ends a plain scalar at a `:` followed by `,` `]` `}` in flow
# context (`[a:]`) and reports a syntax error; go-yaml v2 reads `a:` as the scalar. netreach
# refuses such a file with a located error (docs/limits.md), never reads it differently.
_FLOW_COLON = "found unexpected ':'"


def _check(files: dict[str, bytes]) -> int:
    """Compare netreach with kubectl on every file; returns how many kubectl accepted."""
    kube = read_all(files)
    accepted = 0
    for name, data in files.items():
        verdict: Read = kube[name]
        source = Source(name, data)
        parsed = parse_source(source)
        ours = [value for _, value in parsed.docs]
        if verdict.error is None:
            accepted += 1
            if parsed.problems and all(
                _RANDOM in str(p) or _FLOW_COLON in str(p) for p in parsed.problems
            ):
                continue  # known, refused with a located message: see _RANDOM, _FLOW_COLON
            assert not parsed.problems, (name, data, [str(p) for p in parsed.problems])
            assert len(ours) == len(verdict.objects), (name, data, ours, verdict.objects)
            for mine, theirs in zip(ours, verdict.objects, strict=True):
                assert _same(mine, theirs), (name, data.decode(errors="replace"), mine, theirs)
            continue
        problems = [str(p) for p in parsed.problems]
        lines = [p.location.line for p in parsed.problems if p.location is not None]
        if not problems:
            try:
                load_sources([Source(name, data)])
            except InputError as e:
                problems = [str(p) for p in e.problems]
                lines = [p.location.line for p in e.problems if p.location is not None]
        assert problems, (name, data.decode(errors="replace"), verdict.error)
        # located: a line, except for a file refused whole (its encoding)
        assert any(line is not None for line in lines) or "encoded" in problems[0], (
            name,
            problems,
        )
    return accepted


def test_every_issue_case_reads_as_kubectl_reads_it() -> None:
    files = {
        f"c{i:03d}.yaml": _doc(f"c{i:03d}", body) for i, body in enumerate(ISSUE_CASES.values())
    }
    # encodings and JSON streams: kubectl honours UTF-16 byte-order marks
    files["e000.yaml"] = _doc("e000", ISSUE_CASES["port-8e1"]).decode().encode("utf-16")
    files["e001.yaml"] = b"\xfe\xff" + _doc("e001", ISSUE_CASES["port-0o120"]).decode().encode(
        "utf-16-be"
    )
    files["e002.yaml"] = b"\xef\xbb\xbf" + _doc("e002", ISSUE_CASES["port-080"])
    files["e003.yaml"] = _doc("e003", ISSUE_CASES["port-8e1"]).decode().encode("utf-32")
    files["e004.json"] = (
        b'{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "e004", "labels": '
        b'{"a": "b"}}, "n": 80.0}\n{"apiVersion": "v1", "kind": "Namespace", "metadata": '
        b'{"name": "e004"}, "m": 1e3}'
    )
    files["e005.json"] = (
        b"{apiVersion: v1, kind: Namespace, metadata: {name: e005, labels: {a: y}}}"
    )
    files["e006.json"] = (
        b'{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "e006"}, "x": NaN}'
    )
    accepted = _check(files)
    # most cases are read; the rest (NaN, null keys, bool labels, ...) refused by both
    assert 20 < accepted < len(files)


# --- generated scalars ---------------------------------------------------------------------

_WORDS = [
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF", "true", "True", "TRUE", "false", "False", "FALSE", "yEs", "oN", "tRUE", "nO",
    "null", "Null", "NULL", "~", "nULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
    "+.inf", "-.inf", "-.INF", ".iNf", "NaN", "Infinity", "inf", "1:20", "=", "<<", "0x",
    "0o", "0b", "0b2", "08", "0_8", "_80", "80_", "+", "-", ".", "..", "-0", "+0", "0.",
    ".5", "._5", ".5_5", "-.5", "+.5e3", "1e", "1e+", "1_000", "0x_50", "0X50", "0O17",
    "0B101", "0b-101", "0b+1", "-0b101", "2001-12-14", "2001-12-14T21:59:43.10Z",
    "2001-12-14 21:59:43.10", "2001-12-14t21:59:43.10-05:00", "2001-1-2", "1e400",
    "-1e400", "1e-400", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "-9223372036854775809", "18446744073709551615", "18446744073709551616",
    "99999999999999999999", "0x7fffffffffffffff", "0x8000000000000000", "-0x8000000000000001",
    "1.5", "0.1", "1e6", "1e21", "123456789.0", "3.4e38", "3.5e38", "1e-7", "TCP", "UDP",
    "SCTP", "tcp", "10.0.0.0/8", "10.0.0.1/32", "::/0", "fe80::1%eth0/64", "a/b", "http",
]  # fmt: skip
_TAGGED = [
    "!!str 80", "!!str yes", "!!int 0x10", "!!int 80.5", "!!int '80'", "!!float 80",
    "!!float 1e3", "!!float abc", "!!bool yes", "!!bool 1", "!!null ''", "!!null x",
    "!!timestamp 2001-12-14", "!!timestamp x", "!!binary aGVsbG8=", "!!binary !!!", "!foo 80",
    "! 80", "'80'", '"yes"', "'<<'", '"1:20"', "!!int 18446744073709551615", "!!float 0x10",
]  # fmt: skip

_SAFE = string.ascii_letters + string.digits + "._/:=+~-"


@st.composite
def _go_int(draw: st.DrawFn) -> str:
    value = draw(st.integers(min_value=-(2**66), max_value=2**66))
    base = draw(st.sampled_from(["d", "x", "X", "o", "O", "b", "0"]))
    digits = {"d": str(abs(value)), "x": f"{abs(value):x}", "X": f"{abs(value):X}"}.get(
        base, f"{abs(value):o}" if base in "oO0" else f"{abs(value):b}"
    )
    prefix = {"d": "", "x": "0x", "X": "0X", "o": "0o", "O": "0O", "b": "0b", "0": "0"}[base]
    if draw(st.booleans()) and len(digits) > 1:
        cut = draw(st.integers(min_value=1, max_value=len(digits) - 1))
        digits = digits[:cut] + "_" + digits[cut:]
    sign = "-" if value < 0 else draw(st.sampled_from(["", "", "+"]))
    return sign + prefix + digits


@st.composite
def _go_float(draw: st.DrawFn) -> str:
    value = draw(st.floats(allow_nan=False, allow_infinity=False, width=64))
    form = draw(st.sampled_from(["repr", "e", "f", "int."]))
    if form == "e":
        return f"{value:e}"
    if form == "f":
        return f"{value:.3f}"
    if form == "int.":
        return f"{round(value) % 70000}.0"
    return repr(value)


_SCALAR = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(_TAGGED),
    _go_int(),
    _go_float(),
    st.integers(min_value=0, max_value=70000).map(str),
    st.text(alphabet=_SAFE, min_size=1, max_size=10).filter(
        lambda s: not s.startswith(("-", ":", "~")) or (len(s) > 1 and s[1] not in " -")
    ),
)

# Where a generated scalar goes: (id, body with {v} for the scalar).
_POSITIONS = [
    ("port", "spec:\n  podSelector: {{}}\n  ingress:\n  - ports:\n    - port: {v}\n"),
    ("endport", "spec:\n  podSelector: {{}}\n  ingress:\n  - ports:\n    - port: 80\n      endPort: {v}\n"),
    ("protocol", "spec:\n  podSelector: {{}}\n  egress:\n  - ports:\n    - protocol: {v}\n"),
    ("label-value", "  labels:\n    app: {v}\nspec: {{podSelector: {{}}}}\n"),
    ("label-key", "  labels:\n    {v}: a\nspec: {{podSelector: {{}}}}\n"),
    ("selector-value", "spec:\n  podSelector:\n    matchLabels:\n      app: {v}\n"),
    ("selector-key", "spec:\n  podSelector:\n    matchLabels:\n      {v}: a\n"),
    ("expression-value", "spec:\n  podSelector:\n    matchExpressions:\n    - key: app\n      operator: In\n      values: [{v}]\n"),
    ("cidr", "spec:\n  podSelector: {{}}\n  egress:\n  - to:\n    - ipBlock:\n        cidr: {v}\n"),
    ("except", "spec:\n  podSelector: {{}}\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: [{v}]\n"),
    ("policy-type", "spec:\n  podSelector: {{}}\n  policyTypes:\n  - {v}\n"),
    ("namespace-selector", "spec:\n  podSelector: {{}}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels: {{{v}: {v}}}\n"),
]  # fmt: skip

_CASE = st.tuples(st.sampled_from(_POSITIONS), _SCALAR)


@st.composite
def _merge_case(draw: st.DrawFn) -> str:
    """matchLabels built from merges of generated maps, with explicit keys around them."""
    keys = st.sampled_from(["app", "x", "y", "1", "on", "tier", "0x1", "1.0"])
    maps = st.lists(
        st.dictionaries(keys, st.sampled_from(["a", "b", "c", "1", "y"]), min_size=1, max_size=3),
        min_size=1,
        max_size=3,
    )
    merged = draw(maps)
    before = draw(st.dictionaries(keys, st.sampled_from(["d", "e"]), max_size=2))
    after = draw(st.dictionaries(keys, st.sampled_from(["f", "g"]), max_size=2))
    flow = ", ".join("{" + ", ".join(f"{k}: {v}" for k, v in m.items()) + "}" for m in merged)
    lines = [f"      {k}: {v}\n" for k, v in before.items()]
    lines.append(f"      <<: [{flow}]\n" if len(merged) > 1 else f"      <<: {flow}\n")
    lines += [f"      {k}: {v}\n" for k, v in after.items()]
    return "spec:\n  podSelector:\n    matchLabels:\n" + "".join(lines)


@settings(
    max_examples=examples(4),
    deadline=None,
    # a batch is one kubectl run; the assertion names the failing file, shrinking adds nothing
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.lists(_CASE, min_size=60, max_size=60),
    st.lists(_merge_case(), min_size=8, max_size=8),
)
def test_generated_scalars_read_as_kubectl_reads_them(
    cases: list[tuple[tuple[str, str], str]], merges: list[str]
) -> None:
    files: dict[str, bytes] = {}
    for i, ((_, body), scalar) in enumerate(cases):
        files[f"g{i:03d}.yaml"] = _doc(f"g{i:03d}", body.format(v=scalar))
    for i, body in enumerate(merges):
        files[f"m{i:03d}.yaml"] = _doc(f"m{i:03d}", body)
    _check(files)
