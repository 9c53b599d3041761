"""The test tiers' knobs for test modules (the options are in tests/conftest.py: `--fast`)."""

from __future__ import annotations

from hypothesis import settings


def examples(n: int) -> int:
    """n Hypothesis examples in the full run; in the fast tier (profile "fast") its smaller count.
    A test's own `settings(max_examples=…)` outranks any profile, so tests that set one pass it
    through here."""
    if settings.get_current_profile_name() == "fast":
        return min(n, settings.get_profile("fast").max_examples)
    return n
