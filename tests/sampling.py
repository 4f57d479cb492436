"""How many examples a sampled test draws: all of them under the `thorough` hypothesis profile
(`make test-slow`), a quarter under the default `fast` one (`make test`).

Profiles are registered in tests/conftest.py; `--hypothesis-profile thorough` picks one. Tests
with their own `max_examples` (and seeded loops) take `examples(n)` so that they scale too."""

from __future__ import annotations

from hypothesis import settings

THOROUGH_EXAMPLES = 100  # hypothesis's own default: the thorough profile keeps it
FAST_EXAMPLES = 25
_FLOOR = 10  # fewer than this finds little; a test asking for fewer keeps its own number


def examples(n: int) -> int:
    """`n` under the thorough profile; scaled as the profile scales hypothesis's default."""
    scaled = n * settings.default.max_examples // THOROUGH_EXAMPLES
    return max(min(n, _FLOOR), scaled)
