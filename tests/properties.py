"""How many examples a property test draws: its own count, or many more before a release.

A test names the count that keeps the suite quick (``examples(60)``); under the ``release``
Hypothesis profile (tests/conftest.py) every count is ``RELEASE_SCALE`` times larger.
"""

from __future__ import annotations

import os

RELEASE_SCALE = 20


def examples(count: int) -> int:
    """``count``, or ``RELEASE_SCALE * count`` under ``HYPOTHESIS_PROFILE=release``."""
    return count * (RELEASE_SCALE if os.environ.get("HYPOTHESIS_PROFILE") == "release" else 1)
