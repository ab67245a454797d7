"""Hypothesis profiles for the whole suite (README, "Tests").

- ``ci`` (chosen when ``CI`` is set, as ``.ci/run`` does): derandomized, so that a run lands
  or fails by the code, never by the draw; no example database written into the checkout.
- ``dev`` (the default): random draws, as Hypothesis means them; failures are remembered in
  ``.hypothesis/`` and replayed first next time.
- ``release``: random draws and ``tests.properties.RELEASE_SCALE`` times the examples of every
  property test, before a release: ``HYPOTHESIS_PROFILE=release python -m pytest -m
  "not e2e"``.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev")
settings.register_profile("release", derandomize=False, print_blob=True)


def _profile() -> str:
    chosen = os.environ.get("HYPOTHESIS_PROFILE")
    if chosen:
        return chosen
    return "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev"


settings.load_profile(_profile())
