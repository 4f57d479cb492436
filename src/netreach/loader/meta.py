"""Object metadata, labels and label selectors: reading and validating them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netreach.loader.check import Checker, FieldPath, fmt_value
from netreach.loader.names import is_dns1123_label, is_qualified_name, is_valid_label_value
from netreach.model import LabelSelector, Operator, Requirement

_OPERATORS: tuple[Operator, ...] = ("In", "NotIn", "Exists", "DoesNotExist")
SELECTOR_FIELDS = frozenset({"matchLabels", "matchExpressions"})
_REQUIREMENT_FIELDS = frozenset({"key", "operator", "values"})
# ObjectMeta (meta/v1): a typo here (`lables`) would silently drop labels.
OBJECT_META_FIELDS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
        "clusterName",  # removed in 1.24; still in older dumps
    }
)


@dataclass(frozen=True, slots=True)
class OwnerRef:
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Meta:
    name: str
    namespace: str | None
    labels: dict[str, str]
    owner: OwnerRef | None  # the controller owner reference (or the first one)


def read_meta(
    c: Checker, obj: dict[str, Any], name_rule: Callable[[str], list[str]], namespaced: bool
) -> Meta:
    md = c.mapping(obj.get("metadata"), ("metadata",)) or {}
    c.unknown_fields(md, ("metadata",), OBJECT_META_FIELDS)
    name = c.string(md.get("name"), ("metadata", "name"))
    if not name:
        c.required(("metadata", "name"), "name or generateName is required")
        name = ""
    else:
        for msg in name_rule(name):
            c.invalid(("metadata", "name"), name, msg)
    namespace = None
    if namespaced:
        namespace = c.string(md.get("namespace"), ("metadata", "namespace")) or None
        if namespace is not None:
            for msg in is_dns1123_label(namespace):
                c.invalid(("metadata", "namespace"), namespace, msg)
    labels = read_labels(c, md.get("labels"), ("metadata", "labels"))
    read_annotations(c, md.get("annotations"), ("metadata", "annotations"))
    return Meta(name, namespace, labels, _owner(c, md.get("ownerReferences")))


# apimachinery ValidateAnnotations: keys and values together at most 256 KiB.
TOTAL_ANNOTATION_SIZE = 256 * 1024


def read_annotations(c: Checker, value: Any, path: FieldPath) -> None:
    """Annotations as ValidateAnnotations checks them: string values, qualified-name keys
    (checked lower-cased, as the API server does), at most 256 KiB in all."""
    raw = c.mapping(value, path)
    if not raw:
        return
    total = 0
    for key, val in raw.items():
        for msg in is_qualified_name(str(key).lower()):
            c.invalid(path, key, msg, (*path, key))
        if val is not None and not isinstance(val, str):
            c.invalid(path, val, "annotation values must be strings (quote it)", (*path, key))
            continue
        total += len(str(key).encode()) + len((val or "").encode())
    if total > TOTAL_ANNOTATION_SIZE:
        c.error(path, f"Too long: must have at most {TOTAL_ANNOTATION_SIZE} bytes")


def _owner(c: Checker, value: Any) -> OwnerRef | None:
    refs: list[OwnerRef] = []
    controller: OwnerRef | None = None
    for i, ref in enumerate(c.array(value, ("metadata", "ownerReferences"))):
        r = c.mapping(ref, ("metadata", "ownerReferences", i))
        if r is None:
            continue
        kind = c.string(r.get("kind"), ("metadata", "ownerReferences", i, "kind"))
        name = c.string(r.get("name"), ("metadata", "ownerReferences", i, "name"))
        if kind and name:
            refs.append(OwnerRef(kind, name))
            if r.get("controller") is True and controller is None:
                controller = refs[-1]
    return controller or (refs[0] if refs else None)


# (key, value) pairs already found valid: replicas repeat the same labels thousands of times
_VALID_LABELS: set[tuple[str, str]] = set()


def _bad_format(
    c: Checker, formats: bool, path: FieldPath, value: Any, msg: str, at: FieldPath | None = None
) -> bool:
    """A label key or value of the wrong format: an error where the API server checks it
    (ValidateLabelSelector, object labels), else a warning, and the value is kept: a custom
    resource's selector is checked by its CRD's schema only (string, no format). Whether a
    problem stops the reading."""
    if formats:
        c.invalid(path, value, msg, at)
        return True
    c.warn(
        at if at is not None else path,
        f"Invalid value: {fmt_value(value)}: {msg} (the CRD accepts it; no pod label can match "
        "it, and implementations built on Kubernetes' label parser may ignore the policy)",
    )
    return False


def read_labels(c: Checker, value: Any, path: FieldPath, *, formats: bool = True) -> dict[str, str]:
    """A label map; keys and values must be valid (values must be strings, as Kubernetes
    decodes labels into map[string]string: an unquoted `123` is rejected). `formats` False:
    a CRD's selector, whose key and value formats only warn (`_bad_format`)."""
    raw = c.mapping(value, path)
    labels: dict[str, str] = {}
    if raw is None:
        return labels
    for key, val in raw.items():
        if isinstance(val, str) and (key, val) in _VALID_LABELS:  # a list is not hashable
            labels[key] = val
            continue
        at = (*path, key)
        k = str(key)
        ok = True
        if not isinstance(key, str):
            c.invalid(path, key, "label keys must be strings (quote it)", at)
            ok = False
        valid = True
        for msg in is_qualified_name(k):
            ok = not _bad_format(c, formats, path, k, msg, at) and ok
            valid = False
        if val is None:
            val = ""  # Go decodes a JSON null into a map[string]string entry as ""
        if not isinstance(val, str):
            c.invalid(path, val, "label values must be strings (quote it)", at)
            continue
        for msg in is_valid_label_value(val):
            ok = not _bad_format(c, formats, path, val, msg, at) and ok
            valid = False
        if ok:
            labels[k] = val
            if valid and len(_VALID_LABELS) < 1_000_000:
                _VALID_LABELS.add((k, val))
    return labels


