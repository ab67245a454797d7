"""Parameter checks shared by the core modules.

Each check raises ``ValueError`` naming the parameter and the offending value, so that a
caller (the app, a notebook) can show the message as it is.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils._param_validation import Interval


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
    return np.random.RandomState(check_int("random_state", value, 0, 2**32 - 1))  # MAX_SEED


def check_array(name: str, value: object, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` as a finite float array (of ``ndim`` dimensions), else raise."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be an array of numbers, got {type(value).__name__}"
        ) from None
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if array.ndim == 2 and array.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers (no NaN or infinity)")
    return array


def check_labels(
    name: str, value: object, n_classes: int, n_samples: int | None = None
) -> np.ndarray:
    """Return encoded labels: 1-D integers in ``0 .. n_classes - 1`` (``n_samples`` of them)."""
    labels = np.asarray(value)
    if labels.ndim != 1 or labels.size == 0 or n_samples not in (None, labels.shape[0]):
        expected = "(n,)" if n_samples is None else f"({n_samples},)"
        raise ValueError(f"{name} must have shape {expected}, got {labels.shape}")
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"{name} must hold integers from 0 to {n_classes - 1}")
    return labels


def check_sample_weight(value: object, n_samples: int) -> tuple[np.ndarray | None, float]:
    """Return sample weights and their sum ``S``: ``(None, n_samples)`` for None (all 1).

    Weights are ``n_samples`` finite, non-negative numbers with a positive sum, returned as a
    new float64 array (the caller's array may change later).
    """
    if value is None:
        return None, float(n_samples)
    weights = np.array(check_array("sample_weight", value, ndim=1), dtype=np.float64)
    if weights.shape != (n_samples,):
        raise ValueError(f"sample_weight must have shape ({n_samples},), got {weights.shape}")
    if np.any(weights < 0):
        raise ValueError("sample_weight must not be negative")
    with np.errstate(over="ignore"):
        total = float(np.sum(weights))
    if total == 0:
        raise ValueError("sample_weight must not be all zero")
    if not np.isfinite(total):
        raise ValueError(f"sample_weight must have a finite sum, got {total}")
    return weights, total


class StrictInterval(Interval):
    """scikit-learn's ``Interval`` constraint, refusing ``True`` and ``False``.

    ``bool`` is an ``int`` in Python, so ``Interval(Integral, 1, None)`` takes
    ``max_iter=True`` for 1; a flag given for a number is a mistake to report.
    """

    def is_satisfied_by(self, val: object) -> bool:
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)
