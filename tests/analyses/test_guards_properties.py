"""Selector implication, which decides whether an admin rule certainly reaches pods created
later: it must be sound (never claim a rule reaches a pod it may not)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from netreach.analyses.guards import implies
from netreach.model import LabelSelector, Requirement

KEYS = st.sampled_from(["a", "b", "c"])
VALUES = st.sampled_from(["1", "2", "3"])
REQUIREMENTS = st.one_of(
    st.builds(
        Requirement,
        KEYS,
        st.sampled_from(["In", "NotIn"]),
        st.lists(VALUES, max_size=3, unique=True).map(tuple),
    ),
    st.builds(Requirement, KEYS, st.sampled_from(["Exists", "DoesNotExist"])),
)
SELECTORS = st.builds(
    LabelSelector,
    st.dictionaries(KEYS, VALUES, max_size=2).map(lambda d: tuple(sorted(d.items()))),
    st.lists(REQUIREMENTS, max_size=3).map(tuple),
)
LABELS = st.dictionaries(KEYS, VALUES, max_size=3)


@given(SELECTORS, SELECTORS, st.lists(LABELS, min_size=1, max_size=20))
def test_implication_is_sound(a: LabelSelector, b: LabelSelector, labels: list[dict[str, str]]):
    if implies(a, b):
        for one in labels:
            assert not a.matches(one) or b.matches(one), (a, b, one)


@given(SELECTORS)
def test_a_selector_implies_itself_and_the_empty_selector(a: LabelSelector):
    assert implies(a, a) and implies(a, LabelSelector())