def read_selector(
    c: Checker, value: Any, path: FieldPath, *, formats: bool = True
) -> LabelSelector | None:
    """A metav1.LabelSelector; None when absent (null). Validated as ValidateLabelSelector;
    `formats` False for a custom resource's selector (key and value formats only warn)."""
    raw = c.mapping(value, path)
    if raw is None:
        return None
    c.unknown_fields(raw, path, SELECTOR_FIELDS)
    match_labels = read_labels(c, raw.get("matchLabels"), (*path, "matchLabels"), formats=formats)
    reqs: list[Requirement] = []
    exprs_path = (*path, "matchExpressions")
    for i, item in enumerate(c.array(raw.get("matchExpressions"), exprs_path)):
        req = _requirement(c, item, (*exprs_path, i), formats)
        if req is not None:
            reqs.append(req)
    return LabelSelector(tuple(sorted(match_labels.items())), tuple(reqs))


def _requirement(c: Checker, item: Any, path: FieldPath, formats: bool) -> Requirement | None:
    raw = c.mapping(item, path)
    if raw is None:
        return None
    c.unknown_fields(raw, path, _REQUIREMENT_FIELDS)
    key = c.string(raw.get("key"), (*path, "key")) or ""
    op = c.string(raw.get("operator"), (*path, "operator")) or ""
    values: list[str] = []
    for j, v in enumerate(c.array(raw.get("values"), (*path, "values"))):
        s = c.string(v, (*path, "values", j))
        if s is not None:
            values.append(s)
    ok = True
    for j, s in enumerate(values):
        for msg in is_valid_label_value(s):
            ok = not _bad_format(c, formats, (*path, "values", j), s, msg) and ok
    if op in ("In", "NotIn"):
        if not values:
            c.required((*path, "values"), "must be specified when `operator` is 'In' or 'NotIn'")
            ok = False
    elif op in ("Exists", "DoesNotExist"):
        if values:
            c.forbidden(
                (*path, "values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )
            ok = False
    else:
        c.invalid((*path, "operator"), op, "not a valid selector operator")
        ok = False
    for msg in is_qualified_name(key):
        ok = not _bad_format(c, formats, (*path, "key"), key, msg) and ok
    if not ok:
        return None
    operator = next(o for o in _OPERATORS if o == op)
    return Requirement(key, operator, tuple(values))
