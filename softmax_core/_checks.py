"""Parameter checks shared by the core modules.

Each check raises ``ValueError`` naming the parameter and the offending value, so that a
caller (the app, a notebook) can show the message as it is.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer in ``[low, high]``, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return int(value)


def check_real(
    name: str,
    value: object,
    low: float,
    high: float = np.inf,
    *,
    low_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as a float if it is a real number in the interval, else raise.

    The interval is ``[low, high]`` (``(low, high]`` with ``low_open``); NaN is always
    rejected, infinity only accepted with ``allow_inf``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if np.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if np.isinf(value) and not allow_inf:
        raise ValueError(f"{name} must be finite, got {value!r}")
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        left = "(" if low_open else "["
        right = ")" if np.isinf(high) and not allow_inf else "]"
        raise ValueError(f"{name} must be in {left}{low}, {high}{right}, got {value!r}")
    return value


def check_random_state(value: object) -> np.random.RandomState:
    """Return a legacy ``RandomState`` seeded by ``value`` (an int in [0, 2**32 - 1])."""
    return np.random.RandomState(check_int("random_state", value, 0, 2**32 - 1))
